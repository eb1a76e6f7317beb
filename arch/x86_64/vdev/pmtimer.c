/* Guest ACPI PM timer: TSC ticks scaled to 3.579545 MHz.  See pmtimer.h. */
#include <arch/tsc.h>
#include "pmtimer.h"

void vpmtimer_init(struct vpmtimer *pm, uint64_t now_tsc, uint64_t tsc_hz, bool ext32)
{
	pm->base_tsc = now_tsc;
	pm->tsc_hz = tsc_hz ? tsc_hz : 1;
	pm->mask = ext32 ? 0xffffffffu : 0xffffffu;
}

uint32_t vpmtimer_read(const struct vpmtimer *pm, uint64_t now_tsc)
{
	uint64_t ticks = now_tsc - pm->base_tsc;

	if ((int64_t)ticks < 0)
		return 0;
	/* 2^64 TSC ticks times the PM rate stays below 2^86: no overflow, no rounding drift. */
	unsigned __int128 count = (unsigned __int128)ticks * PMTMR_HZ / pm->tsc_hz;

	return (uint32_t)count & pm->mask;
}

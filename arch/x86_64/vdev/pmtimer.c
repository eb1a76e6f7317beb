/* Guest ACPI PM timer: TSC ticks scaled to 3.579545 MHz.  See pmtimer.h. */
#include <arch/calib.h>
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
	/* Scaled from the start each time (128-bit product inside): no rounding drift. */
	return (uint32_t)calib_hz(ticks, pm->tsc_hz, PMTMR_HZ) & pm->mask;
}

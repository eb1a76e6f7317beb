/*
 * A guest ACPI PM timer (ACPI 6.x 4.8.3.3): a free-running up-counter at
 * 3.579545 MHz, read with a 32-bit IN at the FADT's PM_TMR_BLK.  It is 24
 * bits wide, or 32 bits when the FADT sets TMR_VAL_EXT (Flags bit 8); pass
 * the same choice to vpmtimer_init.  The count is computed from the TSC each
 * time, so it never drifts from it; it reads 0 at vpmtimer_init.  TMR_STS
 * and the timer's SCI (on each carry out of the top bit) are not modelled.
 */
#ifndef ARCH_VDEV_PMTIMER_H
#define ARCH_VDEV_PMTIMER_H

#include <stdbool.h>
#include <stdint.h>

struct vpmtimer {
	uint64_t base_tsc;          /* the TSC at count 0 */
	uint64_t tsc_hz;
	uint32_t mask;              /* 0xffffff, or 0xffffffff for 32 bits */
};

void vpmtimer_init(struct vpmtimer *pm, uint64_t now_tsc, uint64_t tsc_hz, bool ext32);

/* The counter at now_tsc; a TSC behind base_tsc reads as no time passed. */
uint32_t vpmtimer_read(const struct vpmtimer *pm, uint64_t now_tsc);

#endif

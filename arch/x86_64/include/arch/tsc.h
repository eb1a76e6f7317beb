/*
 * The TSC rate and the reference clock it is calibrated against.
 *
 * The reference is the HPET main counter when hpet_init() succeeded, else the
 * ACPI PM timer from the FADT.  udelay() (arch/cpu.h) uses the reference until
 * apic_timer_calibrate() has measured the TSC, then the TSC.
 */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <stdbool.h>
#include <stdint.h>

#define PMTMR_HZ 3579545u           /* ACPI 6.x 4.8.3.3: PM timer frequency */

/* "HPET", "PM timer", or NULL when there is no reference clock. */
const char *refclk_name(void);
uint64_t refclk_hz(void);           /* 0 when there is none */
uint64_t refclk_mask(void);         /* counter width: deltas are taken modulo mask + 1 */
uint64_t refclk_read(void);

/* Record the calibrated TSC rate (apic_timer_calibrate() does this). */
void tsc_set_hz(uint64_t hz);
bool tsc_calibrated(void);

#endif

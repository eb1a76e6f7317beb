/*
 * TSC rate and microsecond delays.  Before calibration udelay() counts the
 * reference clock (HPET or ACPI PM timer) directly, so early drivers can wait
 * correctly; afterwards it spins on the TSC, which is cheaper to read.
 */
#include <arch/calib.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include "drivers/acpi.h"
#include "drivers/hpet.h"

/*
 * Only used when there is neither an HPET nor a PM timer and calibration
 * could not run: 3 GHz is a common TSC rate, so delays are about right on
 * most machines and at worst short by the ratio to the real rate.
 */
#define TSC_DEFAULT_HZ 3000000000ull

static uint64_t tsc_rate;           /* 0 until calibrated */

const char *refclk_name(void)
{
	if (hpet_present())
		return "HPET";
	if (acpi.pm_tmr_port)
		return "PM timer";
	return NULL;
}

uint64_t refclk_hz(void)
{
	if (hpet_present())
		return hpet_hz();
	if (acpi.pm_tmr_port)
		return PMTMR_HZ;
	return 0;
}

uint64_t refclk_mask(void)
{
	if (hpet_present())
		return UINT64_MAX;          /* hpet_counter() is extended to 64 bits */
	return acpi.pm_tmr_32bit ? 0xffffffffull : 0xffffffull;
}

uint64_t refclk_read(void)
{
	if (hpet_present())
		return hpet_counter();
	if (acpi.pm_tmr_port)
		return inl((uint16_t)acpi.pm_tmr_port) & refclk_mask();
	return 0;
}

void tsc_set_hz(uint64_t hz)
{
	__atomic_store_n(&tsc_rate, hz, __ATOMIC_RELEASE);
}

bool tsc_calibrated(void)
{
	return __atomic_load_n(&tsc_rate, __ATOMIC_ACQUIRE) != 0;
}

uint64_t tsc_hz(void)
{
	uint64_t hz = __atomic_load_n(&tsc_rate, __ATOMIC_ACQUIRE);
	return hz ? hz : TSC_DEFAULT_HZ;
}

/* Sum deltas step by step so a 24-bit PM timer may wrap any number of times. */
static void refclk_wait(uint64_t ticks)
{
	uint64_t mask = refclk_mask();
	uint64_t last = refclk_read(), done = 0;

	while (done < ticks) {
		cpu_relax();
		uint64_t now = refclk_read();
		done += calib_delta(last, now, mask);
		last = now;
	}
}

void udelay(uint64_t us)
{
	if (!tsc_calibrated() && refclk_hz()) {
		refclk_wait(calib_ticks_for_us(us, refclk_hz()));
		return;
	}
	uint64_t ticks = calib_ticks_for_us(us, tsc_hz());
	uint64_t start = rdtsc();
	while (rdtsc() - start < ticks)
		cpu_relax();
}

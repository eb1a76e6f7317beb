/*
 * LAPIC timer and TSC calibration against the HPET or the ACPI PM timer,
 * and the one-shot timer.  Integer arithmetic only (arch/calib.h).
 */
#include <arch/apic.h>
#include <arch/calib.h>
#include <arch/cpu.h>
#include <arch/tsc.h>
#include "log.h"

#define CALIB_WINDOW_DIV 500        /* 1/500 s = 2 ms: 200k HPET ticks (7k PM timer ticks) is precise to 0.02%, and cheap at boot */
#define APIC_TIMER_DIVISOR 16
/* Give up if the reference has not covered the window after this many TSC
 * ticks (over 1 s at 4 GHz): a stuck reference must not hang the boot. */
#define CALIB_TSC_GUARD (1ull << 32)

static uint64_t timer_hz;           /* input clock before the divider */

uint64_t apic_timer_hz(void)
{
	return timer_hz;
}

/* What CPUID says about the TSC, for the log only: calibration decides. */
static void tsc_log_cpuid(void)
{
	uint32_t max, a, b, c, d;

	cpuid(0x80000000, 0, &max, &b, &c, &d);
	if (max >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		log_debug("apic: TSC is %sinvariant (CPUID 0x80000007)", (d & (1u << 8)) ? "" : "not ");
	}
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			log_debug("apic: CPUID 0x15 says TSC %llu Hz",
				  (unsigned long long)c * b / a);
	}
	if (max >= 0x16) {
		cpuid(0x16, 0, &a, &b, &c, &d);
		if (a & 0xffff)
			log_debug("apic: CPUID 0x16 says base %u MHz", a & 0xffff);
	}
}

/* Wait for the reference to tick so the window starts on an edge. */
static uint64_t refclk_edge(void)
{
	uint64_t r0 = refclk_read(), r, t0 = rdtsc();

	while ((r = refclk_read()) == r0 && rdtsc() - t0 < CALIB_TSC_GUARD)
		cpu_relax();
	return r;
}

struct calib_sample {
	uint64_t ref, tsc;              /* elapsed reference and TSC ticks */
	uint32_t lapic;                 /* LAPIC timer ticks (divided by 16) */
};

/*
 * One measurement over at least `window` reference ticks.  The LAPIC and the
 * TSC start right after a reference edge and are read right after the last
 * reference read, so all three cover the same interval.
 */
static void calib_measure(uint64_t window, uint64_t mask, struct calib_sample *m)
{
	uint64_t r0 = refclk_edge();
	apic_write(APIC_TIMER_INIT, 0xffffffffu);
	uint64_t t0 = rdtsc();
	do {
		cpu_relax();
		m->ref = calib_delta(r0, refclk_read(), mask);
		m->tsc = rdtsc() - t0;
	} while (m->ref < window && m->tsc < CALIB_TSC_GUARD);
	m->lapic = 0xffffffffu - apic_read(APIC_TIMER_CUR);
	apic_write(APIC_TIMER_INIT, 0);
}

void apic_timer_calibrate(void)
{
	const char *src = refclk_name();
	uint64_t rhz = refclk_hz(), mask = refclk_mask();

	tsc_log_cpuid();
	if (!src || rhz == 0) {
		log_err("apic: no HPET and no PM timer: timer uncalibrated, TSC assumed %llu MHz",
			(unsigned long long)(tsc_hz() / 1000000));
		return;
	}

	uint64_t window = rhz / CALIB_WINDOW_DIV;
	struct calib_sample m;
	uint64_t flags = irq_save();

	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);   /* one-shot, masked */
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV16);
	/* A short first pass warms caches (and an emulator's translated code),
	 * which would otherwise stretch one end of the measured interval. */
	calib_measure(window / 10, mask, &m);
	calib_measure(window, mask, &m);
	irq_restore(flags);

	if (m.ref < window) {
		log_err("apic: %s did not advance during calibration; timer uncalibrated", src);
		return;
	}
	uint64_t tscz = calib_hz(m.tsc, m.ref, rhz);
	if (tscz == 0) {
		log_err("apic: TSC did not advance during calibration");
		return;
	}
	tsc_set_hz(tscz);
	if (m.lapic == 0 || m.lapic == 0xffffffffu)
		log_err("apic: LAPIC timer %s during calibration; one-shot timer unusable",
			m.lapic == 0 ? "did not count" : "ran out");
	else
		timer_hz = calib_hz(m.lapic, m.ref, rhz) * APIC_TIMER_DIVISOR;

	char mhz[24];
	calib_fmt_mhz(mhz, sizeof(mhz), timer_hz);
	log_info("apic: %s mode, timer %s MHz via %s, TSC %llu MHz",
		 apic_x2apic() ? "x2APIC" : "xAPIC", mhz, src,
		 (unsigned long long)((tscz + 500000) / 1000000));
}

void apic_timer_oneshot_us(uint64_t us)
{
	if (timer_hz == 0)
		return;
	uint64_t ticks = calib_ticks_for_us(us, timer_hz / APIC_TIMER_DIVISOR);
	if (ticks == 0)
		ticks = 1;                  /* an initial count of 0 stops the timer */
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV16);
	apic_write(APIC_LVT_TIMER, VEC_TIMER);     /* one-shot, unmasked */
	apic_write(APIC_TIMER_INIT, (uint32_t)ticks);
}

void apic_timer_oneshot_tsc(uint64_t ticks)
{
	uint64_t hz = timer_hz / APIC_TIMER_DIVISOR, thz = tsc_hz(), n;

	if (hz == 0 || thz == 0)
		return;
	if (ticks > 0xffffffffu)
		ticks = 0xffffffffu;        /* the caller re-arms when this one fires */
	n = (ticks * hz + thz - 1) / thz;   /* rounded up: never before the deadline */
	if (n == 0)
		n = 1;
	if (n > 0xffffffffu)
		n = 0xffffffffu;
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV16);
	apic_write(APIC_LVT_TIMER, VEC_TIMER);
	apic_write(APIC_TIMER_INIT, (uint32_t)n);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
	apic_write(APIC_TIMER_INIT, 0);
}

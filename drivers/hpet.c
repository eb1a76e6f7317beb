/*
 * HPET main counter (IA-PC HPET specification 1.0a).  plinth uses it as the
 * reference clock; the comparators stay off and legacy routing stays off, so
 * the 8254/RTC IRQ lines keep their ISA meaning.
 */
#include "drivers/hpet.h"
#include "log.h"
#include "mm.h"

#define HPET_CAP          0x000
#define HPET_CONFIG       0x010
#define HPET_COUNTER      0x0f0
#define HPET_CAP_64BIT    (1ull << 13)
#define HPET_CFG_ENABLE   (1ull << 0)
#define HPET_CFG_LEGACY   (1ull << 1)
#define HPET_MAX_PERIOD_FS 100000000ull     /* spec 2.3.9.1: at most 100 ns */
#define FS_PER_SECOND      1000000000000000ull

static volatile uint64_t *hpet_regs;
static uint64_t hpet_rate;
static bool hpet_64bit;
static uint64_t hpet_last;          /* 32-bit counters: last value, extended to 64 bits */

int hpet_init(uint64_t phys)
{
	if (phys == 0) {
		log_info("hpet: none in ACPI");
		return -1;
	}
	volatile uint64_t *regs = (volatile uint64_t *)mmio_map(phys, 1024);
	if (!regs) {
		log_err("hpet: cannot map %#llx", (unsigned long long)phys);
		return -1;
	}
	uint64_t cap = regs[HPET_CAP / 8];
	uint64_t period = cap >> 32;
	if (period == 0 || period > HPET_MAX_PERIOD_FS) {
		log_err("hpet: bad period %llu fs at %#llx, not used",
			(unsigned long long)period, (unsigned long long)phys);
		return -1;
	}
	uint64_t cfg = regs[HPET_CONFIG / 8];
	regs[HPET_CONFIG / 8] = (cfg & ~HPET_CFG_LEGACY) | HPET_CFG_ENABLE;

	hpet_64bit = cap & HPET_CAP_64BIT;
	hpet_rate = FS_PER_SECOND / period;
	hpet_regs = regs;
	hpet_last = hpet_64bit ? 0 : (uint32_t)regs[HPET_COUNTER / 8];
	log_info("hpet: %llu Hz, %s counter, %u timers, at %#llx",
		 (unsigned long long)hpet_rate, hpet_64bit ? "64-bit" : "32-bit",
		 (unsigned)((cap >> 8) & 0x1f) + 1, (unsigned long long)phys);
	return 0;
}

bool hpet_present(void)
{
	return hpet_regs != NULL;
}

uint64_t hpet_hz(void)
{
	return hpet_rate;
}

/*
 * A 32-bit counter is extended in software: each reader folds its value into
 * hpet_last with a compare-exchange, so the result only moves forward as long
 * as someone reads it more often than once per wrap (5 minutes at 14.3 MHz).
 */
uint64_t hpet_counter(void)
{
	if (!hpet_regs)
		return 0;
	if (hpet_64bit)
		return hpet_regs[HPET_COUNTER / 8];

	uint64_t last = __atomic_load_n(&hpet_last, __ATOMIC_ACQUIRE), now;
	do {
		uint32_t lo = (uint32_t)hpet_regs[HPET_COUNTER / 8];
		now = (last & ~0xffffffffull) | lo;
		if (lo < (uint32_t)last)
			now += 1ull << 32;
	} while (!__atomic_compare_exchange_n(&hpet_last, &last, now, false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return now;
}

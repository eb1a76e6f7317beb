/*
 * The local APIC: x2APIC through MSRs when the CPU has it, xAPIC MMIO
 * otherwise.  The BSP picks the mode once; every AP follows it.
 * The timer lives in apic_timer.c, the IOAPIC in ioapic.c.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include "drivers/acpi.h"
#include "log.h"
#include "mm.h"

#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_EDX_APIC   (1u << 9)

/* Spins of the delivery-status wait; far beyond the few hundred ns real hardware takes. */
#define APIC_ICR_SPINS 1000000u

static bool x2_mode;
static bool apic_ready;
static volatile uint32_t *lapic_mmio;

bool apic_x2apic(void)
{
	return x2_mode;
}

uint32_t apic_read(uint32_t reg)
{
	if (x2_mode)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
	if (!lapic_mmio)
		return 0;
	return lapic_mmio[reg / 4];
}

void apic_write(uint32_t reg, uint32_t v)
{
	if (x2_mode) {
		wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
		return;
	}
	if (lapic_mmio)
		lapic_mmio[reg / 4] = v;
}

/*
 * Remap the 8259s to 0x20-0x2f (ICW1-ICW4, 8259A datasheet) so a spurious
 * IRQ 7/15 can never look like an exception, then mask every line.
 */
static void pic_disable(void)
{
	static const struct { uint16_t port; uint8_t val; } seq[] = {
		{ 0x20, 0x11 }, { 0xa0, 0x11 },     /* ICW1: edge, cascade, ICW4 follows */
		{ 0x21, 0x20 }, { 0xa1, 0x28 },     /* ICW2: vector bases */
		{ 0x21, 0x04 }, { 0xa1, 0x02 },     /* ICW3: slave on IRQ2 */
		{ 0x21, 0x01 }, { 0xa1, 0x01 },     /* ICW4: 8086 mode */
		{ 0x21, 0xff }, { 0xa1, 0xff },     /* OCW1: mask all */
	};
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		outb(seq[i].port, seq[i].val);
		outb(0x80, 0);                      /* the old PICs need a short pause */
	}
}

/* SDM 11.12.5: disabled -> x2APIC is invalid, so enable xAPIC first. */
static void x2apic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	if (!(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
}

/*
 * Per-CPU register setup.  The APIC is software-enabled before the LVTs are
 * written because a disabled APIC ignores clearing LVT mask bits (SDM 11.4.7.2).
 * Only the BSP takes NMIs on LINT1; LINT0 (ExtINT from the 8259s) stays masked.
 */
static void apic_setup_local(bool bsp)
{
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);

	uint32_t maxlvt = (apic_read(APIC_VER) >> 16) & 0xff;
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_TIMER_DIV, APIC_TIMER_DIV16);
	if (maxlvt >= 4)
		apic_write(APIC_LVT_PERF, APIC_LVT_MASKED);
	if (maxlvt >= 5)
		apic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED | APIC_DM_EXTINT);
	apic_write(APIC_LVT_LINT1, APIC_DM_NMI | (bsp ? 0 : APIC_LVT_MASKED));
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED | VEC_SPURIOUS);

	/* SDM 11.5.3: the ESR is latched by a write; x2APIC requires writing 0. */
	apic_write(APIC_ESR, 0);
	apic_write(APIC_ESR, 0);
	/* Retire anything the firmware left in service. */
	apic_eoi();
}

void apic_init(void)
{
	uint32_t a, b, c, d;

	pic_disable();
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		log_err("apic: CPU has no local APIC");
		return;
	}

	uint64_t base = rdmsr(MSR_APIC_BASE);
	if (c & CPUID1_ECX_X2APIC) {
		x2apic_enable();
		x2_mode = true;
	} else {
		uint64_t phys = base & 0x000ffffffffff000ull;
		if (acpi.have_madt && acpi.lapic_phys && acpi.lapic_phys != phys)
			log_warn("apic: MADT says LAPIC at %#llx, MSR says %#llx; using the MSR",
				 (unsigned long long)acpi.lapic_phys, (unsigned long long)phys);
		if (!(base & APIC_BASE_EN))
			wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
		lapic_mmio = (volatile uint32_t *)mmio_map(phys, PAGE_SIZE);
		if (!lapic_mmio) {
			log_err("apic: cannot map the LAPIC at %#llx", (unsigned long long)phys);
			return;
		}
	}
	apic_setup_local(true);
	apic_ready = true;
	log_debug("apic: %s mode, BSP apic id %u, version %#x", x2_mode ? "x2APIC" : "xAPIC",
		 apic_id(), apic_read(APIC_VER) & 0xff);
}

void apic_init_ap(void)
{
	if (!apic_ready)
		return;
	if (x2_mode) {
		x2apic_enable();
	} else {
		uint64_t base = rdmsr(MSR_APIC_BASE);
		if (!(base & APIC_BASE_EN))
			wrmsr(MSR_APIC_BASE, base | APIC_BASE_EN);
	}
	apic_setup_local(false);
}

uint32_t apic_id(void)
{
	uint32_t a, b, c, d;

	if (apic_ready)
		return x2_mode ? (uint32_t)rdmsr(MSR_X2APIC_BASE + (APIC_ID >> 4))
			       : apic_read(APIC_ID) >> 24;
	/* Before apic_init(): the initial APIC id from CPUID (SDM 11.4.6). */
	cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 0xb) {
		cpuid(0xb, 0, &a, &b, &c, &d);
		if (b != 0)
			return d;
	}
	cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

bool apic_ipi_pending(void)
{
	return !x2_mode && lapic_mmio && (lapic_mmio[APIC_ICR_LO / 4] & APIC_ICR_BUSY);
}

static bool icr_wait_idle(void)
{
	for (uint32_t i = 0; i < APIC_ICR_SPINS; i++) {
		if (!apic_ipi_pending())
			return true;
		cpu_relax();
	}
	return false;
}

/*
 * Write the ICR.  Returns 0, or -1 if dest does not fit the mode or an xAPIC
 * never went idle.  Interrupts stay off across the two xAPIC writes so a
 * handler sending its own IPI cannot slip between them.
 */
static int icr_send(uint32_t dest, uint32_t low)
{
	if (!apic_ready)
		return -1;
	if (x2_mode) {
		/* x2APIC MSR writes are not serialising: order earlier stores first. */
		__asm__ volatile("lock; orl $0, (%%rsp)" ::: "memory");
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | low);
		return 0;
	}
	if (dest > 0xff)
		return -1;
	uint64_t flags = irq_save();
	int ret = -1;
	if (icr_wait_idle()) {
		lapic_mmio[APIC_ICR_HI / 4] = dest << 24;
		lapic_mmio[APIC_ICR_LO / 4] = low;
		ret = icr_wait_idle() ? 0 : -1;
	}
	irq_restore(flags);
	return ret;
}

void apic_send_ipi(uint32_t dest, uint8_t vector)
{
	/* Callers may be in interrupt context, where logging is not allowed. */
	(void)icr_send(dest, APIC_DM_FIXED | APIC_ICR_ASSERT | vector);
}

void apic_send_init(uint32_t dest)
{
	if (icr_send(dest, APIC_DM_INIT | APIC_ICR_LEVEL | APIC_ICR_ASSERT) != 0)
		log_err("apic: INIT to apic id %u failed", dest);
}

void apic_send_sipi(uint32_t dest, uint8_t page)
{
	if (icr_send(dest, APIC_DM_STARTUP | APIC_ICR_ASSERT | page) != 0)
		log_err("apic: SIPI to apic id %u failed", dest);
}

/*
 * IOAPICs from the MADT (82093AA datasheet): all entries masked at start,
 * ISA IRQs routed on request after the MADT interrupt source overrides.
 * Register access is indirect (IOREGSEL, then IOWIN), so one lock covers it.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include "drivers/acpi.h"
#include "log.h"
#include "mm.h"
#include "spinlock.h"

#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_REG_ID   0x00
#define IOAPIC_REG_VER  0x01
#define IOAPIC_REG_RTE  0x10        /* entry n: low dword 0x10 + 2n, high 0x11 + 2n */
#define ISA_IRQS        16

struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base;
	uint32_t nentries;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static uint32_t nioapics;
static spinlock_t ioapic_lock;

void ioapic_isa_gsi(const struct acpi_iso *isos, uint32_t n, uint8_t irq,
		    uint32_t *gsi, uint16_t *flags)
{
	*gsi = irq;
	*flags = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (isos[i].irq == irq) {
			*gsi = isos[i].gsi;
			*flags = isos[i].flags;
			return;
		}
	}
}

int ioapic_redir_entry(uint8_t vector, uint32_t dest, uint16_t mps_flags, bool masked,
		       uint64_t *out)
{
	/* Vectors 0-15 are reserved and an IOAPIC without interrupt remapping has
	 * an 8-bit physical destination, x2APIC or not. */
	if (vector < 0x10 || dest > 0xff)
		return -1;
	uint64_t e = vector;            /* fixed delivery, physical destination */
	if ((mps_flags & MPS_POL_MASK) == MPS_POL_LOW)
		e |= IOAPIC_RTE_LOW;
	if ((mps_flags & MPS_TRIG_MASK) == MPS_TRIG_LEVEL)
		e |= IOAPIC_RTE_LEVEL;
	if (masked)
		e |= IOAPIC_RTE_MASKED;
	e |= (uint64_t)dest << IOAPIC_RTE_DEST_SHIFT;
	*out = e;
	return 0;
}

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	return io->regs[IOAPIC_WIN / 4];
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	io->regs[IOAPIC_WIN / 4] = v;
}

/* Mask first, write the high half, then the low half (which may unmask). */
static void ioapic_set_rte(const struct ioapic *io, uint32_t idx, uint64_t e)
{
	ioapic_write(io, IOAPIC_REG_RTE + 2 * idx, IOAPIC_RTE_MASKED);
	ioapic_write(io, IOAPIC_REG_RTE + 2 * idx + 1, (uint32_t)(e >> 32));
	ioapic_write(io, IOAPIC_REG_RTE + 2 * idx, (uint32_t)e);
}

void ioapic_init(void)
{
	for (uint32_t i = 0; i < acpi.nioapics && i < ACPI_MAX_IOAPICS; i++) {
		const struct acpi_ioapic *a = &acpi.ioapics[i];
		volatile uint32_t *regs = (volatile uint32_t *)mmio_map(a->phys, PAGE_SIZE);
		if (!regs) {
			log_err("ioapic: cannot map id %u at %#llx", a->id,
				(unsigned long long)a->phys);
			continue;
		}
		struct ioapic *io = &ioapics[nioapics];
		io->regs = regs;
		io->gsi_base = a->gsi_base;
		uint32_t ver = ioapic_read(io, IOAPIC_REG_VER);
		if (ver == 0xffffffffu) {
			log_err("ioapic: id %u at %#llx does not answer", a->id,
				(unsigned long long)a->phys);
			continue;
		}
		io->nentries = ((ver >> 16) & 0xff) + 1;
		for (uint32_t e = 0; e < io->nentries; e++)
			ioapic_set_rte(io, e, IOAPIC_RTE_MASKED);
		nioapics++;
		log_info("ioapic: id %u at %#llx, version %#x, GSI %u-%u, all masked", a->id,
			 (unsigned long long)a->phys, ver & 0xff, io->gsi_base,
			 io->gsi_base + io->nentries - 1);
	}
	if (nioapics == 0)
		log_warn("ioapic: none usable; device interrupts will not be delivered");
}

static struct ioapic *ioapic_for_gsi(uint32_t gsi, uint32_t *idx)
{
	for (uint32_t i = 0; i < nioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->nentries) {
			*idx = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

int ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest)
{
	uint32_t gsi, idx;
	uint16_t flags;
	uint64_t e;

	if (irq >= ISA_IRQS) {
		log_err("ioapic: ISA IRQ %u out of range", irq);
		return -1;
	}
	ioapic_isa_gsi(acpi.isos, acpi.nisos < ACPI_MAX_ISOS ? acpi.nisos : ACPI_MAX_ISOS,
		       irq, &gsi, &flags);
	if ((flags & MPS_POL_MASK) == 0x2 || (flags & MPS_TRIG_MASK) == 0x8)
		log_warn("ioapic: IRQ %u override has reserved flags %#x; using ISA defaults",
			 irq, flags);
	if (ioapic_redir_entry(vector, dest, flags, false, &e) != 0) {
		log_err("ioapic: cannot route IRQ %u to vector %#x on apic id %u%s", irq, vector,
			dest, dest > 0xff ? " (needs interrupt remapping)" : "");
		return -1;
	}
	struct ioapic *io = ioapic_for_gsi(gsi, &idx);
	if (!io) {
		log_err("ioapic: no IOAPIC handles GSI %u (IRQ %u)", gsi, irq);
		return -1;
	}
	uint64_t f = spin_lock_irqsave(&ioapic_lock);
	ioapic_set_rte(io, idx, e);
	spin_unlock_irqrestore(&ioapic_lock, f);
	log_debug("ioapic: IRQ %u -> GSI %u -> vector %#x on apic id %u (%s, %s)", irq, gsi,
		  vector, dest, (e & IOAPIC_RTE_LOW) ? "low" : "high",
		  (e & IOAPIC_RTE_LEVEL) ? "level" : "edge");
	return 0;
}

void ioapic_mask_isa(uint8_t irq, bool masked)
{
	uint32_t gsi, idx;
	uint16_t flags;

	if (irq >= ISA_IRQS)
		return;
	ioapic_isa_gsi(acpi.isos, acpi.nisos < ACPI_MAX_ISOS ? acpi.nisos : ACPI_MAX_ISOS,
		       irq, &gsi, &flags);
	struct ioapic *io = ioapic_for_gsi(gsi, &idx);
	if (!io)
		return;
	uint64_t f = spin_lock_irqsave(&ioapic_lock);
	uint32_t reg = IOAPIC_REG_RTE + 2 * idx;
	uint32_t lo = ioapic_read(io, reg);
	/* An entry never routed has vector 0: unmasking it would raise exceptions. */
	if (!masked && (lo & 0xff) < 0x10) {
		spin_unlock_irqrestore(&ioapic_lock, f);
		return;
	}
	lo = masked ? (lo | IOAPIC_RTE_MASKED) : (lo & ~(uint32_t)IOAPIC_RTE_MASKED);
	ioapic_write(io, reg, lo);
	spin_unlock_irqrestore(&ioapic_lock, f);
}

/*
 * Guest IOAPIC: register file, pin levels and interrupt messages.  See
 * ioapic.h for the delivery rules.
 */
#include <arch/apic.h>
#include "ioapic.h"

#define VIOAPIC_REGSEL    0x00
#define VIOAPIC_WIN       0x10
#define VIOAPIC_EOI       0x40     /* version 0x20 and up: write a vector to EOI it */
#define VIOAPIC_REG_ID    0x00
#define VIOAPIC_REG_VER   0x01
#define VIOAPIC_REG_ARB   0x02
#define VIOAPIC_REG_RTE   0x10     /* entry n: low dword 0x10 + 2n, high 0x11 + 2n */

/* Datasheet 3.2.4: bits 12 (delivery status) and 14 (remote IRR) are read-only. */
#define RTE_DELIVS        (1ull << 12)
#define RTE_REMOTE_IRR    (1ull << 14)
#define RTE_DESTMODE      (1ull << 11)
#define RTE_LO_WRITABLE   (0xffull | 0x700 | RTE_DESTMODE | IOAPIC_RTE_LOW | \
			   IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)
#define RTE_HI_WRITABLE   0xff000000u   /* destination, bits 63:56; 55:32 reserved */

void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *arg, uint8_t dest, bool dest_mode_logical,
				  uint8_t delivery_mode, uint8_t vector, bool level_triggered),
		  void *arg)
{
	io->id = id & 0xf;
	io->regsel = 0;
	io->pins = 0;
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
	io->deliver = deliver;
	io->arg = arg;
}

static unsigned rte_mode(uint64_t e)
{
	return (unsigned)(e >> 8) & 7;
}

/* Datasheet 3.2.4: SMI, NMI, INIT and ExtINT are always edge, whatever bit 15 says. */
static bool rte_is_level(uint64_t e)
{
	unsigned dm = rte_mode(e);

	return (e & IOAPIC_RTE_LEVEL) && (dm == VIOAPIC_DM_FIXED || dm == VIOAPIC_DM_LOWPRI);
}

static bool vioapic_asserted(const struct vioapic *io, unsigned pin)
{
	bool high = (io->pins >> pin) & 1;

	return high != !!(io->rte[pin] & IOAPIC_RTE_LOW);
}

static void vioapic_send(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	bool level = rte_is_level(e);

	/* Set before the message goes out: the callback may EOI at once. */
	if (level)
		io->rte[pin] |= RTE_REMOTE_IRR;
	io->deliver(io->arg, (uint8_t)(e >> IOAPIC_RTE_DEST_SHIFT), e & RTE_DESTMODE,
		    (uint8_t)rte_mode(e), (uint8_t)e, level);
}

/* A level entry delivers whenever it is asserted, unmasked and not awaiting EOI. */
static void vioapic_level_check(struct vioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];

	if (rte_is_level(e) && !(e & (IOAPIC_RTE_MASKED | RTE_REMOTE_IRR)) &&
	    vioapic_asserted(io, pin))
		vioapic_send(io, pin);
}

int vioapic_set_irq(struct vioapic *io, uint32_t gsi, int level)
{
	if (gsi >= VIOAPIC_PINS)
		return -1;
	bool was = vioapic_asserted(io, gsi);

	if (level)
		io->pins |= 1u << gsi;
	else
		io->pins &= ~(1u << gsi);
	uint64_t e = io->rte[gsi];

	if (rte_is_level(e))
		vioapic_level_check(io, gsi);
	else if (!was && vioapic_asserted(io, gsi) && !(e & IOAPIC_RTE_MASKED))
		vioapic_send(io, gsi);
	return 0;
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++) {
		uint64_t e = io->rte[pin];

		if ((e & RTE_REMOTE_IRR) && (uint8_t)e == vector) {
			io->rte[pin] = e & ~RTE_REMOTE_IRR;
			vioapic_level_check(io, pin);
		}
	}
}

static uint32_t vioapic_reg_read(const struct vioapic *io, uint8_t reg)
{
	switch (reg) {
	case VIOAPIC_REG_ID:
		return (uint32_t)io->id << 24;
	case VIOAPIC_REG_VER:
		return VIOAPIC_VERSION | (uint32_t)(VIOAPIC_PINS - 1) << 16;
	case VIOAPIC_REG_ARB:
		/* Datasheet 3.2.3: loaded from the ID register whenever that is written. */
		return (uint32_t)io->id << 24;
	}
	if (reg >= VIOAPIC_REG_RTE && reg < VIOAPIC_REG_RTE + 2 * VIOAPIC_PINS) {
		uint64_t e = io->rte[(reg - VIOAPIC_REG_RTE) / 2];

		return reg & 1 ? (uint32_t)(e >> 32) : (uint32_t)e;
	}
	return 0;
}

static void vioapic_reg_write(struct vioapic *io, uint8_t reg, uint32_t v)
{
	if (reg == VIOAPIC_REG_ID) {
		io->id = (v >> 24) & 0xf;
		return;
	}
	if (reg < VIOAPIC_REG_RTE || reg >= VIOAPIC_REG_RTE + 2 * VIOAPIC_PINS)
		return;                 /* VER, ARB and unknown indexes are read-only */
	unsigned pin = (reg - VIOAPIC_REG_RTE) / 2;
	uint64_t e = io->rte[pin];

	if (reg & 1) {
		io->rte[pin] = (e & 0xffffffffull) | (uint64_t)(v & RTE_HI_WRITABLE) << 32;
		return;
	}
	e = (e & (~0ull << 32 | RTE_DELIVS | RTE_REMOTE_IRR)) | (v & RTE_LO_WRITABLE);
	/* An entry turned edge must not keep a remote IRR that no EOI will clear. */
	if (!rte_is_level(e))
		e &= ~RTE_REMOTE_IRR;
	io->rte[pin] = e;
	vioapic_level_check(io, pin);
}

static uint32_t vioapic_dword_read(const struct vioapic *io, uint64_t off)
{
	if (off == VIOAPIC_REGSEL)
		return io->regsel;
	if (off == VIOAPIC_WIN)
		return vioapic_reg_read(io, io->regsel);
	return 0;
}

static void vioapic_dword_write(struct vioapic *io, uint64_t off, uint32_t v)
{
	if (off == VIOAPIC_REGSEL)
		io->regsel = (uint8_t)v;
	else if (off == VIOAPIC_WIN)
		vioapic_reg_write(io, io->regsel, v);
	else if (off == VIOAPIC_EOI)
		vioapic_eoi(io, (uint8_t)v);
}

static bool vioapic_access_ok(uint64_t offset, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && !(offset & (size - 1));
}

uint64_t vioapic_mmio_read(struct vioapic *io, uint64_t offset, unsigned size)
{
	if (!vioapic_access_ok(offset, size))
		return 0;
	if (size == 8)
		return vioapic_dword_read(io, offset) |
		       (uint64_t)vioapic_dword_read(io, offset + 4) << 32;
	uint32_t d = vioapic_dword_read(io, offset & ~3ull);
	unsigned shift = 8 * (unsigned)(offset & 3);

	return (d >> shift) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

void vioapic_mmio_write(struct vioapic *io, uint64_t offset, unsigned size, uint64_t val)
{
	if (!vioapic_access_ok(offset, size))
		return;
	if (size == 8) {
		vioapic_dword_write(io, offset, (uint32_t)val);
		vioapic_dword_write(io, offset + 4, (uint32_t)(val >> 32));
		return;
	}
	if (size == 4) {
		vioapic_dword_write(io, offset, (uint32_t)val);
		return;
	}
	/* A narrow write merges into the register's current value. */
	uint64_t base = offset & ~3ull;
	unsigned shift = 8 * (unsigned)(offset & 3);
	uint32_t mask = ((1u << (8 * size)) - 1) << shift;
	uint32_t d = vioapic_dword_read(io, base);

	vioapic_dword_write(io, base, (d & ~mask) | (((uint32_t)val << shift) & mask));
}

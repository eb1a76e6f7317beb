/* Guest IOAPIC model (arch/x86_64/vdev/ioapic.c): registers, pins, delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/ioapic.h"

#define MAX_MSGS 16

struct msg {
	uint8_t dest;
	bool logical;
	uint8_t mode;
	uint8_t vector;
	bool level;
};

struct sink {
	unsigned n;
	struct msg m[MAX_MSGS];
};

static void record(void *arg, uint8_t dest, bool logical, uint8_t mode, uint8_t vector,
		   bool level)
{
	struct sink *s = arg;

	assert_true(s->n < MAX_MSGS);
	s->m[s->n++] = (struct msg){ dest, logical, mode, vector, level };
}

static struct vioapic io;
static struct sink sink;

static int setup(void **state)
{
	(void)state;
	memset(&sink, 0, sizeof(sink));
	vioapic_init(&io, 2, record, &sink);
	return 0;
}

static uint32_t reg_read(uint8_t reg)
{
	vioapic_mmio_write(&io, 0x00, 4, reg);
	return (uint32_t)vioapic_mmio_read(&io, 0x10, 4);
}

static void reg_write(uint8_t reg, uint32_t v)
{
	vioapic_mmio_write(&io, 0x00, 4, reg);
	vioapic_mmio_write(&io, 0x10, 4, v);
}

static uint64_t rte_read(unsigned pin)
{
	return reg_read((uint8_t)(0x10 + 2 * pin)) |
	       (uint64_t)reg_read((uint8_t)(0x11 + 2 * pin)) << 32;
}

/* High dword first so the entry is complete when the low dword unmasks it. */
static void rte_write(unsigned pin, uint64_t e)
{
	reg_write((uint8_t)(0x11 + 2 * pin), (uint32_t)(e >> 32));
	reg_write((uint8_t)(0x10 + 2 * pin), (uint32_t)e);
}

#define LOW     (1ull << 13)
#define RIRR    (1ull << 14)
#define LEVEL   (1ull << 15)
#define MASKED  (1ull << 16)
#define DEST(d) ((uint64_t)(d) << 56)

static void test_reset_state(void **state)
{
	(void)state;
	assert_int_equal(reg_read(0x00), 0x02000000);
	assert_int_equal(reg_read(0x01), 0x00170020);
	assert_int_equal(reg_read(0x02), 0x02000000);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(rte_read(pin), MASKED);
	assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x3f);   /* IOREGSEL kept */
}

static void test_id_ver_arb(void **state)
{
	(void)state;
	reg_write(0x00, 0xffffffff);
	assert_int_equal(reg_read(0x00), 0x0f000000);
	assert_int_equal(reg_read(0x02), 0x0f000000);   /* ARB follows ID */
	reg_write(0x01, 0);
	reg_write(0x02, 0);
	assert_int_equal(reg_read(0x01), 0x00170020);
	assert_int_equal(reg_read(0x02), 0x0f000000);
}

static void test_rte_writable_bits(void **state)
{
	(void)state;
	rte_write(3, ~0ull);
	/* Delivery status (12), remote IRR (14), bits 55:17 read as 0. */
	assert_int_equal(rte_read(3), 0xff00000000000000ull | 0x1afff);
	rte_write(3, 0x12345678abcdef01ull);
	assert_int_equal(rte_read(3), 0x1200000000000000ull | (0xabcdef01 & 0x1afff));
	/* Remote IRR cannot be set by a write either. */
	rte_write(3, LEVEL | RIRR | MASKED | 0x20);
	assert_int_equal(rte_read(3), LEVEL | MASKED | 0x20);
	/* The other entries are untouched. */
	assert_int_equal(rte_read(2), MASKED);
	assert_int_equal(rte_read(4), MASKED);
	assert_int_equal(sink.n, 0);
}

static void test_bad_indexes(void **state)
{
	(void)state;
	static const uint8_t bad[] = { 0x03, 0x0f, 0x40, 0x41, 0x80, 0xff };

	for (unsigned i = 0; i < sizeof(bad); i++) {
		reg_write(bad[i], 0xffffffff);
		assert_int_equal(reg_read(bad[i]), 0);
	}
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(rte_read(pin), MASKED);
	assert_int_equal(reg_read(0x00), 0x02000000);
	assert_int_equal(vioapic_set_irq(&io, VIOAPIC_PINS, 1), -1);
	assert_int_equal(vioapic_set_irq(&io, 0xffffffff, 1), -1);
	assert_int_equal(sink.n, 0);
}

static void test_mmio_widths(void **state)
{
	(void)state;
	rte_write(5, DEST(0x81) | MASKED | 0x4433);     /* bit 14 is read-only */
	/* A byte write to IOREGSEL selects; narrow reads of IOWIN slice the register. */
	vioapic_mmio_write(&io, 0x00, 1, 0x1a);
	assert_int_equal(vioapic_mmio_read(&io, 0x10, 1), 0x33);
	assert_int_equal(vioapic_mmio_read(&io, 0x11, 1), 0x04);
	assert_int_equal(vioapic_mmio_read(&io, 0x12, 1), 0x01);
	assert_int_equal(vioapic_mmio_read(&io, 0x10, 2), 0x0433);
	/* A byte write into IOWIN changes only that byte. */
	vioapic_mmio_write(&io, 0x00, 1, 0x1a);
	vioapic_mmio_write(&io, 0x10, 1, 0x77);
	assert_int_equal(rte_read(5), DEST(0x81) | MASKED | 0x0477);
	vioapic_mmio_write(&io, 0x00, 1, 0x1a);
	/* 8-byte access is two dwords: IOREGSEL and the hole at 0x04. */
	assert_int_equal(vioapic_mmio_read(&io, 0x00, 8), 0x1a);
	vioapic_mmio_write(&io, 0x00, 8, 0xffffffff00000001ull);
	assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x01);
	/* Holes, misaligned and odd sizes. */
	assert_int_equal(vioapic_mmio_read(&io, 0x20, 4), 0);
	assert_int_equal(vioapic_mmio_read(&io, 0xffc, 4), 0);
	assert_int_equal(vioapic_mmio_read(&io, 0x12, 4), 0);
	assert_int_equal(vioapic_mmio_read(&io, 0x10, 3), 0);
	vioapic_mmio_write(&io, 0x02, 4, 0x1a);
	assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x01);
	vioapic_mmio_write(&io, 0x40, 4, 0x1a);
	assert_int_equal(vioapic_mmio_read(&io, 0x00, 4), 0x01);
}

static void test_edge(void **state)
{
	(void)state;
	rte_write(4, DEST(1) | 0x31);
	assert_int_equal(sink.n, 0);            /* unmasking an edge entry sends nothing */
	vioapic_set_irq(&io, 4, 1);
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.m[0].dest, 1);
	assert_false(sink.m[0].logical);
	assert_int_equal(sink.m[0].mode, VIOAPIC_DM_FIXED);
	assert_int_equal(sink.m[0].vector, 0x31);
	assert_false(sink.m[0].level);
	vioapic_set_irq(&io, 4, 1);             /* still high: no edge */
	assert_int_equal(sink.n, 1);
	vioapic_set_irq(&io, 4, 0);             /* falling edge: nothing */
	assert_int_equal(sink.n, 1);
	vioapic_set_irq(&io, 4, 1);
	assert_int_equal(sink.n, 2);
	assert_int_equal(rte_read(4) & RIRR, 0); /* edge never sets remote IRR */
	vioapic_eoi(&io, 0x31);
	assert_int_equal(sink.n, 2);
}

static void test_edge_masked_not_latched(void **state)
{
	(void)state;
	rte_write(4, MASKED | 0x31);
	vioapic_set_irq(&io, 4, 1);
	vioapic_set_irq(&io, 4, 0);
	vioapic_set_irq(&io, 4, 1);
	rte_write(4, 0x31);
	assert_int_equal(sink.n, 0);
	vioapic_set_irq(&io, 4, 0);
	vioapic_set_irq(&io, 4, 1);
	assert_int_equal(sink.n, 1);
}

static void test_fields_passed(void **state)
{
	(void)state;
	rte_write(7, DEST(0xf0) | (1ull << 11) | (VIOAPIC_DM_LOWPRI << 8) | 0xee);
	vioapic_set_irq(&io, 7, 1);
	assert_int_equal(sink.n, 1);
	assert_int_equal(sink.m[0].dest, 0xf0);
	assert_true(sink.m[0].logical);
	assert_int_equal(sink.m[0].mode, VIOAPIC_DM_LOWPRI);
	assert_int_equal(sink.m[0].vector, 0xee);
}

static void test_level_remote_irr_eoi(void **state)
{
	(void)state;
	rte_write(10, LEVEL | DEST(3) | 0x51);
	assert_int_equal(sink.n, 0);
	vioapic_set_irq(&io, 10, 1);
	assert_int_equal(sink.n, 1);
	assert_true(sink.m[0].level);
	assert_int_equal(rte_read(10) & RIRR, RIRR);
	/* Remote IRR is read-only: writing 0 to it keeps it. */
	reg_write(0x10 + 20, (uint32_t)(LEVEL | 0x51));
	assert_int_equal(rte_read(10) & RIRR, RIRR);
	vioapic_set_irq(&io, 10, 0);
	vioapic_set_irq(&io, 10, 1);            /* no new message before EOI */
	assert_int_equal(sink.n, 1);
	vioapic_eoi(&io, 0x50);                 /* other vectors: nothing */
	vioapic_eoi(&io, 0x52);
	assert_int_equal(rte_read(10) & RIRR, RIRR);
	assert_int_equal(sink.n, 1);
	vioapic_eoi(&io, 0x51);                 /* still asserted: sent again */
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.m[1].vector, 0x51);
	assert_int_equal(rte_read(10) & RIRR, RIRR);
	vioapic_set_irq(&io, 10, 0);
	vioapic_eoi(&io, 0x51);                 /* deasserted: cleared, not sent */
	assert_int_equal(sink.n, 2);
	assert_int_equal(rte_read(10) & RIRR, 0);
	vioapic_set_irq(&io, 10, 1);
	assert_int_equal(sink.n, 3);
}

/* Version 0x20: a vector written at offset 0x40 is a directed EOI. */
static void test_eoi_register(void **state)
{
	(void)state;
	rte_write(20, LEVEL | 0x90);
	vioapic_set_irq(&io, 20, 1);
	assert_int_equal(sink.n, 1);
	vioapic_mmio_write(&io, 0x40, 4, 0x91);
	assert_int_equal(rte_read(20) & RIRR, RIRR);
	assert_int_equal(sink.n, 1);
	vioapic_set_irq(&io, 20, 0);
	vioapic_mmio_write(&io, 0x40, 4, 0x90);
	assert_int_equal(rte_read(20) & RIRR, 0);
	assert_int_equal(vioapic_mmio_read(&io, 0x40, 4), 0);
	vioapic_set_irq(&io, 20, 1);
	assert_int_equal(sink.n, 2);
	vioapic_mmio_write(&io, 0x40, 1, 0x90);         /* a byte write works too */
	assert_int_equal(rte_read(20) & RIRR, RIRR);    /* sent again: still asserted */
	assert_int_equal(sink.n, 3);
}

static void test_level_eoi_shared_vector(void **state)
{
	(void)state;
	/* Active low with the pins still at their reset level 0: both assert on unmask. */
	rte_write(16, LEVEL | LOW | 0x60);
	rte_write(17, LEVEL | LOW | 0x60);
	assert_int_equal(sink.n, 2);
	vioapic_set_irq(&io, 16, 1);
	vioapic_eoi(&io, 0x60);                 /* one EOI clears both entries */
	assert_int_equal(rte_read(16) & RIRR, 0);
	assert_int_equal(rte_read(17) & RIRR, RIRR);
	assert_int_equal(sink.n, 3);            /* 17 still asserted: sent again */
}

static void test_level_mask_unmask(void **state)
{
	(void)state;
	rte_write(9, LEVEL | MASKED | 0x41);
	vioapic_set_irq(&io, 9, 1);
	assert_int_equal(sink.n, 0);
	assert_int_equal(rte_read(9) & RIRR, 0);
	rte_write(9, LEVEL | 0x41);             /* unmask while asserted: delivers */
	assert_int_equal(sink.n, 1);
	rte_write(9, LEVEL | MASKED | 0x41);
	vioapic_eoi(&io, 0x41);                 /* masked: remote IRR clears, nothing sent */
	assert_int_equal(sink.n, 1);
	assert_int_equal(rte_read(9) & RIRR, 0);
	vioapic_set_irq(&io, 9, 0);
	rte_write(9, LEVEL | 0x41);             /* deasserted by now: nothing */
	assert_int_equal(sink.n, 1);
}

static void test_polarity(void **state)
{
	(void)state;
	/* Active-low edge: the falling electrical edge is the asserting one. */
	vioapic_set_irq(&io, 11, 1);
	rte_write(11, LOW | 0x70);
	assert_int_equal(sink.n, 0);
	vioapic_set_irq(&io, 11, 0);
	assert_int_equal(sink.n, 1);
	vioapic_set_irq(&io, 11, 1);
	assert_int_equal(sink.n, 1);
	/* Active-low level: low pin is asserted, high pin is idle. */
	vioapic_set_irq(&io, 12, 1);
	rte_write(12, LOW | LEVEL | 0x71);
	assert_int_equal(sink.n, 1);
	vioapic_set_irq(&io, 12, 0);
	assert_int_equal(sink.n, 2);
	assert_int_equal(sink.m[1].vector, 0x71);
	vioapic_set_irq(&io, 12, 1);
	vioapic_eoi(&io, 0x71);
	assert_int_equal(sink.n, 2);
	/* Active high level on a pin at 0 does nothing. */
	rte_write(13, LEVEL | 0x72);
	assert_int_equal(sink.n, 2);
}

static void test_edge_switch_clears_remote_irr(void **state)
{
	(void)state;
	rte_write(6, LEVEL | 0x33);
	vioapic_set_irq(&io, 6, 1);
	assert_int_equal(rte_read(6) & RIRR, RIRR);
	rte_write(6, 0x33);
	assert_int_equal(rte_read(6) & RIRR, 0);
}

static void test_nmi_is_edge(void **state)
{
	(void)state;
	/* Level bit with NMI delivery: sent once per edge, no remote IRR. */
	rte_write(8, LEVEL | (VIOAPIC_DM_NMI << 8));
	vioapic_set_irq(&io, 8, 1);
	assert_int_equal(sink.n, 1);
	assert_false(sink.m[0].level);
	assert_int_equal(sink.m[0].mode, VIOAPIC_DM_NMI);
	assert_int_equal(rte_read(8) & RIRR, 0);
	vioapic_set_irq(&io, 8, 1);
	assert_int_equal(sink.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state, setup),
		cmocka_unit_test_setup(test_id_ver_arb, setup),
		cmocka_unit_test_setup(test_rte_writable_bits, setup),
		cmocka_unit_test_setup(test_bad_indexes, setup),
		cmocka_unit_test_setup(test_mmio_widths, setup),
		cmocka_unit_test_setup(test_edge, setup),
		cmocka_unit_test_setup(test_edge_masked_not_latched, setup),
		cmocka_unit_test_setup(test_fields_passed, setup),
		cmocka_unit_test_setup(test_level_remote_irr_eoi, setup),
		cmocka_unit_test_setup(test_eoi_register, setup),
		cmocka_unit_test_setup(test_level_eoi_shared_vector, setup),
		cmocka_unit_test_setup(test_level_mask_unmask, setup),
		cmocka_unit_test_setup(test_polarity, setup),
		cmocka_unit_test_setup(test_edge_switch_clears_remote_irr, setup),
		cmocka_unit_test_setup(test_nmi_is_edge, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

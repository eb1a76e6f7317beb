/* IOAPIC: ISA override lookup and redirection-entry encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <arch/apic.h>
#include "drivers/acpi.h"
#include "log.h"
#include "mm.h"

/* Fakes for what ioapic.c needs from the rest of the core. */
struct acpi_info acpi;
static int log_errors;

void log_write(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (lvl >= LOG_ERR)
		log_errors++;
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

volatile void *mmio_map(uint64_t pa, uint64_t size)
{
	(void)pa;
	(void)size;
	return NULL;            /* no IOAPIC is reachable on the host */
}

/* QEMU q35's MADT: IRQ0 -> GSI2, and the level/active-high SCI on 9. */
static const struct acpi_iso q35_isos[] = {
	{ .irq = 0, .gsi = 2, .flags = 0 },
	{ .irq = 5, .gsi = 5, .flags = MPS_POL_HIGH | MPS_TRIG_LEVEL },
	{ .irq = 9, .gsi = 9, .flags = MPS_POL_HIGH | MPS_TRIG_LEVEL },
	{ .irq = 10, .gsi = 10, .flags = MPS_POL_HIGH | MPS_TRIG_LEVEL },
	{ .irq = 11, .gsi = 11, .flags = MPS_POL_HIGH | MPS_TRIG_LEVEL },
};

static void test_isa_gsi_override(void **state)
{
	uint32_t gsi;
	uint16_t flags;
	(void)state;

	ioapic_isa_gsi(q35_isos, 5, 0, &gsi, &flags);
	assert_int_equal(gsi, 2);
	assert_int_equal(flags, 0);
	ioapic_isa_gsi(q35_isos, 5, 9, &gsi, &flags);
	assert_int_equal(gsi, 9);
	assert_int_equal(flags, MPS_POL_HIGH | MPS_TRIG_LEVEL);
}

static void test_isa_gsi_identity(void **state)
{
	uint32_t gsi = 99;
	uint16_t flags = 99;
	(void)state;

	ioapic_isa_gsi(q35_isos, 5, 4, &gsi, &flags);       /* COM1: no override */
	assert_int_equal(gsi, 4);
	assert_int_equal(flags, 0);
	ioapic_isa_gsi(NULL, 0, 1, &gsi, &flags);
	assert_int_equal(gsi, 1);
	/* Entries past n are not looked at. */
	ioapic_isa_gsi(q35_isos, 1, 9, &gsi, &flags);
	assert_int_equal(gsi, 9);
	assert_int_equal(flags, 0);
}

static void test_redir_isa_defaults(void **state)
{
	uint64_t e = 0;
	(void)state;

	/* Conforms to bus: ISA is active high, edge. */
	assert_int_equal(ioapic_redir_entry(0x40, 0, 0, false, &e), 0);
	assert_int_equal(e, 0x40);
	assert_int_equal(ioapic_redir_entry(0x40, 3, MPS_POL_HIGH | MPS_TRIG_EDGE, false, &e), 0);
	assert_int_equal(e, 0x40 | (3ull << 56));
}

static void test_redir_low_level(void **state)
{
	uint64_t e = 0;
	(void)state;

	assert_int_equal(ioapic_redir_entry(0x51, 1, MPS_POL_LOW | MPS_TRIG_LEVEL, false, &e), 0);
	assert_int_equal(e, 0x51 | IOAPIC_RTE_LOW | IOAPIC_RTE_LEVEL | (1ull << 56));
	assert_int_equal(ioapic_redir_entry(0x51, 0, MPS_POL_LOW, false, &e), 0);
	assert_int_equal(e, 0x51 | IOAPIC_RTE_LOW);
	assert_int_equal(ioapic_redir_entry(0x51, 0, MPS_TRIG_LEVEL, true, &e), 0);
	assert_int_equal(e, 0x51 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
}

static void test_redir_reserved_flags(void **state)
{
	uint64_t e = 0;
	(void)state;

	/* 10b is reserved for both fields: fall back to the ISA defaults. */
	assert_int_equal(ioapic_redir_entry(0x40, 0, 0x2 | 0x8, false, &e), 0);
	assert_int_equal(e, 0x40);
}

static void test_redir_rejects(void **state)
{
	uint64_t e = 0x1234;
	(void)state;

	assert_int_equal(ioapic_redir_entry(0x40, 256, 0, false, &e), -1);
	assert_int_equal(ioapic_redir_entry(0x0f, 0, 0, false, &e), -1);
	assert_int_equal(e, 0x1234);                /* untouched on error */
	assert_int_equal(ioapic_redir_entry(0x10, 255, 0, false, &e), 0);
	assert_int_equal(e, 0x10 | (255ull << 56));
}

static void test_route_errors(void **state)
{
	(void)state;
	log_errors = 0;
	assert_int_equal(ioapic_route_isa(16, 0x40, 0), -1);
	assert_int_equal(ioapic_route_isa(4, 0x40, 300), -1);
	/* No IOAPIC was initialised: the GSI has no owner. */
	assert_int_equal(ioapic_route_isa(4, 0x40, 0), -1);
	assert_int_equal(log_errors, 3);
	ioapic_mask_isa(4, false);                  /* harmless without an IOAPIC */
	ioapic_mask_isa(200, true);
}

static void test_init_unmappable(void **state)
{
	(void)state;
	acpi.nioapics = 1;
	acpi.ioapics[0] = (struct acpi_ioapic){ .id = 0, .phys = 0xfec00000, .gsi_base = 0 };
	log_errors = 0;
	ioapic_init();
	assert_int_equal(log_errors, 1);
	assert_int_equal(ioapic_route_isa(4, 0x40, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isa_gsi_override),
		cmocka_unit_test(test_isa_gsi_identity),
		cmocka_unit_test(test_redir_isa_defaults),
		cmocka_unit_test(test_redir_low_level),
		cmocka_unit_test(test_redir_reserved_flags),
		cmocka_unit_test(test_redir_rejects),
		cmocka_unit_test(test_route_errors),
		cmocka_unit_test(test_init_unmappable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Host tests for the AML writer (vdev/aml.c).  Expected bytes are written
 * out by hand from ACPI 6.0 20.2 and 6.4, and the byte strings of whole
 * objects were cross-checked with iasl's disassembler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/aml.h"

static uint8_t buf[0x20000];
static struct aml a;

static void start(size_t cap)
{
	memset(buf, 0xa5, sizeof(buf));
	aml_init(&a, buf, cap);
}

static void expect(const uint8_t *want, size_t n)
{
	assert_int_equal(aml_finish(&a), n);
	assert_memory_equal(buf, want, n);
}

/* The PkgLength of a body: 1 byte below 63, then 2, 3 and 4 bytes. */
static void test_pkglen(void **state)
{
	static const struct { size_t body; uint8_t n, enc[4]; } cases[] = {
		{ 0, 1, { 0x01 } },
		{ 62, 1, { 0x3f } },
		{ 63, 2, { 0x41, 0x04 } },                 /* 65 = 0x041 */
		{ 4093, 2, { 0x4f, 0xff } },               /* 4095: the largest 2-byte value */
		{ 4094, 3, { 0x81, 0x00, 0x01 } },         /* 4097 = 0x01001 */
		{ 0xffffc, 3, { 0x8f, 0xff, 0xff } },      /* 0xfffff */
		{ 0xffffd, 4, { 0xc1, 0x00, 0x00, 0x01 } },/* 0x100001 */
		{ 0xffffffb, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	uint8_t enc[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(enc, 0, sizeof(enc));
		assert_int_equal(aml_pkglen(cases[i].body, enc), cases[i].n);
		assert_memory_equal(enc, cases[i].enc, cases[i].n);
	}
	assert_int_equal(aml_pkglen(0xffffffc, enc), 0);        /* needs 29 bits */
}

static void test_eisaid(void **state)
{
	(void)state;
	assert_int_equal(aml_eisaid_value("PNP0A08"), 0x080ad041);
	assert_int_equal(aml_eisaid_value("PNP0A03"), 0x030ad041);
	assert_int_equal(aml_eisaid_value("PNP0C0F"), 0x0f0cd041);
	assert_int_equal(aml_eisaid_value("PNP0a08"), 0);       /* lower-case hex */
	assert_int_equal(aml_eisaid_value("pNP0A08"), 0);
	assert_int_equal(aml_eisaid_value("PNP0A0"), 0);
	assert_int_equal(aml_eisaid_value("PNP0A088"), 0);
	assert_int_equal(aml_eisaid_value("PN@0A08"), 0);
	assert_int_equal(aml_eisaid_value(NULL), 0);
}

static void test_integers(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0b, 0xff, 0xff,
		0x0c, 0x00, 0x00, 0x01, 0x00, 0x0c, 0xff, 0xff, 0xff, 0xff,
		0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	};

	(void)state;
	start(sizeof(buf));
	aml_int(&a, 0);
	aml_int(&a, 1);
	aml_int(&a, 2);
	aml_int(&a, 0xff);
	aml_int(&a, 0x100);
	aml_int(&a, 0xffff);
	aml_int(&a, 0x10000);
	aml_int(&a, 0xffffffff);
	aml_int(&a, 0x100000000ull);
	expect(want, sizeof(want));
}

/* Scope(\) { Name(_S5, Package(4){5, 5, 0, 0}) }: the bytes the DSDT held when hand-assembled. */
static void test_scope_package(void **state)
{
	static const uint8_t want[] = {
		0x10, 0x11, '\\', 0x00, 0x08, '_', 'S', '5', '_',
		0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	};

	(void)state;
	start(sizeof(buf));
	aml_scope(&a, "\\");
	aml_name(&a, "_S5");
	aml_package(&a, 4);
	aml_int(&a, 5);
	aml_int(&a, 5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_close(&a);
	aml_close(&a);
	expect(want, sizeof(want));
}

/* Device, Method and Buffer nest; each PkgLength covers exactly its body. */
static void test_device_method_buffer(void **state)
{
	static const uint8_t want[] = {
		0x10, 0x36, '\\', '_', 'S', 'B', '_',             /* Scope(\_SB): 5 + 48 bytes */
		0x5b, 0x82, 0x2e, 'P', 'C', 'I', '0',             /* Device(PCI0): 4 + 10 + 9 + 5 + 17 */
		0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08,
		0x14, 0x08, '_', 'O', 'S', 'C', 0x04, 0xa4, 0x6b, /* Method(_OSC, 4) { Return(Arg3) } */
		0x08, '_', 'C', 'R', 'S',                         /* Name(_CRS, Buffer(10){...}) */
		0x11, 0x10, 0x0c, 0x0a, 0x00, 0x00, 0x00,
		0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08, 0x79, 0x00,
	};

	(void)state;
	start(sizeof(buf));
	aml_scope(&a, "\\_SB");
	aml_device(&a, "PCI0");
	aml_name(&a, "_HID");
	aml_eisaid(&a, "PNP0A08");
	aml_method(&a, "_OSC", 4);
	aml_return_arg(&a, 3);
	aml_close(&a);
	aml_name(&a, "_CRS");
	aml_buffer(&a);
	aml_res_io(&a, 0xcf8, 8);
	aml_res_end(&a);
	aml_close(&a);
	aml_close(&a);
	aml_close(&a);
	expect(want, sizeof(want));
}

/* The address-space descriptors, byte for byte (6.4.3.5.2 and 6.4.3.5.3). */
static void test_windows(void **state)
{
	static const uint8_t want[] = {
		0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00,   /* WordBusNumber 0-0 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
		0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00,   /* WordIO 0xd00-0xffff */
		0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3,
		0x87, 0x17, 0x00, 0x00, 0x0c, 0x03,               /* DWordMemory 0xc0000000-0xdfffffff */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xff, 0xff, 0xff, 0xdf,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
	};

	(void)state;
	start(sizeof(buf));
	aml_res_bus(&a, 0, 0);
	aml_res_io_window(&a, 0xd00, 0xffff);
	aml_res_mem_window(&a, 0xc0000000u, 0xdfffffffu);
	expect(want, sizeof(want));
}

/* A body of 100 bytes takes a 2-byte PkgLength; the body moves back intact. */
static void test_long_body(void **state)
{
	size_t n;

	(void)state;
	start(sizeof(buf));
	aml_package(&a, 100);
	for (int i = 0; i < 50; i++)
		aml_int(&a, 0x10 + (uint64_t)i);        /* BytePrefix, value: 2 bytes each */
	aml_close(&a);
	n = aml_finish(&a);
	assert_int_equal(n, 1 + 2 + 1 + 100);
	assert_int_equal(buf[0], 0x12);
	assert_int_equal(buf[1], 0x40 | ((103 + 0) & 0xf));     /* 103 = 2 + 1 + 100 */
	assert_int_equal(buf[2], 103 >> 4);
	assert_int_equal(buf[3], 100);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(buf[4 + 2 * i], 0x0a);
		assert_int_equal(buf[5 + 2 * i], 0x10 + i);
	}
}

/* A 3-byte PkgLength: a buffer of 5000 bytes. */
static void test_big_buffer(void **state)
{
	size_t n, body;

	(void)state;
	start(sizeof(buf));
	aml_buffer(&a);
	for (int i = 0; i < 2500; i++)
		aml_res_end(&a);
	aml_close(&a);
	n = aml_finish(&a);
	body = 5 + 5000;                                        /* BufferSize, bytes */
	assert_int_equal(n, 1 + 3 + body);
	assert_int_equal(buf[1], 0x80 | ((body + 3) & 0xf));
	assert_int_equal(buf[2], (uint8_t)((body + 3) >> 4));
	assert_int_equal(buf[3], (uint8_t)((body + 3) >> 12));
	assert_int_equal(buf[4], 0x0c);
	assert_int_equal(buf[5] | buf[6] << 8, 5000);
	assert_int_equal(buf[9], 0x79);
	assert_int_equal(buf[n - 2], 0x79);
}

/* Every way to misuse the writer makes aml_finish() return 0. */
static void test_errors(void **state)
{
	(void)state;
	start(sizeof(buf));
	aml_close(&a);                                  /* close without open */
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	aml_scope(&a, "\\");                           /* still open */
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_package(&a, 1);                     /* one too deep */
	for (int i = 0; i <= AML_MAX_DEPTH; i++)
		aml_close(&a);
	assert_int_equal(aml_finish(&a), 0);

	static const char *const bad_names[] = { "", "TOOLONG", "a", "1ABC", "A-B", "\\AB.C" };
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		start(sizeof(buf));
		aml_name(&a, bad_names[i]);
		aml_int(&a, 0);
		assert_int_equal(aml_finish(&a), 0);
	}
	start(sizeof(buf));
	aml_name(&a, NULL);
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	aml_eisaid(&a, "XYZ");
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	aml_method(&a, "M", 8);
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	aml_return_arg(&a, 7);
	assert_int_equal(aml_finish(&a), 0);

	start(sizeof(buf));
	aml_package(&a, 256);
	assert_int_equal(aml_finish(&a), 0);

	aml_init(&a, NULL, 100);
	aml_int(&a, 0);
	assert_int_equal(aml_finish(&a), 0);
}

/* \_SB.PCI0 with a _UID and a one-port _CRS: 46 bytes once closed. */
static void emit_sample(void)
{
	aml_scope(&a, "\\_SB");
	aml_device(&a, "PCI0");
	aml_name(&a, "_UID");
	aml_int(&a, 0x12345678);
	aml_name(&a, "_CRS");
	aml_buffer(&a);
	aml_res_io(&a, 0xcf8, 8);
	aml_res_end(&a);
	aml_close(&a);
	aml_close(&a);
	aml_close(&a);
}

/* Running out of room at any byte fails cleanly and never writes past cap. */
static void test_overflow_everywhere(void **state)
{
	(void)state;
	for (size_t cap = 0; cap < 60; cap++) {
		start(cap);
		emit_sample();
		if (aml_finish(&a) != 0)
			assert_true(aml_finish(&a) <= cap);
		else
			for (size_t i = cap; i < sizeof(buf); i++)
				if (buf[i] != 0xa5)
					fail_msg("cap %zu: byte %zu written", cap, i);
	}
	/* And it fits at its exact size: 7 + 7 + 10 + 5 + 2 + 5 + 8 + 2 = 46. */
	start(46);
	emit_sample();
	assert_int_equal(aml_finish(&a), 0);    /* the reserved 4-byte PkgLengths need more room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglen),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_scope_package),
		cmocka_unit_test(test_device_method_buffer),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_long_body),
		cmocka_unit_test(test_big_buffer),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_overflow_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A vCPU's MTRR and PAT MSRs (arch/x86_64/vdev/mtrr.c): reset values, which
 * MSRs are ours, every MSR class read back, and each #GP case (a rejected
 * write leaves the MSR as it was).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/mtrr.h"

static struct vmtrr m;

static const uint32_t fixed_msrs[VMTRR_NFIXED] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
};

static int setup(void **state)
{
	(void)state;
	memset(&m, 0xa5, sizeof(m));
	vmtrr_init(&m, 48);
	return 0;
}

static uint64_t rd(uint32_t msr)
{
	uint64_t v = 0x1234;

	assert_int_equal(vmtrr_read(&m, msr, &v), 0);
	return v;
}

/* A write that must #GP and leave the MSR unchanged. */
static void expect_gp(uint32_t msr, uint64_t val)
{
	uint64_t before = rd(msr);

	if (vmtrr_write(&m, msr, val) != VMTRR_GP)
		fail_msg("msr %#x <- %#llx: want #GP", msr, (unsigned long long)val);
	assert_int_equal(rd(msr), before);
}

static void expect_ok(uint32_t msr, uint64_t val)
{
	if (vmtrr_write(&m, msr, val) != 0)
		fail_msg("msr %#x <- %#llx: refused", msr, (unsigned long long)val);
	assert_int_equal(rd(msr), val);
}

static void test_reset_values(void **state)
{
	(void)state;
	assert_int_equal(rd(0xfe), 0x508);                      /* VCNT 8, FIX, WC, no SMRR */
	assert_int_equal(rd(0x2ff), 0x806);                     /* E, WB */
	assert_int_equal(rd(0x277), 0x0007040600070406ull);
	for (int i = 0; i < VMTRR_NFIXED; i++)
		assert_int_equal(rd(fixed_msrs[i]), 0x0606060606060606ull);
	for (uint32_t msr = 0x200; msr < 0x210; msr++)
		assert_int_equal(rd(msr), 0);
}

static void test_which_msrs(void **state)
{
	(void)state;
	static const uint32_t ours[] = { 0xfe, 0x2ff, 0x277, 0x200, 0x20f, 0x250, 0x258, 0x259,
					 0x268, 0x26f };
	static const uint32_t not_ours[] = { 0x0, 0xfd, 0xff, 0x1ff, 0x210, 0x211, 0x24f, 0x251,
					     0x257, 0x25a, 0x267, 0x270, 0x276, 0x278, 0x2fe,
					     0x300, 0x1f2, 0x1f3, 0xc0010010, 0xffffffff };
	uint64_t v = 77;

	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		assert_true(vmtrr_is_ours(ours[i]));
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++) {
		assert_false(vmtrr_is_ours(not_ours[i]));
		assert_int_equal(vmtrr_read(&m, not_ours[i], &v), -1);
		assert_int_equal(vmtrr_write(&m, not_ours[i], 0), -1);
	}
	assert_int_equal(v, 77);                                /* untouched */
}

static void test_mtrrcap_read_only(void **state)
{
	(void)state;
	expect_gp(0xfe, 0x508);
	expect_gp(0xfe, 0);
}

static void test_def_type(void **state)
{
	(void)state;
	expect_ok(0x2ff, 0);                                    /* disabled, UC */
	expect_ok(0x2ff, 0xc00);                                /* E, FE, UC */
	for (uint64_t t = 0; t < 256; t++) {
		if (t == 0 || t == 1 || t == 4 || t == 5 || t == 6)
			expect_ok(0x2ff, 0x800 | t);
		else
			expect_gp(0x2ff, 0x800 | t);
	}
	expect_gp(0x2ff, 0x906);                                /* bit 8 reserved */
	expect_gp(0x2ff, 0xa06);                                /* bit 9 */
	expect_gp(0x2ff, 0x1806);                               /* bit 12 */
	expect_gp(0x2ff, 1ull << 63 | 0x806);
}

static void test_fixed_ranges(void **state)
{
	(void)state;
	for (int i = 0; i < VMTRR_NFIXED; i++) {
		uint32_t msr = fixed_msrs[i];

		expect_ok(msr, 0x0001040506000104ull);
		expect_ok(msr, 0);
		/* Each byte position is checked. */
		for (int b = 0; b < 8; b++) {
			expect_gp(msr, 2ull << (8 * b));
			expect_gp(msr, 7ull << (8 * b));
			expect_gp(msr, 0x16ull << (8 * b));         /* RdMem/WrMem bits: reserved */
		}
		expect_ok(msr, 0x0606060606060606ull);
	}
}

static void test_fixed_ranges_are_separate(void **state)
{
	(void)state;
	for (int i = 0; i < VMTRR_NFIXED; i++)
		expect_ok(fixed_msrs[i], 0x0505050505050500ull | (uint64_t)(i % 2 ? 4 : 1));
	for (int i = 0; i < VMTRR_NFIXED; i++)
		assert_int_equal(rd(fixed_msrs[i]), 0x0505050505050500ull | (uint64_t)(i % 2 ? 4 : 1));
}

static void test_variable_ranges(void **state)
{
	(void)state;
	/* MAXPHYADDR 48: bits 47:12 hold the address. */
	for (uint32_t n = 0; n < 8; n++) {
		uint32_t base = 0x200 + 2 * n, mask = base + 1;

		expect_ok(base, 0x0000ffffc0000000ull | 6);
		expect_ok(mask, 0x0000ffffc0000800ull);
		expect_ok(base, 0x0000fffffffff000ull | 1);
		expect_ok(mask, 0x0000fffffffff000ull);         /* valid clear */
		expect_gp(base, 0x0001000000000000ull | 6);     /* bit 48 */
		expect_gp(mask, 0x0001000000000800ull);
		expect_gp(base, 1ull << 63);
		expect_gp(mask, 1ull << 63);
		expect_gp(base, 0x100 | 6);                     /* bits 11:8 */
		expect_gp(base, 0x800 | 6);
		expect_gp(mask, 0x400 | 0x800);                 /* bits 10:0 */
		expect_gp(mask, 0x001);
		expect_gp(base, 2);                             /* types */
		expect_gp(base, 3);
		expect_gp(base, 7);
		expect_gp(base, 0xff);
	}
	/* The pairs are separate registers. */
	for (uint32_t msr = 0x200; msr < 0x210; msr++)
		expect_ok(msr, ((uint64_t)msr << 12) | (msr % 2 ? 0x800 : 4));
	for (uint32_t msr = 0x200; msr < 0x210; msr++)
		assert_int_equal(rd(msr), ((uint64_t)msr << 12) | (msr % 2 ? 0x800 : 4));
}

static void test_maxphyaddr(void **state)
{
	(void)state;
	vmtrr_init(&m, 40);
	expect_ok(0x200, 0x000000fffffff006ull);
	expect_gp(0x200, 0x0000010000000006ull);                /* bit 40 */
	expect_ok(0x201, 0x000000fffffff800ull);
	expect_gp(0x201, 0x0000010000000800ull);
	/* Out-of-range widths are clamped to 36 and 52. */
	vmtrr_init(&m, 0);
	expect_ok(0x200, 0x0000000ffffff006ull);
	expect_gp(0x200, 0x0000001000000006ull);
	vmtrr_init(&m, 64);
	expect_ok(0x201, 0x000ffffffffff800ull);
	expect_gp(0x201, 0x0010000000000800ull);
}

static void test_pat(void **state)
{
	(void)state;
	expect_ok(0x277, 0x0007010600070106ull);                /* Linux's layout, WC in slot 1 */
	expect_ok(0x277, 0);
	expect_ok(0x277, 0x0706050407060504ull);
	for (int b = 0; b < 8; b++) {
		for (uint64_t t = 0; t < 256; t++) {
			uint64_t v = VMTRR_PAT_RESET & ~(0xffull << (8 * b));

			if (t <= 1 || (t >= 4 && t <= 7))
				continue;
			expect_gp(0x277, v | t << (8 * b));
		}
	}
	assert_int_equal(rd(0x277), 0x0706050407060504ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_which_msrs, setup),
		cmocka_unit_test_setup(test_mtrrcap_read_only, setup),
		cmocka_unit_test_setup(test_def_type, setup),
		cmocka_unit_test_setup(test_fixed_ranges, setup),
		cmocka_unit_test_setup(test_fixed_ranges_are_separate, setup),
		cmocka_unit_test_setup(test_variable_ranges, setup),
		cmocka_unit_test_setup(test_maxphyaddr, setup),
		cmocka_unit_test_setup(test_pat, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

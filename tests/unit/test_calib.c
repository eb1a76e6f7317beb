/* Calibration arithmetic: rates, wrap-around, rounding, formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arch/calib.h>

static void test_hz_basic(void **state)
{
	(void)state;
	/* 10 ms of a 14.318180 MHz HPET: 143181 ticks; TSC did 29,940,000. */
	assert_int_equal(calib_hz(29940000, 143181, 14318180), 2994016728ull);
	/* LAPIC at div 16 over 10 ms of PM timer: 35795 ref ticks. */
	assert_int_equal(calib_hz(625000, 35795, 3579545), 62500785ull);
	assert_int_equal(calib_hz(0, 100, 1000), 0);
}

static void test_hz_no_overflow(void **state)
{
	(void)state;
	/* 2^40 * 10^9 overflows 64 bits; the 128-bit path must not. */
	assert_int_equal(calib_hz(1ull << 40, 1000000000ull, 1000000000ull), 1ull << 40);
	assert_int_equal(calib_hz(5000000000ull, 100000000ull, 100000000ull), 5000000000ull);
	/* Saturates instead of wrapping. */
	assert_int_equal(calib_hz(UINT64_MAX, 1, 2), UINT64_MAX);
}

static void test_hz_zero_reference(void **state)
{
	(void)state;
	assert_int_equal(calib_hz(1000, 0, 3579545), 0);
	assert_int_equal(calib_hz(1000, 10, 0), 0);
}

static void test_delta_wrap(void **state)
{
	(void)state;
	/* 24-bit PM timer wrapping from 0xfffff0 to 0x10. */
	assert_int_equal(calib_delta(0xfffff0, 0x10, 0xffffff), 0x20);
	assert_int_equal(calib_delta(0xfffffff0u, 0x10, 0xffffffffull), 0x20);
	assert_int_equal(calib_delta(100, 250, 0xffffff), 150);
	assert_int_equal(calib_delta(UINT64_MAX - 5, 4, UINT64_MAX), 10);
	/* A 24-bit read with garbage above bit 23 still gives the 24-bit delta. */
	assert_int_equal(calib_delta(0x1000010, 0x20, 0xffffff), 0x10);
}

static void test_us_for_ticks(void **state)
{
	(void)state;
	assert_int_equal(calib_us_for_ticks(2593000000ull, 2593000000ull), 1000000);
	assert_int_equal(calib_us_for_ticks(1999, 1000000000), 1);           /* rounds down */
	assert_int_equal(calib_us_for_ticks(UINT64_MAX, 1000000000), UINT64_MAX / 1000);  /* no overflow */
	assert_int_equal(calib_us_for_ticks(123, 0), 0);
}

static void test_ticks_for_us(void **state)
{
	(void)state;
	assert_int_equal(calib_ticks_for_us(10, 3579545), 36);      /* 35.8 rounded up */
	assert_int_equal(calib_ticks_for_us(1000, 62500000), 62500);
	assert_int_equal(calib_ticks_for_us(0, 62500000), 0);
	assert_int_equal(calib_ticks_for_us(1, 1), 1);
	assert_int_equal(calib_ticks_for_us(UINT64_MAX, 4000000000ull), UINT64_MAX);
}

static void test_fmt_mhz(void **state)
{
	char b[24];
	(void)state;
	calib_fmt_mhz(b, sizeof(b), 1000000000ull);
	assert_string_equal(b, "1000.0");
	calib_fmt_mhz(b, sizeof(b), 999960000ull);
	assert_string_equal(b, "1000.0");
	calib_fmt_mhz(b, sizeof(b), 14318180ull);
	assert_string_equal(b, "14.3");
	calib_fmt_mhz(b, sizeof(b), 3579545ull);
	assert_string_equal(b, "3.6");
	calib_fmt_mhz(b, sizeof(b), 0);
	assert_string_equal(b, "0.0");
	calib_fmt_mhz(b, 4, 1000000000ull);
	assert_string_equal(b, "100");                             /* truncated, terminated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hz_basic),
		cmocka_unit_test(test_hz_no_overflow),
		cmocka_unit_test(test_hz_zero_reference),
		cmocka_unit_test(test_delta_wrap),
		cmocka_unit_test(test_ticks_for_us),
		cmocka_unit_test(test_us_for_ticks),
		cmocka_unit_test(test_fmt_mhz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

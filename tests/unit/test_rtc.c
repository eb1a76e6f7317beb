/*
 * Host tests for decoding the machine's CMOS RTC registers (drivers/rtc.c):
 * BCD and binary, 12- and 24-hour, the century register, and the values an
 * absent or broken RTC gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/rtc.h"

#define B_24H    0x02
#define B_BIN    0x04

static bool decode(uint8_t sec, uint8_t min, uint8_t hour, uint8_t mday, uint8_t mon,
		   uint8_t year, uint8_t cent, uint8_t b, struct rtc_time *t)
{
	const uint8_t r[RTC_NREGS] = { sec, min, hour, mday, mon, year, cent, b };

	memset(t, 0xee, sizeof(*t));
	return rtc_decode(r, t);
}

static void expect(const struct rtc_time *t, unsigned y, unsigned mo, unsigned d,
		   unsigned h, unsigned mi, unsigned s)
{
	assert_int_equal(t->year, y);
	assert_int_equal(t->mon, mo);
	assert_int_equal(t->mday, d);
	assert_int_equal(t->hour, h);
	assert_int_equal(t->min, mi);
	assert_int_equal(t->sec, s);
}

static void test_bcd_24h(void **state)
{
	struct rtc_time t;

	(void)state;
	/* QEMU's default: BCD, 24-hour, century 0x20 at 0x32. */
	assert_true(decode(0x42, 0x04, 0x09, 0x21, 0x11, 0x26, 0x20, B_24H, &t));
	expect(&t, 2026, 11, 21, 9, 4, 42);
	assert_true(decode(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19, B_24H, &t));
	expect(&t, 1999, 12, 31, 23, 59, 59);
}

static void test_binary_12h(void **state)
{
	struct rtc_time t;

	(void)state;
	assert_true(decode(5, 6, 0x80 | 12, 29, 2, 24, 20, B_BIN, &t));   /* 12 PM = noon */
	expect(&t, 2024, 2, 29, 12, 6, 5);
	assert_true(decode(5, 6, 12, 1, 1, 24, 20, B_BIN, &t));           /* 12 AM = midnight */
	expect(&t, 2024, 1, 1, 0, 6, 5);
	assert_true(decode(0, 0, 0x80 | 0x11, 1, 1, 0x24, 0x20, 0, &t));  /* BCD 11 PM */
	expect(&t, 2024, 1, 1, 23, 0, 0);
}

/* Without a plausible century register: years below 70 are 20xx. */
static void test_century_inferred(void **state)
{
	struct rtc_time t;

	(void)state;
	assert_true(decode(0, 0, 0, 1, 1, 0x26, 0x00, B_24H, &t));
	assert_int_equal(t.year, 2026);
	assert_true(decode(0, 0, 0, 1, 1, 0x85, 0x00, B_24H, &t));
	assert_int_equal(t.year, 1985);
	assert_true(decode(0, 0, 0, 1, 1, 0x69, 0x12, B_24H, &t));       /* century 12: not plausible */
	assert_int_equal(t.year, 2069);
}

static void test_rejects(void **state)
{
	struct rtc_time t;

	(void)state;
	/* An absent RTC reads all ones. */
	assert_false(decode(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, &t));
	assert_false(decode(0x60, 0, 0, 1, 1, 0x26, 0x20, B_24H, &t));   /* second 60 */
	assert_false(decode(0, 0x60, 0, 1, 1, 0x26, 0x20, B_24H, &t));
	assert_false(decode(0, 0, 0x24, 1, 1, 0x26, 0x20, B_24H, &t));   /* hour 24 */
	assert_false(decode(0, 0, 0x13, 1, 1, 0x26, 0x20, 0, &t));       /* 12-hour 13 */
	assert_false(decode(0, 0, 0x00, 1, 1, 0x26, 0x20, 0, &t));       /* 12-hour 0 */
	assert_false(decode(0, 0, 0, 0x00, 1, 0x26, 0x20, B_24H, &t));   /* day 0 */
	assert_false(decode(0, 0, 0, 0x31, 4, 0x26, 0x20, B_24H, &t));   /* April 31 */
	assert_false(decode(0, 0, 0, 0x29, 2, 0x23, 0x20, B_24H, &t));   /* 2023-02-29 */
	assert_false(decode(0, 0, 0, 0x29, 2, 0x00, 0x21, B_24H, &t));   /* 2100 is no leap year */
	assert_true(decode(0, 0, 0, 0x29, 2, 0x00, 0x20, B_24H, &t));    /* 2000 is */
	assert_false(decode(0, 0, 0, 1, 0x13, 0x26, 0x20, B_24H, &t));   /* month 13 */
	assert_false(decode(0, 0, 0, 1, 0x00, 0x26, 0x20, B_24H, &t));
	assert_false(decode(0x1a, 0, 0, 1, 1, 0x26, 0x20, B_24H, &t));   /* not BCD */
	assert_false(decode(0, 0, 0, 1, 1, 100, 20, B_BIN | B_24H, &t)); /* binary year 100 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd_24h),
		cmocka_unit_test(test_binary_12h),
		cmocka_unit_test(test_century_inferred),
		cmocka_unit_test(test_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

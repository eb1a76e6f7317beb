/*
 * Small guest devices: CMOS RTC (vdev/rtc.c), i8042 (vdev/i8042.c) and the
 * ACPI PM timer (vdev/pmtimer.c).  Expected dates and counts were computed
 * independently (Python's calendar.timegm and exact integer arithmetic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/i8042.h"
#include "arch/x86_64/vdev/pmtimer.h"
#include "arch/x86_64/vdev/rtc.h"

/* ---------------------------------------------------------------- RTC */

#define HZ   2999999997ull          /* an awkward TSC rate: no exact divisions */
#define T0   1000000ull             /* the TSC at vrtc_init */

static struct vrtc rtc;

static uint8_t cmos(uint8_t reg, uint64_t tsc)
{
	vrtc_write(&rtc, 0x70, reg, tsc);
	return vrtc_read(&rtc, 0x71, tsc);
}

static void cmos_set(uint8_t reg, uint8_t v, uint64_t tsc)
{
	vrtc_write(&rtc, 0x70, reg, tsc);
	vrtc_write(&rtc, 0x71, v, tsc);
}

/* TSC at `secs` seconds and `ticks` ticks after T0. */
static uint64_t at(uint64_t secs, uint64_t ticks)
{
	return T0 + secs * HZ + ticks;
}

/* sec, min, hour, wday, mday, mon, year, century as the registers show them. */
static void expect_time(uint64_t tsc, const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };

	for (int i = 0; i < 8; i++) {
		uint8_t got = cmos(regs[i], tsc);

		if (got != want[i])
			fail_msg("register %#x: got %#x, want %#x", regs[i], got, want[i]);
	}
}

/* Dates to epoch seconds; expected values from Python's calendar.timegm. */
static void test_rtc_epoch_of(void **state)
{
	static const struct { struct vrtc_date d; int64_t secs; } cases[] = {
		{ { 1970, 1, 1, 0, 0, 0, 0 }, 0 },
		{ { 2000, 2, 29, 23, 59, 59, 0 }, 951868799 },
		{ { 2026, 11, 21, 9, 4, 42, 0 }, 1795251882 },
		{ { 9999, 12, 31, 23, 59, 59, 0 }, 253402300799ll },
		{ { 1969, 12, 31, 23, 59, 59, 0 }, -1 },
		{ { 2023, 2, 29, 0, 0, 0, 0 }, -1 },            /* not a leap year */
		{ { 2100, 2, 29, 0, 0, 0, 0 }, -1 },            /* nor is 2100 */
		{ { 2024, 13, 1, 0, 0, 0, 0 }, -1 },
		{ { 2024, 0, 1, 0, 0, 0, 0 }, -1 },
		{ { 2024, 4, 31, 0, 0, 0, 0 }, -1 },
		{ { 2024, 4, 0, 0, 0, 0, 0 }, -1 },
		{ { 2024, 4, 1, 24, 0, 0, 0 }, -1 },
		{ { 2024, 4, 1, 0, 60, 0, 0 }, -1 },
		{ { 2024, 4, 1, 0, 0, 60, 0 }, -1 },
		{ { 10000, 1, 1, 0, 0, 0, 0 }, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(vrtc_epoch_of(&cases[i].d), cases[i].secs);
}

static void test_rtc_bcd_24h(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);    /* 2024-02-28 23:59:58, a Wednesday */
	expect_time(at(0, 0), (const uint8_t[]){ 0x58, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24, 0x20 });
	expect_time(at(1, HZ - 1), (const uint8_t[]){ 0x59, 0x59, 0x23, 0x04, 0x28, 0x02, 0x24, 0x20 });
	/* Leap day, a Thursday. */
	expect_time(at(2, 0), (const uint8_t[]){ 0x00, 0x00, 0x00, 0x05, 0x29, 0x02, 0x24, 0x20 });
	assert_int_equal(cmos(0x0a, 0), 0x26);
	assert_int_equal(cmos(0x0b, 0), 0x02);
	assert_int_equal(cmos(0x0d, 0), 0x80);
}

static void test_rtc_binary_12h(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);
	cmos_set(0x0b, 0x06, T0);               /* binary, 24-hour */
	expect_time(at(0, 0), (const uint8_t[]){ 58, 59, 23, 4, 28, 2, 24, 20 });
	cmos_set(0x0b, 0x04, T0);               /* binary, 12-hour: 11 PM */
	assert_int_equal(cmos(0x04, at(0, 0)), 0x8b);
	assert_int_equal(cmos(0x04, at(2, 0)), 12);     /* midnight is 12 AM */
	cmos_set(0x0b, 0x00, T0);               /* BCD, 12-hour */
	assert_int_equal(cmos(0x04, at(0, 0)), 0x91);
	assert_int_equal(cmos(0x04, at(2, 0)), 0x12);
	assert_int_equal(cmos(0x04, at(2 + 3600, 0)), 0x01);
	assert_int_equal(cmos(0x04, at(2 + 12 * 3600, 0)), 0x92);      /* noon is 12 PM */
	assert_int_equal(cmos(0x04, at(2 + 13 * 3600, 0)), 0x81);
	/* Writing 12-hour values: 12 AM is hour 0, 7 PM is 19. */
	cmos_set(0x0b, 0x80, T0);
	cmos_set(0x04, 0x12, T0);
	cmos_set(0x0b, 0x02, T0);
	assert_int_equal(cmos(0x04, T0), 0x00);
	cmos_set(0x0b, 0x80, T0);
	cmos_set(0x04, 0x87, T0);
	cmos_set(0x0b, 0x02, T0);
	assert_int_equal(cmos(0x04, T0), 0x19);
}

static void test_rtc_rollovers(void **state)
{
	(void)state;
	static const struct { uint64_t epoch; uint8_t next[8]; } t[] = {
		/* 1999-12-31 23:59:59 -> 2000-01-01, a Saturday: century changes */
		{ 946684799, { 0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20 } },
		/* 2023-02-28 -> 03-01 (not a leap year), a Wednesday */
		{ 1677628799, { 0x00, 0x00, 0x00, 0x04, 0x01, 0x03, 0x23, 0x20 } },
		/* 2000-02-28 -> 02-29 (divisible by 400: leap), a Tuesday */
		{ 951782399, { 0x00, 0x00, 0x00, 0x03, 0x29, 0x02, 0x00, 0x20 } },
		/* 2100-02-28 -> 03-01 (divisible by 100: not leap), a Monday */
		{ 4107542399, { 0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x21 } },
		/* 2024-04-30 -> 05-01, a Wednesday */
		{ 1714521599, { 0x00, 0x00, 0x00, 0x04, 0x01, 0x05, 0x24, 0x20 } },
		/* 2024-12-31 -> 2025-01-01, a Wednesday */
		{ 1735689599, { 0x00, 0x00, 0x00, 0x04, 0x01, 0x01, 0x25, 0x20 } },
		/* the epoch itself was a Thursday */
		{ 0, { 0x01, 0x00, 0x00, 0x05, 0x01, 0x01, 0x70, 0x19 } },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		vrtc_init(&rtc, t[i].epoch, T0, HZ);
		expect_time(at(1, 0), t[i].next);
	}
}

static void test_rtc_long_run(void **state)
{
	(void)state;
	/* 2024-02-28 23:59:58 plus 400 days, 1 hour, 2 minutes and 3 seconds. */
	vrtc_init(&rtc, 1709164798, T0, HZ);
	uint64_t secs = 400ull * 86400 + 3723;

	expect_time(at(secs, HZ - 1), (const uint8_t[]){ 0x01, 0x02, 0x01, 0x06, 0x04, 0x04,
							 0x25, 0x20 });
}

static void test_rtc_uip(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);
	uint64_t window = HZ / 4096;            /* 244 us */

	assert_int_equal(cmos(0x0a, at(5, 0)), 0x26);
	assert_int_equal(cmos(0x0a, at(5, HZ - window - 1)), 0x26);
	assert_int_equal(cmos(0x0a, at(5, HZ - window)), 0xa6);
	assert_int_equal(cmos(0x0a, at(5, HZ - 1)), 0xa6);
	assert_int_equal(cmos(0x0a, at(6, 0)), 0x26);
	/* UIP is read-only, and never set while SET stops the clock. */
	cmos_set(0x0a, 0xff, T0);
	assert_int_equal(cmos(0x0a, at(5, 0)), 0x7f);
	cmos_set(0x0b, 0x82, T0);
	assert_int_equal(cmos(0x0a, at(5, HZ - 1)), 0x7f);
	/* A TSC behind the start counts as no time. */
	vrtc_init(&rtc, 1709164798, T0, HZ);
	assert_int_equal(cmos(0x00, T0 - 5), 0x58);
}

static void test_rtc_set_time(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);
	/* As Linux does: SET, then year, month, day, hours, minutes, seconds. */
	cmos_set(0x0b, 0x92, at(3, 7));         /* UIE with SET: UIE cleared */
	assert_int_equal(cmos(0x0b, 0), 0x82);
	cmos_set(0x09, 0x25, at(4, 0));
	cmos_set(0x08, 0x12, at(4, 0));
	cmos_set(0x07, 0x31, at(4, 0));
	cmos_set(0x04, 0x23, at(4, 0));
	cmos_set(0x02, 0x59, at(4, 0));
	cmos_set(0x00, 0x59, at(4, 0));
	/*
	 * Stopped: the registers hold what was written, whatever the TSC says.
	 * The day of week was not written: still Thursday (5), as when SET came.
	 */
	expect_time(at(50, 0), (const uint8_t[]){ 0x59, 0x59, 0x23, 0x05, 0x31, 0x12, 0x25, 0x20 });
	cmos_set(0x0b, 0x02, at(100, 5));       /* runs from here, at a whole second */
	expect_time(at(100, 4), (const uint8_t[]){ 0x59, 0x59, 0x23, 0x05, 0x31, 0x12, 0x25, 0x20 });
	expect_time(at(101, 5), (const uint8_t[]){ 0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x26, 0x20 });
}

static void test_rtc_write_running(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);
	cmos_set(0x02, 0x30, at(0, HZ / 2));    /* 23:30:58.5 */
	assert_int_equal(cmos(0x02, at(0, HZ - 1)), 0x30);
	assert_int_equal(cmos(0x00, at(0, HZ - 1)), 0x58);
	assert_int_equal(cmos(0x00, at(1, 0)), 0x59);   /* the fraction was kept */
	/* A written day of week stays, and counts on at midnight. */
	cmos_set(0x06, 0x01, at(1, 0));
	assert_int_equal(cmos(0x06, at(1, 0)), 0x01);
	cmos_set(0x07, 0x10, at(1, 0));         /* a date without a weekday */
	assert_int_equal(cmos(0x06, at(1, 0)), 0x01);
	assert_int_equal(cmos(0x06, at(1 + 86400, 0)), 0x02);
	/* The century register moves the year by centuries. */
	cmos_set(0x32, 0x21, at(2, 0));
	assert_int_equal(cmos(0x09, at(2, 0)), 0x24);
	assert_int_equal(cmos(0x32, at(2, 0)), 0x21);
	cmos_set(0x09, 0x30, at(2, 0));         /* and the year keeps the century */
	assert_int_equal(cmos(0x09, at(2, 0)), 0x30);
	assert_int_equal(cmos(0x32, at(2, 0)), 0x21);
}

static void test_rtc_clamping(void **state)
{
	(void)state;
	vrtc_init(&rtc, 1709164798, T0, HZ);
	cmos_set(0x0b, 0x82, T0);
	cmos_set(0x08, 0x13, T0);               /* month 13 */
	cmos_set(0x00, 0x99, T0);
	cmos_set(0x04, 0x3f, T0);               /* bad BCD: 45 */
	assert_int_equal(cmos(0x08, T0), 0x12);
	assert_int_equal(cmos(0x00, T0), 0x59);
	assert_int_equal(cmos(0x04, T0), 0x23);
	cmos_set(0x08, 0x02, T0);
	cmos_set(0x07, 0x31, T0);               /* February 31st... */
	assert_int_equal(cmos(0x07, T0), 0x31);
	cmos_set(0x0b, 0x02, T0);
	assert_int_equal(cmos(0x07, T0), 0x29); /* ...is the 29th of 2024 */
	assert_int_equal(cmos(0x08, T0), 0x02);
	/* The 29th of February clamps in common years only. */
	static const struct { uint8_t century, year, mday; } feb29[] = {
		{ 0x20, 0x23, 0x28 }, { 0x20, 0x00, 0x29 }, { 0x21, 0x00, 0x28 },
		{ 0x19, 0x96, 0x29 }, { 0x24, 0x00, 0x29 },
	};

	for (unsigned i = 0; i < sizeof(feb29) / sizeof(feb29[0]); i++) {
		cmos_set(0x0b, 0x82, T0);
		cmos_set(0x32, feb29[i].century, T0);
		cmos_set(0x09, feb29[i].year, T0);
		cmos_set(0x07, 0x29, T0);
		cmos_set(0x0b, 0x02, T0);
		assert_int_equal(cmos(0x07, T0), feb29[i].mday);
		assert_int_equal(cmos(0x09, T0), feb29[i].year);
		assert_int_equal(cmos(0x32, T0), feb29[i].century);
	}
}

static void test_rtc_cmos_ram(void **state)
{
	(void)state;
	vrtc_init(&rtc, 0, T0, HZ);
	for (unsigned r = 0x0e; r < 0x80; r++)
		if (r != 0x32)
			cmos_set((uint8_t)r, (uint8_t)(r ^ 0x5a), T0);
	for (unsigned r = 0x0e; r < 0x80; r++)
		if (r != 0x32)
			assert_int_equal(cmos((uint8_t)r, T0), r ^ 0x5a);
	/* Alarm registers are storage; C and D are read-only. */
	cmos_set(0x01, 0x12, T0);
	cmos_set(0x03, 0x34, T0);
	cmos_set(0x05, 0x56, T0);
	cmos_set(0x0c, 0xff, T0);
	cmos_set(0x0d, 0x00, T0);
	assert_int_equal(cmos(0x01, T0), 0x12);
	assert_int_equal(cmos(0x03, T0), 0x34);
	assert_int_equal(cmos(0x05, T0), 0x56);
	assert_int_equal(cmos(0x0c, T0), 0x00);
	assert_int_equal(cmos(0x0d, T0), 0x80);
	assert_int_equal(cmos(0x00, T0), 0x00);
}

static void test_rtc_ports(void **state)
{
	(void)state;
	vrtc_init(&rtc, 0, T0, HZ);
	/* Bit 7 of the index is the NMI mask: kept, and not part of the index. */
	vrtc_write(&rtc, 0x70, 0x80 | 0x20, T0);
	assert_true(rtc.nmi_disabled);
	vrtc_write(&rtc, 0x71, 0xab, T0);
	vrtc_write(&rtc, 0x70, 0x20, T0);
	assert_false(rtc.nmi_disabled);
	assert_int_equal(vrtc_read(&rtc, 0x71, T0), 0xab);
	assert_int_equal(vrtc_read(&rtc, 0x70, T0), 0xff);
	assert_int_equal(vrtc_read(&rtc, 0x72, T0), 0xff);
	vrtc_write(&rtc, 0x72, 0x00, T0);
	assert_int_equal(vrtc_read(&rtc, 0x71, T0), 0xab);
}

/* ---------------------------------------------------------------- i8042 */

static struct vi8042 kbc;
static unsigned resets, irq_changes;
static bool irq1;

static void on_reset(void *arg)
{
	assert_ptr_equal(arg, &kbc);
	resets++;
}

static void on_irq1(void *arg, bool level)
{
	assert_ptr_equal(arg, &kbc);
	assert_true(level != irq1);
	irq1 = level;
	irq_changes++;
}

static int kbc_setup(void **state)
{
	(void)state;
	resets = irq_changes = 0;
	irq1 = false;
	vi8042_init(&kbc, on_reset, on_irq1, &kbc);
	return 0;
}

static uint8_t status(void)
{
	return vi8042_read(&kbc, 0x64);
}

static void command(uint8_t c)
{
	vi8042_write(&kbc, 0x64, c);
}

static void data(uint8_t d)
{
	vi8042_write(&kbc, 0x60, d);
}

/* Read the output buffer, which must be full. */
static uint8_t next(void)
{
	assert_int_equal(status() & 0x01, 0x01);
	return vi8042_read(&kbc, 0x60);
}

static void expect_empty(void)
{
	assert_int_equal(status() & 0x01, 0);
}

static void test_kbc_status_and_ctr(void **state)
{
	(void)state;
	assert_int_equal(status(), 0x14);       /* unlocked, system flag */
	command(0x20);
	assert_int_equal(status(), 0x1d);       /* + OBF, last write was a command */
	assert_true(irq1);
	assert_int_equal(next(), 0x45);
	assert_false(irq1);
	expect_empty();
	assert_int_equal(vi8042_read(&kbc, 0x60), 0x45);        /* last byte again */
	command(0x60);
	data(0x30);                             /* no IRQ, ports off, system flag clear */
	assert_int_equal(status(), 0x10);
	command(0x20);
	assert_false(irq1);                     /* IRQ 1 disabled in the command byte */
	assert_int_equal(next(), 0x30);
	assert_int_equal(irq_changes, 2);
	assert_int_equal(vi8042_read(&kbc, 0x61), 0xff);
}

static void test_kbc_tests(void **state)
{
	(void)state;
	command(0x60);
	data(0x41);
	command(0xaa);
	assert_int_equal(next(), 0x55);
	assert_int_equal(status() & 0x04, 0x04);        /* self test sets the system flag */
	command(0xab);
	assert_int_equal(next(), 0x00);
	command(0xa9);
	assert_int_equal(next(), 0x00);
	expect_empty();
	assert_int_equal(resets, 0);
}

static void test_kbc_port_enables(void **state)
{
	(void)state;
	command(0xad);
	command(0xa7);
	command(0x20);
	assert_int_equal(next(), 0x75);
	data(0xf4);                             /* the ack waits: keyboard port disabled */
	expect_empty();
	command(0xae);
	assert_int_equal(next(), 0xfa);
	command(0xa8);
	command(0x20);
	assert_int_equal(next(), 0x45);
}

static void test_kbc_output_port_and_reset(void **state)
{
	(void)state;
	command(0xd0);
	assert_int_equal(next(), 0xcf);
	data(0xff);                             /* keyboard: 0xfa 0xaa, 0xfa in the buffer */
	command(0xd0);
	assert_int_equal(next(), 0xfa);
	assert_int_equal(next(), 0xdf);         /* OBF was set when it was read */
	assert_int_equal(next(), 0xaa);
	command(0xd1);
	data(0xcd);                             /* A20 off, reset line high */
	assert_int_equal(resets, 0);
	command(0xd0);
	assert_int_equal(next(), 0xcd);
	command(0xd1);
	data(0xce);                             /* reset line low */
	assert_int_equal(resets, 1);
	command(0xfe);
	assert_int_equal(resets, 2);
	command(0xf0);
	assert_int_equal(resets, 3);
	command(0xff);                          /* pulses nothing */
	command(0xfd);
	assert_int_equal(resets, 3);
	expect_empty();
}

static void test_kbc_pending_command(void **state)
{
	(void)state;
	command(0x60);
	command(0x20);                          /* replaces the pending write */
	assert_int_equal(next(), 0x45);
	data(0xf4);                             /* so this goes to the keyboard */
	assert_int_equal(next(), 0xfa);
	command(0x20);
	assert_int_equal(next(), 0x45);
	command(0xd1);
	command(0xd0);
	assert_int_equal(next(), 0xcf);
	data(0xf5);
	assert_int_equal(next(), 0xfa);
	assert_int_equal(resets, 0);
}

static void test_kbd_commands(void **state)
{
	(void)state;
	static const struct { uint8_t cmd[2]; unsigned n; uint8_t reply[3]; unsigned nr; } t[] = {
		{ { 0xff }, 1, { 0xfa, 0xaa }, 2 },
		{ { 0xf4 }, 1, { 0xfa }, 1 },
		{ { 0xf5 }, 1, { 0xfa }, 1 },
		{ { 0xf6 }, 1, { 0xfa }, 1 },
		{ { 0xf2 }, 1, { 0xfa, 0xab, 0x41 }, 3 },
		{ { 0xed, 0x07 }, 2, { 0xfa, 0xfa }, 2 },
		{ { 0xf3, 0x20 }, 2, { 0xfa, 0xfa }, 2 },
		{ { 0xee }, 1, { 0xee }, 1 },
		{ { 0xf0, 0x00 }, 2, { 0xfa, 0xfa, 0x41 }, 3 },
		{ { 0xf0, 0x01 }, 2, { 0xfa, 0xfa }, 2 },
		{ { 0xf0, 0x00 }, 2, { 0xfa, 0xfa, 0x43 }, 3 },
		{ { 0xf0, 0x04 }, 2, { 0xfa, 0xfe }, 2 },
		{ { 0xf5 }, 1, { 0xfa }, 1 },   /* back to set 2 */
		{ { 0xf0, 0x00 }, 2, { 0xfa, 0xfa, 0x41 }, 3 },
		{ { 0x12 }, 1, { 0xfe }, 1 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (unsigned j = 0; j < t[i].n; j++)
			data(t[i].cmd[j]);
		for (unsigned j = 0; j < t[i].nr; j++) {
			uint8_t got = next();

			if (got != t[i].reply[j])
				fail_msg("case %u byte %u: got %#x, want %#x", i, j, got, t[i].reply[j]);
		}
		expect_empty();
	}
	/* Without translation the ID and the scan code set come untranslated. */
	command(0x60);
	data(0x05);
	data(0xf2);
	assert_int_equal(next(), 0xfa);
	assert_int_equal(next(), 0xab);
	assert_int_equal(next(), 0x83);
	data(0xf0);
	data(0x00);
	assert_int_equal(next(), 0xfa);
	assert_int_equal(next(), 0xfa);
	assert_int_equal(next(), 0x02);
	expect_empty();
}

static void test_kbc_reply_order_and_irq(void **state)
{
	(void)state;
	data(0xff);                             /* 0xfa in the buffer, 0xaa waiting */
	assert_true(irq1);
	command(0x20);                          /* the controller's reply goes before 0xaa */
	assert_int_equal(next(), 0xfa);
	assert_true(irq1);
	assert_int_equal(next(), 0x45);
	assert_int_equal(next(), 0xaa);
	assert_false(irq1);
	assert_int_equal(irq_changes, 2);       /* high through all three bytes */
	/* A guest that never reads loses replies past the queue, without harm. */
	for (int i = 0; i < 40; i++)
		data(0xff);
	unsigned n = 0;

	while (status() & 0x01) {
		vi8042_read(&kbc, 0x60);
		n++;
	}
	assert_int_equal(n, 1 + VI8042_QUEUE);
}

/* ---------------------------------------------------------------- PM timer */

static void test_pmtimer_rate(void **state)
{
	(void)state;
	struct vpmtimer pm;

	vpmtimer_init(&pm, T0, HZ, true);
	assert_int_equal(vpmtimer_read(&pm, T0), 0);
	assert_int_equal(vpmtimer_read(&pm, T0 - 1), 0);
	assert_int_equal(vpmtimer_read(&pm, at(1, 0)), 3579545);
	assert_int_equal(vpmtimer_read(&pm, at(10, 0)), 35795450);
	/* floor(123456789 * 3579545 / 2999999997) */
	assert_int_equal(vpmtimer_read(&pm, T0 + 123456789), 147306);
	/* One day: 309272688000 counts, modulo 2^32. */
	assert_int_equal(vpmtimer_read(&pm, at(86400, 0)), 35042688);
	vpmtimer_init(&pm, T0, HZ, false);
	assert_int_equal(vpmtimer_read(&pm, at(10, 0)), 2241018);
	assert_int_equal(vpmtimer_read(&pm, at(86400, 0)), 1488256);
}

/* Summing small deltas over a long span loses nothing to rounding or wraps. */
static void test_pmtimer_no_drift(void **state)
{
	(void)state;
	struct vpmtimer pm;
	const uint64_t step = HZ / 1000 + 12345;        /* ~1 ms, not a round number */
	const uint64_t steps = 3600000;                 /* ~1 hour */
	uint64_t total = 0;
	uint32_t prev = 0;

	vpmtimer_init(&pm, T0, HZ, false);
	for (uint64_t i = 1; i <= steps; i++) {
		uint32_t now = vpmtimer_read(&pm, T0 + i * step);

		assert_true(now <= 0xffffff);
		total += (now - prev) & 0xffffff;
		prev = now;
	}
	unsigned __int128 exact = (unsigned __int128)(steps * step) * 3579545 / HZ;

	assert_true(total == (uint64_t)exact);
}

static void test_pmtimer_wrap(void **state)
{
	(void)state;
	struct vpmtimer pm;
	/* A 3.579545 GHz TSC: exactly 1000 TSC ticks per count. */
	const uint64_t hz = 3579545000ull;

	vpmtimer_init(&pm, 0, hz, false);
	assert_int_equal(vpmtimer_read(&pm, 0xffffffull * 1000), 0xffffff);
	assert_int_equal(vpmtimer_read(&pm, 0xffffffull * 1000 + 999), 0xffffff);
	assert_int_equal(vpmtimer_read(&pm, 0x1000000ull * 1000), 0);
	assert_int_equal(vpmtimer_read(&pm, 0x1000005ull * 1000), 5);
	vpmtimer_init(&pm, 0, hz, true);
	assert_int_equal(vpmtimer_read(&pm, 0x1000005ull * 1000), 0x1000005);
	assert_int_equal(vpmtimer_read(&pm, 0xffffffffull * 1000), 0xffffffff);
	assert_int_equal(vpmtimer_read(&pm, 0x100000007ull * 1000), 7);
	/* The largest TSC span still scales exactly. */
	vpmtimer_init(&pm, 0, hz, true);
	assert_int_equal(vpmtimer_read(&pm, 0x7fffffffffffffffull),
			 (uint32_t)(0x7fffffffffffffffull / 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtc_epoch_of),
		cmocka_unit_test(test_rtc_bcd_24h),
		cmocka_unit_test(test_rtc_binary_12h),
		cmocka_unit_test(test_rtc_rollovers),
		cmocka_unit_test(test_rtc_long_run),
		cmocka_unit_test(test_rtc_uip),
		cmocka_unit_test(test_rtc_set_time),
		cmocka_unit_test(test_rtc_write_running),
		cmocka_unit_test(test_rtc_clamping),
		cmocka_unit_test(test_rtc_cmos_ram),
		cmocka_unit_test(test_rtc_ports),
		cmocka_unit_test_setup(test_kbc_status_and_ctr, kbc_setup),
		cmocka_unit_test_setup(test_kbc_tests, kbc_setup),
		cmocka_unit_test_setup(test_kbc_port_enables, kbc_setup),
		cmocka_unit_test_setup(test_kbc_output_port_and_reset, kbc_setup),
		cmocka_unit_test_setup(test_kbc_pending_command, kbc_setup),
		cmocka_unit_test_setup(test_kbd_commands, kbc_setup),
		cmocka_unit_test_setup(test_kbc_reply_order_and_irq, kbc_setup),
		cmocka_unit_test(test_pmtimer_rate),
		cmocka_unit_test(test_pmtimer_no_drift),
		cmocka_unit_test(test_pmtimer_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

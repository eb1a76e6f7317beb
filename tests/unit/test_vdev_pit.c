/*
 * Guest 8254 PIT and port B (arch/x86_64/vdev/pit.c).
 *
 * Most tests run the TSC at exactly 4 PIT clocks per pulse, so pulse k
 * starts at TSC P(k) and every count can be checked exactly.  The
 * calibration tests replay the two ways Linux measures the TSC against
 * channel 2 (polling the MSB of a mode 0 count, and polling OUT2 through
 * port 0x61) with a fake TSC that advances by an exit cost per port access,
 * and check the derived frequency.  Expected values come from exact integer
 * arithmetic in the test (128-bit on the host).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/pit.h"

__extension__ typedef unsigned __int128 u128;

#define HZ4  (4ull * VPIT_HZ)
#define T0   1000ull
#define P(k) (T0 + 4ull * (k))

static struct vpit pit;
static int irqs;

static void on_irq(void *arg)
{
	assert_ptr_equal(arg, &pit);
	irqs++;
}

static int setup(void **state)
{
	(void)state;
	irqs = 0;
	vpit_init(&pit, T0, HZ4, on_irq, &pit);
	return 0;
}

static void wr(uint16_t port, uint8_t v, uint64_t t)
{
	vpit_write(&pit, port, v, t);
}

static uint8_t rd(uint16_t port, uint64_t t)
{
	return vpit_read(&pit, port, t);
}

/* Program channel ch (LSB then MSB) with mode and a 16-bit count at TSC t. */
static void program(unsigned ch, unsigned mode, uint16_t count, uint64_t t)
{
	wr(VPIT_PORT_CTRL, (uint8_t)(ch << 6 | 0x30 | mode << 1), t);
	wr((uint16_t)(VPIT_PORT_CH0 + ch), (uint8_t)count, t);
	wr((uint16_t)(VPIT_PORT_CH0 + ch), (uint8_t)(count >> 8), t);
}

/* Counter latch command, then two reads (the channel is in LSB-then-MSB mode). */
static uint16_t latched(unsigned ch, uint64_t t)
{
	wr(VPIT_PORT_CTRL, (uint8_t)(ch << 6), t);
	uint8_t lo = rd((uint16_t)(VPIT_PORT_CH0 + ch), t);
	return (uint16_t)(lo | rd((uint16_t)(VPIT_PORT_CH0 + ch), t) << 8);
}

/* Read-back of the status alone. */
static uint8_t status(unsigned ch, uint64_t t)
{
	wr(VPIT_PORT_CTRL, (uint8_t)(0xe0 | 2u << ch), t);
	return rd((uint16_t)(VPIT_PORT_CH0 + ch), t);
}

static bool out_of(unsigned ch, uint64_t t)
{
	return status(ch, t) & 0x80;
}

/* ---------------------------------------------------------------- modes */

static void test_mode0_counts_and_out(void **state)
{
	(void)state;
	wr(VPIT_PORT_CTRL, 0x30, P(10));
	assert_int_equal(status(0, P(10)), 0x70);       /* OUT low, null count */
	wr(VPIT_PORT_CH0, 100, P(10));
	wr(VPIT_PORT_CH0, 0, P(10) + 1);                /* loaded at pulse 11 */
	assert_int_equal(status(0, P(10) + 2), 0x70);
	assert_int_equal(latched(0, P(11)), 100);
	assert_int_equal(status(0, P(11)), 0x30);       /* loaded: null count clear */
	assert_int_equal(latched(0, P(12)), 99);
	assert_int_equal(latched(0, P(110)), 1);
	assert_false(out_of(0, P(110) + 3));
	assert_int_equal(latched(0, P(111)), 0);        /* N + 1 pulses after the write */
	assert_int_equal(status(0, P(111)), 0xb0);
	assert_int_equal(latched(0, P(112)), 0xffff);   /* counts on, OUT stays high */
	assert_true(out_of(0, P(5000)));

	/* A new count restarts it with OUT low. */
	wr(VPIT_PORT_CH0, 3, P(6000));
	wr(VPIT_PORT_CH0, 0, P(6000));
	assert_false(out_of(0, P(6000)));
	assert_false(out_of(0, P(6003)));
	assert_true(out_of(0, P(6004)));
}

static void test_mode0_first_byte_stops(void **state)
{
	(void)state;
	program(0, 0, 100, P(10));                      /* loaded at 11 */
	assert_int_equal(latched(0, P(50)), 61);
	wr(VPIT_PORT_CH0, 20, P(50));                   /* LSB: counting stops, OUT low */
	assert_int_equal(latched(0, P(70)), 61);
	assert_false(out_of(0, P(69)));
	wr(VPIT_PORT_CH0, 0, P(70));                    /* MSB: count 20 from pulse 71 */
	assert_int_equal(latched(0, P(71)), 20);
	assert_int_equal(latched(0, P(81)), 10);
	assert_false(out_of(0, P(90)));
	assert_true(out_of(0, P(91)));
}

static void test_mode2_rate_generator(void **state)
{
	(void)state;
	wr(VPIT_PORT_CTRL, 0x34, P(20));
	assert_true(out_of(0, P(20)));                  /* OUT starts high */
	wr(VPIT_PORT_CH0, 5, P(20));
	wr(VPIT_PORT_CH0, 0, P(20));                    /* loaded at 21 */
	static const uint16_t ce[] = { 5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5 };
	static const bool out[] = { 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1 };
	for (unsigned j = 0; j < 11; j++) {
		assert_int_equal(latched(0, P(21 + j)), ce[j]);
		assert_int_equal(out_of(0, P(21 + j) + 2), out[j]);
	}
	/* Also with mode bits 110, which alias mode 2; status keeps the bits written. */
	wr(VPIT_PORT_CTRL, 0x3c, P(100));
	assert_int_equal(status(0, P(100)), 0xfc);
	wr(VPIT_PORT_CH0, 3, P(100));
	wr(VPIT_PORT_CH0, 0, P(100));
	assert_int_equal(latched(0, P(103)), 1);
	assert_false(out_of(0, P(103)));
	assert_int_equal(latched(0, P(104)), 3);
}

static void test_mode2_new_count_waits_for_period_end(void **state)
{
	(void)state;
	program(0, 2, 10, P(20));                       /* loaded at 21, periods end 31, 41 */
	vpit_advance(&pit, P(25));
	wr(VPIT_PORT_CH0, 4, P(25));
	wr(VPIT_PORT_CH0, 0, P(25));
	assert_int_equal(status(0, P(25)) & 0x40, 0x40);        /* not loaded yet */
	assert_int_equal(latched(0, P(26)), 5);                 /* still the old count */
	assert_int_equal(latched(0, P(30)), 1);
	assert_int_equal(latched(0, P(31)), 4);
	assert_int_equal(status(0, P(31)) & 0x40, 0);
	assert_int_equal(latched(0, P(34)), 1);
	assert_int_equal(latched(0, P(35)), 4);

	/* Edges, the same again: the old period's end, then every 4 pulses. */
	setup(NULL);
	program(0, 2, 10, P(20));
	vpit_advance(&pit, P(25));
	wr(VPIT_PORT_CH0, 4, P(25));
	wr(VPIT_PORT_CH0, 0, P(25));
	assert_int_equal(vpit_next_event(&pit), P(31));
	vpit_advance(&pit, P(31));
	assert_int_equal(vpit_next_event(&pit), P(35));
	vpit_advance(&pit, P(35));
	assert_int_equal(vpit_next_event(&pit), P(39));
	assert_int_equal(irqs, 2);
}

static void test_mode3_square_wave(void **state)
{
	(void)state;
	/* Even count: 6 4 2 with OUT high, 6 4 2 low. */
	program(1, 3, 6, P(20));
	for (unsigned j = 0; j < 12; j++) {
		uint16_t want = (uint16_t)(6 - 2 * (j % 3));
		assert_int_equal(latched(1, P(21 + j)), want);
		assert_int_equal(out_of(1, P(21 + j)), j % 6 < 3);
	}
	/* Odd count: n - 1 loaded; high for (n + 1) / 2 pulses, low for (n - 1) / 2. */
	program(1, 3, 5, P(100));
	static const uint16_t ce[] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };
	static const bool out[] = { 1, 1, 1, 0, 0, 1, 1, 1, 0, 0 };
	for (unsigned j = 0; j < 10; j++) {
		assert_int_equal(latched(1, P(101 + j)), ce[j]);
		assert_int_equal(out_of(1, P(101 + j)), out[j]);
	}
	/* Mode bits 111 alias mode 3. */
	wr(VPIT_PORT_CTRL, 0x7e, P(200));
	wr(VPIT_PORT_CH0 + 1, 4, P(200));
	wr(VPIT_PORT_CH0 + 1, 0, P(200));
	assert_true(out_of(1, P(202)));
	assert_false(out_of(1, P(203)));
	assert_true(out_of(1, P(205)));
}

static void test_mode3_new_count_at_half_cycle(void **state)
{
	(void)state;
	program(1, 3, 10, P(20));               /* high 21-25, low 26-30 */
	wr(VPIT_PORT_CH0 + 1, 6, P(22));        /* in the high half: switches at 26 */
	wr(VPIT_PORT_CH0 + 1, 0, P(22));
	assert_int_equal(latched(1, P(25)), 2);
	assert_true(out_of(1, P(25)));
	assert_int_equal(latched(1, P(26)), 6);         /* low half of the new count */
	assert_false(out_of(1, P(26)));
	assert_int_equal(latched(1, P(28)), 2);
	assert_false(out_of(1, P(28)));
	assert_int_equal(latched(1, P(29)), 6);         /* then whole periods of 6 */
	assert_true(out_of(1, P(29)));
	assert_false(out_of(1, P(32)));
	assert_true(out_of(1, P(35)));
}

static void test_mode4_strobe(void **state)
{
	(void)state;
	program(0, 4, 3, P(20));                /* loaded at 21 */
	assert_true(out_of(0, P(23)));
	assert_int_equal(latched(0, P(24)), 0);
	assert_false(out_of(0, P(24)));
	assert_true(out_of(0, P(25)));
	assert_int_equal(latched(0, P(25)), 0xffff);
	assert_true(out_of(0, P(25 + 65536)));  /* no second strobe */
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);
}

static void test_mode1_and_mode5_gate_triggers(void **state)
{
	(void)state;
	/* Channel 2's gate is port B bit 0, low after init. */
	program(2, 1, 4, P(20));
	assert_true(out_of(2, P(25)));
	assert_int_equal(status(2, P(25)) & 0x40, 0x40);        /* waits for a trigger */
	wr(VPIT_PORT_B, 0x01, P(30));                           /* trigger: load at 31 */
	assert_false(out_of(2, P(31)));
	assert_int_equal(latched(2, P(31)), 4);
	assert_int_equal(status(2, P(31)) & 0x40, 0);
	assert_int_equal(latched(2, P(34)), 1);
	assert_false(out_of(2, P(34)));
	assert_true(out_of(2, P(35)));
	/* Retrigger restarts the one-shot; the gate level alone does nothing. */
	wr(VPIT_PORT_B, 0x00, P(36));
	assert_true(out_of(2, P(37)));
	wr(VPIT_PORT_B, 0x01, P(37));
	assert_int_equal(latched(2, P(38)), 4);
	assert_false(out_of(2, P(41)));
	assert_true(out_of(2, P(42)));

	/* Mode 5: one low pulse a full count after each trigger. */
	program(2, 5, 3, P(100));               /* the gate is already high: no trigger */
	assert_true(out_of(2, P(200)));
	wr(VPIT_PORT_B, 0x00, P(200));
	wr(VPIT_PORT_B, 0x01, P(201));          /* load at 202 */
	assert_true(out_of(2, P(204)));
	assert_false(out_of(2, P(205)));
	assert_true(out_of(2, P(206)));
}

/* ---------------------------------------------------------------- gate of channel 2 */

static void test_gate_mode0(void **state)
{
	(void)state;
	wr(VPIT_PORT_B, 0x00, P(1));
	program(2, 0, 10, P(20));               /* gate low: loaded, but held */
	assert_int_equal(latched(2, P(50)), 10);
	assert_int_equal(status(2, P(50)), 0x30);       /* OUT low, loaded */
	wr(VPIT_PORT_B, 0x01, P(50));           /* counting starts */
	assert_int_equal(latched(2, P(51)), 9);
	assert_int_equal(latched(2, P(55)), 5);
	wr(VPIT_PORT_B, 0x00, P(55));           /* frozen */
	assert_int_equal(latched(2, P(80)), 5);
	assert_int_equal(rd(VPIT_PORT_B, P(80)) & 0x20, 0);
	wr(VPIT_PORT_B, 0x01, P(80));
	assert_int_equal(rd(VPIT_PORT_B, P(84)) & 0x20, 0);
	assert_int_equal(rd(VPIT_PORT_B, P(85)) & 0x20, 0x20);
	/* OUT stays high through a low gate. */
	wr(VPIT_PORT_B, 0x00, P(90));
	assert_int_equal(rd(VPIT_PORT_B, P(95)) & 0x20, 0x20);
}

static void test_gate_mode2_restarts(void **state)
{
	(void)state;
	wr(VPIT_PORT_B, 0x01, P(1));
	program(2, 2, 4, P(20));                /* loaded at 21 */
	assert_int_equal(latched(2, P(24)), 1);
	assert_false(out_of(2, P(24)));
	wr(VPIT_PORT_B, 0x00, P(24) + 1);       /* OUT forced high, count held */
	assert_true(out_of(2, P(24) + 2));
	assert_int_equal(latched(2, P(28)), 1);
	wr(VPIT_PORT_B, 0x01, P(30));           /* reload at 31 */
	assert_int_equal(latched(2, P(31)), 4);
	assert_true(out_of(2, P(33)));
	assert_false(out_of(2, P(34)));
	assert_int_equal(latched(2, P(35)), 4);
}

/* ---------------------------------------------------------------- latch and read-back */

static void test_latch_holds_until_read(void **state)
{
	(void)state;
	program(0, 2, 1000, P(10));             /* loaded at 11 */
	wr(VPIT_PORT_CTRL, 0x00, P(111));       /* latches 900 */
	wr(VPIT_PORT_CTRL, 0x00, P(200));       /* ignored: not read yet */
	assert_int_equal(rd(VPIT_PORT_CH0, P(300)), 900 & 0xff);
	wr(VPIT_PORT_CTRL, 0x00, P(305));       /* still ignored: half read */
	assert_int_equal(rd(VPIT_PORT_CH0, P(310)), 900 >> 8);
	/* Unlatched: the live element, each byte when it is read. */
	assert_int_equal(rd(VPIT_PORT_CH0, P(400)), (1000 - 389) & 0xff);
	assert_int_equal(rd(VPIT_PORT_CH0, P(401)), (1000 - 390) >> 8);
	/* A new control word drops a pending latch. */
	wr(VPIT_PORT_CTRL, 0x00, P(500));
	wr(VPIT_PORT_CTRL, 0x34, P(501));
	wr(VPIT_PORT_CH0, 0x34, P(501));
	wr(VPIT_PORT_CH0, 0x12, P(501));
	assert_int_equal(latched(0, P(502)), 0x1234);
}

static void test_byte_access_modes(void **state)
{
	(void)state;
	wr(VPIT_PORT_CTRL, 0x50, P(10));        /* channel 1, LSB only, mode 0 */
	assert_int_equal(status(1, P(10)), 0x50);
	wr(VPIT_PORT_CH0 + 1, 0x20, P(10));     /* count 0x20, loaded at 11 */
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(11)), 0x20);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(12)), 0x1f);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(12)), 0x1f);   /* every read is the LSB */
	assert_true(out_of(1, P(11 + 0x20)));

	wr(VPIT_PORT_CTRL, 0x60, P(100));       /* MSB only */
	wr(VPIT_PORT_CH0 + 1, 0x02, P(100));    /* count 0x200, loaded at 101 */
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(101)), 0x02);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(102)), 0x01);  /* 0x1ff */
	wr(VPIT_PORT_CTRL, 0x40, P(102));       /* latch: one byte frees it */
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(400)), 0x01);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(400)), 0x00);  /* live again: 0x200 - 299 */

	/* Reads and writes of two-byte counts have separate flip-flops. */
	program(1, 2, 0x0300, P(500));          /* loaded at 501 */
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(501)), 0x00);  /* LSB of 0x300 */
	wr(VPIT_PORT_CH0 + 1, 0x00, P(501));    /* LSB of a new count */
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(501)), 0x03);  /* MSB */
	wr(VPIT_PORT_CH0 + 1, 0x01, P(501));    /* MSB: 0x100 waits for the period's end */
	assert_int_equal(latched(1, P(501 + 0x300)), 0x100);
}

static void test_read_back(void **state)
{
	(void)state;
	program(0, 2, 1000, P(10));
	/* Count and status of channel 0 before the load: OUT high, null count. */
	wr(VPIT_PORT_CTRL, 0xc2, P(10) + 1);
	assert_int_equal(rd(VPIT_PORT_CH0, P(10) + 2), 0xf4);
	assert_int_equal(rd(VPIT_PORT_CH0, P(10) + 2), 1000 & 0xff);
	assert_int_equal(rd(VPIT_PORT_CH0, P(10) + 2), 1000 >> 8);
	assert_int_equal(status(0, P(20)), 0xb4);

	/* The first status latch wins until it is read. */
	wr(VPIT_PORT_B, 0x01, P(30));
	program(2, 0, 5, P(30));                /* OUT rises at pulse 36 */
	wr(VPIT_PORT_CTRL, 0xe8, P(35));
	wr(VPIT_PORT_CTRL, 0xe8, P(40));
	assert_int_equal(rd(VPIT_PORT_CH0 + 2, P(41)), 0x30);
	assert_int_equal(status(2, P(41)), 0xb0);

	/* Status reads first even when the count was latched first. */
	wr(VPIT_PORT_CTRL, 0x80, P(50));        /* counter latch of channel 2 */
	wr(VPIT_PORT_CTRL, 0xe8, P(60));
	assert_int_equal(rd(VPIT_PORT_CH0 + 2, P(70)), 0xb0);
	uint16_t v = rd(VPIT_PORT_CH0 + 2, P(70));
	v |= (uint16_t)(rd(VPIT_PORT_CH0 + 2, P(70)) << 8);
	assert_int_equal(v, (uint16_t)(5 - (50 - 31)));
}

static void test_read_back_count_only(void **state)
{
	(void)state;
	program(0, 2, 1000, P(10));             /* loaded at 11 */
	program(1, 0, 300, P(10));
	wr(VPIT_PORT_CTRL, 0xd6, P(111));       /* count of channels 0 and 1 */
	assert_int_equal(rd(VPIT_PORT_CH0, P(200)), 900 & 0xff);
	assert_int_equal(rd(VPIT_PORT_CH0, P(200)), 900 >> 8);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(250)), 200);
	assert_int_equal(rd(VPIT_PORT_CH0 + 1, P(250)), 0);
	/* Read, the latch is gone: channel 0 reads live again. */
	assert_int_equal(rd(VPIT_PORT_CH0, P(261)), (1000 - 250) & 0xff);
	assert_int_equal(rd(VPIT_PORT_CH0, P(261)), (1000 - 250) >> 8);
}

/* ---------------------------------------------------------------- BCD, port B, odd ports */

static void test_bcd(void **state)
{
	(void)state;
	wr(VPIT_PORT_CTRL, 0x71, P(10));        /* channel 1, mode 0, BCD */
	wr(VPIT_PORT_CH0 + 1, 0x00, P(10));
	wr(VPIT_PORT_CH0 + 1, 0x10, P(10));     /* 1000 decimal, loaded at 11 */
	assert_int_equal(latched(1, P(11)), 0x1000);
	assert_int_equal(latched(1, P(12)), 0x0999);
	assert_int_equal(latched(1, P(11 + 1000)), 0x0000);
	assert_true(out_of(1, P(11 + 1000)));
	assert_int_equal(latched(1, P(12 + 1000)), 0x9999);
	assert_int_equal(status(1, P(12 + 1000)), 0xb1);

	/* 0 is 10000 in BCD; a digit above 9 counts at face value. */
	wr(VPIT_PORT_CTRL, 0x75, P(2000));      /* mode 2, BCD */
	wr(VPIT_PORT_CH0 + 1, 0x00, P(2000));
	wr(VPIT_PORT_CH0 + 1, 0x00, P(2000));
	assert_int_equal(latched(1, P(2001)), 0x0000);
	assert_int_equal(latched(1, P(2002)), 0x9999);
	assert_int_equal(latched(1, P(2001 + 10000)), 0x0000);
	wr(VPIT_PORT_CTRL, 0x71, P(30000));
	wr(VPIT_PORT_CH0 + 1, 0x0c, P(30000));  /* digits 0, 0, 0, 12 */
	wr(VPIT_PORT_CH0 + 1, 0x00, P(30000));
	assert_int_equal(latched(1, P(30001)), 0x0012);
	assert_int_equal(latched(1, P(30002)), 0x0011);
}

static void test_port_b_and_odd_ports(void **state)
{
	(void)state;
	uint8_t a = rd(VPIT_PORT_B, P(1)), b = rd(VPIT_PORT_B, P(1));

	assert_int_equal(a & 0xef, 0x00);               /* gate, speaker, OUT2 low */
	assert_int_equal((a ^ b) & 0x10, 0x10);         /* refresh toggles */
	wr(VPIT_PORT_B, 0xfe, P(2));                    /* speaker, bits 2-3; gate low */
	assert_int_equal(rd(VPIT_PORT_B, P(2)) & 0xef, 0x0e);
	wr(VPIT_PORT_B, 0x03, P(3));
	assert_int_equal(rd(VPIT_PORT_B, P(3)) & 0xef, 0x03);
	program(2, 0, 2, P(3));                         /* gate high: OUT2 at pulse 6 */
	assert_int_equal(rd(VPIT_PORT_B, P(5)) & 0xe0, 0x00);
	assert_int_equal(rd(VPIT_PORT_B, P(6)) & 0xe0, 0x20);

	assert_int_equal(rd(VPIT_PORT_CTRL, P(7)), 0xff);
	assert_int_equal(rd(0x44, P(7)), 0xff);
	assert_int_equal(rd(0x60, P(7)), 0xff);
	wr(0x44, 0x00, P(7));
	wr(0x62, 0x00, P(7));
	assert_int_equal(rd(VPIT_PORT_B, P(7)) & 0x2f, 0x23);
	/* A read-back with no channel selected does nothing. */
	wr(VPIT_PORT_CTRL, 0xc0, P(8));
	assert_int_equal(latched(2, P(9)), (uint16_t)(2 - 5));
}

static void test_power_up_state(void **state)
{
	(void)state;
	for (unsigned ch = 0; ch < 3; ch++)
		assert_int_equal(status(ch, P(5)), 0x70);       /* mode 0, LSB/MSB, no count */
	assert_int_equal(latched(0, P(5)), 0);
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);
	vpit_advance(&pit, P(1000000));
	assert_int_equal(irqs, 0);
}

/* ---------------------------------------------------------------- IRQ 0 */

static void test_irq0_periodic(void **state)
{
	(void)state;
	const uint64_t hz = 2500000000ull, t0 = 123456789ull;
	uint64_t start, edge;

	vpit_init(&pit, t0, hz, on_irq, &pit);
	start = t0 + 1000000;
	program(0, 2, 11932, start);            /* Linux's HZ=100 period */
	/* Pulse of the write, then edges every 11932 pulses after the load. */
	uint64_t w = (uint64_t)((u128)(start - t0) * VPIT_HZ / hz);
	for (unsigned k = 1; k <= 5; k++) {
		uint64_t pulse = w + 1 + 11932ull * k;
		uint64_t want = t0 + (uint64_t)(((u128)pulse * hz + VPIT_HZ - 1) / VPIT_HZ);

		edge = vpit_next_event(&pit);
		assert_int_equal(edge, want);
		vpit_advance(&pit, edge - 1);
		assert_int_equal(irqs, k - 1);
		vpit_advance(&pit, edge);
		assert_int_equal(irqs, k);
		vpit_advance(&pit, edge);               /* nothing twice */
		assert_int_equal(irqs, k);
	}
	/* Ten periods late: one interrupt, and the next edge is in the future. */
	edge = vpit_next_event(&pit);
	vpit_advance(&pit, edge + 10 * 25000000ull);
	assert_int_equal(irqs, 6);
	assert_true(vpit_next_event(&pit) > edge + 10 * 25000000ull);
	assert_true(vpit_next_event(&pit) <= edge + 11 * 25000000ull);
}

static void test_irq0_modes(void **state)
{
	(void)state;
	/* Mode 0: one edge. */
	program(0, 0, 50, P(100));              /* OUT rises at 151 */
	assert_int_equal(vpit_next_event(&pit), P(151));
	vpit_advance(&pit, P(151));
	assert_int_equal(irqs, 1);
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);
	vpit_advance(&pit, P(100000));
	assert_int_equal(irqs, 1);

	/* Mode 3: an edge at the start of each period. */
	program(0, 3, 7, P(200000));            /* loaded at 200001 */
	assert_int_equal(vpit_next_event(&pit), P(200008));
	vpit_advance(&pit, P(200010));
	assert_int_equal(vpit_next_event(&pit), P(200015));
	assert_int_equal(irqs, 2);

	/* Reprogramming raises an edge already due before it changes anything. */
	wr(VPIT_PORT_CTRL, 0x30, P(200016));
	assert_int_equal(irqs, 3);
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);

	/* Mode 2 with a count of 1 never rises: no interrupt storm. */
	program(0, 2, 1, P(300000));
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);
	assert_false(out_of(0, P(300005)));

	/* Channels 1 and 2 never raise IRQ 0. */
	wr(VPIT_PORT_B, 0x01, P(400000));
	program(1, 2, 10, P(400000));
	program(2, 2, 10, P(400000));
	vpit_advance(&pit, P(500000));
	assert_int_equal(irqs, 3);
}

/* ---------------------------------------------------------------- time arithmetic */

static void test_long_run_exact(void **state)
{
	(void)state;
	const uint64_t hz = 2999999997ull, t0 = 5;
	uint64_t now = t0 + 1000000ull * hz + 12345;    /* 11.5 days in */

	vpit_init(&pit, t0, hz, on_irq, &pit);
	program(0, 2, 0, t0 + 77);              /* 65536 */
	uint64_t w = (uint64_t)((u128)77 * VPIT_HZ / hz);
	uint64_t t = (uint64_t)((u128)(now - t0) * VPIT_HZ / hz);
	uint16_t want = (uint16_t)((65536 - (t - (w + 1)) % 65536) % 65536);
	assert_int_equal(latched(0, now), want);

	/* next_event is the first TSC of the edge's pulse. */
	uint64_t edge = vpit_next_event(&pit);
	uint64_t ep = (uint64_t)((u128)(edge - t0) * VPIT_HZ / hz);
	uint64_t before = (uint64_t)((u128)(edge - 1 - t0) * VPIT_HZ / hz);
	assert_int_equal((ep - (w + 1)) % 65536, 0);
	assert_int_equal(before + 1, ep);

	/* Near the top of the TSC range nothing wraps. */
	vpit_init(&pit, 0, VPIT_TSC_HZ_MAX, on_irq, &pit);
	now = UINT64_MAX - 1000;
	program(0, 0, 100, now);
	assert_int_equal(vpit_next_event(&pit), UINT64_MAX);    /* beyond the TSC range */
	assert_int_equal(latched(0, now), 100);
}

static void test_rate_clamped(void **state)
{
	(void)state;
	vpit_init(&pit, 0, 0, on_irq, &pit);    /* rate 0: one pulse per TSC tick */
	program(0, 0, 10, 100);
	assert_int_equal(latched(0, 106), 5);
	assert_int_equal(vpit_next_event(&pit), 111);
	/* Time that goes back is taken as no time. */
	assert_int_equal(latched(0, 50), 5);
}

/* ---------------------------------------------------------------- Linux's TSC calibration */

struct sim {
	uint64_t tsc, hz, cost;
	uint32_t seed;
};

static struct sim sim;

/* A port access takes one exit: cost TSC ticks plus up to half of it again. */
static void sim_exit(void)
{
	sim.seed = sim.seed * 1103515245u + 12345u;
	sim.tsc += sim.cost + (sim.seed >> 8) % (sim.cost / 2 + 1);
}

static uint8_t sim_inb(uint16_t port)
{
	uint8_t v = vpit_read(&pit, port, sim.tsc);

	sim_exit();
	return v;
}

static void sim_outb(uint8_t v, uint16_t port)
{
	vpit_write(&pit, port, v, sim.tsc);
	sim_exit();
}

static uint64_t sim_rdtsc(void)
{
	sim.tsc += 30;
	return sim.tsc;
}

static void sim_start(uint64_t hz, uint64_t cost)
{
	sim = (struct sim){ .tsc = 987654321ull, .hz = hz, .cost = cost, .seed = 42 };
	vpit_init(&pit, sim.tsc, hz, on_irq, &pit);
	sim.tsc += 5 * hz;                      /* the guest has run for a while */
}

/*
 * Poll the MSB of channel 2 (LSB read and dropped) while it equals val: the
 * TSC just before the first read that saw it change, and the uncertainty.
 */
static bool sim_expect_msb(uint8_t val, uint64_t *tsc, uint64_t *err)
{
	uint64_t prev = sim_rdtsc(), t = prev;
	int n = 0;

	while (n < 50000) {
		sim_inb(0x42);
		if (sim_inb(0x42) != val)
			break;
		prev = t;
		t = sim_rdtsc();
		n++;
	}
	*tsc = t;
	*err = sim_rdtsc() - prev;
	return n > 5;
}

/* The MSB-polling calibration: TSC ticks over `iters` MSB steps of 256 pulses. */
static uint64_t sim_quick_calibrate(unsigned iters)
{
	uint64_t t_first, t, e1, e2, write_tsc;

	sim_outb((uint8_t)((sim_inb(0x61) & ~0x02) | 0x01), 0x61);
	sim_outb(0xb0, 0x43);
	sim_outb(0xff, 0x42);
	write_tsc = sim.tsc;
	sim_outb(0xff, 0x42);
	sim_inb(0x42);                          /* let it load */
	sim_inb(0x42);
	assert_true(sim_expect_msb(0xff, &t_first, &e1));
	for (unsigned i = 1; i <= iters; i++) {
		assert_true(sim_expect_msb((uint8_t)(0xff - i), &t, &e2));
		/* The MSB left 0xff - i as element 0xffff - E crossed it: at E = 256 (i + 1). */
		uint64_t w = (uint64_t)((u128)(write_tsc - 987654321ull) * VPIT_HZ / sim.hz);
		uint64_t pulse = w + 1 + 256ull * (i + 1);
		uint64_t exact = 987654321ull + (uint64_t)(((u128)pulse * sim.hz + VPIT_HZ - 1) / VPIT_HZ);
		assert_true(t <= exact + 4 * sim.cost && exact <= t + 4 * sim.cost);
	}
	(void)e1;
	(void)e2;
	return (uint64_t)((u128)(t - t_first) * VPIT_HZ / (256ull * iters));
}

/* The OUT2-polling calibration: a 10 ms mode 0 count, port 0x61 bit 5 polled. */
static uint64_t sim_slow_calibrate(void)
{
	const unsigned latch = VPIT_HZ / 100;   /* 11931 */
	uint64_t t1, t2;

	sim_outb((uint8_t)((sim_inb(0x61) & ~0x02) | 0x01), 0x61);
	sim_outb(0xb0, 0x43);
	sim_outb(latch & 0xff, 0x42);
	sim_outb(latch >> 8, 0x42);
	t1 = t2 = sim_rdtsc();
	while ((sim_inb(0x61) & 0x20) == 0)
		t2 = sim_rdtsc();
	return (t2 - t1) * 100;                 /* ticks in 10 ms, as Hz */
}

static void check_close(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	if (d * 1000 > want)
		fail_msg("measured %llu Hz, want %llu Hz within 0.1%%",
			 (unsigned long long)got, (unsigned long long)want);
}

static void test_linux_quick_calibration(void **state)
{
	(void)state;
	static const uint64_t rates[] = { 2500000000ull, 1000000000ull, 2999999997ull };

	for (unsigned i = 0; i < 3; i++) {
		sim_start(rates[i], rates[i] / 1000000);        /* 1 us per exit */
		check_close(sim_quick_calibrate(100), rates[i]);
		sim_start(rates[i], rates[i] / 200000);         /* 5 us per exit */
		check_close(sim_quick_calibrate(200), rates[i]);
	}
}

static void test_linux_slow_calibration(void **state)
{
	(void)state;
	static const uint64_t rates[] = { 2500000000ull, 1000000000ull, 3700000000ull };

	for (unsigned i = 0; i < 3; i++) {
		sim_start(rates[i], rates[i] / 1000000);
		check_close(sim_slow_calibrate(), rates[i]);
	}
}

/* OUT2 rises within one pulse of N + 1 pulses after the write. */
static void test_out2_edge_exact(void **state)
{
	(void)state;
	const uint64_t hz = 2500000000ull, t0 = 10;
	uint64_t w_tsc = t0 + 3 * hz + 777, w, exact;

	vpit_init(&pit, t0, hz, on_irq, &pit);
	wr(VPIT_PORT_B, 0x01, w_tsc);
	program(2, 0, 11931, w_tsc);
	w = (uint64_t)((u128)(w_tsc - t0) * VPIT_HZ / hz);
	exact = t0 + (uint64_t)(((u128)(w + 1 + 11931) * hz + VPIT_HZ - 1) / VPIT_HZ);
	assert_int_equal(rd(VPIT_PORT_B, exact - 1) & 0x20, 0);
	assert_int_equal(rd(VPIT_PORT_B, exact) & 0x20, 0x20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mode0_counts_and_out, setup),
		cmocka_unit_test_setup(test_mode0_first_byte_stops, setup),
		cmocka_unit_test_setup(test_mode2_rate_generator, setup),
		cmocka_unit_test_setup(test_mode2_new_count_waits_for_period_end, setup),
		cmocka_unit_test_setup(test_mode3_square_wave, setup),
		cmocka_unit_test_setup(test_mode3_new_count_at_half_cycle, setup),
		cmocka_unit_test_setup(test_mode4_strobe, setup),
		cmocka_unit_test_setup(test_mode1_and_mode5_gate_triggers, setup),
		cmocka_unit_test_setup(test_gate_mode0, setup),
		cmocka_unit_test_setup(test_gate_mode2_restarts, setup),
		cmocka_unit_test_setup(test_latch_holds_until_read, setup),
		cmocka_unit_test_setup(test_byte_access_modes, setup),
		cmocka_unit_test_setup(test_read_back, setup),
		cmocka_unit_test_setup(test_read_back_count_only, setup),
		cmocka_unit_test_setup(test_bcd, setup),
		cmocka_unit_test_setup(test_port_b_and_odd_ports, setup),
		cmocka_unit_test_setup(test_power_up_state, setup),
		cmocka_unit_test_setup(test_irq0_periodic, setup),
		cmocka_unit_test_setup(test_irq0_modes, setup),
		cmocka_unit_test_setup(test_long_run_exact, setup),
		cmocka_unit_test_setup(test_rate_clamped, setup),
		cmocka_unit_test_setup(test_linux_quick_calibration, setup),
		cmocka_unit_test_setup(test_linux_slow_calibration, setup),
		cmocka_unit_test_setup(test_out2_edge_exact, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

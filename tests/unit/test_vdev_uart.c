/* Guest 16550A model (arch/x86_64/vdev/uart16550.c): registers, FIFOs, IIR, IRQ line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86_64/vdev/uart16550.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3,
       MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct harness {
	bool refuse;                /* the tx sink is full */
	unsigned ntx;
	uint8_t txbuf[64];
	unsigned nirq;              /* irq callback calls */
	bool irq;
};

static bool on_tx(void *arg, uint8_t byte)
{
	struct harness *h = arg;

	if (h->refuse)
		return false;
	assert_true(h->ntx < sizeof(h->txbuf));
	h->txbuf[h->ntx++] = byte;
	return true;
}

static void on_irq(void *arg, bool level)
{
	struct harness *h = arg;

	assert_true(level != h->irq);   /* only changes are reported */
	h->irq = level;
	h->nirq++;
}

static struct vuart u;
static struct harness h;

static int setup(void **state)
{
	(void)state;
	memset(&h, 0, sizeof(h));
	vuart_init(&u, on_tx, on_irq, &h);
	return 0;
}

static uint8_t rd(unsigned off)
{
	return vuart_read(&u, off);
}

static void wr(unsigned off, uint8_t v)
{
	vuart_write(&u, off, v);
}

static size_t push(const char *s)
{
	return vuart_rx_push(&u, (const uint8_t *)s, strlen(s));
}

static void test_reset_values(void **state)
{
	(void)state;
	assert_int_equal(rd(IER), 0x00);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(rd(LCR), 0x00);
	assert_int_equal(rd(MCR), 0x00);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(MSR), 0xb0);
	assert_int_equal(rd(SCR), 0x00);
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(rd(8), 0xff);
	assert_int_equal(rd(0xffff), 0xff);
	wr(8, 0x12);
	assert_int_equal(h.nirq, 0);
	assert_int_equal(h.ntx, 0);
}

static void test_plain_registers(void **state)
{
	(void)state;
	wr(SCR, 0xa5);
	assert_int_equal(rd(SCR), 0xa5);
	wr(LCR, 0x5b);
	assert_int_equal(rd(LCR), 0x5b);
	wr(MCR, 0xff);
	assert_int_equal(rd(MCR), 0x1f);
	wr(MCR, 0x00);
	wr(IER, 0xff);
	assert_int_equal(rd(IER), 0x0f);
	/* LSR and MSR ignore writes. */
	wr(IER, 0);
	wr(LSR, 0x00);
	assert_int_equal(rd(LSR), 0x60);
	rd(MSR);
	wr(MSR, 0x0f);
	assert_int_equal(rd(MSR), 0xb0);
}

static void test_dlab(void **state)
{
	(void)state;
	wr(IER, 0x05);
	wr(LCR, 0x83);
	wr(DLL, 0x01);
	wr(DLM, 0x02);
	assert_int_equal(rd(DLL), 0x01);
	assert_int_equal(rd(DLM), 0x02);
	assert_int_equal(h.ntx, 0);             /* DLL writes are not output */
	wr(LCR, 0x03);
	assert_int_equal(rd(IER), 0x05);
	wr(THR, 'x');
	assert_int_equal(h.ntx, 1);
	assert_int_equal(h.txbuf[0], 'x');
	wr(LCR, 0x83);
	assert_int_equal(rd(DLL), 0x01);        /* THR write did not touch DLL */
	assert_int_equal(rd(DLM), 0x02);
}

static void test_transmit(void **state)
{
	(void)state;
	for (const char *p = "hello"; *p; p++)
		wr(THR, (uint8_t)*p);
	assert_int_equal(h.ntx, 5);
	assert_memory_equal(h.txbuf, "hello", 5);
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(u.tx_dropped, 0);
}

static void test_transmit_backpressure(void **state)
{
	(void)state;
	h.refuse = true;
	wr(THR, 'a');                           /* into the shift register */
	assert_int_equal(rd(LSR), 0x20);        /* THRE, not TEMT */
	wr(THR, 'b');                           /* waits in THR */
	assert_int_equal(rd(LSR), 0x00);
	wr(THR, 'c');                           /* THR full: lost */
	assert_int_equal(u.tx_dropped, 1);
	vuart_tx_resume(&u);
	assert_int_equal(h.ntx, 0);
	h.refuse = false;
	vuart_tx_resume(&u);
	assert_int_equal(h.ntx, 2);
	assert_memory_equal(h.txbuf, "ab", 2);
	assert_int_equal(rd(LSR), 0x60);
}

static void test_tx_fifo(void **state)
{
	(void)state;
	wr(FCR, 0x01);
	h.refuse = true;
	for (int i = 0; i < 18; i++)
		wr(THR, (uint8_t)('A' + i));
	/* 1 in the shift register, 16 in the FIFO, the 18th lost. */
	assert_int_equal(u.tx_dropped, 1);
	assert_int_equal(rd(LSR), 0x00);
	h.refuse = false;
	vuart_tx_resume(&u);
	assert_int_equal(h.ntx, 17);
	assert_memory_equal(h.txbuf, "ABCDEFGHIJKLMNOPQ", 17);
	assert_int_equal(rd(LSR), 0x60);
	/* FCR bit 2 empties the TX FIFO, not the shift register. */
	h.refuse = true;
	wr(THR, '1');
	wr(THR, '2');
	wr(THR, '3');
	wr(FCR, 0x05);
	assert_int_equal(rd(LSR), 0x20);
	h.refuse = false;
	vuart_tx_resume(&u);
	assert_int_equal(h.ntx, 18);
	assert_int_equal(h.txbuf[17], '1');
	assert_int_equal(rd(LSR), 0x60);
}

static void test_receive_no_fifo(void **state)
{
	(void)state;
	assert_int_equal(push("ab"), 1);        /* RBR holds one byte */
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'a');
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(RBR), 'a');         /* empty: the last byte again */
	assert_int_equal(push("b"), 1);
	assert_int_equal(rd(RBR), 'b');
	assert_int_equal(vuart_rx_push(&u, NULL, 0), 0);
	assert_int_equal(u.overruns, 0);
}

static void test_receive_fifo(void **state)
{
	(void)state;
	wr(FCR, 0x01);
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(push("0123456789abcdefXYZ"), 16);
	assert_int_equal(push("X"), 0);
	for (const char *p = "0123456789abcdef"; *p; p++) {
		assert_int_equal(rd(LSR) & 0x01, 0x01);
		assert_int_equal(rd(RBR), *p);
	}
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(RBR), 'f');
	assert_int_equal(u.overruns, 0);
}

static void test_fifo_trigger_levels(void **state)
{
	(void)state;
	static const struct { uint8_t fcr; unsigned level; } t[] = {
		{ 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
	};

	wr(IER, 0x01);
	for (unsigned i = 0; i < 4; i++) {
		wr(FCR, t[i].fcr | 0x02);
		for (unsigned n = 1; n <= 16; n++) {
			assert_int_equal(push("x"), 1);
			/* Below the trigger level the character timeout reports the data. */
			assert_int_equal(rd(IIR), n < t[i].level ? 0xcc : 0xc4);
		}
	}
}

static void test_fifo_reset_bits(void **state)
{
	(void)state;
	wr(FCR, 0x01);
	push("abc");
	wr(FCR, 0x03);
	assert_int_equal(rd(LSR), 0x60);
	/* Without FCR0 the other bits are not taken. */
	push("abc");
	wr(FCR, 0x00);                          /* leaving FIFO mode empties the FIFOs */
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(rd(IIR), 0x01);
	push("a");
	wr(FCR, 0x02);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(IIR), 0x01);
	wr(FCR, 0xc1);                          /* entering FIFO mode empties them too */
	assert_int_equal(rd(LSR), 0x60);
	assert_int_equal(push("0123456789abcdefg"), 16);
}

/* Every source at once, then each is cleared in priority order. */
static void test_iir_priority(void **state)
{
	(void)state;
	wr(FCR, 0x01);
	wr(MCR, 0x10);                          /* loopback: modem deltas */
	wr(LCR, 0x40);                          /* a break received: line status */
	wr(LCR, 0x00);
	wr(THR, 'z');                           /* received in loopback */
	wr(IER, 0x0f);                          /* ETBEI on with THR empty: THRE */
	assert_int_equal(rd(IIR), 0xc6);
	assert_int_equal(rd(IIR), 0xc6);        /* reading IIR does not clear LSR */
	assert_int_equal(rd(LSR), 0xf1);        /* FIFO error, TEMT, THRE, BI, DR */
	assert_int_equal(rd(IIR), 0xc4);
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(rd(IIR), 0xc4);
	assert_int_equal(rd(RBR), 'z');
	assert_int_equal(rd(IIR), 0xc2);
	assert_int_equal(rd(IIR), 0xc0);        /* THRE cleared by the read above */
	assert_int_equal(rd(MSR), 0x0b);        /* DCD, DSR, CTS dropped */
	assert_int_equal(rd(IIR), 0xc1);
	assert_int_equal(h.nirq, 0);            /* loopback keeps the line low */
}

static void test_thre_interrupt(void **state)
{
	(void)state;
	wr(MCR, 0x08);                          /* OUT2 */
	assert_int_equal(rd(IIR), 0x01);
	wr(IER, 0x02);
	assert_true(h.irq);
	assert_int_equal(rd(IIR), 0x02);
	assert_false(h.irq);
	assert_int_equal(rd(IIR), 0x01);
	wr(THR, 'a');                           /* sent at once: THR empty again */
	assert_true(h.irq);
	wr(IER, 0x00);                          /* ETBEI off drops it */
	assert_false(h.irq);
	wr(IER, 0x02);                          /* and on again raises it */
	assert_true(h.irq);
	assert_int_equal(rd(IIR), 0x02);
	assert_false(h.irq);
	wr(IER, 0x02);                          /* no change: THRE not raised again */
	assert_false(h.irq);
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(h.nirq, 6);
	/* THR written while the sink refuses: THR empties into the shift register. */
	h.refuse = true;
	wr(THR, 'b');
	assert_true(h.irq);
	rd(IIR);
	wr(THR, 'c');                           /* stays in THR: no THRE */
	assert_false(h.irq);
	assert_int_equal(rd(IIR), 0x01);
	h.refuse = false;
	vuart_tx_resume(&u);
	assert_true(h.irq);
	assert_int_equal(rd(IIR), 0x02);
	/* Emptying a waiting TX FIFO with FCR bit 2 empties THR: THRE again. */
	wr(FCR, 0x01);
	h.refuse = true;
	wr(THR, 'd');
	rd(IIR);
	wr(THR, 'e');
	assert_false(h.irq);
	wr(FCR, 0x05);
	assert_true(h.irq);
	assert_int_equal(rd(IIR), 0xc2);
}

static void test_thre_not_cleared_behind_rx(void **state)
{
	(void)state;
	wr(IER, 0x03);
	push("q");
	assert_int_equal(rd(IIR), 0x04);        /* THRE pending but not the source */
	assert_int_equal(rd(IIR), 0x04);
	rd(RBR);
	assert_int_equal(rd(IIR), 0x02);
	assert_int_equal(rd(IIR), 0x01);
}

static void test_irq_line_and_out2(void **state)
{
	(void)state;
	wr(IER, 0x01);
	push("a");
	assert_int_equal(h.nirq, 0);            /* OUT2 clear: the line stays low */
	assert_int_equal(rd(IIR), 0x04);
	wr(MCR, 0x08);
	assert_true(h.irq);
	assert_int_equal(h.nirq, 1);
	push("");
	rd(LSR);
	assert_int_equal(h.nirq, 1);
	rd(RBR);
	assert_false(h.irq);
	assert_int_equal(h.nirq, 2);
	push("b");
	assert_true(h.irq);
	wr(MCR, 0x00);
	assert_false(h.irq);
	assert_int_equal(h.nirq, 4);
	wr(MCR, 0x18);                          /* loopback forces OUT2 off */
	assert_false(h.irq);
	assert_int_equal(h.nirq, 4);
	wr(MCR, 0x08);
	assert_true(h.irq);
	wr(IER, 0x00);
	assert_false(h.irq);
}

static void test_line_status_interrupt(void **state)
{
	(void)state;
	wr(MCR, 0x10);
	wr(THR, '1');
	wr(THR, '2');                           /* overwrites RBR: overrun */
	assert_int_equal(u.overruns, 1);
	wr(IER, 0x04);
	assert_int_equal(rd(IIR), 0x06);
	assert_int_equal(rd(LSR), 0x63);
	assert_int_equal(rd(LSR), 0x61);        /* OE cleared by the read */
	assert_int_equal(rd(IIR), 0x01);
	assert_int_equal(rd(RBR), '2');
}

static void test_loopback(void **state)
{
	(void)state;
	wr(MCR, 0x10);
	assert_int_equal(push("x"), 0);         /* serial input disconnected */
	wr(THR, 'L');
	assert_int_equal(h.ntx, 0);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'L');
	/* FIFO mode: 16 fit, the 17th overruns and is lost. */
	wr(FCR, 0x01);
	for (int i = 0; i < 17; i++)
		wr(THR, (uint8_t)('a' + i));
	assert_int_equal(u.overruns, 1);
	assert_int_equal(rd(LSR), 0x63);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(RBR), 'a' + i);
	assert_int_equal(rd(LSR), 0x60);
	/* A byte the sink refused is looped back once loopback starts. */
	wr(MCR, 0x00);
	h.refuse = true;
	wr(THR, 'r');
	assert_int_equal(rd(LSR), 0x20);
	wr(MCR, 0x10);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 'r');
	h.refuse = false;
	/* Out of loopback, output goes to the sink again. */
	wr(MCR, 0x00);
	wr(THR, 'o');
	assert_int_equal(h.ntx, 1);
	assert_int_equal(h.txbuf[0], 'o');
	assert_int_equal(push("x"), 1);
}

static void test_loopback_break(void **state)
{
	(void)state;
	wr(MCR, 0x10);
	wr(LCR, 0x43);
	wr(LCR, 0x43);                          /* still in break: no second one */
	assert_int_equal(rd(LSR), 0x71);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(rd(LSR), 0x60);
	wr(LCR, 0x03);
	wr(MCR, 0x00);
	wr(LCR, 0x43);                          /* outside loopback: nothing received */
	assert_int_equal(rd(LSR), 0x60);
}

static void test_fifo_error_bit(void **state)
{
	(void)state;
	wr(FCR, 0x01);
	wr(MCR, 0x10);
	wr(THR, 'a');
	wr(LCR, 0x40);
	wr(LCR, 0x00);
	wr(THR, 'b');
	wr(LCR, 0x40);
	wr(LCR, 0x00);
	assert_int_equal(rd(LSR), 0xe1);        /* errors queued behind 'a' */
	assert_int_equal(rd(RBR), 'a');
	assert_int_equal(rd(LSR), 0xf1);
	assert_int_equal(rd(LSR), 0xe1);        /* another break still queued */
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(rd(RBR), 'b');
	assert_int_equal(rd(LSR), 0xf1);
	assert_int_equal(rd(LSR), 0x61);
	assert_int_equal(rd(RBR), 0x00);
	assert_int_equal(rd(LSR), 0x60);
}

static void test_modem_status(void **state)
{
	(void)state;
	wr(MCR, 0x10);                          /* inputs follow MCR: all low */
	assert_int_equal(rd(MSR), 0x0b);
	assert_int_equal(rd(MSR), 0x00);
	wr(MCR, 0x14);                          /* OUT1 -> RI rises: no TERI */
	assert_int_equal(rd(MSR), 0x40);
	wr(MCR, 0x10);                          /* RI falls: TERI */
	assert_int_equal(rd(MSR), 0x04);
	wr(MCR, 0x1b);                          /* DTR, RTS, OUT2 */
	assert_int_equal(rd(MSR), 0xbb);
	wr(IER, 0x08);
	wr(MCR, 0x19);                          /* RTS drops: CTS delta */
	assert_int_equal(rd(IIR), 0x00);
	assert_int_equal(rd(MSR), 0xa1);
	assert_int_equal(rd(IIR), 0x01);
	wr(MCR, 0x00);                          /* back to the line: DCD, DSR, CTS */
	assert_int_equal(rd(MSR), 0xb1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_values, setup),
		cmocka_unit_test_setup(test_plain_registers, setup),
		cmocka_unit_test_setup(test_dlab, setup),
		cmocka_unit_test_setup(test_transmit, setup),
		cmocka_unit_test_setup(test_transmit_backpressure, setup),
		cmocka_unit_test_setup(test_tx_fifo, setup),
		cmocka_unit_test_setup(test_receive_no_fifo, setup),
		cmocka_unit_test_setup(test_receive_fifo, setup),
		cmocka_unit_test_setup(test_fifo_trigger_levels, setup),
		cmocka_unit_test_setup(test_fifo_reset_bits, setup),
		cmocka_unit_test_setup(test_iir_priority, setup),
		cmocka_unit_test_setup(test_thre_interrupt, setup),
		cmocka_unit_test_setup(test_thre_not_cleared_behind_rx, setup),
		cmocka_unit_test_setup(test_irq_line_and_out2, setup),
		cmocka_unit_test_setup(test_line_status_interrupt, setup),
		cmocka_unit_test_setup(test_loopback, setup),
		cmocka_unit_test_setup(test_loopback_break, setup),
		cmocka_unit_test_setup(test_fifo_error_bit, setup),
		cmocka_unit_test_setup(test_modem_status, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * A guest 16550A UART (TI/NS PC16550D datasheet), registers at offsets 0-7
 * from its base port.
 *
 * The line is infinitely fast: a byte leaves the transmitter as soon as the
 * tx callback takes it, and a byte pushed by the operator is received at
 * once.  The divisor latch is kept for the guest but sets no rate.  When tx
 * refuses a byte (returns false), the byte stays in the transmit shift
 * register, later bytes wait in THR (the 16-byte TX FIFO in FIFO mode) and a
 * byte written to a full THR or TX FIFO is lost (tx_dropped); the caller
 * retries with vuart_tx_resume once the sink has room.
 *
 * Receive: vuart_rx_push takes only what fits in RBR (the 16-byte RX FIFO in
 * FIFO mode) and the operator keeps the rest, so operator input never
 * overruns.  Overruns (LSR.OE, counted in overruns) come from loopback, where
 * the guest sends into its own receiver.  Because the line is idle right
 * after each push, the FIFO character timeout has always expired: in FIFO
 * mode IIR reports a timeout (0xc) while the RX FIFO holds fewer bytes than
 * the trigger level, and received data (0x4) from the trigger level up.
 * Reading RBR with nothing received returns the last byte read.
 *
 * The modem inputs of the line are DCD, DSR and CTS asserted and RI not.  In
 * loopback (MCR bit 4) they follow OUT2, DTR, RTS and OUT1, the serial input
 * is disconnected (vuart_rx_push takes nothing), transmitted bytes come back
 * to the receiver, and setting the break bit in LCR receives one break (a
 * zero byte with LSR.BI).
 *
 * The IRQ line is gated by MCR OUT2 as on PCs, where OUT2 enables the
 * board's IRQ driver; in loopback the chip forces OUT2 inactive, so the
 * line stays low whatever IIR says.  irq(arg, level) is called only when the
 * line changes, and it starts low.
 *
 * No locking inside: the caller serialises all calls on one vuart, and the
 * callbacks run under that serialisation.
 */
#ifndef ARCH_VDEV_UART16550_H
#define ARCH_VDEV_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VUART_FIFO   16
#define VUART_NREGS  8
#define VUART_RX_BREAK 0x100       /* in rx_fifo[]: a break received as this zero byte */

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;                /* FIFO enable (0), DMA mode (3), RX trigger (7:6) */
	uint8_t msr;                /* inputs in 7:4, deltas in 3:0 */
	uint8_t lsr_err;            /* OE, PE, FE, BI: kept until LSR is read */
	uint8_t rbr;                /* the last byte read from RBR */
	uint16_t rx_fifo[VUART_FIFO];    /* byte, plus VUART_RX_BREAK for a break */
	unsigned rx_head, rx_count;
	uint8_t tx_fifo[VUART_FIFO];
	unsigned tx_head, tx_count;
	uint8_t tsr;                /* transmit shift register, valid if tsr_full */
	bool tsr_full;
	bool thre_pending;          /* THR emptied since the last THR write or IIR = 0x2 read */
	bool irq_level;
	uint64_t overruns;
	uint64_t tx_dropped;
	bool (*tx)(void *arg, uint8_t byte);
	void (*irq)(void *arg, bool level);
	void *arg;
};

/* Reset state (datasheet table 9 "UART Reset Configuration"). */
void vuart_init(struct vuart *u, bool (*tx)(void *arg, uint8_t byte),
		void (*irq)(void *arg, bool level), void *arg);

/* Guest IN/OUT at offset 0-7 from the base; others read 0xff, writes are ignored. */
uint8_t vuart_read(struct vuart *u, unsigned offset);
void vuart_write(struct vuart *u, unsigned offset, uint8_t val);

/* How many bytes vuart_rx_push would take now. */
size_t vuart_rx_room(const struct vuart *u);

/* Operator input: receives the first bytes of buf that fit; returns how many. */
size_t vuart_rx_push(struct vuart *u, const uint8_t *buf, size_t len);

/* The tx sink has room again: send what the transmitter holds. */
void vuart_tx_resume(struct vuart *u);

#endif

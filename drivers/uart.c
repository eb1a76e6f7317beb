/*
 * 16550 UART (COM1): polled transmit, receive on IRQ 4 into a ring.  The
 * ring has one producer (the IRQ handler) and one consumer (the console),
 * both on the BSP, so head and tail need no lock.
 */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/traps.h>
#include "drivers/uart.h"
#include "log.h"
#include "spinlock.h"

#define RBR 0   /* receive buffer (DLAB=0) */
#define THR 0
#define IER 1
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define DLL 0   /* divisor latch (DLAB=1) */
#define DLM 1

#define LSR_DR   0x01
#define LSR_THRE 0x20

static uint16_t uart_port;
static spinlock_t uart_tx_lock;
static uint8_t rx_ring[UART_RX_RING];
static volatile uint32_t rx_head, rx_tail;
static volatile uint64_t rx_dropped;

void uart_init(uint16_t port, uint32_t baud)
{
	uint16_t div = (uint16_t)(115200 / (baud ? baud : 115200));
	uart_port = port;
	outb(port + IER, 0);
	outb(port + LCR, 0x80);                 /* DLAB */
	outb(port + DLL, (uint8_t)div);
	outb(port + DLM, (uint8_t)(div >> 8));
	outb(port + LCR, 0x03);                 /* 8N1 */
	outb(port + FCR, 0xc7);                 /* FIFOs on and cleared, 14-byte trigger */
	outb(port + MCR, 0x0b);                 /* DTR, RTS, OUT2 (gates the IRQ line on PCs) */
}

static void uart_tx(char c)
{
	for (int spins = 0; !(inb(uart_port + LSR) & LSR_THRE) && spins < 100000; spins++)
		cpu_relax();
	outb(uart_port + THR, (uint8_t)c);
}

static void uart_tx_buf(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			uart_tx('\r');
		uart_tx(s[i]);
	}
}

void uart_putc(char c)
{
	uart_write(&c, 1);
}

void uart_write(const char *s, size_t len)
{
	uint64_t f = spin_lock_irqsave(&uart_tx_lock);
	uart_tx_buf(s, len);
	spin_unlock_irqrestore(&uart_tx_lock, f);
}

void uart_write_raw(const char *s, size_t len)
{
	uart_tx_buf(s, len);
}

/* Drain the FIFO into the ring; bytes beyond the ring are counted, not kept. */
static void uart_rx_drain(void)
{
	for (int n = 0; n < 64 && (inb(uart_port + LSR) & LSR_DR); n++) {
		uint8_t b = inb(uart_port + RBR);
		uint32_t next = (rx_head + 1) % UART_RX_RING;
		if (next == rx_tail) {
			rx_dropped++;
			continue;
		}
		rx_ring[rx_head] = b;
		rx_head = next;
	}
}

static void uart_irq(struct trap_frame *f)
{
	(void)f;
	uart_rx_drain();
}

void uart_enable_rx_irq(void)
{
	if (irq_register(VEC_UART, uart_irq) || ioapic_route_isa(4, VEC_UART, apic_id())) {
		log_warn("uart: no IRQ route for COM1: receiving by polling");
		return;
	}
	outb(uart_port + IER, 0x01);            /* received data available */
}

int uart_getc(void)
{
	/* Polling too keeps the console alive if the IRQ never comes. */
	uint64_t f = irq_save();
	uart_rx_drain();
	irq_restore(f);
	if (rx_tail == rx_head)
		return -1;
	int c = rx_ring[rx_tail];
	rx_tail = (rx_tail + 1) % UART_RX_RING;
	return c;
}

uint64_t uart_rx_dropped(void)
{
	return rx_dropped;
}

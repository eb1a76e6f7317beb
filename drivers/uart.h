/* 16550 UART: polled transmit, interrupt-driven receive into a ring buffer. */
#ifndef PLINTH_UART_H
#define PLINTH_UART_H

#include <stdint.h>
#include <stddef.h>

#define UART_COM1 0x3f8
#define UART_RX_RING 4096

void uart_init(uint16_t port, uint32_t baud);
void uart_putc(char c);
/* Whole writes are not interleaved between CPUs; \n becomes \r\n. */
void uart_write(const char *s, size_t len);
/* No lock: for the exception path only, where the lock holder may be dead. */
void uart_write_raw(const char *s, size_t len);
/* Route the UART's IRQ through the IOAPIC and enable the RX interrupt. */
void uart_enable_rx_irq(void);
/* Next received byte, or -1 if none.  Never blocks. */
int uart_getc(void);
/* Bytes lost because the ring was full. */
uint64_t uart_rx_dropped(void);

#endif

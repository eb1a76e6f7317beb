/*
 * Little-endian stores at any alignment, for the tables and boot data plinth
 * writes for guests (Multiboot and Linux boot data, ACPI tables, PCI config).
 * Byte by byte: the buffer may sit at any offset and the host needs no
 * particular byte order.
 */
#ifndef PLINTH_LE_H
#define PLINTH_LE_H

#include <stdint.h>

static inline void le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	le_put16(p, (uint16_t)v);
	le_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

#endif

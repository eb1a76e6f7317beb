/* Address-space helpers shared by all of core/. */
#ifndef PLINTH_MM_H
#define PLINTH_MM_H

#include <stdint.h>
#include <stddef.h>
#include "boot_info.h"

#define PAGE_SIZE  4096ull
#define PAGE_SHIFT 12
#define PAGE_ALIGN_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE_SIZE - 1))

/* All RAM is mapped (WB, NX) at BOOT_DIRECT_MAP_BASE + phys. */
static inline void *phys_to_virt(uint64_t pa) { return (void *)(BOOT_DIRECT_MAP_BASE + pa); }
uint64_t virt_to_phys(const void *va);

/*
 * Map device registers uncached (4 KiB pages, NX) and return their address.
 * Mappings live for plinth's lifetime; the same range mapped twice shares one
 * mapping.  Returns NULL if the range is not page-representable.
 */
volatile void *mmio_map(uint64_t pa, uint64_t size);

/* Read any physical range (RAM or ACPI tables) through the direct map, or an
 * uncached mapping when it is not RAM.  Used for firmware tables. */
const void *phys_map_ro(uint64_t pa, uint64_t size);

#endif

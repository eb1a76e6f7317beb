/* The core's own address space: direct map, W^X image, MMIO window, heap. */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

#include <stdint.h>
#include "boot_info.h"

#define MMIO_WINDOW_BASE 0xffffc00000000000ull
#define MMIO_WINDOW_SIZE (64ull << 30)
#define HEAP_BASE        0xffffa00000000000ull
#define HEAP_MAX         (16ull << 30)

/* Build the core's tables from the boot map and switch to them. */
int paging_init(const struct boot_info *bi);
uint64_t paging_root(void);
/* Highest physical address covered by the direct map. */
uint64_t paging_direct_top(void);
/* Map fresh frames at [va, va+size) in the core's tables (heap growth). */
int paging_map_fresh(uint64_t va, uint64_t size);

#endif

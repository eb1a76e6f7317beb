/*
 * Physical frame allocator over the boot memory map.  Only BOOT_MEM_FREE
 * ranges are ever handed out: firmware runtime, ACPI, MMIO, reserved and
 * loader-data ranges never are.  SMP-safe (one lock).
 *
 * Free ranges are rounded inward to whole pages, and every page that any
 * non-free range touches is removed from them, so a page shared by a free
 * and a reserved range is never used.  Each resulting region has a bitmap
 * (bit set = in use); all bitmaps sit together at the start of the lowest
 * free region big enough to hold them, and those frames count as in use.
 */
#ifndef PLINTH_FRAME_H
#define PLINTH_FRAME_H

#include <stdint.h>
#include <stddef.h>
#include "boot_info.h"

#define FRAME_NONE ((uint64_t)-1)
#define FRAME_SIZE 4096ull

/* Regions after clipping: never more than the ranges of the map. */
#define FRAME_MAX_REGIONS BOOT_MEM_MAX

/*
 * Build the allocator from the map.  The allocator's own bookkeeping is
 * carved out of the free ranges.  `phys_to_ptr` turns a physical address of
 * bookkeeping memory into a pointer (the direct map in the core; host tests
 * pass their own); a physically contiguous span must map to a contiguous
 * one.  Frames below `low_limit` (e.g. 1 MiB) are never used.  Returns 0, or
 * -1 after logging why (no free memory, bad arguments).  Calling it again
 * discards the previous state (host tests do; the core calls it once).
 */
int frame_init(const struct boot_mem_range *map, uint32_t n, uint64_t low_limit,
	       void *(*phys_to_ptr)(uint64_t pa));

uint64_t frame_alloc(void);                          /* one zeroed 4 KiB frame, or FRAME_NONE */
/*
 * `count` zeroed frames, physically contiguous, the first frame number a
 * multiple of `align_frames` (a power of two; 0 means 1), and the whole run
 * below the physical address `below` (0 = no limit).  FRAME_NONE if none.
 */
uint64_t frame_alloc_contig(uint64_t count, uint64_t align_frames, uint64_t below);  /* zeroed */
/*
 * Return frames.  Freeing a frame that is not allocated, not managed, not
 * page aligned or part of the bookkeeping logs an error and changes nothing;
 * frame_free_contig checks the whole run before freeing any of it.
 */
void frame_free(uint64_t pa);
void frame_free_contig(uint64_t pa, uint64_t count);

struct frame_stats {
	uint64_t total;          /* frames the allocator manages (bookkeeping included) */
	uint64_t free;           /* of which free now */
	uint64_t bookkeeping;    /* of which hold the allocator's bitmaps */
	uint32_t regions;        /* contiguous managed regions */
};
struct frame_stats frame_stats(void);

/*
 * The memory map as the `mem` console command shows it (core/mem_cmd.c).
 * The lead calls mem_set_map() once at boot with boot_info's map; it keeps
 * a sorted copy, so the caller's memory may be reused afterwards.
 *
 * "RAM" means the RAM-like types: FREE, LOADED, FIRMWARE, ACPI_RECLAIM and
 * ACPI_NVS.  MMIO, RESERVED, BAD and PERSISTENT are not counted: firmware
 * reports device windows (e.g. PCIe ECAM) as reserved, so counting them
 * would overstate RAM.  On q35 the sum comes close to QEMU's `-m` (minus the
 * legacy VGA/ROM hole and whatever the firmware keeps hidden).
 */
void mem_set_map(const struct boot_mem_range *map, uint32_t n);
const char *mem_type_name(uint32_t type);
uint64_t mem_ram_bytes(const struct boot_mem_range *map, uint32_t n);  /* union, overlaps counted once */
/*
 * Print the summary: ranges and size per type, a line "ram: N MiB", and
 * "frames: free F of T (FM MiB of TM MiB)".  verbose also lists every range.
 */
void mem_print(const struct boot_mem_range *map, uint32_t n, int verbose);

#endif

/*
 * A 4-level x86-64 page-table builder over caller-supplied frames.
 *
 * Pure logic with no libc: the UEFI loader uses it for the hand-off tables,
 * the core for its own tables (and later for nested page tables, which share
 * the format).  Frames are allocated and reached through callbacks.
 */
#ifndef ARCH_PAGETABLE_H
#define ARCH_PAGETABLE_H

#include <stdint.h>

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

#define PT_SIZE_4K (1ull << 12)
#define PT_SIZE_2M (1ull << 21)
#define PT_SIZE_1G (1ull << 30)

struct pt {
	uint64_t root;                              /* physical address of the PML4 */
	uint64_t (*alloc)(void *arg);               /* a zeroed frame, or 0 */
	void *(*ptr)(uint64_t pa, void *arg);       /* reach a table frame */
	void *arg;
	uint64_t max_page;                          /* largest leaf to use: 4K, 2M or 1G */
	uint64_t table_flags;                       /* flags of non-leaf entries (P|W[|U]) */
};

/* Allocate the root.  Returns 0 or -1. */
int pt_init(struct pt *pt);

/*
 * Map [va, va+size) to [pa, pa+size) with leaf flags (PTE_P is implied).
 * va, pa and size must be 4 KiB aligned.  Large leaves are used where
 * alignment and max_page allow.  Existing leaves in the range are replaced;
 * a large leaf that only partly overlaps is split first.  Returns 0 or -1
 * (misaligned, non-canonical, out of frames).
 */
int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags);

/* Remove mappings in [va, va+size) (splitting large leaves).  Returns 0 or -1. */
int pt_unmap(struct pt *pt, uint64_t va, uint64_t size);

/*
 * Translate va: returns the physical address, or -1 if not mapped; *flags
 * gets the leaf's flags and *page_size its size when non-NULL.
 */
uint64_t pt_lookup(const struct pt *pt, uint64_t va, uint64_t *flags, uint64_t *page_size);

/* Free every table frame (never the frames leaves point at); root becomes 0. */
void pt_destroy(struct pt *pt, void (*free_frame)(uint64_t pa, void *arg));

#endif

/*
 * The core's page tables, built once at boot from the boot memory map:
 *   - a direct map of RAM at BOOT_DIRECT_MAP_BASE (2 MiB pages, RW, NX);
 *   - the core image: text R+X, rodata R+NX, data/bss RW+NX (W^X);
 *   - an uncached MMIO window filled by mmio_map();
 *   - the heap, grown on demand by _sbrk.
 * Only the upper half is used, so guests can later share nothing with it.
 */
#include <string.h>
#include <arch/cpu.h>
#include <arch/pagetable.h>
#include <arch/paging.h>
#include "frame.h"
#include "log.h"
#include "mm.h"
#include "spinlock.h"

extern const char __core_start[], __rodata_start[], __data_start[], __core_end[];

static struct pt kpt;
static uint64_t direct_top;
static uint64_t mmio_next = MMIO_WINDOW_BASE;
static spinlock_t paging_lock;

#define MMIO_SLOTS 64
static struct { uint64_t pa, size; uint64_t va; } mmio_slots[MMIO_SLOTS];
static unsigned mmio_nslots;

static uint64_t kpt_alloc(void *arg)
{
	(void)arg;
	uint64_t pa = frame_alloc();
	return pa == FRAME_NONE ? 0 : pa;
}

static void *kpt_ptr(uint64_t pa, void *arg)
{
	(void)arg;
	return phys_to_virt(pa);
}

uint64_t virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)va;
	if (v >= BOOT_DIRECT_MAP_BASE && v < BOOT_DIRECT_MAP_BASE + direct_top)
		return v - BOOT_DIRECT_MAP_BASE;
	return pt_lookup(&kpt, v, NULL, NULL);
}

/* The linker script page-aligns each part, so the permissions never share a page. */
static int map_image(const struct boot_info *bi)
{
	uint64_t base = (uint64_t)__core_start, pa = bi->core_phys;
	uint64_t ro = (uint64_t)__rodata_start - base;
	uint64_t rw = (uint64_t)__data_start - base;
	uint64_t end = PAGE_ALIGN_UP((uint64_t)__core_end - base);
	return pt_map(&kpt, base, pa, ro, PTE_G) ||
	       pt_map(&kpt, base + ro, pa + ro, rw - ro, PTE_G | PTE_NX) ||
	       pt_map(&kpt, base + rw, pa + rw, end - rw, PTE_G | PTE_W | PTE_NX);
}

int paging_init(const struct boot_info *bi)
{
	direct_top = 4ull << 30;
	for (uint32_t i = 0; i < bi->nmem; i++) {
		uint64_t end = bi->mem[i].base + bi->mem[i].size;
		if (bi->mem[i].type != BOOT_MEM_MMIO && end > direct_top)
			direct_top = end;
	}
	direct_top = (direct_top + PT_SIZE_2M - 1) & ~(PT_SIZE_2M - 1);

	kpt = (struct pt){ .alloc = kpt_alloc, .ptr = kpt_ptr, .max_page = PT_SIZE_2M };
	if (pt_init(&kpt) ||
	    pt_map(&kpt, BOOT_DIRECT_MAP_BASE, 0, direct_top, PTE_W | PTE_NX | PTE_G) ||
	    map_image(bi))
		return -1;
	write_cr4(read_cr4() | (1u << 7));      /* PGE: global kernel mappings */
	write_cr3(kpt.root);
	return 0;
}

uint64_t paging_root(void)
{
	return kpt.root;
}

uint64_t paging_direct_top(void)
{
	return direct_top;
}

int paging_map_fresh(uint64_t va, uint64_t size)
{
	spin_lock(&paging_lock);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		uint64_t pa = frame_alloc();
		if (pa == FRAME_NONE || pt_map(&kpt, va + off, pa, PAGE_SIZE, PTE_W | PTE_NX | PTE_G)) {
			spin_unlock(&paging_lock);
			return -1;
		}
	}
	spin_unlock(&paging_lock);
	return 0;
}

volatile void *mmio_map(uint64_t pa, uint64_t size)
{
	uint64_t first = PAGE_ALIGN_DOWN(pa), last = PAGE_ALIGN_UP(pa + size);
	if (!size || last <= first || last - first > (1ull << 30))
		return NULL;
	spin_lock(&paging_lock);
	for (unsigned i = 0; i < mmio_nslots; i++)
		if (mmio_slots[i].pa <= first && mmio_slots[i].pa + mmio_slots[i].size >= last) {
			uint64_t va = mmio_slots[i].va + (pa - mmio_slots[i].pa);
			spin_unlock(&paging_lock);
			return (volatile void *)va;
		}
	uint64_t va = mmio_next;
	/* Large ranges (PCI ECAM) get the same offset in a 2 MiB page as their
	 * physical address, so pt_map can use 2 MiB leaves. */
	if (last - first >= PT_SIZE_2M)
		va = ((va + PT_SIZE_2M - 1) & ~(PT_SIZE_2M - 1)) + (first & (PT_SIZE_2M - 1));
	if (va + (last - first) > MMIO_WINDOW_BASE + MMIO_WINDOW_SIZE ||
	    pt_map(&kpt, va, first, last - first, PTE_W | PTE_NX | PTE_PCD | PTE_PWT | PTE_G)) {
		spin_unlock(&paging_lock);
		log_err("mmio: cannot map %#lx+%#lx", pa, size);
		return NULL;
	}
	mmio_next = va + (last - first) + PAGE_SIZE;   /* a guard page between mappings */
	if (mmio_nslots < MMIO_SLOTS)
		mmio_slots[mmio_nslots++] = (__typeof__(mmio_slots[0])){ first, last - first, va };
	spin_unlock(&paging_lock);
	return (volatile void *)(va + (pa - first));
}

const void *phys_map_ro(uint64_t pa, uint64_t size)
{
	if (pa + size < pa)
		return NULL;
	if (pa + size <= direct_top)
		return phys_to_virt(pa);
	return (const void *)mmio_map(pa, size);
}

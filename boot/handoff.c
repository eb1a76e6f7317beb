/*
 * Placing the embedded core, building the hand-off page tables, leaving
 * boot services and jumping to the core.
 */
#include "loader.h"
#include <arch/cpu.h>
#include <arch/pagetable.h>
#include <elf.h>

extern const uint8_t core_blob_start[], core_blob_end[];

#define MAX_IDENT_TOP (512ull << 30)   /* one PML4 slot of identity/direct map */

EFI_STATUS core_load(uint64_t *entry, uint64_t *image_end_virt)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)core_blob_start;
	uint64_t blob = (uint64_t)(core_blob_end - core_blob_start);
	if (blob < sizeof(*eh) || CompareMem((void *)eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > blob)
		return EFI_LOAD_ERROR;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(core_blob_start + eh->e_phoff);
	uint64_t lo = ~0ull, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_offset + ph[i].p_filesz > blob || ph[i].p_filesz > ph[i].p_memsz ||
		    ph[i].p_vaddr < BOOT_CORE_VIRT_BASE)
			return EFI_LOAD_ERROR;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (lo != BOOT_CORE_VIRT_BASE || hi <= lo || hi - lo > (64ull << 20))
		return EFI_LOAD_ERROR;
	uint64_t size = (hi - lo + 4095) & ~4095ull;
	uint64_t pa = boot_alloc_pages(size / 4096, ~0ull);
	if (!pa)
		return EFI_OUT_OF_RESOURCES;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			CopyMem((void *)(pa + ph[i].p_vaddr - lo), (void *)(core_blob_start + ph[i].p_offset),
				ph[i].p_filesz);
	bi->core_phys = pa;
	bi->core_size = size;
	*entry = eh->e_entry;
	*image_end_virt = lo + size;
	return EFI_SUCCESS;
}

/* Page-table frames come from a pool taken before ExitBootServices. */
struct pool { uint64_t next, end; };

static uint64_t pool_alloc(void *arg)
{
	struct pool *p = arg;
	if (p->next >= p->end)
		return 0;
	uint64_t pa = p->next;
	p->next += 4096;
	return pa;
}

static void *pool_ptr(uint64_t pa, void *arg)
{
	(void)arg;
	return (void *)pa;
}

static uint32_t mem_type(uint32_t efi)
{
	switch (efi) {
	case EfiConventionalMemory: case EfiBootServicesCode:
	case EfiBootServicesData: case EfiLoaderCode:
		return BOOT_MEM_FREE;
	case EfiLoaderData:             return BOOT_MEM_LOADED;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:    return BOOT_MEM_FIRMWARE;
	case EfiACPIReclaimMemory:      return BOOT_MEM_ACPI_RECLAIM;
	case EfiACPIMemoryNVS:          return BOOT_MEM_ACPI_NVS;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace: return BOOT_MEM_MMIO;
	case EfiUnusableMemory:         return BOOT_MEM_BAD;
	case 14: /* EfiPersistentMemory */ return BOOT_MEM_PERSISTENT;
	default:                        return BOOT_MEM_RESERVED;
	}
}

/* Convert the firmware map: sorted by base, adjacent same-type ranges merged. */
static void convert_map(const uint8_t *map, uint64_t size, uint64_t desc_size)
{
	bi->nmem = 0;
	for (uint64_t off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		struct boot_mem_range r = {
			.base = d->PhysicalStart, .size = d->NumberOfPages * 4096,
			.type = mem_type(d->Type), .efi_type = d->Type,
		};
		if (!r.size)
			continue;
		uint32_t i = bi->nmem;
		if (i == BOOT_MEM_MAX)
			break;
		while (i > 0 && bi->mem[i - 1].base > r.base) {
			bi->mem[i] = bi->mem[i - 1];
			i--;
		}
		bi->mem[i] = r;
		bi->nmem++;
	}
	uint32_t out = 0;
	for (uint32_t i = 0; i < bi->nmem; i++) {
		struct boot_mem_range *p = out ? &bi->mem[out - 1] : 0;
		if (p && p->type == bi->mem[i].type && p->efi_type == bi->mem[i].efi_type &&
		    p->base + p->size == bi->mem[i].base)
			p->size += bi->mem[i].size;
		else
			bi->mem[out++] = bi->mem[i];
	}
	bi->nmem = out;
}

static uint64_t map_top(const uint8_t *map, uint64_t size, uint64_t desc_size)
{
	uint64_t top = 4ull << 30;
	for (uint64_t off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		uint64_t end = d->PhysicalStart + d->NumberOfPages * 4096;
		if (mem_type(d->Type) != BOOT_MEM_MMIO && end > top)
			top = end;
	}
	if (top > MAX_IDENT_TOP)
		top = MAX_IDENT_TOP;
	return (top + PT_SIZE_2M - 1) & ~(PT_SIZE_2M - 1);
}

EFI_STATUS handoff(EFI_HANDLE image, uint64_t entry, uint64_t core_virt_end)
{
	UINTN map_size = 0, key, desc_size;
	UINT32 desc_ver;
	uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &key, &desc_size, &desc_ver);
	/* Room for the map to grow with our own allocations below. */
	uint64_t buf_size = map_size + 64 * desc_size + 4096;
	uint8_t *map = (uint8_t *)boot_alloc_pages((buf_size + 4095) / 4096, ~0ull);
	if (!map)
		return EFI_OUT_OF_RESOURCES;
	map_size = buf_size;
	EFI_STATUS st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map,
					  &key, &desc_size, &desc_ver);
	if (st != EFI_SUCCESS)
		return st;
	uint64_t top = map_top(map, map_size, desc_size);

	uint64_t pool_pages = top / PT_SIZE_1G + bi->core_size / PT_SIZE_2M + 16;
	struct pool pool;
	pool.next = boot_alloc_pages(pool_pages, ~0ull);
	pool.end = pool.next + pool_pages * 4096;
	if (!pool.next)
		return EFI_OUT_OF_RESOURCES;
	struct pt pt = { .alloc = pool_alloc, .ptr = pool_ptr, .arg = &pool, .max_page = PT_SIZE_2M };
	if (pt_init(&pt) || pt_map(&pt, 0, 0, top, PTE_W) ||
	    pt_map(&pt, BOOT_CORE_VIRT_BASE, bi->core_phys, core_virt_end - BOOT_CORE_VIRT_BASE, PTE_W))
		return EFI_OUT_OF_RESOURCES;
	/* The direct map shares the identity map's tables. */
	uint64_t *pml4 = (uint64_t *)pt.root;
	for (uint64_t i = 0; i < top / (512ull << 30) + !!(top % (512ull << 30)); i++)
		pml4[256 + i] = pml4[i];
	boot_log("plinth: handing off to the core (%ld KiB at 0x%lx)", bi->core_size >> 10, bi->core_phys);

	uint64_t t_exit = rdtsc();
	/* After a failed ExitBootServices only GetMemoryMap may be called again. */
	for (int tries = 0; tries < 8; tries++) {
		map_size = buf_size;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, (EFI_MEMORY_DESCRIPTOR *)map,
				       &key, &desc_size, &desc_ver);
		if (st != EFI_SUCCESS)
			return st;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
		if (st == EFI_SUCCESS)
			break;
	}
	if (st != EFI_SUCCESS)
		return st;

	/* Boot services are gone: no more firmware calls from here on. */
	bi->tsc_exit_bs = rdtsc() - t_exit;
	convert_map(map, map_size, desc_size);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	bi->tsc_handoff = rdtsc();
	__asm__ volatile("cli\n\t"
			 "mov %0, %%cr3\n\t"
			 "mov %1, %%rdi\n\t"
			 "jmp *%2"
			 : : "r"(pt.root), "r"((uint64_t)bi), "r"(entry) : "rdi", "memory");
	__builtin_unreachable();
}

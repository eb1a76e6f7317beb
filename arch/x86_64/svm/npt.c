/*
 * A VM's nested page tables and permission maps (APM 15.25, 15.10, 15.11).
 * The NPT uses the shared 4-level builder (arch/pagetable.h): guest RAM goes
 * in as 2 MiB leaves where it is aligned, 4 KiB otherwise; nothing else is
 * mapped, so every other GPA is a #NPF that the MMIO path sees.
 */
#include <string.h>
#include "frame.h"
#include "mm.h"
#include <arch/pc.h>
#include "vm.h"
#include "svm.h"

#define IOPM_PAGES  3   /* 64 K ports + 1 byte for accesses that cross 0xffff */
#define MSRPM_PAGES 2

/* MSRs whose state VMRUN/VMLOAD swap, so the guest may own them outright. */
static const uint32_t msr_passthrough[] = {
	0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,     /* STAR, LSTAR, CSTAR, SFMASK */
	0xc0000100, 0xc0000101, 0xc0000102,                 /* FS, GS, KERNEL_GS base */
	0x174, 0x175, 0x176,                                /* SYSENTER_CS/ESP/EIP */
	0x277,                                              /* PAT: the VMCB's g_pat under NPT */
};

static uint64_t npt_alloc(void *arg)
{
	struct vm *vm = arg;
	uint64_t pa = frame_alloc();

	if (pa == FRAME_NONE)
		return 0;
	vm->arch.npt_pages++;
	return pa;
}

static void *npt_ptr(uint64_t pa, void *arg)
{
	(void)arg;
	return phys_to_virt(pa);
}

static void npt_free(uint64_t pa, void *arg)
{
	struct vm *vm = arg;

	frame_free(pa);
	vm->arch.npt_pages--;
}

/* MSRPM offset of msr's two bits (read, write), or -1 if it has none (always intercepted). */
static long msrpm_bit(uint32_t msr)
{
	if (msr <= 0x1fff)
		return (long)msr * 2;
	if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		return 0x800 * 8 + (long)(msr - 0xc0000000) * 2;
	if (msr >= 0xc0010000 && msr <= 0xc0011fff)
		return 0x1000 * 8 + (long)(msr - 0xc0010000) * 2;
	return -1;
}

static void msrpm_allow(uint8_t *pm, uint32_t msr, bool read, bool write)
{
	long bit = msrpm_bit(msr);

	if (bit < 0)
		return;
	if (read)
		pm[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	if (write)
		pm[(bit + 1) / 8] &= (uint8_t)~(1u << ((bit + 1) % 8));
}

int vm_arch_init(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;

	memset(a, 0, sizeof(*a));
	a->npt = (struct pt){ .alloc = npt_alloc, .ptr = npt_ptr, .arg = vm,
			      .max_page = PT_SIZE_2M, .table_flags = PTE_P | PTE_W | PTE_U };
	a->iopm_pa = frame_alloc_contig(IOPM_PAGES, 1, 0);
	a->msrpm_pa = frame_alloc_contig(MSRPM_PAGES, 1, 0);
	if (a->iopm_pa == FRAME_NONE || a->msrpm_pa == FRAME_NONE || pt_init(&a->npt)) {
		vm_arch_free(vm);
		return -1;
	}
	a->iopm = phys_to_virt(a->iopm_pa);
	a->msrpm = phys_to_virt(a->msrpm_pa);
	/* Every port and every MSR is intercepted unless listed. */
	memset(a->iopm, 0xff, IOPM_PAGES * PAGE_SIZE);
	memset(a->msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
	for (size_t i = 0; i < sizeof(msr_passthrough) / sizeof(msr_passthrough[0]); i++)
		msrpm_allow(a->msrpm, msr_passthrough[i], true, true);
	return 0;
}

void vm_arch_free(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;

	if (a->npt.root)
		pt_destroy(&a->npt, npt_free);
	if (a->iopm_pa && a->iopm_pa != FRAME_NONE)
		frame_free_contig(a->iopm_pa, IOPM_PAGES);
	if (a->msrpm_pa && a->msrpm_pa != FRAME_NONE)
		frame_free_contig(a->msrpm_pa, MSRPM_PAGES);
	a->iopm_pa = a->msrpm_pa = 0;
	a->iopm = a->msrpm = NULL;
	pc_free(vm);
}

int vm_arch_map_ram(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size)
{
	/* U=1: the NPT walk treats every guest access as a user access (APM 15.25.5). */
	return pt_map(&vm->arch.npt, gpa, hpa, size, PTE_W | PTE_U);
}

uint64_t vm_arch_overhead(struct vm *vm)
{
	return (IOPM_PAGES + MSRPM_PAGES + vm->arch.npt_pages + vm->nvcpus) * PAGE_SIZE;
}

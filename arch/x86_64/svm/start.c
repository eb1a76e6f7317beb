/*
 * Default intercepts and the start state of a vCPU (docs/guests.md), and the
 * boot data the arch side writes into the guest: a GDT and, for ELF64
 * guests, identity page tables.
 */
#include <string.h>
#include "loader.h"
#include "plinth_abi.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define GUEST_GDT   0x1000u
#define GUEST_PML4  0x2000u
#define GUEST_PDPT  0x3000u
#define GUEST_PD    0x4000u     /* four PDs: identity over the first 4 GiB */
#define SEL_CODE64  0x08
#define SEL_DATA    0x10
#define SEL_CODE32  0x18


static const uint64_t guest_gdt[4] = {
	0,
	0x00af9b000000ffffull,  /* 0x08: 64-bit code */
	0x00cf93000000ffffull,  /* 0x10: flat data */
	0x00cf9b000000ffffull,  /* 0x18: flat 32-bit code */
};

/* The Linux 64-bit boot protocol wants __BOOT_CS = 0x10 and __BOOT_DS = 0x18. */
#define SEL_LINUX_CS 0x10
#define SEL_LINUX_DS 0x18
#define LINUX_RSP    0x0ff0     /* page 0: below the boot area, never loaded into */
static const uint64_t linux_gdt[4] = {
	0,
	0,
	0x00af9b000000ffffull,  /* 0x10: 64-bit code */
	0x00cf93000000ffffull,  /* 0x18: flat data */
};

int vm_arch_boot_setup(struct vm *vm, int kind, uint64_t entry, uint64_t boot_gpa)
{
	uint64_t e;

	vm->arch.boot_kind = kind;
	vm->arch.entry = entry;
	vm->arch.boot_gpa = boot_gpa;
	if (vm_copy_to(vm, GUEST_GDT, kind == LOAD_LINUX ? linux_gdt : guest_gdt, sizeof(guest_gdt)))
		return -1;
	if (kind == LOAD_MULTIBOOT)
		return 0;
	e = GUEST_PDPT | PTE_P | PTE_W;
	if (vm_copy_to(vm, GUEST_PML4, &e, sizeof(e)))
		return -1;
	for (uint64_t i = 0; i < 4; i++) {
		e = (GUEST_PD + i * 0x1000) | PTE_P | PTE_W;
		if (vm_copy_to(vm, GUEST_PDPT + i * 8, &e, sizeof(e)))
			return -1;
	}
	for (uint64_t i = 0; i < 4 * 512; i++) {
		e = (i << 21) | PTE_P | PTE_W | PTE_PS;
		if (vm_copy_to(vm, GUEST_PD + i * 8, &e, sizeof(e)))
			return -1;
	}
	return 0;
}

static void seg_set(struct vmcb_seg *s, uint16_t sel, uint16_t attr, uint32_t limit)
{
	*s = (struct vmcb_seg){ .sel = sel, .attr = attr, .limit = limit, .base = 0 };
}

void svm_vmcb_init(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vmcb_control *c = &v->arch.vmcb->ctl;
	struct vmcb_save *s = &v->arch.vmcb->save;
	bool linux = vm->arch.boot_kind == LOAD_LINUX;
	bool lm = vm->arch.boot_kind == LOAD_ELF64 || linux;

	c->icpt1 = ICPT1_INTR | ICPT1_NMI | ICPT1_SMI | ICPT1_INIT | ICPT1_CPUID |
		   ICPT1_INVD | ICPT1_HLT | ICPT1_INVLPGA | ICPT1_IOIO | ICPT1_MSR |
		   ICPT1_SHUTDOWN;
	c->icpt2 = ICPT2_VMRUN | ICPT2_VMMCALL | ICPT2_VMLOAD | ICPT2_VMSAVE | ICPT2_STGI |
		   ICPT2_CLGI | ICPT2_SKINIT | ICPT2_MONITOR | ICPT2_MWAIT | ICPT2_MWAIT_C |
		   ICPT2_XSETBV;
	c->iopm_pa = vm->arch.iopm_pa;
	c->msrpm_pa = vm->arch.msrpm_pa;
	/* Guest IF masks only virtual interrupts; physical ones always exit. */
	c->vintr = VINTR_MASKING;
	c->np_ctl = 1;
	c->n_cr3 = vm->arch.npt.root;

	seg_set(&s->cs, lm ? SEL_CODE64 : SEL_CODE32, lm ? SEG_CODE64 : SEG_CODE32, 0xffffffff);
	seg_set(&s->ds, SEL_DATA, SEG_DATA, 0xffffffff);
	seg_set(&s->es, SEL_DATA, SEG_DATA, 0xffffffff);
	seg_set(&s->ss, SEL_DATA, SEG_DATA, 0xffffffff);
	seg_set(&s->fs, SEL_DATA, SEG_DATA, 0xffffffff);
	seg_set(&s->gs, SEL_DATA, SEG_DATA, 0xffffffff);
	seg_set(&s->tr, 0, SEG_TSS64, 0x67);
	seg_set(&s->ldtr, 0, SEG_LDT, 0);
	s->gdtr = (struct vmcb_seg){ .limit = sizeof(guest_gdt) - 1, .base = GUEST_GDT };
	s->idtr = (struct vmcb_seg){ .limit = 0, .base = 0 };
	s->cpl = 0;
	s->rflags = 2;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ull;   /* the reset value */
	s->rip = vm->arch.entry;
	if (lm) {
		s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
		s->cr3 = GUEST_PML4;
		s->cr4 = CR4_PAE;
		s->efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME;
		s->rsp = vm->ram_size - (uint64_t)v->id * PL_STACK_PER_VCPU;
		v->arch.gprs.rdi = vm->arch.boot_gpa;
		v->arch.gprs.rsi = v->id;
	} else {
		s->cr0 = CR0_PE | CR0_ET;
		s->efer = EFER_SVME;    /* VMRUN requires it; the guest's view hides it */
		s->rax = 0x2badb002;    /* Multiboot v1 3.2: the boot loader's magic */
		v->arch.gprs.rbx = vm->arch.boot_gpa;
	}
	if (linux) {
		/* Linux boot protocol, 64-bit entry: RSI = boot_params, its selectors. */
		seg_set(&s->cs, SEL_LINUX_CS, SEG_CODE64, 0xffffffff);
		seg_set(&s->ds, SEL_LINUX_DS, SEG_DATA, 0xffffffff);
		seg_set(&s->es, SEL_LINUX_DS, SEG_DATA, 0xffffffff);
		seg_set(&s->ss, SEL_LINUX_DS, SEG_DATA, 0xffffffff);
		s->efer = EFER_LME | EFER_LMA | EFER_SVME;
		s->rsp = LINUX_RSP;
		v->arch.gprs.rdi = 0;
		v->arch.gprs.rsi = vm->arch.boot_gpa;
	}
	v->arch.efer = s->efer & ~EFER_SVME;
}

/* Real mode as a SIPI leaves an AP (SDM 9.4.4, table 9-1 for the rest). */
void vcpu_arch_sipi(struct vcpu *v, uint8_t vector)
{
	struct vmcb_save *s = &v->arch.vmcb->save;

	vcpu_arch_reset(v);
	seg_set(&s->cs, (uint16_t)(vector << 8), SEG_REAL_CODE, 0xffff);
	s->cs.base = (uint64_t)vector << 12;
	seg_set(&s->ds, 0, SEG_REAL_DATA, 0xffff);
	seg_set(&s->es, 0, SEG_REAL_DATA, 0xffff);
	seg_set(&s->ss, 0, SEG_REAL_DATA, 0xffff);
	seg_set(&s->fs, 0, SEG_REAL_DATA, 0xffff);
	seg_set(&s->gs, 0, SEG_REAL_DATA, 0xffff);
	seg_set(&s->tr, 0, SEG_TSS16, 0xffff);
	seg_set(&s->ldtr, 0, SEG_LDT, 0xffff);
	s->gdtr = (struct vmcb_seg){ .limit = 0xffff };
	s->idtr = (struct vmcb_seg){ .limit = 0xffff };
	s->cr0 = CR0_ET | CR0_CD | CR0_NW;
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = EFER_SVME;
	s->rflags = 2;
	s->rip = 0;
	s->rsp = 0;
	v->arch.efer = 0;
}

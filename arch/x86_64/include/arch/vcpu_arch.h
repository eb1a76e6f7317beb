/*
 * The x86-64 part of a vCPU, embedded in struct vcpu (core/vcpu.h).  The
 * vendor code (svm/) owns the control block; core/ sees the registers.
 */
#ifndef ARCH_VCPU_ARCH_H
#define ARCH_VCPU_ARCH_H

#include <stdint.h>
#include <stdbool.h>
#include "../../svm/vmcb.h"

/*
 * Guest GPRs that VMRUN does not keep in the VMCB (RAX and RSP live there).
 * The order is the one entry.S saves and loads (offsets in asm_offsets.h).
 */
struct guest_gprs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* A long hypercall's saved progress (invariant 2): valid only for the same call. */
struct hc_progress {
	bool valid;
	uint64_t rip, nr, args[3];
	uint64_t done;                      /* bytes completed */
};

struct vcpu_arch {
	struct guest_gprs gprs;
	struct vmcb *vmcb;
	uint64_t vmcb_pa;
	uint32_t asid;
	uint32_t asid_cpu;                  /* the pCPU the ASID belongs to */
	uint64_t asid_gen;
	uint32_t last_cpu;                  /* flush the TLB when the vCPU moves */
	uint64_t pending_irqs[4];           /* vectors 0..255 waiting (invariant 3) */
	bool irq_window;                    /* VINTR requested */
	struct hc_progress hc;
	uint64_t efer;                      /* the EFER the guest sees (no SVME) */
	/*
	 * Added at the end: the need_resched flag of the pCPU this entry runs
	 * on, set by vcpu_arch_enter for the VMRUN stub's invariant-1 check.
	 */
	const volatile bool *need_resched;
	/*
	 * Linux VMs: NMIs are blocked from an NMI's injection until its
	 * handler's IRET has executed.  The IRET is intercepted; blocking ends
	 * at the first exit after it whose RIP is elsewhere (svm/inject_pc.c).
	 */
	bool nmi_masked;
	bool nmi_iret;                      /* the IRET was seen at nmi_iret_rip */
	uint64_t nmi_iret_rip;
};

/* Guest register access for generic code (hypercalls); inline, they are on every exit path. */
static inline uint64_t vcpu_arch_rax(struct vcpu_arch *a) { return a->vmcb->save.rax; }
static inline void vcpu_arch_set_rax(struct vcpu_arch *a, uint64_t v) { a->vmcb->save.rax = v; }
static inline uint64_t vcpu_arch_rip(struct vcpu_arch *a) { return a->vmcb->save.rip; }
static inline unsigned vcpu_arch_cpl(struct vcpu_arch *a) { return a->vmcb->save.cpl; }

/*
 * TCG has no NRIP save, so the exit handlers advance RIP by the length of
 * the instruction they know caused the exit.  Leaving the instruction also
 * ends an STI/MOV SS interrupt shadow.
 */
static inline void vcpu_arch_skip(struct vcpu_arch *a, uint64_t len)
{
	a->vmcb->save.rip += len;
	a->vmcb->ctl.int_state &= ~1ull;
}

/* Hypercall argument n: RDI, RSI, RDX, R10, R8 (guest-abi/plinth_abi.h). */
static inline uint64_t vcpu_arch_hc_arg(const struct vcpu_arch *a, unsigned n)
{
	switch (n) {
	case 0: return a->gprs.rdi;
	case 1: return a->gprs.rsi;
	case 2: return a->gprs.rdx;
	case 3: return a->gprs.r10;
	default: return a->gprs.r8;
	}
}
struct vcpu;
/* Start the vCPU from a SIPI: real mode at CS = vector << 8, IP = 0 (SDM 9.4.4). */
void vcpu_arch_sipi(struct vcpu *v, uint8_t vector);
/* Queue an external interrupt for the vCPU (delivered exactly once). */
void vcpu_arch_queue_irq(struct vcpu *v, uint8_t vector);

#endif

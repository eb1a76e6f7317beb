/*
 * AMD SVM: per-CPU enablement, ASIDs, and one guest entry (vcpu_arch_enter)
 * with its exit (vcpu_arch_exit).  The loop around them is core/sched.c.
 */
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include "frame.h"
#include "hypercall.h"
#include "log.h"
#include "mm.h"
#include "vcpu.h"
#include "vm.h"
#include <arch/pc.h>
#include "sched.h"
#include "svm.h"

struct svm_cpu svm_cpus[MAX_CPUS];
static uint32_t svm_max_asid;

bool svm_supported(const char **why)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x8000000a) {
		*why = "no extended CPUID leaf 0x8000000a";
		return false;
	}
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(c & (1u << 2))) {
		*why = "the CPU has no SVM (CPUID 0x80000001 ECX bit 2)";
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		*why = "SVM is disabled by the firmware (VM_CR.SVMDIS)";
		return false;
	}
	cpuid(0x8000000a, 0, &a, &b, &c, &d);
	if (!(d & 1u)) {
		*why = "the CPU has no nested paging (CPUID 0x8000000a EDX bit 0)";
		return false;
	}
	if (b < 2) {
		*why = "the CPU reports no guest ASIDs";
		return false;
	}
	svm_max_asid = b - 1;
	return true;
}

int vcpu_arch_cpu_init(void) { return svm_cpu_init(); }
bool vcpu_arch_cpu_ready(uint32_t cpu) { return cpu < MAX_CPUS && svm_cpus[cpu].ready; }

void vcpu_arch_requests(struct vcpu *v, uint32_t reqs)
{
	/* INJECT needs nothing here: the next entry injects what is pending. */
	if (reqs & VCPU_REQ_FLUSH)
		v->arch.vmcb->ctl.tlb_ctl = 1;
}

int svm_cpu_init(void)
{
	struct svm_cpu *s = &svm_cpus[this_cpu()->cpu];
	const char *why;

	if (!svm_supported(&why))
		return -1;
	s->hsave_pa = frame_alloc();
	s->host_vmcb_pa = frame_alloc();
	if (s->hsave_pa == FRAME_NONE || s->host_vmcb_pa == FRAME_NONE)
		return -1;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, s->hsave_pa);
	/* Host FS/GS/TR/LDTR/STAR... never change after cpu_init(): save them once. */
	__asm__ volatile("vmsave %%rax" : : "a"(s->host_vmcb_pa) : "memory");
	s->next_asid = 1;
	s->asid_gen = 1;
	s->ready = true;
	return 0;
}

/*
 * ASIDs are per pCPU (APM 15.16): a vCPU keeps its ASID while it stays on
 * one pCPU and that pCPU's generation is unchanged.  When ASIDs run out the
 * generation bumps and the next entry flushes the whole TLB.
 */
static void svm_asid_assign(struct vcpu *v, uint32_t cpu)
{
	struct svm_cpu *s = &svm_cpus[cpu];
	struct vcpu_arch *a = &v->arch;

	a->vmcb->ctl.tlb_ctl = 0;
	if (a->asid && a->asid_cpu == cpu && a->asid_gen == s->asid_gen)
		return;
	if (s->next_asid > svm_max_asid) {
		s->asid_gen++;
		s->next_asid = 1;
	}
	a->asid = s->next_asid++;
	a->asid_cpu = cpu;
	a->asid_gen = s->asid_gen;
	a->vmcb->ctl.asid = a->asid;
	/* TCG has no flush-by-ASID: flush everything (TLB_CONTROL = 1). */
	a->vmcb->ctl.tlb_ctl = 1;
}

int vcpu_arch_init(struct vcpu *v)
{
	uint64_t pa = frame_alloc();

	if (pa == FRAME_NONE)
		return -1;
	v->arch.vmcb_pa = pa;
	v->arch.vmcb = phys_to_virt(pa);
	return 0;
}

void vcpu_arch_free(struct vcpu *v)
{
	if (v->arch.vmcb_pa)
		frame_free(v->arch.vmcb_pa);
	v->arch.vmcb = NULL;
	v->arch.vmcb_pa = 0;
}

void vcpu_arch_reset(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	uint64_t pa = v->arch.vmcb_pa;

	memset(&v->arch, 0, sizeof(v->arch));
	v->arch.vmcb = c;
	v->arch.vmcb_pa = pa;
	memset(c, 0, sizeof(*c));
	svm_vmcb_init(v);
	hypercall_fill_answers(v);
}

/* Right before each VMRUN (IRQs disabled), inline: it is on every exit's path. */
static inline void svm_prepare_entry(struct vcpu *v)
{
	if (__builtin_expect(v->vm->arch.pc != NULL, 0))
		svm_prepare_pc(v);
	else if (v->arch.irq_window | v->arch.pending_irqs[0] | v->arch.pending_irqs[1] |
		 v->arch.pending_irqs[2] | v->arch.pending_irqs[3])
		svm_inject_pending(v);
}

/*
 * One VMRUN, and the constant hypercalls svm_vmrun answers by itself (see
 * entry.S); svm_vmrun keeps only RBP and RSP, the guest owns every other GPR.
 */
static inline void svm_enter_guest(struct guest_gprs *g, uint64_t host_pa)
{
	__asm__ volatile("call svm_vmrun"
			 : "+D"(g), "+S"(host_pa)
			 :
			 : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13",
			   "r14", "r15", "memory", "cc");
}

bool vcpu_arch_enter(struct vcpu *v, const volatile bool *need_resched)
{
	uint32_t cpu = this_cpu()->cpu;
	uint64_t host_vmcb = svm_cpus[cpu].host_vmcb_pa;

	/* A Linux VM's AP runs only once a SIPI has come (INIT puts it back to waiting). */
	if (v->vm->arch.pc && pc_vcpu_startup(v)) {
		sched_block(v);
		return false;
	}
	svm_asid_assign(v, cpu);
	v->arch.need_resched = need_resched;    /* svm_vmrun checks it before each VMRUN it loops on */
	do {
		svm_prepare_entry(v);
		svm_enter_guest(&v->arch.gprs, host_vmcb);
		if (!svm_exit_fast(v))
			return true;
	/*
	 * Fast exits never block: only a request (kill, pause...) or resched
	 * ends the loop.  Any request bit at all goes back to sched_run, whose
	 * vcpu_next_action() decides; svm_vmrun's own loop uses the same test.
	 */
	} while (!(__atomic_load_n(&v->requests, __ATOMIC_SEQ_CST) | *need_resched));
	return false;
}

void vcpu_arch_exit(struct vcpu *v)
{
	if (v->vm->arch.pc)
		svm_requeue_pc(v);
	else
		svm_requeue_exitintinfo(v);
	svm_exit_dispatch(v);
}

void svm_dump_vmcb(const struct vmcb *c)
{
	const struct vmcb_save *s = &c->save;

	log_err("  exitcode %#lx info1 %#lx info2 %#lx intinfo %#lx",
		c->ctl.exitcode, c->ctl.exitinfo1, c->ctl.exitinfo2, c->ctl.exitintinfo);
	log_err("  rip %#lx rsp %#lx rax %#lx rflags %#lx cpl %u",
		s->rip, s->rsp, s->rax, s->rflags, s->cpl);
	log_err("  cr0 %#lx cr2 %#lx cr3 %#lx cr4 %#lx efer %#lx",
		s->cr0, s->cr2, s->cr3, s->cr4, s->efer);
	log_err("  cs %#x/%#x base %#lx  ss %#x/%#x  idtr %#lx+%#x  gdtr %#lx+%#x",
		s->cs.sel, s->cs.attr, s->cs.base, s->ss.sel, s->ss.attr,
		s->idtr.base, s->idtr.limit, s->gdtr.base, s->gdtr.limit);
}

void svm_crash(struct vcpu *v, const char *what)
{
	char reason[VM_ERR_MAX];

	snprintf(reason, sizeof(reason), "%s at rip %#lx (vcpu %u)", what,
		 v->arch.vmcb->save.rip, v->id);
	log_err("vm %s: %s", v->vm->name, reason);
	svm_dump_vmcb(v->arch.vmcb);
	vm_exit_from_guest(v->vm, VM_CRASHED, -1, reason);
}

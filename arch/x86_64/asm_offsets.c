/* Struct offsets for assembly: turned into build/core/asm_offsets.h by the Makefile. */
#include <stddef.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/traps.h>
#include <arch/vcpu_arch.h>
#include "vcpu.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))

/*
 * A struct vcpu field relative to its guest GPR block, the pointer svm_vmrun
 * holds (it may be negative).
 */
#define GV(field) ((long)offsetof(struct vcpu, field) - (long)offsetof(struct vcpu, arch.gprs))
#define FIELD_SIZE(type, field) sizeof(((type *)0)->field)

/* The widths svm_vmrun's compare and increment instructions assume. */
_Static_assert(FIELD_SIZE(struct vcpu, requests) == 4, "cmpl on requests");
_Static_assert(FIELD_SIZE(struct vcpu, exits) == 8, "incq on exits");
_Static_assert(FIELD_SIZE(struct vcpu, exit_count[0]) == 8, "incq on exit_count");
_Static_assert(FIELD_SIZE(struct vcpu, hypercalls) == 8, "incq on hypercalls");
_Static_assert(FIELD_SIZE(struct vcpu, arch.pending_irqs) == 32, "four pending words");
_Static_assert(FIELD_SIZE(struct vcpu, hc_answers.mask) == 8, "bt on the answer mask");
_Static_assert(FIELD_SIZE(struct vmcb, save.cpl) == 1, "cmpb on cpl");
_Static_assert(EVT_VALID < 1ull << 32, "testl on exitintinfo's valid bit");

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(TD_GDT_LIMIT, offsetof(struct tramp_data, gdt_limit));
	DEFINE(TD_PM32_OFF, offsetof(struct tramp_data, pm32_off));
	DEFINE(TD_CR3, offsetof(struct tramp_data, cr3));
	DEFINE(TD_STACK, offsetof(struct tramp_data, stack));
	DEFINE(TD_PERCPU, offsetof(struct tramp_data, percpu));
	DEFINE(TD_ENTRY, offsetof(struct tramp_data, entry));
	DEFINE(TD_SIZE, sizeof(struct tramp_data));
	DEFINE(TF_VECTOR, offsetof(struct trap_frame, vector));
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
	DEFINE(KSTACK_SIZE_ASM, KSTACK_SIZE);
	DEFINE(G_RBX, offsetof(struct guest_gprs, rbx));
	DEFINE(G_RCX, offsetof(struct guest_gprs, rcx));
	DEFINE(G_RDX, offsetof(struct guest_gprs, rdx));
	DEFINE(G_RSI, offsetof(struct guest_gprs, rsi));
	DEFINE(G_RDI, offsetof(struct guest_gprs, rdi));
	DEFINE(G_RBP, offsetof(struct guest_gprs, rbp));
	DEFINE(G_R8, offsetof(struct guest_gprs, r8));
	DEFINE(G_R9, offsetof(struct guest_gprs, r9));
	DEFINE(G_R10, offsetof(struct guest_gprs, r10));
	DEFINE(G_R11, offsetof(struct guest_gprs, r11));
	DEFINE(G_R12, offsetof(struct guest_gprs, r12));
	DEFINE(G_R13, offsetof(struct guest_gprs, r13));
	DEFINE(G_R14, offsetof(struct guest_gprs, r14));
	DEFINE(G_R15, offsetof(struct guest_gprs, r15));
	/* svm_vmrun's hypercall answers: struct vcpu relative to &v->arch.gprs, the VMCB. */
	DEFINE(GV_VMCB, GV(arch.vmcb));
	DEFINE(GV_VMCB_PA, GV(arch.vmcb_pa));
	DEFINE(GV_NEED_RESCHED, GV(arch.need_resched));
	DEFINE(GV_PENDING_IRQS, GV(arch.pending_irqs));
	DEFINE(GV_REQUESTS, GV(requests));
	DEFINE(GV_EXITS, GV(exits));
	DEFINE(GV_EXITS_HC, GV(exit_count[EXIT_STAT_HYPERCALL]));
	DEFINE(GV_HYPERCALLS, GV(hypercalls));
	DEFINE(GV_HC_MASK, GV(hc_answers.mask));
	DEFINE(GV_HC_VALUE, GV(hc_answers.value));
	DEFINE(HC_ANSWERS, PL_HC_COUNT);
	DEFINE(VMCB_INT_STATE, offsetof(struct vmcb, ctl.int_state));
	DEFINE(VMCB_EXITCODE, offsetof(struct vmcb, ctl.exitcode));
	DEFINE(VMCB_EXITINTINFO, offsetof(struct vmcb, ctl.exitintinfo));
	DEFINE(VMCB_CPL, offsetof(struct vmcb, save.cpl));
	DEFINE(VMCB_RIP, offsetof(struct vmcb, save.rip));
	DEFINE(VMCB_RAX, offsetof(struct vmcb, save.rax));
	DEFINE(VMCB_EXIT_VMMCALL, VMEXIT_VMMCALL);
	DEFINE(VMCB_EVT_VALID_BIT, __builtin_ctzll(EVT_VALID));
}

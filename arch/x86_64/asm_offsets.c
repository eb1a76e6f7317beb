/* Struct offsets for assembly: turned into build/core/asm_offsets.h by the Makefile. */
#include <stddef.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/traps.h>
#include <arch/vcpu_arch.h>

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))

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
}

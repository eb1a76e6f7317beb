/* Struct offsets for assembly: turned into build/core/asm_offsets.h by the Makefile. */
#include <stddef.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/traps.h>

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
}

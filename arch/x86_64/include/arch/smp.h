/* Starting the application processors (INIT-SIPI-SIPI through the trampoline). */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <stdint.h>

/* Layout of the data at the end of the trampoline page (offsets in asm_offsets.h). */
struct tramp_data {
	uint16_t gdt_limit;
	uint32_t gdt_base;
	uint32_t pm32_off;          /* far pointer to the 32-bit code */
	uint16_t pm32_sel;
	uint32_t cr3;               /* hand-over tables, below 4 GiB */
	uint64_t stack;             /* top of the AP's stack */
	uint64_t percpu;            /* struct percpu * of the AP */
	uint64_t entry;             /* 64-bit C entry: ap_main(struct percpu *) */
	uint64_t kernel_cr3;        /* the core's own tables, loaded by ap_main */
	uint64_t gdt[4];
} __attribute__((packed));

/* Start every enabled CPU of the MADT; returns how many came online. */
uint32_t smp_init(uint64_t trampoline_phys);

/*
 * Run fn(arg) on online CPU `cpu` from its VEC_IPI_CALL handler, without
 * waiting for it.  Returns 0, or -1 if the CPU is not online or already has a
 * call pending
 * (that call is not disturbed).
 */
int smp_call(uint32_t cpu, void (*fn)(void *), void *arg);

#endif

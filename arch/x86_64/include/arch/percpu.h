/* Per-CPU data, reached through %gs (its first field points at itself). */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <stdint.h>

#define MAX_CPUS     64
#define KSTACK_SIZE  (16 * 1024)
#define IST_SIZE     4096

enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_FAILED, CPU_HALTED };

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct percpu {
	struct percpu *self;
	uint64_t kstack_top;
	uint32_t cpu;                   /* index, 0 = BSP */
	uint32_t apic_id;
	volatile uint32_t state;        /* enum cpu_state */
	uint32_t acpi_uid;
	void (*volatile call_fn)(void *);   /* smp_call(): run on this CPU from VEC_IPI_CALL */
	void *volatile call_arg;
	uint64_t gdt[8];
	struct tss tss __attribute__((aligned(16)));
};

extern struct percpu percpu[MAX_CPUS];
extern uint32_t ncpus;              /* entries of percpu[] in use */

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

/* GDT, TSS with IST stacks, IDT and GS for the CPU running this. */
void cpu_init(struct percpu *p);
const char *cpu_state_name(uint32_t state);

#endif

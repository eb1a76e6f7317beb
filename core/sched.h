/*
 * The per-pCPU scheduler and VM entry loop.  Each guest pCPU has a run
 * queue of RUNNABLE vCPUs; the LAPIC timer time-slices them when more than
 * one waits.  An idle pCPU sleeps in "sti; hlt".  Every state change of a
 * vCPU that races with its pCPU happens under that pCPU's run-queue lock.
 */
#ifndef PLINTH_SCHED_H
#define PLINTH_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

#define SCHED_SLICE_US 10000

/* Once, on the BSP, before any VM exists. */
void sched_init(void);
/* A guest pCPU's life after bring-up (APs). */
void sched_cpu_loop(void) __attribute__((noreturn));
/* pCPUs that run guests: every online AP with SVM (cpu0 runs the console). */
uint64_t sched_guest_cpus(void);

/* Put a RUNNABLE vCPU on its pCPU's queue (any CPU), waking that pCPU. */
void sched_enqueue(struct vcpu *v);
/* HLT from the vCPU's own exit handler: sleep until sched_wake(). */
void sched_block(struct vcpu *v);
/* The same, and a wake-up at host TSC `when` (UINT64_MAX: none; already due: no sleep). */
void sched_block_until(struct vcpu *v, uint64_t when);
/* The running vCPU's devices need it at host TSC `when` (UINT64_MAX: never); IRQs disabled. */
void sched_set_deadline(uint64_t when);
/* An event for v: a BLOCKED vCPU becomes RUNNABLE.  Any CPU. */
void sched_wake(struct vcpu *v);
/* From v's exit handler: let the other vCPUs of this pCPU run. */
void sched_yield_vcpu(struct vcpu *v);
/* Is this pCPU wanted by another vCPU (time slice over)? */
bool sched_need_resched(void);
/* IPI the pCPU so a vCPU in guest mode there exits now. */
void sched_kick_cpu(uint32_t cpu);

#endif

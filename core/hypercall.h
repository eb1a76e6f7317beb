/*
 * Hypercall ABI v1 (guest-abi/plinth_abi.h, docs/hypercall-abi.md): the
 * dispatch table and the calls.  Arguments are decoded and validated before
 * anything changes (decode, then invoke); errors are negative PL_E* codes.
 */
#ifndef PLINTH_HYPERCALL_H
#define PLINTH_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>
#include "plinth_abi.h"

struct vcpu;

enum hc_result {
	HC_DONE,        /* RAX holds the result: advance RIP past the instruction */
	HC_RESTART,     /* preempted: RIP and arguments unchanged, progress kept */
	HC_NORETURN,    /* the VM stopped or restarts: no result */
};

/* Bytes MEM_FILL writes between checks for pending work (invariant 2). */
#define HC_FILL_STEP (64u * 1024)

enum hc_result hypercall_dispatch(struct vcpu *v);

/*
 * The calls whose result is a constant of the vCPU (VERSION, FEATURES and
 * TIME in v1): value[nr] is call nr's result if bit nr of mask is set.  The
 * VMRUN stub (svm_vmrun in arch/x86_64/entry.S) answers these calls from the
 * table without leaving the guest's register state; hypercall_dispatch
 * answers them from the same function that fills it, so both give the same
 * result.  Filled when the vCPU is reset (hypercall_fill_answers).
 */
_Static_assert(PL_HC_COUNT <= 64, "one mask bit per call number");
struct hc_answers {
	uint64_t mask;
	uint64_t value[PL_HC_COUNT];
};

/* Fill v->hc_answers: the constant calls, each answered at CPL 0. */
void hypercall_fill_answers(struct vcpu *v);

/* Calls short enough to run with IRQs disabled (no blocking, bounded work). */
#define HC_FAST ((1u << PL_HC_VERSION) | (1u << PL_HC_FEATURES) | (1u << PL_HC_TIME) | \
		 (1u << PL_HC_CONSOLE_WRITE) | (1u << PL_HC_CONSOLE_READ))

static inline bool hypercall_is_fast(uint64_t nr)
{
	return nr >= PL_HC_COUNT || ((HC_FAST >> nr) & 1);
}

/*
 * Check a guest range for a call: 0, -PL_EINVAL (end overflows, longer
 * than max, or not `align`-aligned), or -PL_EFAULT (not wholly in RAM).
 */
int64_t hc_check_range(uint64_t ram_size, uint64_t gpa, uint64_t len, uint64_t max,
		       uint64_t align);

#endif

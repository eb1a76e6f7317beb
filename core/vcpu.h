/*
 * Virtual CPUs and the per-pCPU entry loop (DESIGN "The VM entry loop").
 *
 * Requests are bits in vcpu->requests, set by any CPU with an atomic OR.
 * The entry loop tests them and the pCPU's need_resched with interrupts hard
 * disabled, right before VMRUN (invariant 1); whoever sets a request on a
 * vCPU that is in guest mode elsewhere also sends that pCPU an IPI, so the
 * guest exits at once and the next check sees the bit.
 */
#ifndef PLINTH_VCPU_H
#define PLINTH_VCPU_H

#include <stdbool.h>
#include <stdint.h>
#include <arch/vcpu_arch.h>
#include "hypercall.h"

struct vm;

/* Requests (bits of vcpu->requests). */
#define VCPU_REQ_PAUSE  (1u << 0)       /* leave guest mode and park until resumed */
#define VCPU_REQ_KILL   (1u << 1)       /* leave guest mode for good */
#define VCPU_REQ_INJECT (1u << 2)       /* an event is waiting to be injected */
#define VCPU_REQ_FLUSH  (1u << 3)       /* flush this vCPU's guest TLB entries */

enum vcpu_state {
	VCPU_STOPPED,       /* not started, or done */
	VCPU_RUNNABLE,      /* on its pCPU's run queue */
	VCPU_BLOCKED,       /* HLT: waits for an event */
	VCPU_PAUSED,        /* parked by VCPU_REQ_PAUSE */
};

/* Exit statistics slots; arch code maps its exit codes onto them. */
enum vcpu_exit_stat {
	EXIT_STAT_HYPERCALL, EXIT_STAT_CPUID, EXIT_STAT_IO, EXIT_STAT_MSR,
	EXIT_STAT_HLT, EXIT_STAT_NPF, EXIT_STAT_INTR, EXIT_STAT_NMI,
	EXIT_STAT_VINTR, EXIT_STAT_EXCEPTION, EXIT_STAT_SHUTDOWN, EXIT_STAT_IRET,
	EXIT_STAT_OTHER,
	VCPU_EXIT_STATS
};
extern const char *const vcpu_exit_stat_names[VCPU_EXIT_STATS];

struct vcpu {
	struct vm *vm;
	uint32_t id;                        /* index within the VM */
	uint32_t pcpu;                      /* the pCPU it runs on */
	uint64_t affinity;                  /* allowed pCPUs (mask) */
	volatile uint32_t requests;         /* VCPU_REQ_* */
	volatile enum vcpu_state state;
	volatile bool in_guest;             /* between the final check and the exit */
	volatile bool on_cpu;               /* its pCPU is handling it (guest mode or exit) */
	struct vcpu *rq_next;               /* run queue link (owned by the pCPU) */
	struct vcpu *sleep_next;            /* halted with a wake-up time (pCPU's lock) */
	uint64_t wake_tsc;                  /* that time, or UINT64_MAX */

	uint64_t exits;
	uint64_t exit_count[VCPU_EXIT_STATS];
	uint64_t hypercalls;
	uint64_t hc_restarts;

	struct vcpu_arch arch;

	/*
	 * Added at the end: the results of the constant calls, which the VMRUN
	 * stub answers without leaving the guest's register state (filled at
	 * reset by hypercall_fill_answers; read by arch/x86_64/entry.S).
	 */
	struct hc_answers hc_answers;
};

/* Set request bits; if the vCPU is in guest mode on another pCPU, IPI it. */
void vcpu_request(struct vcpu *v, uint32_t req);

/*
 * The entry loop's decision, pure logic (unit-tested).  Called with
 * interrupts hard-disabled just before entering: VCPU_ENTER when nothing is
 * pending, else what to do first.
 */
enum vcpu_action {
	VCPU_ENTER,         /* no request and no resched: VMRUN now */
	VCPU_DO_KILL,       /* stop this vCPU */
	VCPU_DO_PAUSE,      /* park it */
	VCPU_DO_RESCHED,    /* give the pCPU to the next vCPU */
	VCPU_DO_REQUESTS,   /* handle INJECT/FLUSH, then check again */
};
/* Kill wins over pause, pause over a time slice, and all over plain requests. */
static inline enum vcpu_action vcpu_next_action(uint32_t requests, bool need_resched)
{
	if (__builtin_expect(!requests && !need_resched, 1))
		return VCPU_ENTER;
	if (requests & VCPU_REQ_KILL)
		return VCPU_DO_KILL;
	if (requests & VCPU_REQ_PAUSE)
		return VCPU_DO_PAUSE;
	if (need_resched)
		return VCPU_DO_RESCHED;
	if (requests & (VCPU_REQ_INJECT | VCPU_REQ_FLUSH))
		return VCPU_DO_REQUESTS;
	return VCPU_ENTER;
}

/* Should a long operation in vCPU context stop now?  (A request, or the pCPU is wanted.) */
bool vcpu_should_leave(struct vcpu *v);
/* The guest's TSC frequency in Hz. */
uint64_t vcpu_tsc_hz(struct vcpu *v);

/* Arch side (arch/x86_64/svm/): implemented per vendor. */
int vcpu_arch_cpu_init(void);                   /* this pCPU can run guests: 0, else -1 */
bool vcpu_arch_cpu_ready(uint32_t cpu);
int vcpu_arch_init(struct vcpu *v);             /* 0 or -1 (no memory) */
void vcpu_arch_free(struct vcpu *v);
/* Reset to the start state the VM's loader chose (docs/guests.md). */
void vcpu_arch_reset(struct vcpu *v);
/*
 * Enter the guest: inject what is pending, VMRUN, save the exit state.
 * IRQs are hard-disabled on entry and still disabled on return.  Short
 * exits (CPUID, port I/O, MSRs, quick hypercalls) are handled right away
 * with IRQs still disabled and the guest re-entered, as long as
 * vcpu_next_action(requests, *need_resched) says VCPU_ENTER: the check of
 * invariant 1 precedes every VMRUN.  Returns true if an exit is left for
 * vcpu_arch_exit(), false if the last one was handled already.
 */
bool vcpu_arch_enter(struct vcpu *v, const volatile bool *need_resched);
/* Handle the exit vcpu_arch_enter() saved (IRQs enabled). */
void vcpu_arch_exit(struct vcpu *v);
/* Apply VCPU_REQ_INJECT / VCPU_REQ_FLUSH (IRQs enabled). */
void vcpu_arch_requests(struct vcpu *v, uint32_t reqs);

#endif

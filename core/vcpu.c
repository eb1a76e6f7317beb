/*
 * vCPU requests: the state machine the entry loop runs (invariant 1), and
 * the cross-CPU side that sets a request and kicks the vCPU out of the guest.
 */
#include <arch/cpu.h>
#include "ring.h"
#include "sched.h"
#include "vcpu.h"
#include "vm.h"

const char *const vcpu_exit_stat_names[VCPU_EXIT_STATS] = {
	[EXIT_STAT_HYPERCALL] = "hypercall",
	[EXIT_STAT_CPUID]     = "cpuid",
	[EXIT_STAT_IO]        = "io",
	[EXIT_STAT_MSR]       = "msr",
	[EXIT_STAT_HLT]       = "hlt",
	[EXIT_STAT_NPF]       = "npf",
	[EXIT_STAT_INTR]      = "intr",
	[EXIT_STAT_NMI]       = "nmi",
	[EXIT_STAT_VINTR]     = "vintr",
	[EXIT_STAT_EXCEPTION] = "exception",
	[EXIT_STAT_SHUTDOWN]  = "shutdown",
	[EXIT_STAT_IRET]      = "iret",
	[EXIT_STAT_OTHER]     = "other",
};

#ifndef PLINTH_HOST_TEST
/*
 * The bit is set before in_guest is read, and the entry loop sets in_guest
 * before it reads the bits (both sequentially consistent): either the loop
 * sees the request, or we see in_guest and the IPI makes the guest exit.
 */
void vcpu_request(struct vcpu *v, uint32_t req)
{
	__atomic_or_fetch(&v->requests, req, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->in_guest, __ATOMIC_SEQ_CST))
		sched_kick_cpu(v->pcpu);        /* no IPI to ourselves: that one is checked anyway */
	sched_wake(v);
}

bool vcpu_should_leave(struct vcpu *v)
{
	return __atomic_load_n(&v->requests, __ATOMIC_RELAXED) || sched_need_resched();
}

uint64_t vcpu_tsc_hz(struct vcpu *v)
{
	(void)v;
	return tsc_hz();        /* the guest TSC is the host TSC plus an offset */
}
#endif

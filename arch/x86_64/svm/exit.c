/*
 * #VMEXIT dispatch: one table over every exit code (APM appendix C), with
 * designated initialisers.  Codes 0x000..0x0a4 index it directly and the
 * NPF group 0x400..0x403 follows them; anything else, and any code without
 * a handler, goes to the one "dump the VMCB, stop this guest" path.
 */
#include <stdio.h>
#include "hypercall.h"
#include "sched.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define EXIT_TABLE_PLAIN (VMEXIT_LAST_PLAIN + 1)
#define EXIT_TABLE_SIZE  (EXIT_TABLE_PLAIN + (VMEXIT_LAST - VMEXIT_NPF + 1))

typedef void (*exit_fn)(struct vcpu *v);

struct exit_kind {
	exit_fn fn;
	uint8_t stat;           /* enum vcpu_exit_stat */
};

/* The physical event already ran its host handler when IRQs came back on. */
static void exit_nothing(struct vcpu *v) { (void)v; }

/* SVM is hidden from the guest, so its instructions fault as on a CPU without it. */
static void exit_ud(struct vcpu *v) { svm_inject_exception(v, 6, false, 0); }

static void exit_vmmcall(struct vcpu *v)
{
	if (hypercall_dispatch(v) == HC_DONE)
		vcpu_arch_skip(&v->arch, 3);            /* 0f 01 d9 */
}

static void exit_hlt(struct vcpu *v)
{
	vcpu_arch_skip(&v->arch, 1);                    /* f4 */
	sched_block(v);
}

static void exit_vintr(struct vcpu *v)
{
	/* The window is open: drop the request; the next entry injects (invariant 4). */
	svm_irq_window_close(v);
}

/* No caches to write back in a guest's view that plinth keeps coherent. */
static void exit_invd(struct vcpu *v) { vcpu_arch_skip(&v->arch, 2); }     /* 0f 08 */

static void exit_shutdown(struct vcpu *v) { svm_crash(v, "triple fault (shutdown)"); }

static void exit_exception(struct vcpu *v)
{
	char what[48];

	snprintf(what, sizeof(what), "unexpected exception intercept %lu",
		 v->arch.vmcb->ctl.exitcode - VMEXIT_EXCP_BASE);
	svm_crash(v, what);
}

static const struct exit_kind exit_table[EXIT_TABLE_SIZE] = {
	[VMEXIT_EXCP_BASE ... VMEXIT_EXCP_BASE + 31] = { exit_exception, EXIT_STAT_EXCEPTION },
	[VMEXIT_INTR]     = { exit_nothing, EXIT_STAT_INTR },
	[VMEXIT_NMI]      = { exit_nothing, EXIT_STAT_NMI },
	[VMEXIT_SMI]      = { exit_nothing, EXIT_STAT_OTHER },
	[VMEXIT_VINTR]    = { exit_vintr, EXIT_STAT_VINTR },
	[VMEXIT_CPUID]    = { svm_exit_cpuid, EXIT_STAT_CPUID },
	[VMEXIT_INVD]     = { exit_invd, EXIT_STAT_OTHER },
	[VMEXIT_HLT]      = { exit_hlt, EXIT_STAT_HLT },
	[VMEXIT_INVLPGA]  = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_IOIO]     = { svm_exit_io, EXIT_STAT_IO },
	[VMEXIT_MSR]      = { svm_exit_msr, EXIT_STAT_MSR },
	[VMEXIT_SHUTDOWN] = { exit_shutdown, EXIT_STAT_SHUTDOWN },
	[VMEXIT_VMRUN]    = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_VMMCALL]  = { exit_vmmcall, EXIT_STAT_HYPERCALL },
	[VMEXIT_VMLOAD]   = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_VMSAVE]   = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_STGI]     = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_CLGI]     = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_SKINIT]   = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_MONITOR]  = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_MWAIT]    = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_MWAIT_C]  = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_XSETBV]   = { exit_ud, EXIT_STAT_OTHER },
	[EXIT_TABLE_PLAIN + (VMEXIT_NPF - VMEXIT_NPF)] = { svm_exit_npf, EXIT_STAT_NPF },
};

/* Table slot of an exit code, or -1 for codes outside every defined range. */
static long exit_slot(uint64_t code)
{
	if (code <= VMEXIT_LAST_PLAIN)
		return (long)code;
	if (code >= VMEXIT_NPF && code <= VMEXIT_LAST)
		return EXIT_TABLE_PLAIN + (long)(code - VMEXIT_NPF);
	return -1;
}

/*
 * The exits a guest makes most, handled before IRQs are enabled (KVM calls
 * this the fastpath): none blocks, waits or runs long.  An interrupted
 * event delivery, string I/O and every other exit take the full path.
 */
bool svm_exit_fast(struct vcpu *v)
{
	struct vmcb_control *c = &v->arch.vmcb->ctl;
	uint8_t stat;

	if (c->exitintinfo & EVT_VALID)
		return false;
	switch (c->exitcode) {
	case VMEXIT_VMMCALL:
		if (!hypercall_is_fast(vcpu_arch_rax(&v->arch)))
			return false;
		exit_vmmcall(v);
		stat = EXIT_STAT_HYPERCALL;
		break;
	case VMEXIT_CPUID:
		svm_exit_cpuid(v);
		stat = EXIT_STAT_CPUID;
		break;
	case VMEXIT_IOIO:
		if (c->exitinfo1 & (1u << 2))   /* string I/O */
			return false;
		svm_exit_io(v);
		stat = EXIT_STAT_IO;
		break;
	case VMEXIT_MSR:
		svm_exit_msr(v);
		stat = EXIT_STAT_MSR;
		break;
	default:
		return false;
	}
	v->exits++;
	v->exit_count[stat]++;
	return true;
}

void svm_exit_dispatch(struct vcpu *v)
{
	uint64_t code = v->arch.vmcb->ctl.exitcode;
	long slot = exit_slot(code);
	const struct exit_kind *k = slot >= 0 ? &exit_table[slot] : NULL;
	char what[64];

	v->exits++;
	if (!k || !k->fn) {
		v->exit_count[EXIT_STAT_OTHER]++;
		if (code == VMEXIT_INVALID)
			snprintf(what, sizeof(what), "invalid guest state (VMEXIT_INVALID)");
		else
			snprintf(what, sizeof(what), "unhandled exit code %#lx", code);
		svm_crash(v, what);
		return;
	}
	v->exit_count[k->stat]++;
	k->fn(v);
}

/*
 * #VMEXIT dispatch: one table over every exit code (APM appendix C), with
 * designated initialisers.  Codes 0x000..0x0a4 index it directly and the
 * NPF group 0x400..0x403 follows them; anything else, and any code without
 * a handler, goes to the one "dump the VMCB, stop this guest" path.  The
 * same table says which exits may be handled on the fastpath, before IRQs
 * are enabled.
 */
#include <stdio.h>
#include <arch/pc.h>
#include "log.h"
#include "hypercall.h"
#include "sched.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define EXIT_TABLE_PLAIN (VMEXIT_LAST_PLAIN + 1)
#define EXIT_TABLE_SIZE  (EXIT_TABLE_PLAIN + (VMEXIT_LAST - VMEXIT_NPF + 1))

typedef void (*exit_fn)(struct vcpu *v);

/* May the exit be handled on the fastpath (no blocking, bounded work)? */
enum exit_fast {
	FAST_NEVER = 0,
	FAST_ALWAYS,
	FAST_IO,                /* unless string I/O, which walks guest memory */
	FAST_HYPERCALL,         /* if hypercall_is_fast() says so for the call number */
};

struct exit_kind {
	exit_fn fn;
	uint8_t stat;           /* enum vcpu_exit_stat */
	uint8_t fast;           /* enum exit_fast */
};

/* Tested inline: the fastpath is the hot path. */
static inline bool exit_is_fast(const struct vcpu *v, const struct exit_kind *k)
{
	switch (k->fast) {
	case FAST_ALWAYS:
		return true;
	case FAST_IO:
		return !(v->arch.vmcb->ctl.exitinfo1 & IOIO_STR);
	case FAST_HYPERCALL:
		return hypercall_is_fast(v->arch.vmcb->save.rax);
	default:
		return false;
	}
}

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
	if (!v->vm->arch.pc)
		sched_block(v);
	else if (!pc_has_event(v))
		sched_block_until(v, pc_deadline(v));   /* the vlapic timer wakes it too */
}

static void exit_vintr(struct vcpu *v)
{
	/* The window is open: drop the request; the next entry injects (invariant 4). */
	svm_irq_window_close(v);
}

/* No caches to write back in a guest's view that plinth keeps coherent. */
static void exit_invd(struct vcpu *v) { vcpu_arch_skip(&v->arch, 2); }     /* 0f 08 */

static void exit_shutdown(struct vcpu *v)
{
	if (v->vm->params.on_crash == VM_ON_CRASH_RESTART) {
		log_info("vm %s: triple fault at rip %#lx, restarting (on_crash=restart)",
			 v->vm->name, v->arch.vmcb->save.rip);
		vm_reboot_from_guest(v->vm);
		return;
	}
	svm_crash(v, "triple fault (shutdown)");
}

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
	[VMEXIT_CPUID]    = { svm_exit_cpuid, EXIT_STAT_CPUID, FAST_ALWAYS },
	[VMEXIT_IRET]     = { svm_exit_iret, EXIT_STAT_IRET, FAST_ALWAYS },
	[VMEXIT_INVD]     = { exit_invd, EXIT_STAT_OTHER },
	[VMEXIT_HLT]      = { exit_hlt, EXIT_STAT_HLT },
	[VMEXIT_INVLPGA]  = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_IOIO]     = { svm_exit_io, EXIT_STAT_IO, FAST_IO },
	[VMEXIT_MSR]      = { svm_exit_msr, EXIT_STAT_MSR, FAST_ALWAYS },
	[VMEXIT_SHUTDOWN] = { exit_shutdown, EXIT_STAT_SHUTDOWN },
	[VMEXIT_VMRUN]    = { exit_ud, EXIT_STAT_OTHER },
	[VMEXIT_VMMCALL]  = { exit_vmmcall, EXIT_STAT_HYPERCALL, FAST_HYPERCALL },
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

/* The table entry of an exit code, or NULL for codes outside every defined range. */
static const struct exit_kind *exit_kind_of(uint64_t code)
{
	if (code <= VMEXIT_LAST_PLAIN)
		return &exit_table[code];
	if (code >= VMEXIT_NPF && code <= VMEXIT_LAST)
		return &exit_table[EXIT_TABLE_PLAIN + (code - VMEXIT_NPF)];
	return NULL;
}

static void exit_run(struct vcpu *v, const struct exit_kind *k)
{
	v->exits++;
	v->exit_count[k->stat]++;
	k->fn(v);
}

/*
 * The fastpath (KVM's name): an exit its table entry marks fast is handled
 * before IRQs are enabled.  An interrupted event delivery always takes the
 * full path, which re-queues it first.
 */
bool svm_exit_fast(struct vcpu *v)
{
	const struct exit_kind *k;

	if (v->arch.vmcb->ctl.exitintinfo & EVT_VALID)
		return false;
	k = exit_kind_of(v->arch.vmcb->ctl.exitcode);
	if (!k || !exit_is_fast(v, k))
		return false;
	exit_run(v, k);
	return true;
}

void svm_exit_dispatch(struct vcpu *v)
{
	uint64_t code = v->arch.vmcb->ctl.exitcode;
	const struct exit_kind *k = exit_kind_of(code);
	char what[64];

	if (k && k->fn) {
		exit_run(v, k);
		return;
	}
	v->exits++;
	v->exit_count[EXIT_STAT_OTHER]++;
	if (code == VMEXIT_INVALID)
		snprintf(what, sizeof(what), "invalid guest state (VMEXIT_INVALID)");
	else
		snprintf(what, sizeof(what), "unhandled exit code %#lx", code);
	svm_crash(v, what);
}

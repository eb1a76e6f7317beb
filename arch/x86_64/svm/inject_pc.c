/*
 * Event injection for Linux VMs, whose interrupts come from the vCPU's
 * vlapic (arch/pc.h) rather than plinth's own pending bitmap (inject.c).
 * The same rules hold: invariant 3 (exactly once) and 4 (a window only
 * while an interrupt is pending and blocked).
 */
#include <arch/cpu.h>
#include <arch/pc.h>
#include "sched.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

/*
 * A Linux VM: the vCPU's vlapic is the source.  A vector moves IRR -> ISR
 * only as it goes into EVENTINJ (pc_irq_ack), and comes back through
 * svm_requeue_exitintinfo if the injection did not happen (invariant 3).
 * While EVENTINJ holds a re-injected event, a pending interrupt waits for
 * the window after it.  An NMI is injected when EVENTINJ is free and no
 * earlier NMI's handler is still running (SDM 6.7.1: NMIs are blocked until
 * the next IRET): the injection turns the IRET intercept on, exit_iret
 * notes where the IRET is, and the first exit with RIP past it lifts the
 * blocking.  A pending NMI therefore waits at most until the next exit
 * after the IRET (a timer tick at worst), as an NMI window would.
 */
void svm_inject_pc(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	bool nmi, busy = c->ctl.eventinj & EVT_VALID;
	int vec = pc_irq_pending(v, rdtsc(), &nmi);

	if (v->arch.nmi_iret && c->save.rip != v->arch.nmi_iret_rip)
		v->arch.nmi_masked = v->arch.nmi_iret = false;
	if (nmi && !busy && !v->arch.nmi_masked) {
		pc_nmi_ack(v);
		c->ctl.eventinj = EVT_VALID | EVT_TYPE_NMI | 2;
		v->arch.nmi_masked = true;
		c->ctl.icpt1 |= ICPT1_IRET;
		busy = true;
	}
	if (busy) {
		if (vec >= 0)
			svm_irq_window_open(v);
		return;
	}
	switch (svm_inject_decide(false, vec >= 0, c->save.rflags & RFLAGS_IF, c->ctl.int_state & 1)) {
	case INJECT_NOW:
		pc_irq_ack(v, vec);
		c->ctl.eventinj = EVT_VALID | EVT_TYPE_INTR | (uint64_t)vec;
		/* The next vector waits for this one's EOI, which exits. */
		if (v->arch.irq_window)
			svm_irq_window_close(v);
		break;
	case INJECT_WINDOW:
		svm_irq_window_open(v);
		break;
	case INJECT_NONE:
		if (v->arch.irq_window)
			svm_irq_window_close(v);
		break;
	}
}

/* An interrupted injection goes back to the vlapic; exceptions as inject.c does them. */
void svm_requeue_pc(struct vcpu *v)
{
	struct vmcb_control *c = &v->arch.vmcb->ctl;
	uint64_t info = c->exitintinfo, type = info & EVT_TYPE_MASK;

	if (!(info & EVT_VALID) || (type != EVT_TYPE_INTR && type != EVT_TYPE_NMI)) {
		svm_requeue_exitintinfo(v);
		return;
	}
	c->exitintinfo = 0;
	if (type == EVT_TYPE_INTR ? pc_irq_cancel(v, (int)(info & EVT_VECTOR_MASK))
				  : pc_nmi_cancel(v))
		c->eventinj = info;
	else if (type == EVT_TYPE_NMI)
		v->arch.nmi_masked = false;     /* back to pending: its handler never ran */
}

/* The NMI handler's IRET, before it executes: blocking ends once it has. */
void svm_exit_iret(struct vcpu *v)
{
	v->arch.vmcb->ctl.icpt1 &= ~ICPT1_IRET;
	v->arch.nmi_iret = true;
	v->arch.nmi_iret_rip = v->arch.vmcb->save.rip;
}

void svm_prepare_pc(struct vcpu *v)
{
	svm_inject_pc(v);
	sched_set_deadline(pc_deadline(v));
}

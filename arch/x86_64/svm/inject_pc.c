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
 * the window after it.  NMIs are injected when EVENTINJ is free; their
 * blocking until IRET is not tracked.
 */
void svm_inject_pc(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	bool nmi, busy = c->ctl.eventinj & EVT_VALID;
	int vec = pc_irq_pending(v, rdtsc(), &nmi);

	if (nmi && !busy) {
		pc_nmi_ack(v);
		c->ctl.eventinj = EVT_VALID | EVT_TYPE_NMI | 2;
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
}

void svm_prepare_pc(struct vcpu *v)
{
	svm_inject_pc(v);
	sched_set_deadline(pc_deadline(v));
}

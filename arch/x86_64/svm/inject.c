/*
 * Event injection (APM 15.20) with exactly-once delivery (invariant 3): a
 * virtual interrupt is pending (a bit in pending_irqs), injected (in
 * EVENTINJ for the next VMRUN), or delivered.  An injection that an exit
 * interrupted comes back through EXITINTINFO and is queued again, never
 * twice.  An interrupt window (VINTR) is asked for only while an interrupt
 * is pending and the guest blocks it (invariant 4).
 */
#include "vcpu.h"
#include "svm.h"


enum inject_action svm_inject_decide(bool event_busy, bool pending, bool guest_if, bool shadow)
{
	if (event_busy || !pending)
		return INJECT_NONE;
	if (guest_if && !shadow)
		return INJECT_NOW;
	return INJECT_WINDOW;
}

static int irq_highest(const uint64_t p[4])
{
	for (int w = 3; w >= 0; w--)
		if (p[w])
			return w * 64 + 63 - __builtin_clzll(p[w]);
	return -1;
}

void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_err, uint32_t err)
{
	v->arch.vmcb->ctl.eventinj = EVT_VALID | EVT_TYPE_EXC | vector |
				     (has_err ? EVT_ERR_VALID | ((uint64_t)err << 32) : 0);
}

void vcpu_arch_queue_irq(struct vcpu *v, uint8_t vector)
{
	__atomic_or_fetch(&v->arch.pending_irqs[vector / 64], 1ull << (vector % 64),
			  __ATOMIC_SEQ_CST);
	vcpu_request(v, VCPU_REQ_INJECT);
}

/* Withdraw a VINTR request (invariant 4: only while pending and blocked). */
void svm_irq_window_close(struct vcpu *v)
{
	v->arch.vmcb->ctl.vintr &= ~VINTR_V_IRQ;
	v->arch.vmcb->ctl.icpt1 &= ~ICPT1_VINTR;
	v->arch.irq_window = false;
}

void svm_irq_window_open(struct vcpu *v)
{
	if (!v->arch.irq_window) {
		v->arch.vmcb->ctl.vintr |= VINTR_V_IRQ | VINTR_IGN_TPR;
		v->arch.vmcb->ctl.icpt1 |= ICPT1_VINTR;
		v->arch.irq_window = true;
	}
}

void svm_inject_pending(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	const uint64_t *p = v->arch.pending_irqs;

	if (!(p[0] | p[1] | p[2] | p[3]) && !v->arch.irq_window)
		return;         /* the common case: nothing to deliver */
	int vec = irq_highest(p);

	switch (svm_inject_decide(c->ctl.eventinj & EVT_VALID, vec >= 0,
				  c->save.rflags & RFLAGS_IF, c->ctl.int_state & 1)) {
	case INJECT_NOW:
		__atomic_and_fetch(&v->arch.pending_irqs[vec / 64], ~(1ull << (vec % 64)),
				   __ATOMIC_SEQ_CST);
		c->ctl.eventinj = EVT_VALID | EVT_TYPE_INTR | (uint64_t)vec;
		if (v->arch.irq_window && irq_highest(v->arch.pending_irqs) < 0)
			svm_irq_window_close(v);
		break;
	case INJECT_WINDOW:
		svm_irq_window_open(v);
		break;
	case INJECT_NONE:
		if (v->arch.irq_window && vec < 0)
			svm_irq_window_close(v);
		break;
	}
}

void svm_requeue_exitintinfo(struct vcpu *v)
{
	struct vmcb_control *c = &v->arch.vmcb->ctl;
	uint64_t info = c->exitintinfo;

	if (!(info & EVT_VALID))
		return;
	c->exitintinfo = 0;
	/*
	 * INTn, INT3 and INTO: RIP is still on the instruction (no NRIP save),
	 * so it runs again and raises the event itself; injecting it as well
	 * would deliver it twice.
	 */
	if ((info & EVT_TYPE_MASK) == EVT_TYPE_SWINT ||
	    ((info & EVT_TYPE_MASK) == EVT_TYPE_EXC &&
	     ((info & EVT_VECTOR_MASK) == 3 || (info & EVT_VECTOR_MASK) == 4)))
		return;
	if ((info & EVT_TYPE_MASK) == EVT_TYPE_INTR) {
		uint8_t vec = info & EVT_VECTOR_MASK;
		__atomic_or_fetch(&v->arch.pending_irqs[vec / 64], 1ull << (vec % 64),
				  __ATOMIC_SEQ_CST);
	} else {
		/* Exceptions and NMIs go back into EVENTINJ as they were. */
		c->eventinj = info;
	}
}


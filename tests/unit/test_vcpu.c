/*
 * Host tests of the vCPU entry decision (core/vcpu.c, vcpu_next_action) and
 * of SVM event injection (arch/x86_64/svm/inject.c) on a real VMCB: every
 * virtual interrupt is pending, in EVENTINJ or delivered, never two of
 * these (invariant 3), and an interrupt window is asked for only while an
 * interrupt is pending and blocked (invariant 4).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vcpu.h"
#include "arch/x86_64/svm/svm.h"

#define IF_BIT   (1ull << 9)
#define RF_FIXED (1ull << 1)            /* RFLAGS bit 1 always reads 1 */

static struct vcpu vcpu;
static struct vmcb *vmcb;
static int requests_made;

/* inject.c's only way out: record the request as the real one sets it. */
void vcpu_request(struct vcpu *v, uint32_t req)
{
	assert_ptr_equal(v, &vcpu);
	v->requests |= req;
	requests_made++;
}

static int setup(void **state)
{
	(void)state;
	memset(vmcb, 0, sizeof(*vmcb));
	memset(&vcpu, 0, sizeof(vcpu));
	vcpu.arch.vmcb = vmcb;
	vmcb->save.rflags = RF_FIXED | IF_BIT;
	vmcb->ctl.vintr = VINTR_MASKING;    /* as svm_vmcb_init leaves it */
	requests_made = 0;
	return 0;
}

static bool is_pending(int vec)
{
	return vcpu.arch.pending_irqs[vec / 64] & (1ull << (vec % 64));
}

static int npending(void)
{
	int n = 0;

	for (int w = 0; w < 4; w++)
		n += __builtin_popcountll(vcpu.arch.pending_irqs[w]);
	return n;
}

static bool window_open(void)
{
	return (vmcb->ctl.vintr & VINTR_V_IRQ) || (vmcb->ctl.icpt1 & ICPT1_VINTR) ||
	       vcpu.arch.irq_window;
}

/* What the CPU does with EVENTINJ on VMRUN: the event is delivered, V is cleared. */
static uint64_t cpu_delivers(void)
{
	uint64_t ev = vmcb->ctl.eventinj;

	vmcb->ctl.eventinj = 0;
	return ev;
}

/* ---------------------------------------------------------------- entry decision */

static void test_next_action(void **state)
{
	/* Index: PAUSE | KILL << 1 | INJECT << 2 | FLUSH << 3; columns: no resched, resched. */
	static const enum vcpu_action want[16][2] = {
		{ VCPU_ENTER, VCPU_DO_RESCHED },            /* nothing */
		{ VCPU_DO_PAUSE, VCPU_DO_PAUSE },           /* P */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* K */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* K P */
		{ VCPU_DO_REQUESTS, VCPU_DO_RESCHED },      /* I */
		{ VCPU_DO_PAUSE, VCPU_DO_PAUSE },           /* I P */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* I K */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* I K P */
		{ VCPU_DO_REQUESTS, VCPU_DO_RESCHED },      /* F */
		{ VCPU_DO_PAUSE, VCPU_DO_PAUSE },           /* F P */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* F K */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* F K P */
		{ VCPU_DO_REQUESTS, VCPU_DO_RESCHED },      /* F I */
		{ VCPU_DO_PAUSE, VCPU_DO_PAUSE },           /* F I P */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* F I K */
		{ VCPU_DO_KILL, VCPU_DO_KILL },             /* F I K P */
	};

	(void)state;
	assert_int_equal(VCPU_REQ_PAUSE, 1);
	assert_int_equal(VCPU_REQ_KILL, 2);
	assert_int_equal(VCPU_REQ_INJECT, 4);
	assert_int_equal(VCPU_REQ_FLUSH, 8);
	for (uint32_t req = 0; req < 16; req++)
		for (int resched = 0; resched < 2; resched++) {
			enum vcpu_action a = vcpu_next_action(req, resched);
			if (a != want[req][resched])
				fail_msg("requests %#x resched %d: %d, not %d",
					 req, resched, a, want[req][resched]);
		}
}

/* ---------------------------------------------------------------- injection decision */

static enum inject_action decide_want(int busy, int pending, int gif, int shadow)
{
	static const enum inject_action want[16] = {
		/* busy pending IF shadow */
		[0x0] = INJECT_NONE,    [0x1] = INJECT_NONE,    /* 0 0 0 x: nothing pending */
		[0x2] = INJECT_NONE,    [0x3] = INJECT_NONE,    /* 0 0 1 x */
		[0x4] = INJECT_WINDOW,  [0x5] = INJECT_WINDOW,  /* 0 1 0 x: IF=0 blocks */
		[0x6] = INJECT_NOW,     [0x7] = INJECT_WINDOW,  /* 0 1 1 0: open; 0 1 1 1: shadow */
		[0x8] = INJECT_NONE,    [0x9] = INJECT_NONE,    /* slot busy: never */
		[0xa] = INJECT_NONE,    [0xb] = INJECT_NONE,
		[0xc] = INJECT_NONE,    [0xd] = INJECT_NONE,
		[0xe] = INJECT_NONE,    [0xf] = INJECT_NONE,
	};

	return want[busy << 3 | pending << 2 | gif << 1 | shadow];
}

static void test_inject_decide(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++) {
		int busy = i >> 3 & 1, pending = i >> 2 & 1, gif = i >> 1 & 1, shadow = i & 1;
		enum inject_action a = svm_inject_decide(busy, pending, gif, shadow);

		assert_int_equal(a, decide_want(busy, pending, gif, shadow));
		/* Invariant 4: a window exactly while pending and blocked. */
		assert_int_equal(a == INJECT_WINDOW, !busy && pending && (!gif || shadow));
	}
}

/* The same 16 cases through the VMCB bits svm_inject_pending reads. */
static void test_inject_pending_all_states(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++) {
		int busy = i >> 3 & 1, pending = i >> 2 & 1, gif = i >> 1 & 1, shadow = i & 1;
		uint64_t stale = EVT_TYPE_EXC | 14;         /* an old event, V clear */

		setup(NULL);
		vmcb->ctl.eventinj = busy ? EVT_VALID | EVT_TYPE_EXC | 13 : stale;
		vmcb->save.rflags = RF_FIXED | (1ull << 8) | (gif ? IF_BIT : 0);
		vmcb->ctl.int_state = (shadow ? 1 : 0) | 2;
		if (pending)
			vcpu_arch_queue_irq(&vcpu, 0x41);
		svm_inject_pending(&vcpu);
		switch (decide_want(busy, pending, gif, shadow)) {
		case INJECT_NOW:
			assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | EVT_TYPE_INTR | 0x41);
			assert_int_equal(npending(), 0);
			assert_false(window_open());
			break;
		case INJECT_WINDOW:
			assert_int_equal(vmcb->ctl.eventinj, stale);
			assert_true(is_pending(0x41));
			assert_true(vcpu.arch.irq_window);
			assert_int_equal(vmcb->ctl.vintr, VINTR_MASKING | VINTR_V_IRQ | VINTR_IGN_TPR);
			assert_int_equal(vmcb->ctl.icpt1, ICPT1_VINTR);
			break;
		case INJECT_NONE:
			assert_int_equal(vmcb->ctl.eventinj,
					 busy ? EVT_VALID | EVT_TYPE_EXC | 13 : stale);
			assert_int_equal(npending(), pending);
			assert_false(window_open());
			break;
		}
	}
}

/* ---------------------------------------------------------------- on a VMCB */

static void test_queue_and_inject(void **state)
{
	(void)state;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	assert_true(is_pending(0x30));
	assert_int_equal(npending(), 1);
	assert_int_equal(vcpu.requests, VCPU_REQ_INJECT);
	assert_int_equal(requests_made, 1);
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(npending(), 0);
	assert_false(window_open());
	assert_int_equal(vmcb->ctl.vintr, VINTR_MASKING);
	/* In EVENTINJ now: a second entry before the exit adds nothing. */
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(cpu_delivers(), EVT_VALID | 0x30);
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, 0);
}

static void test_window_when_blocked(void **state)
{
	struct vmcb before;
	struct vcpu_arch arch;

	(void)state;
	vmcb->save.rflags = RF_FIXED;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, 0);
	assert_true(is_pending(0x30));
	assert_true(vcpu.arch.irq_window);
	assert_int_equal(vmcb->ctl.vintr, VINTR_MASKING | VINTR_V_IRQ | VINTR_IGN_TPR);
	assert_int_equal(vmcb->ctl.icpt1, ICPT1_VINTR);
	/* Entering again while still blocked asks for nothing new. */
	memcpy(&before, vmcb, sizeof(before));
	arch = vcpu.arch;
	svm_inject_pending(&vcpu);
	assert_memory_equal(&before, vmcb, sizeof(before));
	assert_memory_equal(&arch, &vcpu.arch, sizeof(arch));

	/* The VINTR exit closes the window (exit.c); IF=1 now: injected. */
	vmcb->ctl.vintr &= ~VINTR_V_IRQ;
	vmcb->ctl.icpt1 &= ~ICPT1_VINTR;
	vcpu.arch.irq_window = false;
	vmcb->save.rflags |= IF_BIT;
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(npending(), 0);
	assert_false(window_open());
}

/*
 * "sti; hlt": the window was asked for, but the next exit is the HLT in the
 * STI shadow, not VINTR.  When the vCPU enters again with IF=1 the interrupt
 * goes in directly, and with nothing else pending the window request must
 * go too (invariant 4), else the guest's next IRET exits for nothing.
 */
static void test_window_withdrawn_after_injection(void **state)
{
	(void)state;
	vmcb->save.rflags = RF_FIXED;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	svm_inject_pending(&vcpu);
	assert_true(vcpu.arch.irq_window);
	vmcb->save.rflags |= IF_BIT;
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(npending(), 0);
	assert_false(window_open());
}

static void test_requeue_interrupt(void **state)
{
	(void)state;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	svm_inject_pending(&vcpu);
	/* The exit interrupted the delivery: the CPU hands it back in EXITINTINFO. */
	vmcb->ctl.exitintinfo = cpu_delivers();
	assert_int_equal(vmcb->ctl.exitintinfo, EVT_VALID | EVT_TYPE_INTR | 0x30);
	assert_int_equal(npending(), 0);
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(vmcb->ctl.exitintinfo, 0);
	assert_int_equal(vmcb->ctl.eventinj, 0);
	assert_true(is_pending(0x30));
	assert_int_equal(npending(), 1);
	/* Handled once: a second look at the same exit changes nothing. */
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(npending(), 1);
	assert_int_equal(vmcb->ctl.eventinj, 0);
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(npending(), 0);

	/* Already pending again when requeued (queued during the exit): still one bit. */
	vmcb->ctl.exitintinfo = cpu_delivers();
	vcpu_arch_queue_irq(&vcpu, 0x30);
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(npending(), 1);
	assert_int_equal(vmcb->ctl.eventinj, 0);
}

static void test_requeue_exception(void **state)
{
	uint64_t pf = EVT_VALID | EVT_TYPE_EXC | EVT_ERR_VALID | 14 | (0x1bull << 32);
	uint64_t nmi = EVT_VALID | EVT_TYPE_NMI | 2;

	(void)state;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	vmcb->ctl.exitintinfo = pf;
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, pf);
	assert_int_equal(vmcb->ctl.exitintinfo, 0);
	assert_int_equal(npending(), 1);
	/* The exception holds the slot; the interrupt waits, no window yet. */
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, pf);
	assert_true(is_pending(0x30));
	assert_false(window_open());

	assert_int_equal(cpu_delivers(), pf);
	vmcb->ctl.exitintinfo = nmi;
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, nmi);
	assert_true(is_pending(0x30));

	/* Nothing valid in EXITINTINFO: nothing moves. */
	cpu_delivers();
	vmcb->ctl.exitintinfo = EVT_TYPE_INTR | 0x55;
	svm_requeue_exitintinfo(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, 0);
	assert_int_equal(npending(), 1);
}

static void test_inject_exception(void **state)
{
	(void)state;
	svm_inject_exception(&vcpu, 13, true, 0x18);
	assert_int_equal(vmcb->ctl.eventinj, 0x0000001880000b0dull);
	svm_inject_exception(&vcpu, 6, false, 0xdead);
	assert_int_equal(vmcb->ctl.eventinj, 0x0000000080000306ull);
	svm_inject_exception(&vcpu, 14, true, 0xffffffffu);
	assert_int_equal(vmcb->ctl.eventinj, 0xffffffff80000b0eull);
}

static void test_highest_first(void **state)
{
	static const int order[] = { 0xff, 0xc0, 0x80, 0x51, 0x40, 0x3f, 0x30, 0x20 };
	const int n = sizeof(order) / sizeof(order[0]);

	(void)state;
	vcpu_arch_queue_irq(&vcpu, 0x30);
	vcpu_arch_queue_irq(&vcpu, 0x51);
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x51);
	assert_true(is_pending(0x30));
	assert_int_equal(npending(), 1);
	cpu_delivers();
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | 0x30);
	assert_int_equal(npending(), 0);
	cpu_delivers();

	/* Across all four words of the pending set, queued out of order. */
	for (int i = n - 1; i >= 0; i -= 2)
		vcpu_arch_queue_irq(&vcpu, order[i]);
	for (int i = n - 2; i >= 0; i -= 2)
		vcpu_arch_queue_irq(&vcpu, order[i]);
	vcpu_arch_queue_irq(&vcpu, 0x51);            /* twice queued is still once pending */
	assert_int_equal(npending(), n);
	for (int i = 0; i < n; i++) {
		svm_inject_pending(&vcpu);
		assert_int_equal(vmcb->ctl.eventinj, EVT_VALID | (uint64_t)order[i]);
		assert_int_equal(npending(), n - 1 - i);
		cpu_delivers();
	}
	svm_inject_pending(&vcpu);
	assert_int_equal(vmcb->ctl.eventinj, 0);
	assert_false(window_open());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_action),
		cmocka_unit_test(test_inject_decide),
		cmocka_unit_test_setup(test_inject_pending_all_states, setup),
		cmocka_unit_test_setup(test_queue_and_inject, setup),
		cmocka_unit_test_setup(test_window_when_blocked, setup),
		cmocka_unit_test_setup(test_window_withdrawn_after_injection, setup),
		cmocka_unit_test_setup(test_requeue_interrupt, setup),
		cmocka_unit_test_setup(test_requeue_exception, setup),
		cmocka_unit_test_setup(test_inject_exception, setup),
		cmocka_unit_test_setup(test_highest_first, setup),
	};

	vmcb = aligned_alloc(4096, sizeof(*vmcb));
	if (!vmcb)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

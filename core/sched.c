/*
 * The VM entry loop (DESIGN "The VM entry loop") and a round-robin run
 * queue per guest pCPU.
 */
#include <arch/apic.h>
#include <arch/calib.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/traps.h>
#include "log.h"
#include "sched.h"
#include "spinlock.h"
#include "vcpu.h"
#include "vm.h"

/*
 * One LAPIC timer per pCPU serves three clients: the time slice, the
 * running vCPU's device deadline (its vlapic timer), and the deadlines of
 * the vCPUs halted on this pCPU (sleepers).  All are host TSC values; the
 * timer is armed for the earliest, and its interrupt sorts out which came.
 */
struct sched_cpu {
	spinlock_t lock;
	struct vcpu *head, *tail;       /* RUNNABLE vCPUs waiting for this pCPU */
	struct vcpu *current;           /* the vCPU this pCPU is handling */
	struct vcpu *sleepers;          /* BLOCKED vCPUs with a wake-up time (under lock) */
	volatile bool need_resched;
	volatile bool slice_armed;
	uint64_t slice_end;             /* TSC, while slice_armed */
	uint64_t vcpu_deadline;         /* the current vCPU's, or UINT64_MAX */
	uint64_t armed;                 /* what the LAPIC timer is set for, or UINT64_MAX */
};

static struct sched_cpu sched_cpus[MAX_CPUS];

static struct sched_cpu *this_sched(void) { return &sched_cpus[this_cpu()->cpu]; }

/* Under s->lock. */
static void sleeper_remove(struct sched_cpu *s, struct vcpu *v)
{
	for (struct vcpu **p = &s->sleepers; *p; p = &(*p)->sleep_next)
		if (*p == v) {
			*p = v->sleep_next;
			v->sleep_next = NULL;
			v->wake_tsc = UINT64_MAX;
			return;
		}
}

/* Arm the LAPIC timer for the earliest client; IRQs disabled. */
static void timer_program(struct sched_cpu *s)
{
	uint64_t next = s->slice_armed ? s->slice_end : UINT64_MAX, now;

	if (s->vcpu_deadline < next)
		next = s->vcpu_deadline;
	spin_lock(&s->lock);
	for (struct vcpu *v = s->sleepers; v; v = v->sleep_next)
		if (v->wake_tsc < next)
			next = v->wake_tsc;
	spin_unlock(&s->lock);
	if (next == s->armed)
		return;
	s->armed = next;
	if (next == UINT64_MAX) {
		apic_timer_stop();
		return;
	}
	now = rdtsc();
	apic_timer_oneshot_tsc(next > now ? next - now : 1);
}

static void sched_timer_irq(struct trap_frame *f)
{
	struct sched_cpu *s = this_sched();
	struct vcpu *due[VM_MAX], *v, **p;
	unsigned n = 0;
	uint64_t now = rdtsc();

	(void)f;
	s->armed = UINT64_MAX;
	/* The running vCPU's deadline came: its next entry delivers it and sets the next one. */
	if (s->vcpu_deadline <= now)
		s->vcpu_deadline = UINT64_MAX;
	if (s->slice_armed && now >= s->slice_end) {
		s->slice_armed = false;
		if (s->head)
			s->need_resched = true;
	}
	spin_lock(&s->lock);
	for (p = &s->sleepers; (v = *p) != NULL && n < VM_MAX; ) {
		if (v->wake_tsc <= now) {
			*p = v->sleep_next;
			v->sleep_next = NULL;
			v->wake_tsc = UINT64_MAX;
			due[n++] = v;
		} else {
			p = &v->sleep_next;
		}
	}
	spin_unlock(&s->lock);
	for (unsigned i = 0; i < n; i++)
		sched_wake(due[i]);
	timer_program(s);
}

void sched_set_deadline(uint64_t when)
{
	struct sched_cpu *s = this_sched();

	s->vcpu_deadline = when;
	if (when < s->armed)
		timer_program(s);
}

/* The IPI only has to make the guest exit or the hlt return. */
static void sched_ipi_irq(struct trap_frame *f) { (void)f; }

void sched_init(void)
{
	for (uint32_t i = 0; i < MAX_CPUS; i++)
		sched_cpus[i].armed = sched_cpus[i].vcpu_deadline = UINT64_MAX;
	irq_register(VEC_TIMER, sched_timer_irq);
	irq_register(VEC_IPI_RESCHED, sched_ipi_irq);
}

uint64_t sched_guest_cpus(void)
{
	uint64_t m = 0;

	for (uint32_t i = 1; i < ncpus; i++)
		if (percpu[i].state == CPU_ONLINE && vcpu_arch_cpu_ready(i))
			m |= 1ull << i;
	return m;
}

void sched_kick_cpu(uint32_t cpu)
{
	if (cpu != this_cpu()->cpu)
		apic_send_ipi(percpu[cpu].apic_id, VEC_IPI_RESCHED);
}

bool sched_need_resched(void) { return this_sched()->need_resched; }

static void rq_append(struct sched_cpu *s, struct vcpu *v)
{
	v->rq_next = NULL;
	if (s->tail)
		s->tail->rq_next = v;
	else
		s->head = v;
	s->tail = v;
}

static struct vcpu *rq_pop(struct sched_cpu *s)
{
	struct vcpu *v = s->head;

	if (v) {
		s->head = v->rq_next;
		if (!s->head)
			s->tail = NULL;
		v->rq_next = NULL;
	}
	return v;
}

/* A vCPU its pCPU is still handling needs no queueing: that pCPU sees RUNNABLE. */
void sched_enqueue(struct vcpu *v)
{
	struct sched_cpu *s = &sched_cpus[v->pcpu];
	uint64_t f = spin_lock_irqsave(&s->lock);

	if (v->wake_tsc != UINT64_MAX)
		sleeper_remove(s, v);
	if (s->current != v)
		rq_append(s, v);
	spin_unlock_irqrestore(&s->lock, f);
	sched_kick_cpu(v->pcpu);
}

void sched_wake(struct vcpu *v)
{
	enum vcpu_state blocked = VCPU_BLOCKED;

	if (__atomic_compare_exchange_n(&v->state, &blocked, VCPU_RUNNABLE, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		sched_enqueue(v);
}

static bool vcpu_has_event(struct vcpu *v)
{
	return __atomic_load_n(&v->requests, __ATOMIC_SEQ_CST) ||
	       (v->id == 0 && !v->vm->console_uart && ring_used(&v->vm->in));
}

/* Block first, then look for an event: a waker that ran in between sees BLOCKED. */
void sched_block(struct vcpu *v)
{
	__atomic_store_n(&v->state, VCPU_BLOCKED, __ATOMIC_SEQ_CST);
	if (vcpu_has_event(v))
		sched_wake(v);
}

void sched_block_until(struct vcpu *v, uint64_t when)
{
	struct sched_cpu *s = &sched_cpus[v->pcpu];

	if (when != UINT64_MAX) {
		uint64_t f;

		if ((int64_t)(when - rdtsc()) <= 0)
			return;                 /* due already: the next entry delivers it */
		f = spin_lock_irqsave(&s->lock);
		v->wake_tsc = when;
		v->sleep_next = s->sleepers;
		s->sleepers = v;
		spin_unlock_irqrestore(&s->lock, f);
	}
	sched_block(v);
}

void sched_yield_vcpu(struct vcpu *v)
{
	struct sched_cpu *s = &sched_cpus[v->pcpu];

	if (s->head)
		s->need_resched = true;
}

/* Under the queue lock: keep running v, or let it go (to the queue if requeue). */
static bool sched_keep(struct sched_cpu *s, struct vcpu *v, bool requeue)
{
	uint64_t f = spin_lock_irqsave(&s->lock);
	bool keep = !requeue && v->state == VCPU_RUNNABLE;

	if (!keep) {
		if (requeue)
			rq_append(s, v);
		s->current = NULL;
		__atomic_store_n(&v->on_cpu, false, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&s->lock, f);
	return keep;
}

static void slice_arm(struct sched_cpu *s)
{
	if (s->head && !s->slice_armed) {
		uint64_t f = irq_save();

		s->slice_end = rdtsc() + calib_ticks_for_us(SCHED_SLICE_US, tsc_hz());
		s->slice_armed = true;
		timer_program(s);
		irq_restore(f);
	}
}

/* Run v until it blocks, stops, pauses or its slice ends. */
static void sched_run(struct sched_cpu *s, struct vcpu *v)
{
	for (;;) {
		irq_disable();
		/* Publish in_guest before reading the requests; see vcpu_request(). */
		__atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
		enum vcpu_action act = vcpu_next_action(__atomic_load_n(&v->requests, __ATOMIC_SEQ_CST),
							 s->need_resched);
		if (act == VCPU_ENTER) {
			bool pending = vcpu_arch_enter(v, &s->need_resched);
			__atomic_store_n(&v->in_guest, false, __ATOMIC_RELEASE);
			irq_enable();   /* the IRQ or IPI that ended the guest runs its handler here */
			if (pending)
				vcpu_arch_exit(v);
			if (v->state != VCPU_RUNNABLE && !sched_keep(s, v, false))
				return;
			slice_arm(s);
			continue;
		}
		__atomic_store_n(&v->in_guest, false, __ATOMIC_RELEASE);
		irq_enable();
		switch (act) {
		case VCPU_DO_KILL:
			__atomic_and_fetch(&v->requests, ~(VCPU_REQ_KILL | VCPU_REQ_PAUSE), __ATOMIC_SEQ_CST);
			__atomic_store_n(&v->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
			sched_keep(s, v, false);
			vm_vcpu_stopped(v);
			return;
		case VCPU_DO_PAUSE:
			__atomic_store_n(&v->state, VCPU_PAUSED, __ATOMIC_SEQ_CST);
			if (!sched_keep(s, v, false))
				return;
			break;          /* resumed before we let go: carry on */
		case VCPU_DO_RESCHED:
			s->need_resched = false;
			if (s->head) {
				sched_keep(s, v, true);
				return;
			}
			break;
		case VCPU_DO_REQUESTS:
			vcpu_arch_requests(v, __atomic_fetch_and(&v->requests,
				~(VCPU_REQ_INJECT | VCPU_REQ_FLUSH), __ATOMIC_SEQ_CST) &
				(VCPU_REQ_INJECT | VCPU_REQ_FLUSH));
			break;
		case VCPU_ENTER:
			break;
		}
	}
}

void sched_cpu_loop(void)
{
	struct sched_cpu *s = this_sched();

	for (;;) {
		irq_disable();
		spin_lock(&s->lock);
		struct vcpu *v = rq_pop(s);
		if (v) {
			s->current = v;
			v->on_cpu = true;
		}
		spin_unlock(&s->lock);
		if (!v) {
			s->vcpu_deadline = UINT64_MAX;
			timer_program(s);       /* the halted vCPUs' wake-up times */
			cpu_idle();     /* sti; hlt: an enqueue IPIs us awake */
			continue;
		}
		irq_enable();
		s->need_resched = false;
		if (s->head)
			slice_arm(s);
		sched_run(s, v);
	}
}

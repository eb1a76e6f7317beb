/*
 * Guest local APIC: register file, priorities, IPIs and the timer.  See
 * lapic.h for the choices the model makes where the manuals leave room.
 */
#include <string.h>
#include <arch/cpu.h>
#include "lapic.h"

__extension__ typedef unsigned __int128 u128;

#define LVT_TIMER       0
#define LVT_THERMAL     1
#define LVT_PERF        2
#define LVT_LINT0       3
#define LVT_LINT1       4
#define LVT_ERROR       5

#define TIMER_ONESHOT   0
#define TIMER_PERIODIC  1
#define TIMER_DEADLINE  2           /* 3 is reserved: the timer does not run */

#define SVR_WRITABLE    0x3ffu      /* vector, enable, focus check; no EOI-broadcast suppression */
#define ICR_LO_WRITABLE 0x000ccfffu /* everything but delivery status, which always reads idle */
#define ICR_X2_RESERVED 0xfff32000ull   /* SDM 11.12.9: bits 31:20, 17:16, 13 */
#define X2APIC_MODE     ((uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD))

/* SDM figure 11-8: vector, delivery mode, polarity, trigger, mask, timer mode. */
static const uint32_t lvt_writable[VLAPIC_NLVT] = {
	[LVT_TIMER]   = 0x000700ff,
	[LVT_THERMAL] = 0x000107ff,
	[LVT_PERF]    = 0x000107ff,
	[LVT_LINT0]   = 0x0001a7ff,
	[LVT_LINT1]   = 0x0001a7ff,
	[LVT_ERROR]   = 0x000100ff,
};

/* Who may touch a register (SDM table 11-1 for xAPIC, table 11-6 for x2APIC). */
#define R_X 0x1
#define W_X 0x2
#define R_2 0x4
#define W_2 0x8
#define RO_ALL (R_X | R_2)
#define RW_ALL (R_X | W_X | R_2 | W_2)

static const uint8_t reg_access_by_slot[0x40] = {
	[APIC_ID >> 4] = RO_ALL,         [APIC_VER >> 4] = RO_ALL,
	[APIC_TPR >> 4] = RW_ALL,        [APIC_APR >> 4] = R_X,
	[APIC_PPR >> 4] = RO_ALL,        [APIC_EOI >> 4] = W_X | W_2,
	[APIC_RRD >> 4] = R_X,           [APIC_LDR >> 4] = R_X | W_X | R_2,
	[APIC_DFR >> 4] = R_X | W_X,     [APIC_SVR >> 4] = RW_ALL,
	[APIC_ESR >> 4] = RW_ALL,        [APIC_ICR_LO >> 4] = RW_ALL,
	[APIC_ICR_HI >> 4] = R_X | W_X,  [APIC_TIMER_INIT >> 4] = RW_ALL,
	[APIC_TIMER_CUR >> 4] = RO_ALL,  [APIC_TIMER_DIV >> 4] = RW_ALL,
	[APIC_SELF_IPI >> 4] = W_2,
};

static unsigned reg_access(uint32_t off)
{
	if (off >= APIC_ISR && off < APIC_IRR + 0x80)
		return RO_ALL;
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
		return RW_ALL;
	return off >> 4 < 0x40 ? reg_access_by_slot[off >> 4] : 0;
}

/* IRR, ISR and TMR: 256 bits, vector v at bit v % 32 of word v / 32. */
static bool vec_test(const uint32_t *r, unsigned v) { return (r[v / 32] >> (v % 32)) & 1; }
static void vec_set(uint32_t *r, unsigned v) { r[v / 32] |= 1u << (v % 32); }
static void vec_clear(uint32_t *r, unsigned v) { r[v / 32] &= ~(1u << (v % 32)); }

static int vec_highest(const uint32_t *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

static bool lapic_enabled(const struct vlapic *l) { return l->apic_base & APIC_BASE_EN; }
static uint64_t lapic_mode(const struct vlapic *l) { return l->apic_base & X2APIC_MODE; }
static bool lapic_x2apic(const struct vlapic *l) { return lapic_mode(l) == X2APIC_MODE; }
static bool lapic_xapic(const struct vlapic *l) { return lapic_mode(l) == APIC_BASE_EN; }
static bool lapic_sw_enabled(const struct vlapic *l) { return l->svr & APIC_SVR_ENABLE; }

/* SDM 11.8.3.1 */
static uint32_t lapic_ppr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

/*
 * The P6-era SDM arbitration priority: TPR if it is at least IRRV's class
 * and above ISRV's, else the highest class of the three, subclass 0.
 */
static uint32_t lapic_apr(const struct vlapic *l)
{
	int isrv = vec_highest(l->isr), irrv = vec_highest(l->irr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv >> 4;
	uint32_t irr_class = irrv < 0 ? 0 : (uint32_t)irrv >> 4;
	uint32_t tpr_class = l->tpr >> 4;
	uint32_t c;

	if (tpr_class >= irr_class && tpr_class > isr_class)
		return l->tpr;
	c = tpr_class > isr_class ? tpr_class : isr_class;
	return (c > irr_class ? c : irr_class) << 4;
}

/* SDM 11.12.10.2: in x2APIC mode the LDR follows from the id. */
static uint32_t lapic_ldr(const struct vlapic *l)
{
	if (lapic_x2apic(l))
		return ((l->id >> 4) << 16) | (1u << (l->id & 0xf));
	return l->ldr;
}

static bool lapic_deliverable(const struct vlapic *l, int vector)
{
	return ((uint32_t)vector & 0xf0) > (lapic_ppr(l) & 0xf0);
}

static void lapic_accept(struct vlapic *l, unsigned vector, bool level)
{
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clear(l->tmr, vector);
}

static void lapic_error(struct vlapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LVT_ERROR];

	l->esr_pending |= bits;
	if (lvt & APIC_LVT_MASKED)
		return;
	/* An illegal error vector is one more receive error, and goes no further. */
	if ((lvt & 0xff) < 16)
		l->esr_pending |= APIC_ESR_RECV_ILLEGAL;
	else
		lapic_accept(l, lvt & 0xff, false);
}

/* Power-up state of everything but APIC_BASE, the id and INIT/SIPI (SDM 11.4.7.1, 11.4.7.3). */
static void lapic_reset(struct vlapic *l)
{
	memset(l->irr, 0, sizeof(l->irr));
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = 0xffffffff;
	l->svr = 0xff;
	l->esr = 0;
	l->esr_pending = 0;
	l->icr_lo = 0;
	l->icr_hi = 0;
	for (unsigned i = 0; i < VLAPIC_NLVT; i++)
		l->lvt[i] = APIC_LVT_MASKED;
	l->tmict = 0;
	l->tdcr = 0;
	l->timer_armed = false;
	l->timer_t0 = 0;
	l->timer_c0 = 0;
	l->timer_k = 0;
	l->tsc_deadline = 0;
	l->nmi_pending = false;
}

int vlapic_init(struct vlapic *l, const struct vlapic_config *cfg)
{
	if (cfg->tsc_hz == 0 || cfg->maxphyaddr < 32 || cfg->maxphyaddr > 52)
		return -1;
	memset(l, 0, sizeof(*l));
	l->id = cfg->id;
	l->bsp = cfg->bsp;
	l->tsc_hz = cfg->tsc_hz;
	/* SDM 11.4.4: bits 7:0 and 9 and those from MAXPHYADDR up are reserved. */
	l->base_reserved = ~((1ull << cfg->maxphyaddr) - 1) | 0x2ff;
	l->send_ipi = cfg->send_ipi;
	l->arg = cfg->arg;
	l->apic_base = VLAPIC_DEFAULT_BASE | APIC_BASE_EN | (cfg->bsp ? APIC_BASE_BSP : 0);
	lapic_reset(l);
	return 0;
}

/* ---------------------------------------------------------------- timer */

static unsigned timer_mode(uint32_t lvt) { return (lvt >> 17) & 3; }
static bool timer_counting(unsigned mode) { return mode <= TIMER_PERIODIC; }

/* SDM figure 11-10: bits 3 and 1:0; 111b divides by 1, n by 2 << n. */
static uint32_t timer_divisor(const struct vlapic *l)
{
	uint32_t v = ((l->tdcr >> 1) & 4) | (l->tdcr & 3);

	return v == 7 ? 1 : 2u << v;
}

static u128 timer_decrements(const struct vlapic *l, uint64_t now)
{
	if (now <= l->timer_t0)
		return 0;
	return (u128)(now - l->timer_t0) * VLAPIC_TIMER_HZ / l->tsc_hz / timer_divisor(l);
}

/* The first TSC by which n decrements have happened since timer_t0, UINT64_MAX if never. */
static uint64_t timer_tsc_at(const struct vlapic *l, u128 n)
{
	u128 ticks = n * timer_divisor(l), prod, t;

	if (ticks >> 64)
		return UINT64_MAX;
	/* Both factors are below 2^64, so rounding up cannot wrap; no u128 modulo
	 * either, as libgcc's __udivmodti4 uses SSE registers (invariant 9). */
	prod = ticks * l->tsc_hz;
	t = (prod + VLAPIC_TIMER_HZ - 1) / VLAPIC_TIMER_HZ;
	if (t >= UINT64_MAX - l->timer_t0)
		return UINT64_MAX;
	return l->timer_t0 + (uint64_t)t;
}

/* Decrements from timer_t0 to the next expiry: the load, then timer_k periods. */
static u128 timer_next_n(const struct vlapic *l)
{
	return (u128)l->timer_c0 + (u128)l->timer_k * l->tmict;
}

static uint64_t timer_due(const struct vlapic *l)
{
	unsigned mode = timer_mode(l->lvt[LVT_TIMER]);

	if (mode == TIMER_DEADLINE)
		return l->tsc_deadline ? l->tsc_deadline : UINT64_MAX;
	if (!timer_counting(mode) || !l->timer_armed)
		return UINT64_MAX;
	return timer_tsc_at(l, timer_next_n(l));
}

/* Every access advances first, so the next expiry still lies after now. */
static uint32_t timer_current(const struct vlapic *l, uint64_t now)
{
	u128 d, next;

	if (!timer_counting(timer_mode(l->lvt[LVT_TIMER])) || !l->timer_armed)
		return 0;
	d = timer_decrements(l, now);
	next = timer_next_n(l);
	return d < next ? (uint32_t)(next - d) : 0;
}

static void timer_fire(struct vlapic *l)
{
	uint32_t lvt = l->lvt[LVT_TIMER];

	if (lvt & APIC_LVT_MASKED)
		return;
	if ((lvt & 0xff) < 16)
		lapic_error(l, APIC_ESR_RECV_ILLEGAL);
	else
		lapic_accept(l, lvt & 0xff, false);
}

uint64_t vlapic_next_event(const struct vlapic *l)
{
	if (l->lvt[LVT_TIMER] & APIC_LVT_MASKED)
		return UINT64_MAX;
	return timer_due(l);
}

void vlapic_advance(struct vlapic *l, uint64_t now)
{
	uint64_t due = timer_due(l);
	u128 k;

	if (due == UINT64_MAX || now < due)
		return;
	switch (timer_mode(l->lvt[LVT_TIMER])) {
	case TIMER_DEADLINE:
		l->tsc_deadline = 0;
		break;
	case TIMER_ONESHOT:
		l->timer_armed = false;
		break;
	default:
		/* Skip every expiry up to now; the schedule stays anchored at timer_t0. */
		k = (timer_decrements(l, now) - l->timer_c0) / l->tmict + 1;
		l->timer_k = (k >> 64) ? UINT64_MAX : (uint64_t)k;
		break;
	}
	timer_fire(l);
}

static void timer_load(struct vlapic *l, uint32_t count, uint64_t now)
{
	unsigned mode = timer_mode(l->lvt[LVT_TIMER]);

	/* SDM 11.5.4.1: TSC-deadline mode ignores the initial count. */
	if (mode == TIMER_DEADLINE)
		return;
	l->tmict = count;
	l->timer_t0 = now;
	l->timer_c0 = count;
	l->timer_k = 0;
	l->timer_armed = count != 0 && timer_counting(mode);
}

static void timer_set_divide(struct vlapic *l, uint32_t val, uint64_t now)
{
	uint32_t cur = timer_current(l, now);

	l->tdcr = val & 0xb;
	if (l->timer_armed) {
		l->timer_t0 = now;
		l->timer_c0 = cur;
		l->timer_k = 0;
	}
}

static void lvt_write(struct vlapic *l, unsigned idx, uint32_t val)
{
	unsigned from = timer_mode(l->lvt[LVT_TIMER]), to = timer_mode(val);

	/* SDM 11.4.7.2: a software-disabled APIC keeps every LVT masked. */
	if (!lapic_sw_enabled(l))
		val |= APIC_LVT_MASKED;
	val &= lvt_writable[idx];
	/* SDM 11.5.4.1: entering or leaving TSC-deadline mode disarms the timer. */
	if (idx == LVT_TIMER && from != to && !(timer_counting(from) && timer_counting(to))) {
		l->timer_armed = false;
		l->tmict = 0;
		l->tsc_deadline = 0;
	}
	l->lvt[idx] = val;
}

/* ---------------------------------------------------------------- registers */

static int lapic_eoi(struct vlapic *l)
{
	int v = vec_highest(l->isr);

	if (v < 0)
		return 0;
	vec_clear(l->isr, (unsigned)v);
	return vec_test(l->tmr, (unsigned)v) ? VLAPIC_EOI_LEVEL | v : 0;
}

static void lapic_send(struct vlapic *l, uint32_t icr, uint32_t dest, bool x2apic)
{
	struct vlapic_ipi ipi = {
		.dest = dest,
		.vector = icr & 0xff,
		.mode = (icr >> 8) & 7,
		.shorthand = (icr >> 18) & 3,
		.logical = icr & (1u << 11),
		.x2apic = x2apic,
	};

	switch (ipi.mode) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		if (ipi.vector < 16) {
			lapic_error(l, APIC_ESR_SEND_ILLEGAL);
			return;
		}
		ipi.level = icr & APIC_ICR_LEVEL;
		break;
	case VLAPIC_DM_INIT:
		if ((icr & APIC_ICR_LEVEL) && !(icr & APIC_ICR_ASSERT))
			return;
		break;
	case VLAPIC_DM_NMI:
	case VLAPIC_DM_SIPI:
		break;
	default:
		return;
	}
	/* Last: the callback may deliver back to this APIC, INIT included. */
	if (l->send_ipi)
		l->send_ipi(l->arg, &ipi);
}

static uint32_t lapic_reg_read(const struct vlapic *l, uint32_t off, uint64_t now)
{
	if (off >= APIC_ISR && off < APIC_TMR)
		return l->isr[(off - APIC_ISR) >> 4];
	if (off >= APIC_TMR && off < APIC_IRR)
		return l->tmr[(off - APIC_TMR) >> 4];
	if (off >= APIC_IRR && off < APIC_IRR + 0x80)
		return l->irr[(off - APIC_IRR) >> 4];
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
		return l->lvt[(off - APIC_LVT_TIMER) >> 4];
	switch (off) {
	case APIC_ID:
		return lapic_x2apic(l) ? l->id : (l->id & 0xff) << 24;
	case APIC_VER:
		return VLAPIC_VERSION;
	case APIC_TPR:
		return l->tpr;
	case APIC_APR:
		return lapic_apr(l);
	case APIC_PPR:
		return lapic_ppr(l);
	case APIC_LDR:
		return lapic_ldr(l);
	case APIC_DFR:
		return l->dfr;
	case APIC_SVR:
		return l->svr;
	case APIC_ESR:
		return l->esr;
	case APIC_ICR_LO:
		return l->icr_lo;
	case APIC_ICR_HI:
		return l->icr_hi;
	case APIC_TIMER_INIT:
		return l->tmict;
	case APIC_TIMER_CUR:
		return timer_current(l, now);
	case APIC_TIMER_DIV:
		return l->tdcr;
	default:
		return 0;
	}
}

/* Only for registers reg_access() lets the current mode write. */
static int lapic_reg_write(struct vlapic *l, uint32_t off, uint32_t val, uint64_t now)
{
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		lvt_write(l, (off - APIC_LVT_TIMER) >> 4, val);
		return 0;
	}
	switch (off) {
	case APIC_TPR:
		l->tpr = val & 0xff;
		break;
	case APIC_EOI:
		return lapic_eoi(l);
	case APIC_LDR:
		l->ldr = val & 0xff000000;
		break;
	case APIC_DFR:
		l->dfr = val | 0x0fffffff;
		break;
	case APIC_SVR:
		l->svr = val & SVR_WRITABLE;
		if (!(val & APIC_SVR_ENABLE))
			for (unsigned i = 0; i < VLAPIC_NLVT; i++)
				l->lvt[i] |= APIC_LVT_MASKED;
		break;
	case APIC_ESR:
		/* SDM 11.5.3: a write latches the errors seen since the last one. */
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case APIC_ICR_LO:
		l->icr_lo = val & ICR_LO_WRITABLE;
		lapic_send(l, l->icr_lo, l->icr_hi >> 24, false);
		break;
	case APIC_ICR_HI:
		l->icr_hi = val & 0xff000000;
		break;
	case APIC_TIMER_INIT:
		timer_load(l, val, now);
		break;
	case APIC_TIMER_DIV:
		timer_set_divide(l, val, now);
		break;
	case APIC_SELF_IPI:
		/* SDM 11.5.3: an illegal self-IPI vector is a receive error. */
		if (val < 16)
			lapic_error(l, APIC_ESR_RECV_ILLEGAL);
		else
			lapic_send(l, val | (VLAPIC_SH_SELF << 18), l->id, true);
		break;
	default:
		break;
	}
	return 0;
}

bool vlapic_mmio_claims(const struct vlapic *l, uint64_t gpa)
{
	uint64_t base = l->apic_base & ~0xfffull;

	return lapic_xapic(l) && gpa >= base && gpa - base < VLAPIC_MMIO_SIZE;
}

uint64_t vlapic_mmio_read(struct vlapic *l, uint64_t offset, unsigned size, uint64_t now)
{
	uint64_t v = 0;

	if (!lapic_xapic(l) || offset >= VLAPIC_MMIO_SIZE || size == 0 || size > 8)
		return 0;
	vlapic_advance(l, now);
	for (unsigned i = 0; i < size; i++) {
		uint64_t b = offset + i;
		uint32_t off = (uint32_t)b & 0xff0;

		if (b >= VLAPIC_MMIO_SIZE || (b & 0xf) >= 4 || !(reg_access(off) & R_X))
			continue;
		v |= (uint64_t)((lapic_reg_read(l, off, now) >> (8 * (b & 3))) & 0xff) << (8 * i);
	}
	return v;
}

int vlapic_mmio_write(struct vlapic *l, uint64_t offset, unsigned size, uint64_t val, uint64_t now)
{
	int r = 0;

	if (!lapic_xapic(l) || offset >= VLAPIC_MMIO_SIZE || size != 4 || (offset & 0xf))
		return 0;
	vlapic_advance(l, now);
	if (reg_access((uint32_t)offset) & W_X)
		r = lapic_reg_write(l, (uint32_t)offset, (uint32_t)val, now);
	vlapic_advance(l, now);
	return r;
}

bool vlapic_msr_is_lapic(uint32_t msr)
{
	return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_BASE && msr <= MSR_X2APIC_LAST);
}

static bool x2apic_msr(const struct vlapic *l, uint32_t msr)
{
	return lapic_x2apic(l) && msr >= MSR_X2APIC_BASE && msr <= MSR_X2APIC_LAST;
}

int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val, uint64_t now)
{
	uint32_t off;

	vlapic_advance(l, now);
	if (msr == MSR_APIC_BASE) {
		*val = l->apic_base;
		return 0;
	}
	if (msr == MSR_TSC_DEADLINE) {
		/* SDM 11.5.4.1: reads 0 outside TSC-deadline mode. */
		*val = timer_mode(l->lvt[LVT_TIMER]) == TIMER_DEADLINE ? l->tsc_deadline : 0;
		return 0;
	}
	if (!x2apic_msr(l, msr))
		return VLAPIC_GP;
	off = (msr - MSR_X2APIC_BASE) << 4;
	if (!(reg_access(off) & R_2))
		return VLAPIC_GP;
	if (off == APIC_ICR_LO)
		*val = (uint64_t)l->icr_hi << 32 | l->icr_lo;
	else
		*val = lapic_reg_read(l, off, now);
	return 0;
}

/* SDM 11.12.5, figure 11-27: the legal mode transitions. */
static int lapic_set_base(struct vlapic *l, uint64_t val)
{
	uint64_t from = l->apic_base & X2APIC_MODE, to = val & X2APIC_MODE;

	if (val & l->base_reserved)
		return VLAPIC_GP;
	if (to == APIC_BASE_EXTD)
		return VLAPIC_GP;
	if (from == X2APIC_MODE && to == APIC_BASE_EN)
		return VLAPIC_GP;
	if (from == 0 && to == X2APIC_MODE)
		return VLAPIC_GP;
	if (from != 0 && to == 0)
		lapic_reset(l);
	l->apic_base = (val & ~(uint64_t)APIC_BASE_BSP) | (l->apic_base & APIC_BASE_BSP);
	return 0;
}

static int x2apic_write(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now)
{
	uint32_t off;

	if (!x2apic_msr(l, msr))
		return VLAPIC_GP;
	off = (msr - MSR_X2APIC_BASE) << 4;
	if (!(reg_access(off) & W_2))
		return VLAPIC_GP;
	if (off == APIC_ICR_LO) {
		if (val & ICR_X2_RESERVED)
			return VLAPIC_GP;
		l->icr_lo = (uint32_t)val & ICR_LO_WRITABLE;
		l->icr_hi = (uint32_t)(val >> 32);
		lapic_send(l, l->icr_lo, l->icr_hi, true);
		return 0;
	}
	if (val >> 32)
		return VLAPIC_GP;
	if ((off == APIC_EOI || off == APIC_ESR) && val)
		return VLAPIC_GP;
	if (off == APIC_SELF_IPI && val > 0xff)
		return VLAPIC_GP;
	return lapic_reg_write(l, off, (uint32_t)val, now);
}

int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now)
{
	int r = 0;

	vlapic_advance(l, now);
	if (msr == MSR_APIC_BASE)
		r = lapic_set_base(l, val);
	else if (msr == MSR_TSC_DEADLINE) {
		/* SDM 11.5.4.1: ignored outside TSC-deadline mode; 0 disarms. */
		if (timer_mode(l->lvt[LVT_TIMER]) == TIMER_DEADLINE)
			l->tsc_deadline = val;
	} else
		r = x2apic_write(l, msr, val, now);
	vlapic_advance(l, now);
	return r;
}

uint8_t vlapic_tpr(const struct vlapic *l) { return (uint8_t)l->tpr; }
void vlapic_set_tpr(struct vlapic *l, uint8_t tpr) { l->tpr = tpr; }

/* ---------------------------------------------------------------- interrupts */

bool vlapic_set_irq(struct vlapic *l, uint8_t vector, bool level)
{
	if (!lapic_enabled(l) || !lapic_sw_enabled(l))
		return false;
	if (vector < 16) {
		lapic_error(l, APIC_ESR_RECV_ILLEGAL);
		return false;
	}
	lapic_accept(l, vector, level);
	return true;
}

int vlapic_pending(const struct vlapic *l)
{
	int v = vec_highest(l->irr);

	if (!lapic_enabled(l) || v < 0 || !lapic_deliverable(l, v))
		return -1;
	return v;
}

bool vlapic_ack(struct vlapic *l, int vector)
{
	/* Deliverable means above PPR, so the vector cannot be in ISR already. */
	if (!lapic_enabled(l) || vector < 16 || vector > 255 ||
	    !vec_test(l->irr, (unsigned)vector) || !lapic_deliverable(l, vector))
		return false;
	vec_clear(l->irr, (unsigned)vector);
	vec_set(l->isr, (unsigned)vector);
	return true;
}

int vlapic_cancel(struct vlapic *l, int vector)
{
	if (vector < 0 || vector != vec_highest(l->isr))
		return -1;
	/* Merging with the newer instance in IRR would lose one of the two. */
	if (vec_test(l->irr, (unsigned)vector))
		return VLAPIC_CANCEL_REINJECT;
	vec_clear(l->isr, (unsigned)vector);
	vec_set(l->irr, (unsigned)vector);
	return VLAPIC_CANCEL_PENDING;
}

bool vlapic_nmi_pending(const struct vlapic *l) { return l->nmi_pending; }
void vlapic_nmi_ack(struct vlapic *l) { l->nmi_pending = false; }

int vlapic_nmi_cancel(struct vlapic *l)
{
	if (l->nmi_pending)
		return VLAPIC_CANCEL_REINJECT;
	l->nmi_pending = true;
	return VLAPIC_CANCEL_PENDING;
}

/* ---------------------------------------------------------------- IPIs */

/* SDM 11.6.2.2 (xAPIC flat and cluster by DFR) and 11.12.10.2 (x2APIC cluster). */
static bool lapic_match_logical(const struct vlapic *l, uint32_t dest)
{
	uint32_t ldr = lapic_ldr(l);

	if (lapic_x2apic(l))
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	ldr >>= 24;
	if (dest > 0xff)
		return false;
	if ((l->dfr >> 28) == 0xf)
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

bool vlapic_match_dest(const struct vlapic *l, const struct vlapic_ipi *ipi, uint32_t source_id)
{
	if (!lapic_enabled(l))
		return false;
	switch (ipi->shorthand) {
	case VLAPIC_SH_SELF:
		return l->id == source_id;
	case VLAPIC_SH_ALL:
		return true;
	case VLAPIC_SH_OTHERS:
		return l->id != source_id;
	default:
		break;
	}
	if (ipi->dest == (ipi->x2apic ? 0xffffffffu : 0xffu))
		return true;
	if (!ipi->logical)
		return ipi->dest == (lapic_x2apic(l) ? l->id : (l->id & 0xff));
	return lapic_match_logical(l, ipi->dest);
}

bool vlapic_deliver(struct vlapic *l, const struct vlapic_ipi *ipi)
{
	if (!lapic_enabled(l))
		return false;
	switch (ipi->mode) {
	case VLAPIC_DM_FIXED:
	case VLAPIC_DM_LOWEST:
		return vlapic_set_irq(l, ipi->vector, ipi->level);
	case VLAPIC_DM_NMI:
		l->nmi_pending = true;
		return true;
	case VLAPIC_DM_INIT:
		/* SDM 9.4.1 and 11.12.5.2: the mode and id survive; APs wait for a SIPI. */
		lapic_reset(l);
		l->init_pending = true;
		l->wait_for_sipi = !l->bsp;
		l->sipi_ready = false;
		return true;
	case VLAPIC_DM_SIPI:
		/* A SIPI finding the AP started (the second of INIT-SIPI-SIPI) is ignored. */
		if (!l->wait_for_sipi || l->sipi_ready)
			return false;
		l->sipi_vector = ipi->vector;
		l->sipi_ready = true;
		return true;
	default:
		return false;
	}
}

bool vlapic_take_init(struct vlapic *l)
{
	bool r = l->init_pending;

	l->init_pending = false;
	return r;
}

bool vlapic_init_received(const struct vlapic *l) { return l->wait_for_sipi; }

int vlapic_take_sipi(struct vlapic *l)
{
	if (!l->sipi_ready)
		return -1;
	l->sipi_ready = false;
	l->wait_for_sipi = false;
	return l->sipi_vector;
}

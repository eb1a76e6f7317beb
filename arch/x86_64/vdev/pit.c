/*
 * Guest 8254 PIT and port B: each channel's counting element as a function
 * of the clock pulse number, computed from the TSC.  See pit.h.
 *
 * A running channel is described by its count n and the pulse t_ref that
 * loaded it; E = pulse - t_ref is the number of pulses counted since (-1
 * in the pulse between the write and the load).  OUT and the element follow
 * from (mode, n, E), so a read costs a few divisions and the state changes
 * only when the guest writes or the gate moves.
 */
#include "pit.h"

enum { CH_IDLE, CH_RUN, CH_HOLD };

#define RW_LSB  1
#define RW_MSB  2
#define RW_BOTH 3

#define PORTB_GATE2   0x01
#define PORTB_KEPT    0x0f
#define PORTB_REFRESH 0x10
#define PORTB_OUT2    0x20

#define RB_NO_COUNT   0x20              /* read-back bits are active low */
#define RB_NO_STATUS  0x10

/* ---------------------------------------------------------------- time */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/*
 * Clock pulses since base_tsc: d * VPIT_HZ / tsc_hz, split as
 * (d / hz) * VPIT_HZ + (d % hz) * VPIT_HZ / hz.  The second product is below
 * VPIT_TSC_HZ_MAX * 2^21 = 2^64, and the first below d since hz >= VPIT_HZ.
 */
static uint64_t pulses_at(const struct vpit *p, uint64_t now)
{
	uint64_t d = now > p->base_tsc ? now - p->base_tsc : 0;

	return d / p->tsc_hz * VPIT_HZ + d % p->tsc_hz * VPIT_HZ / p->tsc_hz;
}

/* The first TSC at which pulses_at() reaches k: base + ceil(k * hz / VPIT_HZ). */
static uint64_t tsc_of_pulse(const struct vpit *p, uint64_t k)
{
	uint64_t q = k / VPIT_HZ, r = k % VPIT_HZ, whole;

	if (__builtin_mul_overflow(q, p->tsc_hz, &whole))
		return UINT64_MAX;
	/* r < 2^21 and hz <= 2^43: the product fits. */
	return sat_add(p->base_tsc, sat_add(whole, (r * p->tsc_hz + VPIT_HZ - 1) / VPIT_HZ));
}

/* The current pulse, never behind one seen before. */
static uint64_t pulse_now(struct vpit *p, uint64_t now)
{
	uint64_t t = pulses_at(p, now);

	if (t > p->last)
		p->last = t;
	return p->last;
}

/* ---------------------------------------------------------------- counting element */

static uint32_t modulus(const struct vpit_chan *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint32_t half_high(uint32_t n)
{
	return (n + 1) / 2;             /* mode 3: OUT is high for ceil(n / 2) pulses */
}

static int64_t elapsed(uint64_t t, uint64_t t_ref)
{
	return (int64_t)(t - t_ref);
}

/*
 * The count and load pulse in force at pulse t: a pending mode 2/3 count
 * takes over at sw_at, at the start of a period, or of a low half-cycle
 * when sw_low (t_ref then lies half a period back).
 */
static void chan_view(const struct vpit_chan *c, uint64_t t, uint32_t *n, uint64_t *t_ref)
{
	if (c->sw && t >= c->sw_at) {
		*n = c->sw_n;
		*t_ref = c->sw_low ? c->sw_at - half_high(c->sw_n) : c->sw_at;
	} else {
		*n = c->n;
		*t_ref = c->t_ref;
	}
}

/* Make a pending count that is due at pulse t the current one. */
static void chan_settle(struct vpit_chan *c, uint64_t t)
{
	if (c->sw && t >= c->sw_at) {
		chan_view(c, t, &c->n, &c->t_ref);
		c->sw = false;
	}
}

/* The counting element (0..modulus-1) of a running channel at E. */
static uint32_t ce_at(uint8_t mode, uint32_t n, int64_t e, uint32_t mod)
{
	uint64_t v, p, q;

	if (e < 0)
		return n % mod;
	switch (mode) {
	case 2:
		v = n - (uint64_t)e % n;
		break;
	case 3:
		/* Odd n loads n - 1; the element steps by 2 in each half-cycle. */
		p = (uint64_t)e % n;
		q = p < half_high(n) ? p : p - half_high(n);
		v = (n & ~1u) - 2 * q;
		break;
	default:
		/* One-shot modes keep counting down through 0 and wrap. */
		v = n + mod - (uint64_t)e % mod;
		break;
	}
	return (uint32_t)(v % mod);
}

static bool out_at(uint8_t mode, uint32_t n, int64_t e)
{
	switch (mode) {
	case 0:
	case 1:
		return e >= (int64_t)n;
	case 2:
		return e < 0 || (uint64_t)e % n != n - 1;
	case 3:
		return e < 0 || (uint64_t)e % n < half_high(n);
	default:
		return e != (int64_t)n;         /* modes 4, 5: low for one pulse at 0 */
	}
}

static uint32_t chan_ce(const struct vpit_chan *c, uint64_t t)
{
	uint32_t n;
	uint64_t t_ref;

	switch (c->state) {
	case CH_RUN:
		chan_view(c, t, &n, &t_ref);
		return ce_at(c->mode, n, elapsed(t, t_ref), modulus(c));
	case CH_HOLD:
		if (c->mode == 0 || c->mode == 4)
			return ce_at(c->mode, c->n, c->e_hold, modulus(c));
		return c->ce_hold;
	default:
		return c->ce_hold;
	}
}

static bool chan_out(const struct vpit_chan *c, uint64_t t)
{
	uint32_t n;
	uint64_t t_ref;

	switch (c->state) {
	case CH_RUN:
		chan_view(c, t, &n, &t_ref);
		return out_at(c->mode, n, elapsed(t, t_ref));
	case CH_HOLD:
		if (c->mode == 0 || c->mode == 4)
			return out_at(c->mode, c->n, c->e_hold);
		return true;                    /* modes 2, 3: a low gate forces OUT high */
	default:
		return c->mode != 0;
	}
}

/* The element as the guest reads it: binary, or four BCD digits. */
static uint16_t chan_shown(const struct vpit_chan *c, uint64_t t)
{
	uint32_t v = chan_ce(c, t);

	if (!c->bcd)
		return (uint16_t)v;
	return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static uint32_t count_of(const struct vpit_chan *c, uint16_t raw)
{
	uint32_t v = raw;

	if (c->bcd)
		v = ((raw >> 12) * 1000u + (raw >> 8 & 0xf) * 100u + (raw >> 4 & 0xf) * 10u +
		     (raw & 0xf)) % 10000u;
	return v ? v : modulus(c);
}

/* ---------------------------------------------------------------- rising edges of OUT */

/* The first rising edge of a channel running with (n, t_ref) after pulse a. */
static bool edge_after(uint8_t mode, uint32_t n, uint64_t t_ref, uint64_t a, uint64_t *edge)
{
	int64_t e = elapsed(a, t_ref);
	uint64_t k, x;

	switch (mode) {
	case 2:
	case 3:
		/* OUT rises as each period starts; a count of 1 never makes it rise. */
		if (n < 2)
			return false;
		k = e < (int64_t)n ? 1 : (uint64_t)e / n + 1;
		*edge = t_ref + k * n;
		return true;
	case 0:
	case 1:
		x = n;
		break;
	default:
		x = (uint64_t)n + 1;            /* modes 4, 5: after the one-pulse strobe */
		break;
	}
	if (e >= (int64_t)x)
		return false;
	*edge = t_ref + x;
	return true;
}

static bool chan_next_edge(const struct vpit_chan *c, uint64_t a, uint64_t *edge)
{
	uint32_t n;
	uint64_t t_ref;

	if (c->state != CH_RUN)
		return false;
	if (c->sw && a < c->sw_at) {
		if (edge_after(c->mode, c->n, c->t_ref, a, edge) && *edge <= c->sw_at)
			return true;
		chan_view(c, c->sw_at, &n, &t_ref);
		return edge_after(c->mode, n, t_ref, a, edge);
	}
	chan_view(c, a, &n, &t_ref);
	return edge_after(c->mode, n, t_ref, a, edge);
}

uint64_t vpit_next_event(const struct vpit *p)
{
	uint64_t edge;

	if (!chan_next_edge(&p->ch[0], p->irq_done, &edge))
		return UINT64_MAX;
	return tsc_of_pulse(p, edge);
}

void vpit_advance(struct vpit *p, uint64_t now)
{
	uint64_t t = pulse_now(p, now), edge;

	if (t <= p->irq_done)
		return;
	if (chan_next_edge(&p->ch[0], p->irq_done, &edge) && edge <= t) {
		p->irq_done = t;
		if (p->irq0)
			p->irq0(p->arg);
		return;
	}
	p->irq_done = t;
}

/* ---------------------------------------------------------------- programming */

static void chan_program(struct vpit_chan *c, uint8_t cw, uint64_t t)
{
	uint8_t mode = cw >> 1 & 7;

	chan_settle(c, t);
	c->ce_hold = (uint16_t)chan_ce(c, t);   /* the element stops where it was */
	c->ctrl = cw & 0x3f;
	c->mode = mode >= 6 ? mode - 4 : mode;
	c->rw = cw >> 4 & 3;
	c->bcd = cw & 1;
	c->state = CH_IDLE;
	c->wr_msb = c->rd_msb = false;
	c->ol_valid = c->st_valid = false;
	c->cr_valid = false;
	c->sw = false;
	c->load_at = UINT64_MAX;
}

/* Start counting n from the pulse after t (a write, or a gate trigger). */
static void chan_start(struct vpit_chan *c, uint32_t n, uint64_t t)
{
	c->state = CH_RUN;
	c->n = n;
	c->t_ref = t + 1;
	c->sw = false;
	if (c->load_at > t + 1)
		c->load_at = t + 1;
}

/* Modes 2 and 3: a count written while running waits for the period's (half-cycle's) end. */
static void chan_defer(struct vpit_chan *c, uint32_t n, uint64_t t)
{
	int64_t e = elapsed(t, c->t_ref);
	uint64_t start, p;

	if (c->sw) {                    /* still before the switch: replace its count */
		c->sw_n = n;
		return;
	}
	if (e < 0) {                    /* not loaded yet: load the new count instead */
		c->n = n;
		return;
	}
	p = (uint64_t)e % c->n;
	start = c->t_ref + ((uint64_t)e - p);
	c->sw = true;
	c->sw_n = n;
	if (c->mode == 3 && p < half_high(c->n)) {
		c->sw_at = start + half_high(c->n);
		c->sw_low = true;
	} else {
		c->sw_at = start + c->n;
		c->sw_low = false;
	}
	c->load_at = c->sw_at;
}

static void chan_load(struct vpit_chan *c, uint32_t n, uint64_t t)
{
	chan_settle(c, t);
	c->cr = n;
	c->cr_valid = true;
	switch (c->mode) {
	case 0:
	case 4:
		/* Loaded on the next pulse whatever the gate; counts while it is high. */
		c->load_at = t + 1;
		if (c->gate) {
			chan_start(c, n, t);
		} else {
			c->state = CH_HOLD;
			c->n = n;
			c->e_hold = 0;
			c->sw = false;
		}
		break;
	case 1:
	case 5:
		c->load_at = UINT64_MAX;        /* until the gate's next rising edge */
		break;
	default:
		if (c->state == CH_RUN) {
			chan_defer(c, n, t);
		} else if (c->state == CH_IDLE) {
			c->load_at = t + 1;
			if (c->gate) {
				chan_start(c, n, t);
			} else {
				c->state = CH_HOLD;
				c->n = n;
				c->ce_hold = (uint16_t)(n % modulus(c));
			}
		} else {
			c->load_at = UINT64_MAX;    /* the gate's rising edge loads it */
		}
		break;
	}
}

static void chan_set_gate(struct vpit_chan *c, bool gate, uint64_t t)
{
	int64_t e;

	if (gate == c->gate)
		return;
	chan_settle(c, t);
	c->gate = gate;
	switch (c->mode) {
	case 0:
	case 4:
		if (!gate && c->state == CH_RUN) {
			e = elapsed(t, c->t_ref);
			c->e_hold = e < 0 ? 0 : e;
			c->state = CH_HOLD;
		} else if (gate && c->state == CH_HOLD) {
			c->t_ref = t - (uint64_t)c->e_hold;
			c->state = CH_RUN;
		}
		break;
	case 2:
	case 3:
		if (!gate && c->state == CH_RUN) {
			c->ce_hold = (uint16_t)chan_ce(c, t);
			c->state = CH_HOLD;
			if (c->sw) {            /* the new count now waits for the trigger */
				c->sw = false;
				c->load_at = UINT64_MAX;
			}
		} else if (gate && c->state == CH_HOLD && c->cr_valid) {
			chan_start(c, c->cr, t);
		}
		break;
	default:
		if (gate && c->cr_valid)        /* modes 1, 5: (re)trigger */
			chan_start(c, c->cr, t);
		break;
	}
}

static void chan_write(struct vpit_chan *c, uint8_t val, uint64_t t)
{
	uint16_t raw;

	switch (c->rw) {
	case RW_LSB:
		raw = val;
		break;
	case RW_MSB:
		raw = (uint16_t)(val << 8);
		break;
	default:
		if (!c->wr_msb) {
			c->wr_lsb = val;
			c->wr_msb = true;
			if (c->mode == 0) {     /* the first byte stops mode 0, OUT low */
				chan_settle(c, t);
				c->ce_hold = (uint16_t)chan_ce(c, t);
				c->state = CH_IDLE;
				c->sw = false;
			}
			return;
		}
		c->wr_msb = false;
		raw = (uint16_t)(c->wr_lsb | val << 8);
		break;
	}
	chan_load(c, count_of(c, raw), t);
}

static void chan_latch_count(struct vpit_chan *c, uint64_t t)
{
	if (c->ol_valid)
		return;                         /* the first latch holds until read */
	c->ol = chan_shown(c, t);
	c->ol_valid = true;
}

static void chan_latch_status(struct vpit_chan *c, uint64_t t)
{
	if (c->st_valid)
		return;
	c->st = (uint8_t)((chan_out(c, t) ? 0x80 : 0) | (t < c->load_at ? 0x40 : 0) | c->ctrl);
	c->st_valid = true;
}

static uint8_t chan_read(struct vpit_chan *c, uint64_t t)
{
	uint16_t v;
	bool msb;

	if (c->st_valid) {
		c->st_valid = false;
		return c->st;
	}
	v = c->ol_valid ? c->ol : chan_shown(c, t);
	switch (c->rw) {
	case RW_LSB:
		msb = false;
		c->ol_valid = false;
		break;
	case RW_MSB:
		msb = true;
		c->ol_valid = false;
		break;
	default:
		msb = c->rd_msb;
		c->rd_msb = !c->rd_msb;
		if (msb)
			c->ol_valid = false;
		break;
	}
	return (uint8_t)(msb ? v >> 8 : v);
}

static void pit_control(struct vpit *p, uint8_t val, uint64_t t)
{
	unsigned sel = val >> 6;

	if (sel == 3) {
		/* Read-back: bits 1-3 select channels 0-2; bit 0 is reserved and ignored. */
		for (unsigned i = 0; i < 3; i++) {
			if (!(val & 2u << i))
				continue;
			if (!(val & RB_NO_COUNT))
				chan_latch_count(&p->ch[i], t);
			if (!(val & RB_NO_STATUS))
				chan_latch_status(&p->ch[i], t);
		}
	} else if ((val >> 4 & 3) == 0) {
		chan_latch_count(&p->ch[sel], t);
	} else {
		chan_program(&p->ch[sel], val, t);
	}
}

/* ---------------------------------------------------------------- ports */

void vpit_init(struct vpit *p, uint64_t now, uint64_t tsc_hz, void (*irq0)(void *arg), void *arg)
{
	*p = (struct vpit){ .base_tsc = now, .irq0 = irq0, .arg = arg };
	p->tsc_hz = tsc_hz < VPIT_HZ ? VPIT_HZ : tsc_hz > VPIT_TSC_HZ_MAX ? VPIT_TSC_HZ_MAX : tsc_hz;
	for (unsigned i = 0; i < 3; i++) {
		p->ch[i].gate = i != 2;         /* channel 2's gate is port B bit 0, clear */
		chan_program(&p->ch[i], (uint8_t)(RW_BOTH << 4), 0);
	}
}

uint8_t vpit_read(struct vpit *p, uint16_t port, uint64_t now)
{
	uint64_t t;

	vpit_advance(p, now);
	t = p->last;
	if (port >= VPIT_PORT_CH0 && port < VPIT_PORT_CTRL)
		return chan_read(&p->ch[port - VPIT_PORT_CH0], t);
	if (port == VPIT_PORT_B) {
		p->refresh = !p->refresh;
		return (uint8_t)(p->portb | (p->refresh ? PORTB_REFRESH : 0) |
				 (chan_out(&p->ch[2], t) ? PORTB_OUT2 : 0));
	}
	return 0xff;                            /* 0x43 is write-only */
}

void vpit_write(struct vpit *p, uint16_t port, uint8_t val, uint64_t now)
{
	uint64_t t;

	vpit_advance(p, now);
	t = p->last;
	if (port >= VPIT_PORT_CH0 && port < VPIT_PORT_CTRL) {
		chan_write(&p->ch[port - VPIT_PORT_CH0], val, t);
	} else if (port == VPIT_PORT_CTRL) {
		pit_control(p, val, t);
	} else if (port == VPIT_PORT_B) {
		p->portb = val & PORTB_KEPT;
		chan_set_gate(&p->ch[2], val & PORTB_GATE2, t);
	}
}

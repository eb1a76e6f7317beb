/*
 * Guest 16550A UART: registers, FIFOs, interrupt identification and the IRQ
 * line.  See uart16550.h for how the virtual line behaves.
 */
#include "uart16550.h"

enum {
	REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_ERBFI   0x01        /* received data (and FIFO timeout) */
#define IER_ETBEI   0x02        /* THR empty */
#define IER_ELSI    0x04        /* line status */
#define IER_EDSSI   0x08        /* modem status */

/* IIR bits 3:1 by priority (datasheet table 4); bit 0 set = nothing pending. */
#define IIR_NONE    0x01
#define IIR_LSR     0x06
#define IIR_RDA     0x04
#define IIR_TIMEOUT 0x0c
#define IIR_THRE    0x02
#define IIR_MSR     0x00
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE  0x01
#define FCR_RX_CLR  0x02
#define FCR_TX_CLR  0x04
#define FCR_KEPT    0xc9        /* enable, DMA mode, RX trigger */

#define LCR_SB      0x40        /* set break */
#define LCR_DLAB    0x80

#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define MCR_KEPT    0x1f

#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_PE      0x04
#define LSR_FE      0x08
#define LSR_BI      0x10
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define LSR_FIFOERR 0x80
#define LSR_DATAERR (LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS    0x01
#define MSR_DDSR    0x02
#define MSR_TERI    0x04
#define MSR_DDCD    0x08
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80
#define MSR_DELTAS  0x0f
#define MSR_LINE    (MSR_DCD | MSR_DSR | MSR_CTS)   /* a connected line */

static const uint8_t rx_trigger[4] = { 1, 4, 8, 14 };

void vuart_init(struct vuart *u, bool (*tx)(void *arg, uint8_t byte),
		void (*irq)(void *arg, bool level), void *arg)
{
	*u = (struct vuart){ .msr = MSR_LINE, .tx = tx, .irq = irq, .arg = arg };
}

static bool vuart_fifo_on(const struct vuart *u)
{
	return u->fcr & FCR_ENABLE;
}

/* Without FIFOs, RBR and THR are one-byte FIFOs. */
static unsigned vuart_depth(const struct vuart *u)
{
	return vuart_fifo_on(u) ? VUART_FIFO : 1;
}

/* Datasheet: an error is revealed when its character reaches the top of the FIFO. */
static void vuart_rx_top(struct vuart *u)
{
	uint16_t *top = &u->rx_fifo[u->rx_head];

	if (*top & VUART_RX_BREAK) {
		u->lsr_err |= LSR_BI;
		*top &= ~VUART_RX_BREAK;
	}
}

static void vuart_rx_put(struct vuart *u, uint16_t v)
{
	if (u->rx_count == vuart_depth(u)) {
		u->lsr_err |= LSR_OE;
		u->overruns++;
		/* 16450 mode overwrites RBR; a full FIFO keeps its bytes and loses the new one. */
		if (!vuart_fifo_on(u)) {
			u->rx_fifo[u->rx_head] = v;
			vuart_rx_top(u);
		}
		return;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % VUART_FIFO] = v;
	if (++u->rx_count == 1)
		vuart_rx_top(u);
}

static uint8_t vuart_rx_pop(struct vuart *u)
{
	if (!u->rx_count)
		return u->rbr;
	u->rbr = (uint8_t)u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_FIFO;
	if (--u->rx_count)
		vuart_rx_top(u);
	return u->rbr;
}

static bool vuart_rx_errors_queued(const struct vuart *u)
{
	for (unsigned i = 0; i < u->rx_count; i++)
		if (u->rx_fifo[(u->rx_head + i) % VUART_FIFO] & VUART_RX_BREAK)
			return true;
	return false;
}

/* Move bytes THR -> shift register -> line until the FIFO is empty or the sink refuses. */
static void vuart_tx_pump(struct vuart *u)
{
	for (;;) {
		if (!u->tsr_full) {
			if (!u->tx_count)
				return;
			u->tsr = u->tx_fifo[u->tx_head];
			u->tx_head = (u->tx_head + 1) % VUART_FIFO;
			u->tsr_full = true;
			if (!--u->tx_count)
				u->thre_pending = true;
		}
		if (u->mcr & MCR_LOOP)
			vuart_rx_put(u, u->tsr);
		else if (!u->tx(u->arg, u->tsr))
			return;
		u->tsr_full = false;
	}
}

static void vuart_tx_clear(struct vuart *u)
{
	if (u->tx_count)
		u->thre_pending = true;
	u->tx_count = 0;
}

static void vuart_thr_write(struct vuart *u, uint8_t v)
{
	u->thre_pending = false;
	if (u->tx_count == vuart_depth(u)) {
		u->tx_dropped++;
		return;
	}
	u->tx_fifo[(u->tx_head + u->tx_count) % VUART_FIFO] = v;
	u->tx_count++;
	vuart_tx_pump(u);
}

static uint8_t vuart_iid(const struct vuart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & (LSR_OE | LSR_DATAERR)))
		return IIR_LSR;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (vuart_fifo_on(u) && u->rx_count < rx_trigger[u->fcr >> 6])
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSR;
	return IIR_NONE;
}

static void vuart_update_irq(struct vuart *u)
{
	bool level = vuart_iid(u) != IIR_NONE && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		u->irq(u->arg, level);
	}
}

static uint8_t vuart_lsr(const struct vuart *u)
{
	uint8_t v = u->lsr_err;

	if (u->rx_count)
		v |= LSR_DR;
	if (!u->tx_count)
		v |= u->tsr_full ? LSR_THRE : LSR_THRE | LSR_TEMT;
	if (vuart_fifo_on(u) && ((u->lsr_err & LSR_DATAERR) || vuart_rx_errors_queued(u)))
		v |= LSR_FIFOERR;
	return v;
}

/* Modem inputs, and their deltas (TERI only on RI's trailing edge). */
static void vuart_modem_update(struct vuart *u)
{
	uint8_t in = MSR_LINE;

	if (u->mcr & MCR_LOOP)
		in = (u->mcr & MCR_RTS ? MSR_CTS : 0) | (u->mcr & MCR_DTR ? MSR_DSR : 0) |
		     (u->mcr & MCR_OUT1 ? MSR_RI : 0) | (u->mcr & MCR_OUT2 ? MSR_DCD : 0);
	uint8_t changed = (uint8_t)(in ^ u->msr) & ~MSR_DELTAS;
	uint8_t delta = (changed & MSR_CTS ? MSR_DCTS : 0) | (changed & MSR_DSR ? MSR_DDSR : 0) |
			(changed & MSR_DCD ? MSR_DDCD : 0) |
			((changed & MSR_RI) && !(in & MSR_RI) ? MSR_TERI : 0);

	u->msr = in | (u->msr & MSR_DELTAS) | delta;
}

static void vuart_fcr_write(struct vuart *u, uint8_t v)
{
	/* Datasheet: the FIFOs empty whenever FCR0 changes; other bits need FCR0 = 1. */
	if ((v ^ u->fcr) & FCR_ENABLE) {
		u->rx_count = 0;
		vuart_tx_clear(u);
	}
	if (!(v & FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (v & FCR_RX_CLR)
		u->rx_count = 0;
	if (v & FCR_TX_CLR)
		vuart_tx_clear(u);
	u->fcr = v & FCR_KEPT;
}

static void vuart_ier_write(struct vuart *u, uint8_t v)
{
	uint8_t old = u->ier;

	u->ier = v & 0x0f;
	/* Turning ETBEI on with THR empty raises THRE at once; drivers probe for this. */
	if ((old ^ u->ier) & IER_ETBEI)
		u->thre_pending = (u->ier & IER_ETBEI) && !u->tx_count;
}

uint8_t vuart_read(struct vuart *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (offset) {
	case REG_RBR_THR:
		v = dlab ? u->dll : vuart_rx_pop(u);
		break;
	case REG_IER:
		v = dlab ? u->dlm : u->ier;
		break;
	case REG_IIR_FCR:
		v = vuart_iid(u);
		if (v == IIR_THRE)
			u->thre_pending = false;
		if (vuart_fifo_on(u))
			v |= IIR_FIFO_ON;
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = vuart_lsr(u);
		u->lsr_err = 0;
		break;
	case REG_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	case REG_SCR:
		v = u->scr;
		break;
	default:
		return 0xff;
	}
	vuart_update_irq(u);
	return v;
}

void vuart_write(struct vuart *u, unsigned offset, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_RBR_THR:
		if (dlab)
			u->dll = val;
		else
			vuart_thr_write(u, val);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = val;
		else
			vuart_ier_write(u, val);
		break;
	case REG_IIR_FCR:
		vuart_fcr_write(u, val);
		break;
	case REG_LCR:
		if ((val & LCR_SB) && !(u->lcr & LCR_SB) && (u->mcr & MCR_LOOP))
			vuart_rx_put(u, VUART_RX_BREAK);
		u->lcr = val;
		break;
	case REG_MCR:
		u->mcr = val & MCR_KEPT;
		vuart_modem_update(u);
		/* Entering or leaving loopback changes where held bytes go. */
		vuart_tx_pump(u);
		break;
	case REG_SCR:
		u->scr = val;
		break;
	default:
		return;                 /* LSR and MSR writes are factory-test only */
	}
	vuart_update_irq(u);
}

size_t vuart_rx_room(const struct vuart *u)
{
	return u->mcr & MCR_LOOP ? 0 : vuart_depth(u) - u->rx_count;
}

size_t vuart_rx_push(struct vuart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (!(u->mcr & MCR_LOOP))
		while (n < len && u->rx_count < vuart_depth(u))
			vuart_rx_put(u, buf[n++]);
	vuart_update_irq(u);
	return n;
}

void vuart_tx_resume(struct vuart *u)
{
	vuart_tx_pump(u);
	vuart_update_irq(u);
}

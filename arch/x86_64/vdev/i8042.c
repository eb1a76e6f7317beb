/*
 * Guest i8042: the controller's command set, its output buffer and the
 * keyboard's replies.  See i8042.h for what is modelled.
 */
#include <string.h>

#include "i8042.h"

#define STS_OBF          0x01
#define STS_SYS          0x04
#define STS_CMD          0x08
#define STS_UNLOCKED     0x10   /* keyboard not inhibited by the key lock */

#define CTR_KBD_INT      0x01
#define CTR_SYS          0x04
#define CTR_KBD_DISABLE  0x10
#define CTR_AUX_DISABLE  0x20
#define CTR_XLATE        0x40

#define OUT_RESET        0x01   /* low = CPU held in reset */
#define OUT_OBF_KBD      0x10
#define OUT_LIVE         0x30   /* OBF lines, computed on read */

enum {
	CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60,
	CMD_AUX_DISABLE = 0xa7, CMD_AUX_ENABLE = 0xa8, CMD_AUX_TEST = 0xa9,
	CMD_SELF_TEST = 0xaa, CMD_KBD_TEST = 0xab,
	CMD_KBD_DISABLE = 0xad, CMD_KBD_ENABLE = 0xae,
	CMD_READ_OUTPORT = 0xd0, CMD_WRITE_OUTPORT = 0xd1,
	CMD_PULSE = 0xf0,           /* 0xf0-0xff: pulse the output lines whose bit is 0 */
};

enum {
	KBD_SET_LEDS = 0xed, KBD_ECHO = 0xee, KBD_SCAN_SET = 0xf0, KBD_GET_ID = 0xf2,
	KBD_TYPEMATIC = 0xf3, KBD_ENABLE = 0xf4, KBD_DISABLE = 0xf5, KBD_DEFAULTS = 0xf6,
	KBD_RESET = 0xff,
};

#define KBD_ACK          0xfa
#define KBD_RESEND       0xfe
#define KBD_BAT_OK       0xaa
#define KBD_ID0          0xab
#define KBD_ID1          0x83
#define KBD_ID1_XLATED   0x41

/* Set 1-3 as the controller translates the keyboard's reply when CTR_XLATE is on. */
static const uint8_t xlated_set[3] = { 0x43, 0x41, 0x3f };

void vi8042_init(struct vi8042 *k, void (*reset)(void *arg),
		 void (*irq)(void *arg, bool level), void *arg)
{
	*k = (struct vi8042){
		.ctr = CTR_XLATE | CTR_SYS | CTR_KBD_INT,
		.outport = 0xcf & ~OUT_LIVE,    /* not in reset, A20 on, clock and data idle */
		.scan_set = 2,
		.reset = reset, .irq = irq, .arg = arg,
	};
}

static void vi8042_queue(uint8_t *q, unsigned *n, uint8_t v)
{
	if (*n < VI8042_QUEUE)
		q[(*n)++] = v;          /* a guest that never reads loses the excess */
}

static uint8_t vi8042_dequeue(uint8_t *q, unsigned *n)
{
	uint8_t v = q[0];

	memmove(q, q + 1, --*n);
	return v;
}

/* Fill an empty output buffer, then set IRQ 1 to match it. */
static void vi8042_update(struct vi8042 *k)
{
	if (!k->obf) {
		if (k->ctl_n) {
			k->obuf = vi8042_dequeue(k->ctl_q, &k->ctl_n);
			k->obf = true;
		} else if (k->kbd_n && !(k->ctr & CTR_KBD_DISABLE)) {
			k->obuf = vi8042_dequeue(k->kbd_q, &k->kbd_n);
			k->obf = true;
		}
	}
	bool level = k->obf && (k->ctr & CTR_KBD_INT);

	if (level != k->irq_level) {
		k->irq_level = level;
		k->irq(k->arg, level);
	}
}

static void vi8042_reply(struct vi8042 *k, uint8_t v)
{
	vi8042_queue(k->ctl_q, &k->ctl_n, v);
}

static void vi8042_kbd_reply(struct vi8042 *k, uint8_t v)
{
	vi8042_queue(k->kbd_q, &k->kbd_n, v);
}

static void vi8042_kbd_param(struct vi8042 *k, uint8_t cmd, uint8_t v)
{
	if (cmd != KBD_SCAN_SET) {
		vi8042_kbd_reply(k, KBD_ACK);   /* LED state or typematic rate: nothing to show */
		return;
	}
	if (v > 3) {
		vi8042_kbd_reply(k, KBD_RESEND);
		return;
	}
	vi8042_kbd_reply(k, KBD_ACK);
	if (v)
		k->scan_set = v;
	else
		vi8042_kbd_reply(k, k->ctr & CTR_XLATE ? xlated_set[k->scan_set - 1] : k->scan_set);
}

static void vi8042_kbd_write(struct vi8042 *k, uint8_t v)
{
	if (k->kbd_pending) {
		uint8_t cmd = k->kbd_pending;

		k->kbd_pending = 0;
		vi8042_kbd_param(k, cmd, v);
		return;
	}
	switch (v) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCAN_SET:
		vi8042_kbd_reply(k, KBD_ACK);
		k->kbd_pending = v;
		break;
	case KBD_ECHO:
		vi8042_kbd_reply(k, KBD_ECHO);
		break;
	case KBD_GET_ID:
		vi8042_kbd_reply(k, KBD_ACK);
		vi8042_kbd_reply(k, KBD_ID0);
		vi8042_kbd_reply(k, k->ctr & CTR_XLATE ? KBD_ID1_XLATED : KBD_ID1);
		break;
	case KBD_ENABLE:
		vi8042_kbd_reply(k, KBD_ACK);
		break;
	case KBD_DISABLE:
	case KBD_DEFAULTS:
		k->scan_set = 2;
		vi8042_kbd_reply(k, KBD_ACK);
		break;
	case KBD_RESET:
		k->scan_set = 2;
		vi8042_kbd_reply(k, KBD_ACK);
		vi8042_kbd_reply(k, KBD_BAT_OK);
		break;
	default:
		vi8042_kbd_reply(k, KBD_RESEND);
	}
}

static void vi8042_command(struct vi8042 *k, uint8_t cmd)
{
	k->pending = 0;             /* a new command drops one still waiting for data */
	switch (cmd) {
	case CMD_READ_CTR:
		vi8042_reply(k, k->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPORT:
		k->pending = cmd;
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUX_DISABLE;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= ~CTR_AUX_DISABLE;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		vi8042_reply(k, 0x00);  /* clock and data lines fine */
		break;
	case CMD_SELF_TEST:
		k->ctr |= CTR_SYS;
		vi8042_reply(k, 0x55);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBD_DISABLE;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= ~CTR_KBD_DISABLE;
		break;
	case CMD_READ_OUTPORT:
		vi8042_reply(k, k->outport | (k->obf ? OUT_OBF_KBD : 0));
		break;
	default:
		if (cmd >= CMD_PULSE && !(cmd & OUT_RESET))
			k->reset(k->arg);
	}
}

static void vi8042_data(struct vi8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd == CMD_WRITE_CTR) {
		k->ctr = v;
	} else if (cmd == CMD_WRITE_OUTPORT) {
		k->outport = v & ~OUT_LIVE;
		if (!(v & OUT_RESET))
			k->reset(k->arg);
	} else {
		vi8042_kbd_write(k, v);
	}
}

uint8_t vi8042_read(struct vi8042 *k, uint16_t port)
{
	if (port == VI8042_PORT_CMD)
		return (k->obf ? STS_OBF : 0) | (k->ctr & CTR_SYS ? STS_SYS : 0) |
		       (k->cmd_last ? STS_CMD : 0) | STS_UNLOCKED;
	if (port != VI8042_PORT_DATA)
		return 0xff;
	uint8_t v = k->obuf;

	k->obf = false;
	vi8042_update(k);
	return v;
}

void vi8042_write(struct vi8042 *k, uint16_t port, uint8_t val)
{
	if (port == VI8042_PORT_CMD) {
		k->cmd_last = true;
		vi8042_command(k, val);
	} else if (port == VI8042_PORT_DATA) {
		k->cmd_last = false;
		vi8042_data(k, val);
	} else {
		return;
	}
	vi8042_update(k);
}

/*
 * A guest Intel 8254 programmable interval timer at ports 0x40-0x43, plus
 * the PC's system control port B (0x61) that gates channel 2 and reads its
 * output.
 *
 * Time is the guest TSC ("now", never going back) at the tsc_hz given to
 * vpit_init; the input clock of all three channels is 1193182 Hz.  The
 * clock pulses are counted from the TSC on every access (64-bit integer
 * arithmetic, no rounding drift), so nothing ticks in the background.  A
 * tsc_hz outside [VPIT_HZ, VPIT_TSC_HZ_MAX] is clamped into it.
 *
 * Each channel follows the datasheet: control word (channel, access mode
 * LSB / MSB / LSB then MSB, modes 0-5 with 6 and 7 aliasing 2 and 3,
 * binary or BCD), counter latch command, read-back command (0xc0-0xfe:
 * count and/or status latched, the first latch winning until read, status
 * read first), separate read and write byte flip-flops for two-byte counts,
 * and the NULL COUNT status bit until the count reaches the counting element.
 * A count is loaded on the clock pulse after it is written (in modes 1 and
 * 5 after the gate's rising edge; in modes 2 and 3 at the end of the
 * running period or half-cycle), and that pulse does not count, so OUT of
 * mode 0 rises N + 1 pulses after the write.  A count of 0 means 65536
 * (10000 in BCD).  BCD counts count in decimal; a BCD digit above 9 counts
 * at its face value, the sum taken modulo 10000.  Counts of 1 in modes 2 and
 * 3 (the datasheet's minimum is 2) keep OUT low, respectively high, for
 * good.  Reading a channel that has no count shows the counting element
 * where it stopped (0 after vpit_init).  Reading port 0x43 gives 0xff.
 *
 * Gates: channels 0 and 1 are tied high as on PCs; channel 2's gate is port
 * B bit 0.  A low gate stops counting in modes 0, 2, 3 and 4 (2 and 3 also
 * force OUT high and restart from the full count on the rising edge); the
 * rising edge triggers modes 1 and 5.  So channel 2 in mode 0 counts from
 * the write with the gate high, or from the gate's rising edge.
 *
 * Port B (0x61): bit 0 channel 2 gate, bit 1 speaker data, bits 2-3 (the
 * PC's parity and I/O check enables) are kept as written; bit 4 is the
 * refresh toggle, which flips on every read; bit 5 is channel 2's OUT, live;
 * bits 6-7 (NMI sources) read 0.  Nothing makes sound.
 *
 * Channel 0 drives IRQ 0 on OUT's rising edges (modes 0, 2, 3 and 4 can
 * make them with the gate tied high).  vpit_next_event gives the TSC of the
 * next edge not yet raised; vpit_advance raises irq0(arg) once if one or
 * more edges are due (a late caller gets one interrupt, not a burst).
 * vpit_read and vpit_write advance first, so reprogramming never loses an
 * edge already due.  The power-up state is every channel as after the
 * control word "LSB then MSB, mode 0, binary" with no count: OUT0 is low and
 * no interrupt comes until the guest programs channel 0.
 *
 * No locking inside: the caller serialises all calls on one vpit, and irq0
 * runs under that serialisation.
 */
#ifndef ARCH_VDEV_PIT_H
#define ARCH_VDEV_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define VPIT_HZ          1193182u
#define VPIT_TSC_HZ_MAX  (1ull << 43)   /* keeps the split 64-bit products exact */
#define VPIT_PORT_CH0    0x40
#define VPIT_PORT_CTRL   0x43
#define VPIT_PORT_B      0x61

struct vpit_chan {
	uint8_t ctrl;               /* bits 5:0 of the last control word */
	uint8_t mode;               /* 0-5 */
	uint8_t rw;                 /* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;
	bool gate;
	uint8_t state;              /* idle, running or held by the gate (pit.c) */
	bool wr_msb;                /* the next write is the MSB of a two-byte count */
	bool rd_msb;                /* the next read is the MSB */
	uint8_t wr_lsb;
	bool cr_valid;              /* a whole count was written since the control word */
	uint32_t cr;                /* that count, 1..65536 (10000 in BCD) */
	bool ol_valid, st_valid;    /* count and status latched */
	uint16_t ol;
	uint8_t st;
	uint32_t n;                 /* the count the counting element runs with */
	uint64_t t_ref;             /* clock pulse of its load: E = pulse - t_ref */
	int64_t e_hold;             /* E kept while the gate holds modes 0 and 4 */
	uint16_t ce_hold;           /* element shown while idle, or held in modes 2, 3 */
	bool sw;                    /* modes 2, 3: sw_n replaces n at pulse sw_at */
	bool sw_low;                /* ... at the end of a high half-cycle (mode 3) */
	uint32_t sw_n;
	uint64_t sw_at;
	uint64_t load_at;           /* NULL COUNT reads 1 before this pulse */
};

struct vpit {
	struct vpit_chan ch[3];
	uint64_t base_tsc;          /* the TSC at pulse 0 */
	uint64_t tsc_hz;
	uint64_t last;              /* the latest pulse seen (time never goes back) */
	uint64_t irq_done;          /* OUT0 edges up to this pulse were raised */
	uint8_t portb;              /* port B bits 0-3 */
	bool refresh;
	void (*irq0)(void *arg);
	void *arg;
};

void vpit_init(struct vpit *p, uint64_t now, uint64_t tsc_hz, void (*irq0)(void *arg), void *arg);

/* Guest IN/OUT of one byte at 0x40-0x43 or 0x61 (others read 0xff, writes ignored). */
uint8_t vpit_read(struct vpit *p, uint16_t port, uint64_t now);
void vpit_write(struct vpit *p, uint16_t port, uint8_t val, uint64_t now);

/* TSC of the next rising edge of OUT0 not yet raised, or UINT64_MAX. */
uint64_t vpit_next_event(const struct vpit *p);
/* Raise irq0 once if any edge of OUT0 is due by now. */
void vpit_advance(struct vpit *p, uint64_t now);

#endif

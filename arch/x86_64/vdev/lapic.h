/*
 * A guest local APIC (Intel SDM vol.3 ch.11, AMD APM vol.2 ch.16) in xAPIC
 * (MMIO) and x2APIC (MSR) mode, with the timer in one-shot, periodic and
 * TSC-deadline mode.  A pure model: no hardware, no globals, no locking.  The
 * caller serialises every call on one vlapic (send_ipi runs inside that
 * serialisation) and gives time as the guest's TSC ("now"), never going back.
 *
 * Timer clock: the counter's input runs at VLAPIC_TIMER_HZ (1 GHz) before the
 * divider, whatever the TSC rate, so one tick is one nanosecond.  The guest
 * calibrates it like any bus clock, or the caller reports it (CPUID leaf
 * 0x15).  Expiries are computed from the moment the count was loaded with
 * 128-bit integer math and rounded up to the next TSC tick, so a periodic
 * timer never drifts.  A write of the divide register keeps the current count
 * and continues it at the new rate from that moment.
 *
 * Version register: 0x00050014 (version 0x14, max LVT entry 5: timer,
 * thermal, perf, LINT0, LINT1, error; no CMCI).  Bit 24 (EOI-broadcast
 * suppression) is clear, so SVR bit 12 stays 0 and every EOI of a
 * level-triggered vector is reported to the caller for the IOAPIC.
 *
 * xAPIC MMIO (offsets in the 4 KiB page at the APIC_BASE address): registers
 * sit at 16-byte aligned offsets.  Writes take effect only as 4-byte accesses
 * at such an offset; any other write is ignored.  Reads of 1 to 8 bytes may
 * start anywhere: each byte comes from bytes 0-3 of its 16-byte slot and
 * bytes 4-15 read as 0.  Reserved and write-only registers read as 0, writes
 * to read-only registers (ID included) are ignored.  Outside xAPIC mode (x2APIC
 * or globally disabled) the page is not decoded: reads give 0, writes are
 * ignored, and vlapic_mmio_claims() says false.
 *
 * x2APIC MSRs (0x800 + offset / 16, SDM 11.12.1.2): reserved MSRs, RDMSR of a
 * write-only register, WRMSR of a read-only one, bits 63:32 set (ICR aside),
 * a non-zero EOI or ESR write, SELF IPI bits 31:8 and reserved ICR bits all
 * give VLAPIC_GP.  So does any of them while x2APIC mode is off.
 *
 * Interrupts follow DESIGN invariant 3: an accepted vector is in IRR
 * (pending), then vlapic_ack() moves it to ISR when the caller injects it;
 * vlapic_cancel() returns it to IRR if the injection did not happen, unless a
 * newer instance of the vector already waits there: then the cancelled one
 * stays in service for the caller to inject again, so neither is lost.  A
 * second edge of a vector already in IRR merges with it, as on hardware.  A
 * fixed interrupt to a software-disabled APIC is dropped; IRR and ISR contents
 * are held and still delivered (SDM 11.4.7.2).  Vectors 0-15 never reach IRR:
 * they set ESR bit 6 on receipt, or bit 5 for an IPI being sent; no other ESR
 * bit is ever set.  An unmasked LVT error entry raises its vector on each error.
 *
 * Time math saturates: an expiry past TSC 2^64 - 1 never comes.
 */
#ifndef ARCH_VDEV_LAPIC_H
#define ARCH_VDEV_LAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <arch/apic.h>

#define VLAPIC_TIMER_HZ      1000000000ull
#define VLAPIC_VERSION       0x00050014u
#define VLAPIC_DEFAULT_BASE  0xfee00000ull
#define VLAPIC_MMIO_SIZE     0x1000
#define VLAPIC_NLVT          6

#define MSR_TSC_DEADLINE     0x6e0
#define MSR_X2APIC_LAST      0x8ff


/* Delivery modes (ICR bits 10:8, unshifted) and shorthands (ICR bits 19:18). */
#define VLAPIC_DM_FIXED      0
#define VLAPIC_DM_LOWEST     1
#define VLAPIC_DM_NMI        4
#define VLAPIC_DM_INIT       5
#define VLAPIC_DM_SIPI       6
#define VLAPIC_SH_NONE       0
#define VLAPIC_SH_SELF       1
#define VLAPIC_SH_ALL        2
#define VLAPIC_SH_OTHERS     3

/* Register writes return 0, VLAPIC_GP (inject #GP(0)), or VLAPIC_EOI_LEVEL | vector. */
#define VLAPIC_GP            (-1)
#define VLAPIC_EOI_LEVEL     0x100

/* vlapic_cancel() results. */
#define VLAPIC_CANCEL_PENDING   0   /* back in IRR: it will be offered again */
#define VLAPIC_CANCEL_REINJECT  1   /* stays in ISR, a newer one is in IRR: inject it again */

/*
 * One interrupt message.  ICR writes produce fixed, lowest-priority, NMI,
 * INIT (assert) and SIPI messages; INIT level de-assert (no effect since the
 * Pentium 4, SDM 11.6.1), SMI and the reserved modes are not sent.  Self
 * IPIs (the shorthand, or x2APIC SELF IPI) come through send_ipi too.  The
 * caller delivers a message with vlapic_deliver() to every vlapic that
 * vlapic_match_dest() accepts, or for lowest priority to one of them.
 */
struct vlapic_ipi {
	uint32_t dest;          /* APIC id or logical destination */
	uint8_t vector;
	uint8_t mode;           /* VLAPIC_DM_* */
	uint8_t shorthand;      /* VLAPIC_SH_* */
	bool logical;
	bool level;             /* level-triggered fixed/lowest: TMR, EOI reported */
	bool x2apic;            /* 32-bit destination (broadcast 0xffffffff), else 8-bit (0xff) */
};

struct vlapic_config {
	uint32_t id;            /* vCPU id: the x2APIC id; the xAPIC id is its low 8 bits */
	bool bsp;
	uint64_t tsc_hz;        /* guest TSC rate in Hz, not 0 */
	uint8_t maxphyaddr;     /* from the VM's CPUID policy: APIC_BASE reserved bits */
	void (*send_ipi)(void *arg, const struct vlapic_ipi *ipi);   /* may be NULL */
	void *arg;
};

struct vlapic {
	uint32_t id;
	bool bsp;
	uint64_t tsc_hz;
	uint64_t base_reserved;
	void (*send_ipi)(void *arg, const struct vlapic_ipi *ipi);
	void *arg;

	uint64_t apic_base;
	uint32_t irr[8], isr[8], tmr[8];
	uint32_t tpr, ldr, dfr, svr;
	uint32_t esr, esr_pending;          /* visible ESR, errors since its last write */
	uint32_t icr_lo, icr_hi;            /* icr_hi: the whole x2APIC destination */
	uint32_t lvt[VLAPIC_NLVT];
	uint32_t tmict, tdcr;

	/* Counting modes: count timer_c0 loaded at TSC timer_t0; timer_k expiries since. */
	bool timer_armed;
	uint64_t timer_t0;
	uint32_t timer_c0;
	uint64_t timer_k;
	uint64_t tsc_deadline;

	bool nmi_pending;
	bool init_pending;
	bool wait_for_sipi;
	bool sipi_ready;
	uint8_t sipi_vector;
};

/* Power-up state, xAPIC mode at VLAPIC_DEFAULT_BASE; -1 if tsc_hz is 0 or maxphyaddr not 32..52. */
int vlapic_init(struct vlapic *l, const struct vlapic_config *cfg);

/* xAPIC MMIO; offset inside the page, size 1..8. */
bool vlapic_mmio_claims(const struct vlapic *l, uint64_t gpa);
uint64_t vlapic_mmio_read(struct vlapic *l, uint64_t offset, unsigned size, uint64_t now);
int vlapic_mmio_write(struct vlapic *l, uint64_t offset, unsigned size, uint64_t val, uint64_t now);

/*
 * APIC_BASE (0x1b), TSC_DEADLINE (0x6e0) and x2APIC registers (0x800-0x8ff).
 * APIC_BASE follows SDM figure 11-27 (x2APIC is left only through disabled;
 * EXTD without EN, disabled -> x2APIC and reserved bits give VLAPIC_GP); BSP
 * is read-only, and a global disable resets the registers.  TSC_DEADLINE
 * reads 0 and ignores writes outside TSC-deadline mode; 0 disarms it, and a
 * deadline already past fires at once.
 */
bool vlapic_msr_is_lapic(uint32_t msr);
int vlapic_msr_read(struct vlapic *l, uint32_t msr, uint64_t *val, uint64_t now);
int vlapic_msr_write(struct vlapic *l, uint32_t msr, uint64_t val, uint64_t now);

/* TPR for CR8 (CR8 = TPR >> 4, SDM 11.8.6.1). */
uint8_t vlapic_tpr(const struct vlapic *l);
void vlapic_set_tpr(struct vlapic *l, uint8_t tpr);

/*
 * vlapic_set_irq: a fixed interrupt arrives; true if it is now in IRR.
 * vlapic_pending: the highest IRR vector whose priority class is above PPR's, or -1.
 * vlapic_ack: vector (deliverable, as vlapic_pending reports) moves IRR -> ISR
 * as the caller injects it; false and no change otherwise.
 * vlapic_cancel: the injection of vector, the highest in ISR, did not happen:
 * VLAPIC_CANCEL_PENDING or VLAPIC_CANCEL_REINJECT, or -1 (not the highest in ISR).
 */
bool vlapic_set_irq(struct vlapic *l, uint8_t vector, bool level);
int vlapic_pending(const struct vlapic *l);
bool vlapic_ack(struct vlapic *l, int vector);
int vlapic_cancel(struct vlapic *l, int vector);

/*
 * NMI latch: one pending at most.  Ack on injection; cancel if it did not
 * happen: VLAPIC_CANCEL_PENDING, or VLAPIC_CANCEL_REINJECT if a newer NMI is
 * latched already (inject the cancelled one again, then the latched one).
 */
bool vlapic_nmi_pending(const struct vlapic *l);
void vlapic_nmi_ack(struct vlapic *l);
int vlapic_nmi_cancel(struct vlapic *l);

/*
 * Destination check of ipi sent by the APIC with id source_id (SDM 11.6.2):
 * shorthands, physical and logical (xAPIC flat and cluster by the target's
 * DFR, x2APIC cluster), broadcast.  A globally disabled APIC matches nothing.
 * vlapic_deliver: the message arrives at target: fixed and lowest set IRR,
 * NMI latches, INIT resets the APIC (keeping APIC_BASE and the id) and parks
 * an AP in wait-for-SIPI, SIPI records its vector if the target waits for one.
 * Returns whether the target took it.
 */
bool vlapic_match_dest(const struct vlapic *l, const struct vlapic_ipi *ipi, uint32_t source_id);
bool vlapic_deliver(struct vlapic *target, const struct vlapic_ipi *ipi);

/*
 * vlapic_take_init: true once per INIT received: reset the vCPU to its INIT state.
 * vlapic_init_received: the vCPU sits in wait-for-SIPI (an AP after INIT).
 * vlapic_take_sipi: the SIPI vector that ends the wait (start at CS = vector << 8,
 * IP = 0), or -1 if none has arrived.
 */
bool vlapic_take_init(struct vlapic *l);
bool vlapic_init_received(const struct vlapic *l);
int vlapic_take_sipi(struct vlapic *l);

/*
 * vlapic_next_event: the TSC at which the timer next raises its vector, or
 * UINT64_MAX (stopped, or LVT masked: a masked expiry has nothing to show but
 * the count, which reads right anyway).
 * vlapic_advance: fire the timer if due at now.  A periodic timer late by
 * several periods raises its vector once and keeps its schedule.  Every
 * register access advances to its now first.
 */
uint64_t vlapic_next_event(const struct vlapic *l);
void vlapic_advance(struct vlapic *l, uint64_t now);

#endif

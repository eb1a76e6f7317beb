/* The local APIC (x2APIC when the CPU has it, xAPIC MMIO otherwise) and the IOAPIC. */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <stdint.h>
#include <stdbool.h>

/* Vectors plinth uses.  0x20..0x2f stay free for the masked 8259s' spurious IRQs. */
#define VEC_UART      0x40
#define VEC_TIMER     0xe0
#define VEC_IPI_RESCHED 0xe1
#define VEC_IPI_CALL  0xe2
#define VEC_SPURIOUS  0xff

/*
 * LAPIC registers by xAPIC MMIO offset (Intel SDM vol.3 table 11-1).  In
 * x2APIC mode the same register is MSR 0x800 + (offset >> 4) (SDM 11.12.1.2).
 */
#define APIC_ID          0x020
#define APIC_VER         0x030
#define APIC_TPR         0x080
#define APIC_APR         0x090
#define APIC_PPR         0x0a0
#define APIC_EOI         0x0b0
#define APIC_RRD         0x0c0
#define APIC_LDR         0x0d0
#define APIC_DFR         0x0e0
#define APIC_SVR         0x0f0
#define APIC_ISR         0x100      /* eight registers, 0x10 apart, vectors 32n..32n+31 */
#define APIC_TMR         0x180
#define APIC_IRR         0x200
#define APIC_ESR         0x280
#define APIC_ESR_SEND_ILLEGAL (1u << 5)
#define APIC_ESR_RECV_ILLEGAL (1u << 6)
#define APIC_LVT_CMCI    0x2f0
#define APIC_ICR_LO      0x300
#define APIC_ICR_HI      0x310      /* xAPIC only: x2APIC has one 64-bit ICR */
#define APIC_LVT_TIMER   0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF    0x340
#define APIC_LVT_LINT0   0x350
#define APIC_LVT_LINT1   0x360
#define APIC_LVT_ERROR   0x370
#define APIC_TIMER_INIT  0x380
#define APIC_TIMER_CUR   0x390
#define APIC_TIMER_DIV   0x3e0
#define APIC_SELF_IPI    0x3f0      /* x2APIC only */

#define APIC_SVR_ENABLE   (1u << 8)
#define APIC_LVT_MASKED   (1u << 16)
#define APIC_DM_FIXED     (0u << 8)
#define APIC_DM_NMI       (4u << 8)
#define APIC_DM_INIT      (5u << 8)
#define APIC_DM_STARTUP   (6u << 8)
#define APIC_DM_EXTINT    (7u << 8)
#define APIC_ICR_BUSY     (1u << 12)   /* delivery status, xAPIC only */
#define APIC_ICR_ASSERT   (1u << 14)
#define APIC_ICR_LEVEL    (1u << 15)
#define APIC_TIMER_DIV16  0x3u         /* SDM figure 11-10: divide configuration */

#define MSR_X2APIC_BASE   0x800
#define MSR_X2APIC_ICR    0x830
#define APIC_BASE_BSP     (1u << 8)
#define APIC_BASE_EXTD    (1u << 10)
#define APIC_BASE_EN      (1u << 11)

/* Register access in whichever mode apic_init() chose (not ICR: see apic_send_*). */
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t v);

/* BSP: detect mode, mask the 8259s, enable.  APs: apic_init_ap(). */
void apic_init(void);
void apic_init_ap(void);
bool apic_x2apic(void);
uint32_t apic_id(void);
void apic_eoi(void);

/* IPIs (ICR).  dest is an APIC id. */
void apic_send_ipi(uint32_t dest, uint8_t vector);
void apic_send_init(uint32_t dest);
void apic_send_sipi(uint32_t dest, uint8_t page);   /* start at page << 12 */
bool apic_ipi_pending(void);                        /* xAPIC delivery status */

/*
 * Calibrate the LAPIC timer and the TSC against the HPET, or the ACPI PM timer
 * if there is no HPET.  Logs the source and the frequencies.
 */
void apic_timer_calibrate(void);
/* The timer's input clock in Hz before the divider (the APIC bus rate); 0 if uncalibrated. */
uint64_t apic_timer_hz(void);
void apic_timer_oneshot_us(uint64_t us);     /* fires VEC_TIMER */
/* Fire VEC_TIMER once, ticks TSC ticks from now (at least once a few seconds). */
void apic_timer_oneshot_tsc(uint64_t ticks);
void apic_timer_stop(void);

/*
 * IOAPIC: route an ISA IRQ (after MADT overrides) to vector on the CPU with
 * apic id dest.  Returns 0, or -1 (bad IRQ/vector/dest, no IOAPIC for the GSI,
 * error logged).  ioapic_init() masks every entry of every IOAPIC in the MADT.
 */
void ioapic_init(void);
int ioapic_route_isa(uint8_t irq, uint8_t vector, uint32_t dest);
void ioapic_mask_isa(uint8_t irq, bool masked);

/* MPS INTI flags of a MADT interrupt source override (ACPI 6.x table 5.50). */
#define MPS_POL_MASK      0x3
#define MPS_POL_BUS       0x0
#define MPS_POL_HIGH      0x1
#define MPS_POL_LOW       0x3
#define MPS_TRIG_MASK     0xc
#define MPS_TRIG_BUS      0x0
#define MPS_TRIG_EDGE     0x4
#define MPS_TRIG_LEVEL    0xc

/* IOAPIC redirection entry bits (82093AA datasheet 3.2.4). */
#define IOAPIC_RTE_LOW     (1ull << 13)
#define IOAPIC_RTE_LEVEL   (1ull << 15)
#define IOAPIC_RTE_MASKED  (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT 56

/*
 * Pure helpers behind ioapic_route_isa(), unit-tested on the host.
 * ioapic_isa_gsi: the GSI and MPS flags of ISA irq after the overrides in
 * isos[0..n) (identity and flags 0 when none applies).
 * ioapic_redir_entry: the entry delivering to vector on apic id dest (fixed,
 * physical) with ISA bus defaults (active high, edge) for "conforms to bus"
 * and for the reserved encodings.  Returns 0, or -1 if vector < 0x10 or dest
 * does not fit the 8-bit destination field.
 */
struct acpi_iso;
void ioapic_isa_gsi(const struct acpi_iso *isos, uint32_t n, uint8_t irq,
		    uint32_t *gsi, uint16_t *flags);
int ioapic_redir_entry(uint8_t vector, uint32_t dest, uint16_t mps_flags, bool masked,
		       uint64_t *out);

#endif

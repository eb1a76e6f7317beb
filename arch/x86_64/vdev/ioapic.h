/*
 * A guest IOAPIC (82093AA datasheet): 24 pins, version 0x20, registers
 * reached through IOREGSEL (offset 0x00) and IOWIN (offset 0x10) of its
 * 4 KiB MMIO window, plus the EOI register (offset 0x40, write-only) that
 * version 0x20 IOAPICs add for directed EOI: writing a vector there acts as
 * vioapic_eoi(vector).
 *
 * Pins carry electrical levels: vioapic_set_irq(gsi, 1) drives the pin high.
 * An entry programmed active low (bit 13) sees the inverted level, so a
 * device on an active-low line drives 1 while idle, as a pulled-up PCI INTx
 * line does.  All pins start low.
 *
 * Delivery happens at once through the deliver callback, so the delivery
 * status bit (12) always reads 0 (idle).  Edge entries deliver on a rising
 * edge of the asserted level seen by vioapic_set_irq; a masked edge entry
 * latches nothing, so an edge that arrives while masked is lost, and
 * programming an entry never makes an edge.  Level entries deliver while the
 * line is asserted and remote IRR (bit 14) is clear, then set remote IRR;
 * vioapic_eoi(vector) clears it and delivers again if the line is still
 * asserted.  Unmasking an asserted level entry delivers.
 *
 * No locking inside: the caller serialises all calls on one vioapic, and the
 * callback runs under that serialisation.
 */
#ifndef ARCH_VDEV_IOAPIC_H
#define ARCH_VDEV_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VIOAPIC_PINS     24
#define VIOAPIC_VERSION  0x20
#define VIOAPIC_MMIO_SIZE 0x1000

/* Delivery modes (datasheet 3.2.4, bits 10:8). */
#define VIOAPIC_DM_FIXED   0
#define VIOAPIC_DM_LOWPRI  1
#define VIOAPIC_DM_SMI     2
#define VIOAPIC_DM_NMI     4
#define VIOAPIC_DM_INIT    5
#define VIOAPIC_DM_EXTINT  7

struct vioapic {
	uint8_t id;                 /* ID register bits 27:24 */
	uint8_t regsel;             /* IOREGSEL */
	uint32_t pins;              /* bit n: electrical level of pin n */
	uint64_t rte[VIOAPIC_PINS];
	/*
	 * Sends one interrupt message: dest is the 8-bit destination field,
	 * level_triggered tells the LAPIC to set TMR and send an EOI back here.
	 */
	void (*deliver)(void *arg, uint8_t dest, bool dest_mode_logical,
			uint8_t delivery_mode, uint8_t vector, bool level_triggered);
	void *arg;
};

/* Reset state (every entry masked) with APIC ID id (4 bits are kept). */
void vioapic_init(struct vioapic *io, uint8_t id,
		  void (*deliver)(void *arg, uint8_t dest, bool dest_mode_logical,
				  uint8_t delivery_mode, uint8_t vector, bool level_triggered),
		  void *arg);

/*
 * Guest accesses at offset into the MMIO window, size 1, 2, 4 or 8 bytes.
 * Only the dwords at 0x00, 0x10 and 0x40 exist; the rest of the window (and
 * 0x40) reads as 0 and ignores writes, and an 8-byte access is two dword
 * accesses.  Misaligned accesses read 0 and are ignored.
 */
uint64_t vioapic_mmio_read(struct vioapic *io, uint64_t offset, unsigned size);
void vioapic_mmio_write(struct vioapic *io, uint64_t offset, unsigned size, uint64_t val);

/* Drive pin gsi to level (0 or non-zero); -1 if gsi has no pin. */
int vioapic_set_irq(struct vioapic *io, uint32_t gsi, int level);

/* The LAPIC's EOI of a level-triggered vector, broadcast to the IOAPIC. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

#endif

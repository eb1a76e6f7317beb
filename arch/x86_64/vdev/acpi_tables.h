/*
 * The ACPI tables of a PC-style VM for Linux guests (ACPI 6.0 layouts),
 * built into one blob that the VM places in guest RAM at GL_ACPI, where a
 * guest scanning 0xe0000-0xfffff for "RSD PTR " finds the RSDP.  They
 * describe the map and ports of arch/guest_layout.h:
 *
 *   RSDP  revision 2, both checksums, XSDT and RSDT addresses
 *   XSDT, RSDT  the FADT, MADT and MCFG (RSDT for ACPI 1.0 readers only)
 *   FADT  revision 6, not hardware-reduced: SCI_INT GL_IRQ_SCI; SMI_CMD 0,
 *         so ACPI mode is on from reset; PM1a_EVT_BLK, PM1a_CNT_BLK and a
 *         24-bit PM_TMR_BLK (TMR_VAL_EXT clear: vpmtimer_init(..., false))
 *         in both the 32-bit and the X_ fields; flags WBINVD, PROC_C1, no
 *         fixed power or sleep button, no RTC wake (FIX_RTC), RESET_REG_SUP
 *         with RESET_REG a byte at I/O GL_PORT_RESET taking GL_RESET_VALUE;
 *         C2/C3 unsupported; CENTURY 0x32 (vdev/rtc); IAPC_BOOT_ARCH
 *         legacy devices, 8042, no VGA; DSDT in DSDT and X_DSDT, FACS in
 *         X_FIRMWARE_CTRL only (ACPI 6.0 5.2.9: FIRMWARE_CTRL must then be 0)
 *   FACS  version 2, 64-byte aligned, no S4BIOS, no waking vector
 *   DSDT  \_S5 = Package(){VACPI_SLP_TYP_S5, VACPI_SLP_TYP_S5, 0, 0}, and
 *         \_SB.PCI0, the PCI Express root bridge of segment 0, bus 0
 *         (PNP0A08/PNP0A03, _OSC granting the OS every feature it asks for,
 *         _CRS: bus 0, ports 0xcf8-0xcff, every other port and GL_PCI_MMIO
 *         as windows); written with vdev/aml.h
 *   MADT  LAPIC at GL_LAPIC, PCAT_COMPAT; one enabled Local APIC per CPU
 *         (UID = APIC ID = 0..ncpus-1); one IOAPIC (ID VACPI_IOAPIC_ID,
 *         GL_IOAPIC, GSI base 0); ISA IRQ 0 -> GSI 2 (bus default: edge,
 *         active high); the SCI, IRQ GL_IRQ_SCI -> same GSI, level, active
 *         high; NMI on LINT1 of every CPU
 *   MCFG  one ECAM at GL_ECAM, segment 0, bus 0 only
 *
 * The SCI is active high although ACPI's 8259-mode default is active low:
 * the override makes the polarity explicit, as PC firmware does, and a vIOAPIC
 * pin that starts low is then idle, where an active-low pin would need
 * driving high before Linux unmasks it or the SCI would storm.
 *
 * The DSDT has no processor objects and no legacy devices (and the root
 * bridge no _PRT: bus 0 holds only the host bridge, which has no INTx
 * pin); Linux probes the 8250 and i8042 itself and finds CPUs in the MADT.
 */
#ifndef ARCH_VDEV_ACPI_TABLES_H
#define ARCH_VDEV_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "acpi_pm.h"            /* VACPI_SLP_TYP_S5 */

/* The MADT's Local APIC entries hold 8-bit IDs, and 0xff is the broadcast. */
#define VACPI_MAX_CPUS      254
/* The IOAPIC's ID follows the CPUs' APIC IDs. */
#define VACPI_IOAPIC_ID(ncpus) ((uint8_t)(ncpus))

struct vacpi_config {
	uint32_t ncpus;          /* processors: APIC ids 0..ncpus-1 */
	uint64_t tables_gpa;     /* where the blob will sit in guest RAM (GL_ACPI) */
};

/*
 * Build RSDP (at offset 0, 16-byte aligned), XSDT, FADT, DSDT, FACS, MADT,
 * MCFG into buf; returns bytes used, or 0 if len is too small.  Also 0, with
 * nothing written, for a config the tables cannot describe: ncpus outside
 * 1..VACPI_MAX_CPUS, tables_gpa not 64-byte aligned (the FACS's alignment),
 * or a blob not wholly below 4 GiB (the RSDT and FADT hold 32-bit addresses).
 * The bytes used are 888 + 8 * ncpus, well inside GL_ACPI_SIZE.
 */
size_t vacpi_build(const struct vacpi_config *c, void *buf, size_t len);

#endif

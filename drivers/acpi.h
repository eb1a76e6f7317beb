/*
 * ACPI: find and validate the firmware tables, and keep what plinth needs.
 * Every table's length and checksum is checked before any field is read;
 * a bad table is skipped with a log line and listed as such by `acpi`.
 */
#ifndef PLINTH_ACPI_H
#define PLINTH_ACPI_H

#include <stdint.h>
#include <stdbool.h>

#define ACPI_MAX_CPUS     256
#define ACPI_MAX_IOAPICS  8
#define ACPI_MAX_ISOS     16
#define ACPI_MAX_MCFG     4
#define ACPI_MAX_TABLES   64
/* No firmware table comes near this; anything longer is corrupt. */
#define ACPI_TABLE_MAX_LEN (16u * 1024 * 1024)
#define ACPI_HDR_LEN      36u        /* ACPI 6.x 5.2.6 system description header */

struct acpi_table_info {
	char     sig[5];
	uint64_t phys;
	uint32_t length;
	bool     valid;          /* length and checksum good */
	char     oem_id[7];
	uint32_t revision;
};

/* MADT types 0 and 9; entries neither enabled nor online-capable are not kept. */
struct acpi_lapic {
	uint32_t apic_id; uint32_t acpi_uid;
	bool enabled;            /* usable now */
	bool online_capable;     /* may be enabled later (ACPI 6.3+) */
	bool x2apic;             /* from a type 9 (x2APIC) entry */
};
struct acpi_ioapic { uint32_t id; uint64_t phys; uint32_t gsi_base; };
/* Interrupt source override: ISA irq -> gsi with MPS flags. */
struct acpi_iso { uint8_t irq; uint32_t gsi; uint16_t flags; };
struct acpi_mcfg { uint64_t base; uint16_t segment; uint8_t bus_start, bus_end; };

/* Generic address structure (ACPI 6.x 5.2.3.2). */
struct acpi_gas { uint8_t space; uint8_t bit_width; uint8_t bit_offset; uint8_t access; uint64_t addr; };
#define ACPI_GAS_MEM 0
#define ACPI_GAS_IO  1
#define ACPI_GAS_PCI 2       /* PCI config space of bus 0: dev<<32 | fn<<16 | offset */

/* ACPI 6.x 4.8.3.2.1: PM1 control register. */
#define ACPI_PM1_SCI_EN        (1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN        (1u << 13)

struct acpi_info {
	uint64_t rsdp_phys;
	uint8_t  revision;                   /* RSDP revision */
	uint32_t ntables;
	struct acpi_table_info tables[ACPI_MAX_TABLES];

	/* MADT */
	bool     have_madt;
	uint64_t lapic_phys;
	uint32_t ncpus;                      /* enabled and online-capable entries */
	struct acpi_lapic cpus[ACPI_MAX_CPUS];
	uint32_t nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t nisos;
	struct acpi_iso isos[ACPI_MAX_ISOS];
	bool     pcat_compat;                /* 8259s present: mask them */

	/* FADT */
	bool     have_fadt;
	uint32_t pm_tmr_port;                /* 0 = none */
	bool     pm_tmr_32bit;
	uint32_t pm1a_cnt_port, pm1b_cnt_port;  /* 0 = none */
	uint32_t smi_cmd_port;               /* 0 = none, already in ACPI mode */
	uint8_t  acpi_enable_value;          /* written to SMI_CMD to enter ACPI mode */
	bool     have_reset;
	struct acpi_gas reset_reg;
	uint8_t  reset_value;
	bool     have_s5;                    /* \_S5 found in the DSDT */
	uint8_t  slp_typa, slp_typb;
	uint64_t dsdt_phys;

	/* HPET */
	uint64_t hpet_phys;                  /* 0 = none */

	/* MCFG */
	uint32_t nmcfg;
	struct acpi_mcfg mcfg[ACPI_MAX_MCFG];

	/* DMAR */
	bool     have_dmar;
	uint64_t dmar_phys;
	uint32_t dmar_length;
};

extern struct acpi_info acpi;

/*
 * Parse everything reachable from the RSDP into `acpi`.  Physical memory is
 * read through phys_map_ro() (core/mm.h), so host tests can supply a fake;
 * no pointer into a table is kept after this returns.
 * Returns 0, or -1 if the RSDP itself is unusable (then `acpi` is empty) or
 * neither the XSDT nor the RSDT is usable (then `acpi.tables` says why).
 */
int acpi_init(uint64_t rsdp_phys);

/* Reset through the FADT reset register; returns only if that did not work. */
void acpi_reset(void);
/* Enter S5 through PM1a/PM1b_CNT; returns only if that did not work. */
void acpi_poweroff(void);

/* Checksum of len bytes is zero. */
bool acpi_checksum_ok(const void *p, uint32_t len);

/* The PM1 control value that enters sleep type slp_typ (SLP_TYP | SLP_EN). */
static inline uint16_t acpi_pm1_sleep_value(uint16_t pm1_cnt, uint8_t slp_typ)
{
	return (uint16_t)((pm1_cnt & ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN)) |
			  (((uint32_t)slp_typ << ACPI_PM1_SLP_TYP_SHIFT) & ACPI_PM1_SLP_TYP_MASK) |
			  ACPI_PM1_SLP_EN);
}

#endif

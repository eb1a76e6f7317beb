/*
 * A VM's ACPI tables, laid out and filled in one pass over a caller's
 * buffer.  Offsets name the ACPI 6.0 fields (chapter 5.2); what each table
 * says and why is in acpi_tables.h.
 */
#include <string.h>
#include <arch/guest_layout.h>
#include "acpi_tables.h"
#include "aml.h"
#include "le.h"

#define OEM_ID          "PLINTH"        /* 6 bytes */
#define OEM_TABLE_ID    "PLINTHVM"      /* 8 bytes; the FADT's must match the RSDT's */
#define OEM_REVISION    1
#define CREATOR_ID      "PLTH"
#define CREATOR_REV     1

#define HDR_LEN         36u             /* 5.2.6 system description header */
#define HDR_CHECKSUM    9
#define RSDP_V1_LEN     20u
#define RSDP_LEN        36u
#define FACS_LEN        64u
#define FACS_ALIGN      64u             /* 5.2.10 */
#define FADT_LEN        276u            /* revision 6 */
#define MCFG_LEN        (HDR_LEN + 8 + 16)
#define NROOT           3               /* FADT, MADT, MCFG */
#define XSDT_LEN        (HDR_LEN + 8 * NROOT)
#define RSDT_LEN        (HDR_LEN + 4 * NROOT)
#define FOUR_GIB        0x100000000ull

/* 5.2.3.2 Generic Address Structure: space IDs and access sizes. */
#define GAS_IO          1
#define GAS_BYTE        1
#define GAS_WORD        2
#define GAS_DWORD       3

/* 5.2.9 FADT field offsets. */
enum {
	FADT_FIRMWARE_CTRL = 36, FADT_DSDT = 40, FADT_PM_PROFILE = 45, FADT_SCI_INT = 46,
	FADT_SMI_CMD = 48, FADT_PM1A_EVT = 56, FADT_PM1A_CNT = 64, FADT_PM_TMR = 76,
	FADT_PM1_EVT_LEN = 88, FADT_PM1_CNT_LEN = 89, FADT_PM_TMR_LEN = 91,
	FADT_P_LVL2_LAT = 96, FADT_P_LVL3_LAT = 98, FADT_CENTURY = 108,
	FADT_IAPC_BOOT_ARCH = 109, FADT_FLAGS = 112, FADT_RESET_REG = 116,
	FADT_RESET_VALUE = 128, FADT_MINOR_VERSION = 131, FADT_X_FIRMWARE_CTRL = 132,
	FADT_X_DSDT = 140, FADT_X_PM1A_EVT = 148, FADT_X_PM1A_CNT = 172,
	FADT_X_PM_TMR = 208, FADT_HYPERVISOR_ID = 268,
};

/* 5.2.9: FADT fixed feature flags. */
#define FADT_WBINVD         (1u << 0)
#define FADT_PROC_C1        (1u << 2)
#define FADT_PWR_BUTTON     (1u << 4)   /* set: no fixed-feature power button */
#define FADT_SLP_BUTTON     (1u << 5)   /* set: no fixed-feature sleep button */
#define FADT_FIX_RTC        (1u << 6)   /* set: no RTC_STS wake */
#define FADT_RESET_REG_SUP  (1u << 10)

/* 5.2.9.3 IA-PC boot architecture flags. */
#define BOOT_LEGACY_DEVICES (1u << 0)   /* COM1, RTC and PIT sit on "ISA" */
#define BOOT_8042           (1u << 1)
#define BOOT_VGA_NOT_PRESENT (1u << 2)

#define P_LVL2_NONE     101             /* > 100 us: C2 not supported */
#define P_LVL3_NONE     1001            /* > 1000 us: C3 not supported */
#define PM_TMR_LEN      4
#define RTC_CENTURY     0x32            /* vdev/rtc's century register */

/* 5.2.12 MADT. */
#define MADT_PCAT_COMPAT    (1u << 0)
#define MADT_LAPIC          0
#define MADT_IOAPIC         1
#define MADT_ISO            2
#define MADT_LAPIC_NMI      4
#define LAPIC_ENABLED       (1u << 0)
#define MPS_ACTIVE_HIGH     0x1         /* 5.2.12.5 MPS INTI flags */
#define MPS_EDGE            (0x1 << 2)
#define MPS_LEVEL           (0x3 << 2)
#define ALL_PROCESSORS      0xff
#define MADT_FIXED_LEN      (HDR_LEN + 8 + 12 + 2 * 10 + 6)

#define DSDT_AML_MAX    512

/*
 * The DSDT's AML (ACPI 6.0 chapter 20):
 *
 *   Scope (\) { Name (_S5, Package () { S5, S5, 0, 0 }) }
 *   Scope (\_SB) {
 *       Device (PCI0) {                      the PCI Express root bridge
 *           Name (_HID, EisaId ("PNP0A08"))  PCI Express
 *           Name (_CID, EisaId ("PNP0A03"))  PCI, for older readers
 *           Name (_UID, 0)  Name (_SEG, 0)  Name (_BBN, 0)
 *           Method (_OSC, 4) { Return (Arg3) }
 *           Name (_CRS, ResourceTemplate () {
 *               WordBusNumber 0-0                  (the MCFG's one bus)
 *               IO 0xcf8, 8                        (configuration ports)
 *               WordIO 0x0000-0x0cf7, 0x0d00-0xffff (every other port)
 *               DWordMemory GL_PCI_MMIO window     (for BARs)
 *           })
 *       }
 *   }
 *
 * _OSC hands the capabilities buffer back unchanged: every feature the OS
 * asks to control natively (hotplug, PME, AER, the PCIe capability) is
 * granted, with no error bits, because no firmware in a plinth VM wants
 * any of them.  Returns the AML's length, 0 if it does not fit.
 */
static size_t dsdt_aml(uint8_t *buf, size_t cap)
{
	struct aml a;

	aml_init(&a, buf, cap);
	aml_scope(&a, "\\");
	aml_name(&a, "_S5");
	aml_package(&a, 4);
	aml_int(&a, VACPI_SLP_TYP_S5);          /* SLP_TYPa for PM1a_CNT */
	aml_int(&a, VACPI_SLP_TYP_S5);          /* SLP_TYPb (no PM1b) */
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_close(&a);
	aml_close(&a);

	aml_scope(&a, "\\_SB");
	aml_device(&a, "PCI0");
	aml_name(&a, "_HID");
	aml_eisaid(&a, "PNP0A08");
	aml_name(&a, "_CID");
	aml_eisaid(&a, "PNP0A03");
	aml_name(&a, "_UID");
	aml_int(&a, 0);
	aml_name(&a, "_SEG");
	aml_int(&a, 0);
	aml_name(&a, "_BBN");
	aml_int(&a, 0);
	aml_method(&a, "_OSC", 4);
	aml_return_arg(&a, 3);
	aml_close(&a);
	aml_name(&a, "_CRS");
	aml_buffer(&a);
	aml_res_bus(&a, 0, 0);
	aml_res_io(&a, GL_PORT_PCI_ADDR, 8);
	aml_res_io_window(&a, 0, GL_PORT_PCI_ADDR - 1);
	aml_res_io_window(&a, GL_PORT_PCI_ADDR + 8, 0xffff);
	aml_res_mem_window(&a, (uint32_t)GL_PCI_MMIO, (uint32_t)(GL_PCI_MMIO + GL_PCI_MMIO_SIZE - 1));
	aml_res_end(&a);
	aml_close(&a);
	aml_close(&a);
	aml_close(&a);
	return aml_finish(&a);
}
_Static_assert(VACPI_SLP_TYP_S5 <= 7, "SLP_TYP is 3 bits");

/* Offsets of each table in the blob; the RSDP is at 0. */
struct layout {
	uint32_t facs, dsdt, fadt, madt, mcfg, xsdt, rsdt, end;
};

static uint32_t align_up(uint32_t off, uint32_t a)
{
	return (off + a - 1) & ~(a - 1);
}

static uint32_t madt_len(uint32_t ncpus)
{
	return MADT_FIXED_LEN + 8 * ncpus;
}

static void layout(uint32_t ncpus, uint32_t dsdt_len, struct layout *l)
{
	l->facs = align_up(RSDP_LEN, FACS_ALIGN);
	l->dsdt = l->facs + FACS_LEN;
	l->fadt = align_up(l->dsdt + dsdt_len, 8);
	l->madt = align_up(l->fadt + FADT_LEN, 8);
	l->mcfg = align_up(l->madt + madt_len(ncpus), 8);
	l->xsdt = align_up(l->mcfg + MCFG_LEN, 8);
	l->rsdt = align_up(l->xsdt + XSDT_LEN, 8);
	l->end = l->rsdt + RSDT_LEN;
}

static void put_gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;                       /* bit offset */
	p[3] = access;
	le_put64(p + 4, addr);
}

/* The byte that makes n bytes at p sum to 0 once it replaces a 0 among them. */
static uint8_t checksum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)-s;
}

/* The header of a zeroed table; sdt_seal() sets its checksum once filled. */
static void sdt_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le_put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	le_put32(t + 24, OEM_REVISION);
	memcpy(t + 28, CREATOR_ID, 4);
	le_put32(t + 32, CREATOR_REV);
}

static void sdt_seal(uint8_t *t, uint32_t len)
{
	t[HDR_CHECKSUM] = checksum(t, len);
}

/* 5.2.5.3: the v1 checksum covers 20 bytes, the extended one all 36. */
static void rsdp_build(uint8_t *r, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, OEM_ID, 6);
	r[15] = 2;
	le_put32(r + 16, (uint32_t)rsdt);
	le_put32(r + 20, RSDP_LEN);
	le_put64(r + 24, xsdt);
	r[8] = checksum(r, RSDP_V1_LEN);
	r[32] = checksum(r, RSDP_LEN);
}

/* 5.2.7 and 5.2.8: the same tables in both roots. */
static void roots_build(uint8_t *xsdt, uint8_t *rsdt, const uint64_t tables[NROOT])
{
	sdt_header(xsdt, "XSDT", XSDT_LEN, 1);
	sdt_header(rsdt, "RSDT", RSDT_LEN, 1);
	for (int i = 0; i < NROOT; i++) {
		le_put64(xsdt + HDR_LEN + 8 * i, tables[i]);
		le_put32(rsdt + HDR_LEN + 4 * i, (uint32_t)tables[i]);
	}
	sdt_seal(xsdt, XSDT_LEN);
	sdt_seal(rsdt, RSDT_LEN);
}

/* 5.2.10: no checksum; the global lock, wake vectors and flags start 0. */
static void facs_build(uint8_t *f)
{
	memcpy(f, "FACS", 4);
	le_put32(f + 4, FACS_LEN);
	f[32] = 2;                      /* version */
}

static void dsdt_build(uint8_t *t, const uint8_t *aml, uint32_t len)
{
	sdt_header(t, "DSDT", len, 2);          /* revision 2: 64-bit AML integers */
	memcpy(t + HDR_LEN, aml, len - HDR_LEN);
	sdt_seal(t, len);
}

static void fadt_build(uint8_t *t, uint64_t dsdt, uint64_t facs)
{
	sdt_header(t, "FACP", FADT_LEN, 6);
	/* FIRMWARE_CTRL stays 0: 5.2.9 wants it 0 when X_FIRMWARE_CTRL is set. */
	le_put32(t + FADT_DSDT, (uint32_t)dsdt);
	t[FADT_PM_PROFILE] = 0;                 /* unspecified */
	le_put16(t + FADT_SCI_INT, GL_IRQ_SCI);
	le_put32(t + FADT_SMI_CMD, 0);             /* no SMI: always in ACPI mode */
	le_put32(t + FADT_PM1A_EVT, GL_PORT_PM1A_EVT);
	le_put32(t + FADT_PM1A_CNT, GL_PORT_PM1A_CNT);
	le_put32(t + FADT_PM_TMR, GL_PORT_PM_TMR);
	t[FADT_PM1_EVT_LEN] = VACPI_PM1_EVT_LEN;
	t[FADT_PM1_CNT_LEN] = VACPI_PM1_CNT_LEN;
	t[FADT_PM_TMR_LEN] = PM_TMR_LEN;
	le_put16(t + FADT_P_LVL2_LAT, P_LVL2_NONE);
	le_put16(t + FADT_P_LVL3_LAT, P_LVL3_NONE);
	t[FADT_CENTURY] = RTC_CENTURY;
	le_put16(t + FADT_IAPC_BOOT_ARCH, BOOT_LEGACY_DEVICES | BOOT_8042 | BOOT_VGA_NOT_PRESENT);
	le_put32(t + FADT_FLAGS, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
	      FADT_FIX_RTC | FADT_RESET_REG_SUP);
	put_gas(t + FADT_RESET_REG, GAS_IO, 8, GAS_BYTE, GL_PORT_RESET);
	t[FADT_RESET_VALUE] = GL_RESET_VALUE;
	t[FADT_MINOR_VERSION] = 0;              /* ACPI 6.0 */
	le_put64(t + FADT_X_FIRMWARE_CTRL, facs);
	le_put64(t + FADT_X_DSDT, dsdt);
	put_gas(t + FADT_X_PM1A_EVT, GAS_IO, 8 * VACPI_PM1_EVT_LEN, GAS_WORD, GL_PORT_PM1A_EVT);
	put_gas(t + FADT_X_PM1A_CNT, GAS_IO, 8 * VACPI_PM1_CNT_LEN, GAS_WORD, GL_PORT_PM1A_CNT);
	put_gas(t + FADT_X_PM_TMR, GAS_IO, 8 * PM_TMR_LEN, GAS_DWORD, GL_PORT_PM_TMR);
	memcpy(t + FADT_HYPERVISOR_ID, OEM_ID, 6);   /* 6.0: hypervisor vendor identity */
	sdt_seal(t, FADT_LEN);
}

static uint8_t *madt_iso(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	e[0] = MADT_ISO;
	e[1] = 10;
	e[2] = 0;                               /* bus: ISA */
	e[3] = irq;
	le_put32(e + 4, gsi);
	le_put16(e + 8, flags);
	return e + 10;
}

static void madt_build(uint8_t *t, uint32_t ncpus)
{
	uint32_t len = madt_len(ncpus);
	uint8_t *e = t + HDR_LEN + 8;

	sdt_header(t, "APIC", len, 4);
	le_put32(t + HDR_LEN, (uint32_t)GL_LAPIC);
	le_put32(t + HDR_LEN + 4, MADT_PCAT_COMPAT);
	for (uint32_t i = 0; i < ncpus; i++, e += 8) {      /* 5.2.12.2 */
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)i;                          /* ACPI processor UID */
		e[3] = (uint8_t)i;                          /* APIC ID */
		le_put32(e + 4, LAPIC_ENABLED);
	}
	e[0] = MADT_IOAPIC;                                 /* 5.2.12.3 */
	e[1] = 12;
	e[2] = VACPI_IOAPIC_ID(ncpus);
	e[3] = 0;
	le_put32(e + 4, (uint32_t)GL_IOAPIC);
	le_put32(e + 8, 0);                                    /* GSI base */
	e += 12;
	/* 5.2.12.5: the PIT's IRQ 0 is on pin 2, as on PCs; flags 0 = ISA's edge/high. */
	e = madt_iso(e, 0, 2, 0);
	e = madt_iso(e, GL_IRQ_SCI, GL_IRQ_SCI, MPS_LEVEL | MPS_ACTIVE_HIGH);
	e[0] = MADT_LAPIC_NMI;                              /* 5.2.12.7 */
	e[1] = 6;
	e[2] = ALL_PROCESSORS;
	le_put16(e + 3, MPS_EDGE | MPS_ACTIVE_HIGH);
	e[5] = 1;                                           /* LINT1 */
	sdt_seal(t, len);
}

/* PCI Firmware Specification 3.0, 4.1.2: one ECAM allocation. */
static void mcfg_build(uint8_t *t)
{
	uint8_t *e = t + HDR_LEN + 8;

	sdt_header(t, "MCFG", MCFG_LEN, 1);
	le_put64(e, GL_ECAM);
	le_put16(e + 8, 0);                        /* segment */
	e[10] = 0;                              /* first bus */
	e[11] = 0;                              /* last bus */
	sdt_seal(t, MCFG_LEN);
}

size_t vacpi_build(const struct vacpi_config *c, void *buf, size_t len)
{
	struct layout l;
	uint8_t *b = buf;
	uint8_t aml[DSDT_AML_MAX];
	uint32_t dsdt_len;
	uint64_t base;

	if (!c || !buf || c->ncpus == 0 || c->ncpus > VACPI_MAX_CPUS)
		return 0;
	base = c->tables_gpa;
	dsdt_len = HDR_LEN + (uint32_t)dsdt_aml(aml, sizeof(aml));
	if (dsdt_len == HDR_LEN)
		return 0;
	layout(c->ncpus, dsdt_len, &l);
	if (base % FACS_ALIGN != 0 || base >= FOUR_GIB || FOUR_GIB - base < l.end)
		return 0;
	if (len < l.end)
		return 0;

	memset(b, 0, l.end);
	facs_build(b + l.facs);
	dsdt_build(b + l.dsdt, aml, dsdt_len);
	fadt_build(b + l.fadt, base + l.dsdt, base + l.facs);
	madt_build(b + l.madt, c->ncpus);
	mcfg_build(b + l.mcfg);
	roots_build(b + l.xsdt, b + l.rsdt,
		    (const uint64_t[NROOT]){ base + l.fadt, base + l.madt, base + l.mcfg });
	rsdp_build(b, base + l.rsdt, base + l.xsdt);
	return l.end;
}

/*
 * ACPI table discovery and parsing (ACPI 6.x chapter 5).
 *
 * Firmware tables are input like any other: every length is checked against
 * what was mapped before a byte is read, every checksum before a table is
 * used.  All multi-byte fields are read with memcpy because tables are packed.
 * This file is pure parsing so the host unit tests can run it; the register
 * writes for reset and S5 live in acpi_power.c.
 */
#include <string.h>
#include "drivers/acpi.h"
#include "drivers/acpi_aml.h"
#include "log.h"
#include "mm.h"

struct acpi_info acpi;

/* ACPI 6.x 5.2.5.3: RSDP layout. */
#define RSDP_V1_LEN       20u
#define RSDP_V2_LEN       36u
#define RSDP_MAX_LEN      4096u

/* ACPI 6.x 5.2.12: MADT. */
#define MADT_ENTRIES      44u
#define MADT_PCAT_COMPAT  (1u << 0)
#define MADT_LAPIC        0
#define MADT_IOAPIC       1
#define MADT_ISO          2
#define MADT_LAPIC_ADDR   5
#define MADT_X2APIC       9
#define LAPIC_ENABLED     (1u << 0)
#define LAPIC_ONLINE_CAP  (1u << 1)

/* ACPI 6.x 5.2.9 table 5.9: FADT byte offsets. */
#define FADT_DSDT         40u
#define FADT_SMI_CMD      48u
#define FADT_ACPI_ENABLE  52u
#define FADT_PM1A_CNT     64u
#define FADT_PM1B_CNT     68u
#define FADT_PM_TMR       76u
#define FADT_FLAGS        112u
#define FADT_RESET_REG    116u
#define FADT_RESET_VALUE  128u
#define FADT_X_DSDT       140u
#define FADT_X_PM1A_CNT   172u
#define FADT_X_PM1B_CNT   184u
#define FADT_X_PM_TMR     208u
#define FADT_TMR_VAL_EXT  (1u << 8)
#define FADT_RESET_REG_SUP (1u << 10)
#define GAS_LEN           12u

/* IA-PC HPET spec 1.0a 3.2.4: base address GAS at 40. */
#define HPET_BASE         40u
/* PCI Firmware spec 3.2 4.1.2: MCFG allocations from 44, 16 bytes each. */
#define MCFG_ENTRIES      44u
#define MCFG_ENTRY_LEN    16u

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Does [off, off+size) lie inside a table of len bytes? */
static bool in_table(uint32_t len, uint32_t off, uint32_t size)
{
	return off <= len && size <= len - off;
}

bool acpi_checksum_ok(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum == 0;
}

/* Copy n firmware characters into dst as printable text (n+1 bytes). */
static void copy_text(char *dst, const uint8_t *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[n] = '\0';
}

static struct acpi_table_info *table_record(uint64_t pa, const uint8_t *hdr)
{
	struct acpi_table_info *ti;

	if (acpi.ntables >= ACPI_MAX_TABLES) {
		log_warn("acpi: more than %u tables, not listing the one at 0x%llx",
			 ACPI_MAX_TABLES, (unsigned long long)pa);
		return NULL;
	}
	ti = &acpi.tables[acpi.ntables++];
	memset(ti, 0, sizeof(*ti));
	copy_text(ti->sig, hdr, 4);
	copy_text(ti->oem_id, hdr + 10, 6);
	ti->phys = pa;
	ti->length = rd32(hdr + 4);
	ti->revision = hdr[8];
	return ti;
}

/*
 * Map the table at pa: header first, then the whole table once its length is
 * sane, then the checksum.  Records it in acpi.tables either way.  Returns
 * the table and its length, or NULL (already logged) if it must be skipped.
 */
static const uint8_t *table_map(uint64_t pa, const char *want, uint32_t *len_out)
{
	const uint8_t *h, *t;
	struct acpi_table_info *ti;
	char sig[5];
	uint32_t len;

	if (pa == 0) {
		log_warn("acpi: skipping a table with address 0");
		return NULL;
	}
	h = phys_map_ro(pa, ACPI_HDR_LEN);
	if (!h) {
		log_warn("acpi: skipping table at 0x%llx: header not mappable", (unsigned long long)pa);
		return NULL;
	}
	copy_text(sig, h, 4);
	len = rd32(h + 4);
	ti = table_record(pa, h);
	if (want && memcmp(h, want, 4) != 0) {
		log_warn("acpi: skipping %s at 0x%llx: expected %s", sig, (unsigned long long)pa, want);
		return NULL;
	}
	if (len < ACPI_HDR_LEN || len > ACPI_TABLE_MAX_LEN) {
		log_warn("acpi: skipping %s at 0x%llx: bad length %u", sig, (unsigned long long)pa, len);
		return NULL;
	}
	t = phys_map_ro(pa, len);
	if (!t) {
		log_warn("acpi: skipping %s at 0x%llx: %u bytes not mappable",
			 sig, (unsigned long long)pa, len);
		return NULL;
	}
	if (!acpi_checksum_ok(t, len)) {
		log_warn("acpi: skipping %s at 0x%llx: bad checksum", sig, (unsigned long long)pa);
		return NULL;
	}
	if (ti)
		ti->valid = true;
	*len_out = len;
	return t;
}

/* Returns false only when the CPU is usable but there is no room for it. */
static bool madt_add_cpu(uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic)
{
	struct acpi_lapic *c;

	/* ACPI 6.x 5.2.12.2: neither bit set means the CPU is unusable. */
	if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAP)))
		return true;
	for (uint32_t i = 0; i < acpi.ncpus; i++) {
		if (acpi.cpus[i].apic_id == apic_id) {
			log_warn("acpi: MADT lists APIC id %u twice, ignoring the second", apic_id);
			return true;
		}
	}
	if (acpi.ncpus >= ACPI_MAX_CPUS)
		return false;
	c = &acpi.cpus[acpi.ncpus++];
	c->apic_id = apic_id;
	c->acpi_uid = uid;
	c->enabled = flags & LAPIC_ENABLED;
	c->online_capable = flags & LAPIC_ONLINE_CAP;
	c->x2apic = x2apic;
	return true;
}

/* Minimum entry length for each MADT type we read (ACPI 6.x 5.2.12.x). */
static uint8_t madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:      return 8;
	case MADT_IOAPIC:     return 12;
	case MADT_ISO:        return 10;
	case MADT_LAPIC_ADDR: return 12;
	case MADT_X2APIC:     return 16;
	default:              return 2;
	}
}

/* Returns false for a CPU dropped for lack of room. */
static bool madt_entry(const uint8_t *e)
{
	switch (e[0]) {
	case MADT_LAPIC:
		return madt_add_cpu(e[3], e[2], rd32(e + 4), false);
	case MADT_X2APIC:
		return madt_add_cpu(rd32(e + 4), rd32(e + 12), rd32(e + 8), true);
	case MADT_IOAPIC:
		if (acpi.nioapics >= ACPI_MAX_IOAPICS) {
			log_warn("acpi: MADT has more than %u IOAPICs, ignoring id %u", ACPI_MAX_IOAPICS, e[2]);
			break;
		}
		acpi.ioapics[acpi.nioapics++] = (struct acpi_ioapic){
			.id = e[2], .phys = rd32(e + 4), .gsi_base = rd32(e + 8) };
		break;
	case MADT_ISO:
		if (e[2] != 0) {
			log_warn("acpi: MADT override for bus %u ignored (only ISA is defined)", e[2]);
			break;
		}
		if (acpi.nisos >= ACPI_MAX_ISOS) {
			log_warn("acpi: MADT has more than %u overrides, ignoring irq %u", ACPI_MAX_ISOS, e[3]);
			break;
		}
		acpi.isos[acpi.nisos++] = (struct acpi_iso){
			.irq = e[3], .gsi = rd32(e + 4), .flags = rd16(e + 8) };
		break;
	case MADT_LAPIC_ADDR:
		acpi.lapic_phys = rd64(e + 4);
		break;
	default:
		break;
	}
	return true;
}

static void madt_parse(const uint8_t *t, uint32_t len)
{
	uint32_t off = MADT_ENTRIES, dropped = 0;

	if (!in_table(len, 36, 8)) {
		log_warn("acpi: MADT too short (%u bytes)", len);
		return;
	}
	acpi.have_madt = true;
	acpi.lapic_phys = rd32(t + 36);
	acpi.pcat_compat = rd32(t + 40) & MADT_PCAT_COMPAT;

	while (off < len) {
		uint8_t type, elen;

		if (!in_table(len, off, 2)) {
			log_warn("acpi: MADT entry at offset %u cut off by the table end", off);
			break;
		}
		type = t[off];
		elen = t[off + 1];
		if (elen < 2 || !in_table(len, off, elen)) {
			log_warn("acpi: MADT entry type %u at offset %u has bad length %u, stopping",
				 type, off, elen);
			break;
		}
		if (elen < madt_min_len(type))
			log_warn("acpi: MADT entry type %u at offset %u too short (%u), skipped",
				 type, off, elen);
		else if (!madt_entry(t + off))
			dropped++;
		off += elen;
	}
	if (dropped)
		log_warn("acpi: MADT lists %u CPUs beyond the %u supported, ignored",
			 dropped, ACPI_MAX_CPUS);
}

static void gas_read(const uint8_t *p, struct acpi_gas *g)
{
	g->space = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access = p[3];
	g->addr = rd64(p + 4);
}

/*
 * An I/O port from the FADT: the X_ GAS when present and in I/O space, else
 * the ACPI 1.0 32-bit field.  Each is read only if the table holds it.
 */
static uint32_t fadt_port(const uint8_t *t, uint32_t len, uint32_t xoff, uint32_t off,
			  const char *what)
{
	struct acpi_gas g;
	uint32_t port;

	if (in_table(len, xoff, GAS_LEN)) {
		gas_read(t + xoff, &g);
		if (g.addr != 0 && g.space == ACPI_GAS_IO && g.addr <= 0xffff)
			return (uint32_t)g.addr;
		if (g.addr != 0)
			log_warn("acpi: FADT X_%s (space %u, 0x%llx) unusable, trying %s",
				 what, g.space, (unsigned long long)g.addr, what);
	}
	if (!in_table(len, off, 4))
		return 0;
	port = rd32(t + off);
	if (port > 0xffff) {
		log_warn("acpi: FADT %s 0x%x is not an I/O port, ignored", what, port);
		return 0;
	}
	return port;
}

static void fadt_parse(const uint8_t *t, uint32_t len)
{
	uint32_t flags = 0;
	uint64_t x_dsdt = 0;

	acpi.have_fadt = true;
	if (in_table(len, FADT_DSDT, 4))
		acpi.dsdt_phys = rd32(t + FADT_DSDT);
	if (in_table(len, FADT_X_DSDT, 8))
		x_dsdt = rd64(t + FADT_X_DSDT);
	if (x_dsdt != 0)
		acpi.dsdt_phys = x_dsdt;
	if (in_table(len, FADT_SMI_CMD, 4) && rd32(t + FADT_SMI_CMD) <= 0xffff)
		acpi.smi_cmd_port = rd32(t + FADT_SMI_CMD);
	if (in_table(len, FADT_ACPI_ENABLE, 1))
		acpi.acpi_enable_value = t[FADT_ACPI_ENABLE];

	acpi.pm1a_cnt_port = fadt_port(t, len, FADT_X_PM1A_CNT, FADT_PM1A_CNT, "PM1a_CNT_BLK");
	acpi.pm1b_cnt_port = fadt_port(t, len, FADT_X_PM1B_CNT, FADT_PM1B_CNT, "PM1b_CNT_BLK");
	acpi.pm_tmr_port = fadt_port(t, len, FADT_X_PM_TMR, FADT_PM_TMR, "PM_TMR_BLK");

	if (in_table(len, FADT_FLAGS, 4))
		flags = rd32(t + FADT_FLAGS);
	acpi.pm_tmr_32bit = flags & FADT_TMR_VAL_EXT;

	if ((flags & FADT_RESET_REG_SUP) && in_table(len, FADT_RESET_VALUE, 1)) {
		gas_read(t + FADT_RESET_REG, &acpi.reset_reg);
		acpi.reset_value = t[FADT_RESET_VALUE];
		switch (acpi.reset_reg.space) {
		case ACPI_GAS_IO:
			acpi.have_reset = acpi.reset_reg.addr != 0 && acpi.reset_reg.addr <= 0xffff;
			break;
		case ACPI_GAS_MEM:
		case ACPI_GAS_PCI:
			acpi.have_reset = acpi.reset_reg.addr != 0;
			break;
		default:
			acpi.have_reset = false;
			break;
		}
		if (!acpi.have_reset)
			log_warn("acpi: FADT reset register (space %u, 0x%llx) unusable",
				 acpi.reset_reg.space, (unsigned long long)acpi.reset_reg.addr);
	}
}

/* \_S5 gives the SLP_TYP values for poweroff (ACPI 6.x 7.4.2). */
static void dsdt_parse(const uint8_t *t, uint32_t len)
{
	switch (acpi_aml_find_s5(t, len, &acpi.slp_typa, &acpi.slp_typb)) {
	case ACPI_AML_S5_OK:
		acpi.have_s5 = true;
		break;
	case ACPI_AML_S5_MISSING:
		log_warn("acpi: no \\_S5 in the DSDT, poweroff unavailable");
		break;
	case ACPI_AML_S5_MALFORMED:
		log_warn("acpi: DSDT \\_S5 package malformed, poweroff unavailable");
		break;
	}
}

static void hpet_parse(const uint8_t *t, uint32_t len)
{
	struct acpi_gas g;

	if (!in_table(len, HPET_BASE, GAS_LEN)) {
		log_warn("acpi: HPET table too short (%u bytes)", len);
		return;
	}
	gas_read(t + HPET_BASE, &g);
	if (g.space != ACPI_GAS_MEM || g.addr == 0) {
		log_warn("acpi: HPET base (space %u, 0x%llx) unusable", g.space, (unsigned long long)g.addr);
		return;
	}
	acpi.hpet_phys = g.addr;
}

static void mcfg_parse(const uint8_t *t, uint32_t len)
{
	for (uint32_t off = MCFG_ENTRIES; in_table(len, off, MCFG_ENTRY_LEN); off += MCFG_ENTRY_LEN) {
		const uint8_t *e = t + off;
		struct acpi_mcfg m = { .base = rd64(e), .segment = rd16(e + 8),
				       .bus_start = e[10], .bus_end = e[11] };

		if (m.base == 0 || m.bus_start > m.bus_end) {
			log_warn("acpi: MCFG entry at offset %u (base 0x%llx, bus %u-%u) bad, skipped",
				 off, (unsigned long long)m.base, m.bus_start, m.bus_end);
			continue;
		}
		if (acpi.nmcfg >= ACPI_MAX_MCFG) {
			log_warn("acpi: more than %u MCFG segments, ignoring the rest", ACPI_MAX_MCFG);
			return;
		}
		acpi.mcfg[acpi.nmcfg++] = m;
	}
}

static void dmar_parse(uint64_t pa, uint32_t len)
{
	acpi.have_dmar = true;
	acpi.dmar_phys = pa;
	acpi.dmar_length = len;
}

/* Has a table of this kind already been taken?  Later copies are ignored. */
static bool table_taken(const uint8_t *sig)
{
	if (!memcmp(sig, "APIC", 4)) return acpi.have_madt;
	if (!memcmp(sig, "FACP", 4)) return acpi.have_fadt;
	if (!memcmp(sig, "HPET", 4)) return acpi.hpet_phys != 0;
	if (!memcmp(sig, "MCFG", 4)) return acpi.nmcfg != 0;
	if (!memcmp(sig, "DMAR", 4)) return acpi.have_dmar;
	return false;
}

static void table_parse(uint64_t pa)
{
	const uint8_t *t;
	uint32_t len;

	t = table_map(pa, NULL, &len);
	if (!t)
		return;
	if (table_taken(t)) {
		char sig[5];

		copy_text(sig, t, 4);
		log_warn("acpi: second %s at 0x%llx ignored", sig, (unsigned long long)pa);
		return;
	}
	if (!memcmp(t, "APIC", 4))
		madt_parse(t, len);
	else if (!memcmp(t, "FACP", 4))
		fadt_parse(t, len);
	else if (!memcmp(t, "HPET", 4))
		hpet_parse(t, len);
	else if (!memcmp(t, "MCFG", 4))
		mcfg_parse(t, len);
	else if (!memcmp(t, "DMAR", 4))
		dmar_parse(pa, len);
}

/* Walk the XSDT (8-byte entries) or RSDT (4-byte entries). */
static int root_walk(uint64_t pa, bool xsdt)
{
	uint32_t len, esz = xsdt ? 8 : 4;
	const uint8_t *t = table_map(pa, xsdt ? "XSDT" : "RSDT", &len);

	if (!t)
		return -1;
	for (uint32_t off = ACPI_HDR_LEN; in_table(len, off, esz); off += esz) {
		uint64_t entry = xsdt ? rd64(t + off) : rd32(t + off);

		table_parse(entry);
	}
	return 0;
}

/* Validate the RSDP and return the XSDT (v2 and intact, else 0) and RSDT. */
static int rsdp_parse(uint64_t rsdp_phys, uint64_t *xsdt, uint64_t *rsdt)
{
	const uint8_t *r = rsdp_phys ? phys_map_ro(rsdp_phys, RSDP_V1_LEN) : NULL;
	uint32_t len;

	if (!r) {
		log_err("acpi: RSDP at 0x%llx not mappable", (unsigned long long)rsdp_phys);
		return -1;
	}
	if (memcmp(r, "RSD PTR ", 8) != 0 || !acpi_checksum_ok(r, RSDP_V1_LEN)) {
		log_err("acpi: RSDP at 0x%llx has a bad signature or checksum",
			(unsigned long long)rsdp_phys);
		return -1;
	}
	acpi.revision = r[15];
	*rsdt = rd32(r + 16);
	*xsdt = 0;
	if (acpi.revision >= 2) {
		/* The length is in the v2 part, so map that before reading it. */
		r = phys_map_ro(rsdp_phys, RSDP_V2_LEN);
		len = r ? rd32(r + 20) : 0;
		r = (len >= RSDP_V2_LEN && len <= RSDP_MAX_LEN) ? phys_map_ro(rsdp_phys, len) : NULL;
		if (r && acpi_checksum_ok(r, len))
			*xsdt = rd64(r + 24);
		else
			log_warn("acpi: RSDP v2 part bad (length %u or checksum), using the RSDT", len);
	}
	if (*xsdt == 0 && *rsdt == 0) {
		log_err("acpi: RSDP names neither an XSDT nor an RSDT");
		return -1;
	}
	return 0;
}

int acpi_init(uint64_t rsdp_phys)
{
	uint64_t xsdt, rsdt;
	int rc = -1;

	memset(&acpi, 0, sizeof(acpi));
	if (rsdp_parse(rsdp_phys, &xsdt, &rsdt) < 0) {
		memset(&acpi, 0, sizeof(acpi));
		return -1;
	}
	acpi.rsdp_phys = rsdp_phys;
	if (xsdt != 0)
		rc = root_walk(xsdt, true);
	if (rc < 0 && rsdt != 0) {
		if (xsdt != 0)
			log_warn("acpi: XSDT unusable, falling back to the RSDT");
		rc = root_walk(rsdt, false);
	}
	if (rc < 0)
		return -1;

	if (acpi.dsdt_phys != 0) {
		uint32_t len;
		const uint8_t *t = table_map(acpi.dsdt_phys, "DSDT", &len);

		if (t)
			dsdt_parse(t, len);
	}
	log_info("acpi: %u tables, %u CPUs, %u IOAPICs, HPET 0x%llx, %u MCFG, S5 %s",
		 acpi.ntables, acpi.ncpus, acpi.nioapics, (unsigned long long)acpi.hpet_phys,
		 acpi.nmcfg, acpi.have_s5 ? "yes" : "no");
	return 0;
}

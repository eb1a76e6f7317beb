/*
 * Host tests for the ACPI parser (drivers/acpi.c, drivers/acpi_aml.c).
 *
 * A byte array stands for physical memory.  phys_map_ro() hands out a fresh
 * heap copy of exactly the bytes asked for, so any read past what the parser
 * mapped is a heap overflow that ASan reports, even inside the fake memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/acpi.h"
#include "drivers/acpi_aml.h"
#include "log.h"
#include "mm.h"

#define MEM_SIZE  (1u << 20)
#define RSDP_PA   0xe0000u
#define XSDT_PA   0x01000u
#define RSDT_PA   0x01800u
#define MADT_PA   0x02000u
#define FADT_PA   0x03000u
#define DSDT_PA   0x04000u
#define HPET_PA   0x05000u
#define MCFG_PA   0x06000u
#define DMAR_PA   0x07000u
#define SPARE_PA  0x10000u     /* room for big tables */
#define SLOT      0x1000u

static uint8_t mem[MEM_SIZE];

/* ---------------------------------------------------------------- fakes */

static void **maps;
static size_t nmaps, capmaps;
static uint64_t max_map_size;      /* largest mapping asked for */

const void *phys_map_ro(uint64_t pa, uint64_t size)
{
	void *copy;

	if (size > max_map_size)
		max_map_size = size;
	if (size == 0 || pa >= MEM_SIZE || size > MEM_SIZE - pa)
		return NULL;
	copy = malloc(size);
	assert_non_null(copy);
	memcpy(copy, mem + pa, size);
	if (nmaps == capmaps) {
		capmaps = capmaps ? 2 * capmaps : 64;
		maps = realloc(maps, capmaps * sizeof(*maps));
		assert_non_null(maps);
	}
	maps[nmaps++] = copy;
	return copy;
}

static void maps_free(void)
{
	for (size_t i = 0; i < nmaps; i++)
		free(maps[i]);
	nmaps = 0;
}

static int n_warn, n_err;
static char last_warn[512];

void log_write(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (lvl == LOG_WARN) {
		n_warn++;
		memcpy(last_warn, buf, sizeof(buf));
	} else if (lvl == LOG_ERR) {
		n_err++;
	}
	if (getenv("ACPI_TEST_VERBOSE"))
		fprintf(stderr, "log[%d]: %s\n", lvl, buf);
}

/* ---------------------------------------------------------------- builders */

static void w16(uint32_t pa, uint16_t v) { memcpy(mem + pa, &v, 2); }
static void w32(uint32_t pa, uint32_t v) { memcpy(mem + pa, &v, 4); }
static void w64(uint32_t pa, uint64_t v) { memcpy(mem + pa, &v, 8); }

static void csum_fix(uint32_t pa, uint32_t csum_off, uint32_t len)
{
	uint8_t sum = 0;

	mem[pa + csum_off] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + mem[pa + i]);
	mem[pa + csum_off] = (uint8_t)-sum;
}

static void sdt_fix(uint32_t pa)
{
	uint32_t len;

	memcpy(&len, mem + pa + 4, 4);
	csum_fix(pa, 9, len);
}

static void sdt_begin(uint32_t pa, const char *sig, uint32_t len, uint8_t rev)
{
	memset(mem + pa, 0, len);
	memcpy(mem + pa, sig, 4);
	w32(pa + 4, len);
	mem[pa + 8] = rev;
	memcpy(mem + pa + 10, "PLINTH", 6);
	memcpy(mem + pa + 16, "TESTTABL", 8);
	w32(pa + 24, 1);
	memcpy(mem + pa + 28, "PLTC", 4);
	w32(pa + 32, 1);
}

static void gas_put(uint32_t pa, uint8_t space, uint8_t width, uint64_t addr)
{
	mem[pa] = space;
	mem[pa + 1] = width;
	mem[pa + 2] = 0;
	mem[pa + 3] = 0;
	w64(pa + 4, addr);
}

static void rsdp_build(uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(mem + RSDP_PA, 0, 36);
	memcpy(mem + RSDP_PA, "RSD PTR ", 8);
	memcpy(mem + RSDP_PA + 9, "PLINTH", 6);
	mem[RSDP_PA + 15] = rev;
	w32(RSDP_PA + 16, rsdt);
	csum_fix(RSDP_PA, 8, 20);
	if (rev >= 2) {
		/* The extended checksum covers the first one too: it goes last. */
		w32(RSDP_PA + 20, 36);
		w64(RSDP_PA + 24, xsdt);
		csum_fix(RSDP_PA, 32, 36);
	}
}

static uint64_t root_entries[128];
static uint32_t nroot;

static void roots_build(void)
{
	sdt_begin(XSDT_PA, "XSDT", 36 + 8 * nroot, 1);
	sdt_begin(RSDT_PA, "RSDT", 36 + 4 * nroot, 1);
	for (uint32_t i = 0; i < nroot; i++) {
		w64(XSDT_PA + 36 + 8 * i, root_entries[i]);
		w32(RSDT_PA + 36 + 4 * i, (uint32_t)root_entries[i]);
	}
	sdt_fix(XSDT_PA);
	sdt_fix(RSDT_PA);
}

/* MADT builder: entries are appended, then madt_end() sets length and checksum. */
static uint32_t madt_pa = MADT_PA, madt_len;

static void madt_begin(uint32_t pa, uint32_t flags)
{
	madt_pa = pa;
	sdt_begin(pa, "APIC", 44, 5);
	w32(pa + 36, 0xfee00000u);
	w32(pa + 40, flags);
	madt_len = 44;
}

static void madt_add(const uint8_t *e, uint8_t len)
{
	memcpy(mem + madt_pa + madt_len, e, len);
	madt_len += len;
}

static void madt_lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, id };

	memcpy(e + 4, &flags, 4);
	madt_add(e, 8);
}

static void madt_x2apic(uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t e[16] = { 9, 16 };

	memcpy(e + 4, &id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &uid, 4);
	madt_add(e, 16);
}

static void madt_ioapic(uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t e[12] = { 1, 12, id, 0 };

	memcpy(e + 4, &addr, 4);
	memcpy(e + 8, &gsi, 4);
	madt_add(e, 12);
}

static void madt_iso(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, bus, irq };

	memcpy(e + 4, &gsi, 4);
	memcpy(e + 8, &flags, 2);
	madt_add(e, 10);
}

static void madt_end(void)
{
	w32(madt_pa + 4, madt_len);
	sdt_fix(madt_pa);
}

static void madt_build_default(void)
{
	madt_begin(MADT_PA, 1);
	madt_lapic(0, 0, 1);           /* enabled */
	madt_lapic(1, 1, 0);           /* disabled, not online-capable: dropped */
	madt_lapic(2, 2, 2);           /* online-capable */
	madt_x2apic(0x100, 0x100, 1);  /* enabled, beyond 8-bit ids */
	madt_ioapic(1, 0xfec00000u, 0);
	madt_iso(0, 0, 2, 0);
	madt_iso(0, 9, 9, 0xd);
	madt_end();
}

/* ACPI 6.x 5.2.9 offsets, written independently of the parser's defines. */
static void fadt_build(uint32_t len, uint8_t rev)
{
	uint32_t full = 276;

	sdt_begin(FADT_PA, "FACP", full, rev);
	w32(FADT_PA + 40, DSDT_PA);                 /* DSDT */
	w32(FADT_PA + 48, 0xb2);                    /* SMI_CMD */
	mem[FADT_PA + 52] = 0xf1;                   /* ACPI_ENABLE */
	w32(FADT_PA + 56, 0x600);                   /* PM1a_EVT_BLK */
	w32(FADT_PA + 64, 0x604);                   /* PM1a_CNT_BLK */
	w32(FADT_PA + 76, 0x608);                   /* PM_TMR_BLK */
	mem[FADT_PA + 91] = 4;                      /* PM_TMR_LEN */
	w32(FADT_PA + 112, (1u << 8) | (1u << 10)); /* TMR_VAL_EXT | RESET_REG_SUP */
	gas_put(FADT_PA + 116, 1, 8, 0xcf9);        /* RESET_REG */
	mem[FADT_PA + 128] = 0x06;                  /* RESET_VALUE */
	w64(FADT_PA + 140, DSDT_PA);                /* X_DSDT */
	gas_put(FADT_PA + 172, 1, 16, 0x604);       /* X_PM1a_CNT_BLK */
	gas_put(FADT_PA + 208, 1, 32, 0x1608);      /* X_PM_TMR_BLK: differs to show it wins */
	w32(FADT_PA + 4, len);
	sdt_fix(FADT_PA);
}

/* Name(_S5_, Package(count){elems}) with a PkgLength of pkgbytes bytes. */
static size_t s5_aml(uint8_t *out, int root, int pkgbytes, uint8_t count,
		     const uint8_t *elems, size_t nelems)
{
	size_t p = 0;
	uint32_t pkglen = (uint32_t)(pkgbytes + 1 + nelems);

	out[p++] = 0x08;
	if (root)
		out[p++] = '\\';
	memcpy(out + p, "_S5_", 4);
	p += 4;
	out[p++] = 0x12;
	if (pkgbytes == 1) {
		out[p++] = (uint8_t)pkglen;
	} else {
		out[p++] = (uint8_t)(((pkgbytes - 1) << 6) | (pkglen & 0x0f));
		for (int i = 1; i < pkgbytes; i++)
			out[p++] = (uint8_t)(pkglen >> (4 + 8 * (i - 1)));
	}
	out[p++] = count;
	memcpy(out + p, elems, nelems);
	return p + nelems;
}

static void dsdt_build(const uint8_t *aml, size_t n)
{
	sdt_begin(DSDT_PA, "DSDT", (uint32_t)(36 + n), 2);
	memcpy(mem + DSDT_PA + 36, aml, n);
	sdt_fix(DSDT_PA);
}

static void dsdt_build_default(void)
{
	/* A decoy: a reference to _S5_ (Store) that is not its definition. */
	static const uint8_t prefix[] = { 0x10, 0x05, '_', 'S', 'B', '_', 0x70, '_', 'S', '5', '_', 0x60 };
	static const uint8_t elems[] = { 0x0a, 0x05, 0x01, 0x00, 0x00 };
	uint8_t aml[64];
	size_t n = sizeof(prefix);

	memcpy(aml, prefix, n);
	n += s5_aml(aml + n, 0, 1, 4, elems, sizeof(elems));
	aml[n++] = 0xa3;               /* trailing NoopOp */
	dsdt_build(aml, n);
}

static void hpet_build(void)
{
	sdt_begin(HPET_PA, "HPET", 56, 1);
	w32(HPET_PA + 36, 0x8086a201u);
	gas_put(HPET_PA + 40, 0, 64, 0xfed00000u);
	sdt_fix(HPET_PA);
}

static void mcfg_build(void)
{
	sdt_begin(MCFG_PA, "MCFG", 44 + 16, 1);
	w64(MCFG_PA + 44, 0xb0000000u);
	w16(MCFG_PA + 52, 0);
	mem[MCFG_PA + 54] = 0;
	mem[MCFG_PA + 55] = 0xff;
	sdt_fix(MCFG_PA);
}

static void dmar_build(void)
{
	sdt_begin(DMAR_PA, "DMAR", 48, 1);
	mem[DMAR_PA + 36] = 38;        /* host address width - 1 */
	sdt_fix(DMAR_PA);
}

static void platform_build(void)
{
	madt_build_default();
	fadt_build(276, 6);
	dsdt_build_default();
	hpet_build();
	mcfg_build();
	dmar_build();
	nroot = 0;
	root_entries[nroot++] = MADT_PA;
	root_entries[nroot++] = FADT_PA;
	root_entries[nroot++] = HPET_PA;
	root_entries[nroot++] = MCFG_PA;
	root_entries[nroot++] = DMAR_PA;
	roots_build();
	rsdp_build(2, RSDT_PA, XSDT_PA);
}

static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	n_warn = n_err = 0;
	last_warn[0] = '\0';
	max_map_size = 0;
	platform_build();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	maps_free();
	return 0;
}

static const struct acpi_table_info *table_find(const char *sig)
{
	for (uint32_t i = 0; i < acpi.ntables; i++)
		if (!strcmp(acpi.tables[i].sig, sig))
			return &acpi.tables[i];
	return NULL;
}

static void expect_warning(const char *needle)
{
	if (!strstr(last_warn, needle))
		fail_msg("last warning \"%s\" lacks \"%s\"", last_warn, needle);
}

/* Everything platform_build() describes, parsed correctly. */
static void check_platform_contents(void)
{
	assert_true(acpi.have_madt);
	assert_int_equal(acpi.lapic_phys, 0xfee00000u);
	assert_true(acpi.pcat_compat);
	assert_int_equal(acpi.ncpus, 3);
	assert_int_equal(acpi.cpus[0].apic_id, 0);
	assert_true(acpi.cpus[0].enabled);
	assert_false(acpi.cpus[0].x2apic);
	assert_int_equal(acpi.cpus[1].apic_id, 2);
	assert_int_equal(acpi.cpus[1].acpi_uid, 2);
	assert_false(acpi.cpus[1].enabled);
	assert_true(acpi.cpus[1].online_capable);
	assert_int_equal(acpi.cpus[2].apic_id, 0x100);
	assert_true(acpi.cpus[2].enabled);
	assert_true(acpi.cpus[2].x2apic);
	assert_int_equal(acpi.nioapics, 1);
	assert_int_equal(acpi.ioapics[0].id, 1);
	assert_int_equal(acpi.ioapics[0].phys, 0xfec00000u);
	assert_int_equal(acpi.ioapics[0].gsi_base, 0);
	assert_int_equal(acpi.nisos, 2);
	assert_int_equal(acpi.isos[0].irq, 0);
	assert_int_equal(acpi.isos[0].gsi, 2);
	assert_int_equal(acpi.isos[1].irq, 9);
	assert_int_equal(acpi.isos[1].gsi, 9);
	assert_int_equal(acpi.isos[1].flags, 0xd);

	assert_true(acpi.have_fadt);
	assert_int_equal(acpi.pm_tmr_port, 0x1608);
	assert_true(acpi.pm_tmr_32bit);
	assert_int_equal(acpi.pm1a_cnt_port, 0x604);
	assert_int_equal(acpi.pm1b_cnt_port, 0);
	assert_int_equal(acpi.smi_cmd_port, 0xb2);
	assert_int_equal(acpi.acpi_enable_value, 0xf1);
	assert_true(acpi.have_reset);
	assert_int_equal(acpi.reset_reg.space, ACPI_GAS_IO);
	assert_int_equal(acpi.reset_reg.addr, 0xcf9);
	assert_int_equal(acpi.reset_value, 6);
	assert_int_equal(acpi.dsdt_phys, DSDT_PA);
	assert_true(acpi.have_s5);
	assert_int_equal(acpi.slp_typa, 5);
	assert_int_equal(acpi.slp_typb, 1);

	assert_int_equal(acpi.hpet_phys, 0xfed00000u);
	assert_int_equal(acpi.nmcfg, 1);
	assert_int_equal(acpi.mcfg[0].base, 0xb0000000u);
	assert_int_equal(acpi.mcfg[0].segment, 0);
	assert_int_equal(acpi.mcfg[0].bus_start, 0);
	assert_int_equal(acpi.mcfg[0].bus_end, 0xff);
	assert_true(acpi.have_dmar);
	assert_int_equal(acpi.dmar_phys, DMAR_PA);
	assert_int_equal(acpi.dmar_length, 48);
}

/* ---------------------------------------------------------------- tests */

static void test_checksum_and_sleep_value(void **state)
{
	uint8_t b[4] = { 1, 2, 3, (uint8_t)-6 };

	(void)state;
	assert_true(acpi_checksum_ok(b, 4));
	b[0] = 2;
	assert_false(acpi_checksum_ok(b, 4));
	assert_true(acpi_checksum_ok(b, 0));
	assert_int_equal(acpi_pm1_sleep_value(0x0001, 5), 0x0001 | (5 << 10) | (1 << 13));
	assert_int_equal(acpi_pm1_sleep_value(0xffff, 0), 0xe3ff);
	assert_int_equal(acpi_pm1_sleep_value(0x0000, 0xff), (7 << 10) | (1 << 13));
}

static void test_good_xsdt(void **state)
{
	static const char *const sigs[] = { "XSDT", "APIC", "FACP", "HPET", "MCFG", "DMAR", "DSDT" };
	static const uint32_t pas[] = { XSDT_PA, MADT_PA, FADT_PA, HPET_PA, MCFG_PA, DMAR_PA, DSDT_PA };

	(void)state;
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 0);
	assert_int_equal(n_err, 0);
	assert_int_equal(acpi.rsdp_phys, RSDP_PA);
	assert_int_equal(acpi.revision, 2);
	assert_int_equal(acpi.ntables, 7);
	for (uint32_t i = 0; i < 7; i++) {
		assert_string_equal(acpi.tables[i].sig, sigs[i]);
		assert_int_equal(acpi.tables[i].phys, pas[i]);
		assert_true(acpi.tables[i].valid);
		assert_string_equal(acpi.tables[i].oem_id, "PLINTH");
	}
	assert_int_equal(acpi.tables[1].length, madt_len);
	assert_int_equal(acpi.tables[2].revision, 6);
	check_platform_contents();

	/* A second run starts from scratch and gives the same answer. */
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(acpi.ntables, 7);
	check_platform_contents();
}

static void test_rsdt_fallback_revision0(void **state)
{
	(void)state;
	/* XSDT broken and RSDP v1: only the RSDT may be read. */
	memset(mem + XSDT_PA, 0xee, 64);
	rsdp_build(0, RSDT_PA, 0);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 0);
	assert_int_equal(acpi.revision, 0);
	assert_string_equal(acpi.tables[0].sig, "RSDT");
	assert_int_equal(acpi.ntables, 7);
	check_platform_contents();
}

static void test_rsdp_v2_bad_extended_part(void **state)
{
	(void)state;
	mem[RSDP_PA + 32] ^= 0x55;                 /* extended checksum */
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_string_equal(acpi.tables[0].sig, "RSDT");
	assert_int_equal(n_warn, 1);
	check_platform_contents();

	setup(NULL);
	w32(RSDP_PA + 20, 0x7fffffff);             /* insane RSDP length */
	csum_fix(RSDP_PA, 32, 36);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_string_equal(acpi.tables[0].sig, "RSDT");
	check_platform_contents();
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	(void)state;
	mem[XSDT_PA + 40] ^= 1;
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_string_equal(acpi.tables[0].sig, "XSDT");
	assert_false(acpi.tables[0].valid);
	assert_string_equal(acpi.tables[1].sig, "RSDT");
	assert_true(acpi.tables[1].valid);
	check_platform_contents();

	/* Both roots bad: nothing usable. */
	mem[RSDT_PA + 40] ^= 1;
	assert_int_equal(acpi_init(RSDP_PA), -1);
	assert_false(acpi.have_madt);
}

static void test_bad_rsdp(void **state)
{
	(void)state;
	mem[RSDP_PA + 16] ^= 0x10;                 /* v1 checksum now wrong */
	assert_int_equal(acpi_init(RSDP_PA), -1);
	assert_int_equal(acpi.ntables, 0);
	assert_int_equal(acpi.rsdp_phys, 0);
	assert_false(acpi.have_madt);
	assert_int_equal(acpi.ncpus, 0);
	assert_true(n_err >= 1);

	setup(NULL);
	memcpy(mem + RSDP_PA, "RSD PTX ", 8);
	csum_fix(RSDP_PA, 8, 20);
	assert_int_equal(acpi_init(RSDP_PA), -1);

	assert_int_equal(acpi_init(0), -1);
	assert_int_equal(acpi_init(MEM_SIZE - 10), -1);
	assert_int_equal(acpi_init(UINT64_MAX - 5), -1);

	/* A good parse followed by a bad one leaves nothing stale behind. */
	setup(NULL);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	mem[RSDP_PA + 8] ^= 1;
	assert_int_equal(acpi_init(RSDP_PA), -1);
	assert_int_equal(acpi.ntables, 0);
	assert_false(acpi.have_fadt);
	assert_int_equal(acpi.hpet_phys, 0);
}

static void test_bad_table_checksum_skipped(void **state)
{
	const struct acpi_table_info *t;

	(void)state;
	mem[MADT_PA + 50] ^= 0xff;
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 1);
	expect_warning("skipping APIC at 0x2000: bad checksum");
	assert_false(acpi.have_madt);
	assert_int_equal(acpi.ncpus, 0);
	assert_int_equal(acpi.nioapics, 0);
	t = table_find("APIC");
	assert_non_null(t);
	assert_false(t->valid);
	assert_true(table_find("FACP")->valid);
	assert_true(acpi.have_fadt);
	assert_true(acpi.have_s5);
	assert_int_equal(acpi.hpet_phys, 0xfed00000u);
	assert_int_equal(acpi.nmcfg, 1);
	assert_true(acpi.have_dmar);
}

static void test_truncated_lengths(void **state)
{
	(void)state;
	w32(MADT_PA + 4, 20);                     /* shorter than a header */
	w32(HPET_PA + 4, 0xfffffff0u);            /* absurd */
	w32(MCFG_PA + 4, 0x200000);               /* under the cap, past the memory */
	w32(DMAR_PA + 4, ACPI_TABLE_MAX_LEN + 1);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 4);
	/* Absurd lengths are refused before the platform is asked to map them. */
	assert_true(max_map_size <= ACPI_TABLE_MAX_LEN);
	assert_int_equal(max_map_size, 0x200000);
	assert_false(acpi.have_madt);
	assert_int_equal(acpi.hpet_phys, 0);
	assert_int_equal(acpi.nmcfg, 0);
	assert_false(acpi.have_dmar);
	assert_false(table_find("APIC")->valid);
	assert_false(table_find("HPET")->valid);
	assert_false(table_find("MCFG")->valid);
	assert_false(table_find("DMAR")->valid);
	assert_true(acpi.have_fadt);
	assert_true(acpi.have_s5);

	/* Root table lengths are not trusted either. */
	setup(NULL);
	w32(XSDT_PA + 4, 35);
	w32(RSDT_PA + 4, 0xffffffffu);
	assert_int_equal(acpi_init(RSDP_PA), -1);
}

static void test_short_fadt(void **state)
{
	(void)state;
	/* ACPI 1.0 FADT: flags fit, the reset register does not. */
	fadt_build(116, 1);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 0);
	assert_true(acpi.have_fadt);
	assert_false(acpi.have_reset);
	assert_int_equal(acpi.pm_tmr_port, 0x608);
	assert_true(acpi.pm_tmr_32bit);
	assert_int_equal(acpi.pm1a_cnt_port, 0x604);
	assert_int_equal(acpi.dsdt_phys, DSDT_PA);
	assert_true(acpi.have_s5);

	/* Reset register present but X_ fields cut off. */
	fadt_build(129, 3);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_true(acpi.have_reset);
	assert_int_equal(acpi.pm_tmr_port, 0x608);

	/* Only FIRMWARE_CTRL and DSDT. */
	fadt_build(44, 1);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(acpi.pm_tmr_port, 0);
	assert_false(acpi.pm_tmr_32bit);
	assert_int_equal(acpi.pm1a_cnt_port, 0);
	assert_true(acpi.have_s5);

	/* Header only: no DSDT to follow. */
	fadt_build(36, 1);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_true(acpi.have_fadt);
	assert_int_equal(acpi.dsdt_phys, 0);
	assert_false(acpi.have_s5);
	assert_null(table_find("DSDT"));
}

static void test_fadt_field_choice(void **state)
{
	(void)state;
	/* X_DSDT wins over a bogus 32-bit DSDT. */
	w32(FADT_PA + 40, 0x9000);
	/* X_PM_TMR_BLK in memory space is unusable: fall back to PM_TMR_BLK. */
	gas_put(FADT_PA + 208, 0, 32, 0xfed00000u);
	/* Reset register in an unknown space. */
	gas_put(FADT_PA + 116, 0x7f, 8, 0x1234);
	sdt_fix(FADT_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(acpi.dsdt_phys, DSDT_PA);
	assert_true(acpi.have_s5);
	assert_int_equal(acpi.pm_tmr_port, 0x608);
	assert_false(acpi.have_reset);
	assert_int_equal(n_warn, 2);

	/* No RESET_REG_SUP: the register is ignored. */
	setup(NULL);
	w32(FADT_PA + 112, 0);
	sdt_fix(FADT_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_false(acpi.have_reset);
	assert_false(acpi.pm_tmr_32bit);

	/* Memory-space reset register. */
	setup(NULL);
	gas_put(FADT_PA + 116, 0, 8, 0xfe000000u);
	sdt_fix(FADT_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_true(acpi.have_reset);
	assert_int_equal(acpi.reset_reg.space, ACPI_GAS_MEM);
	assert_int_equal(acpi.reset_reg.addr, 0xfe000000u);
}

static void test_madt_entry_length_zero(void **state)
{
	static const uint8_t zero[2] = { 0, 0 };

	(void)state;
	madt_begin(MADT_PA, 0);
	madt_lapic(0, 0, 1);
	madt_add(zero, 2);
	madt_lapic(1, 1, 1);
	madt_end();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 1);
	expect_warning("bad length 0");
	assert_true(acpi.have_madt);
	assert_false(acpi.pcat_compat);
	assert_int_equal(acpi.ncpus, 1);
	assert_true(acpi.have_fadt);
}

static void test_madt_entry_overrun(void **state)
{
	(void)state;
	madt_begin(MADT_PA, 1);
	madt_lapic(0, 0, 1);
	madt_ioapic(1, 0xfec00000u, 0);
	madt_end();
	/* Cut the table in the middle of the IOAPIC entry. */
	w32(MADT_PA + 4, madt_len - 6);
	sdt_fix(MADT_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 1);
	assert_int_equal(acpi.ncpus, 1);
	assert_int_equal(acpi.nioapics, 0);

	/* One lone byte after the last entry. */
	setup(NULL);
	madt_begin(MADT_PA, 1);
	madt_lapic(0, 0, 1);
	madt_len += 1;
	madt_end();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 1);
	assert_int_equal(acpi.ncpus, 1);

	/* Entries too short for their type are skipped, the walk goes on. */
	setup(NULL);
	madt_begin(MADT_PA, 1);
	{
		static const uint8_t short_ioapic[4] = { 1, 4, 7, 0 };
		static const uint8_t short_x2apic[8] = { 9, 8, 0, 0, 5, 0, 0, 0 };

		madt_add(short_ioapic, 4);
		madt_add(short_x2apic, 8);
	}
	madt_lapic(3, 3, 1);
	madt_iso(1, 4, 4, 0);          /* not ISA: ignored */
	madt_end();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 3);
	assert_int_equal(acpi.nioapics, 0);
	assert_int_equal(acpi.nisos, 0);
	assert_int_equal(acpi.ncpus, 1);
	assert_int_equal(acpi.cpus[0].apic_id, 3);

	/* MADT too short for its fixed fields. */
	setup(NULL);
	madt_begin(MADT_PA, 1);
	madt_len = 40;
	madt_end();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_false(acpi.have_madt);
}

static void test_madt_limits(void **state)
{
	(void)state;
	madt_begin(SPARE_PA, 0);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 20; i++)
		madt_x2apic(i, i, 1);
	madt_x2apic(5, 99, 1);         /* duplicate id */
	for (uint8_t i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
		madt_ioapic(i, 0xfec00000u + i * 0x1000u, i * 24u);
	for (uint8_t i = 0; i < ACPI_MAX_ISOS + 3; i++)
		madt_iso(0, i, i, 0);
	{
		uint8_t e[12] = { 5, 12 };
		uint64_t addr = 0xfee10000u;

		memcpy(e + 4, &addr, 8);
		madt_add(e, 12);
	}
	madt_end();
	root_entries[0] = SPARE_PA;
	roots_build();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(acpi.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(acpi.nioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(acpi.nisos, ACPI_MAX_ISOS);
	assert_int_equal(acpi.lapic_phys, 0xfee10000u);
	/* One for the CPUs, one duplicate, 2 IOAPICs, 3 overrides. */
	assert_int_equal(n_warn, 1 + 1 + 2 + 3);
}

static void run_dsdt(const uint8_t *aml, size_t n)
{
	maps_free();
	n_warn = 0;
	dsdt_build(aml, n);
	assert_int_equal(acpi_init(RSDP_PA), 0);
}

static void test_dsdt_s5_variants(void **state)
{
	uint8_t aml[128];
	size_t n;

	(void)state;
	/* Root-prefixed name, 2-byte PkgLength, ZeroOp and OneOp. */
	{
		static const uint8_t el[] = { 0x00, 0x01, 0x00, 0x00 };

		n = s5_aml(aml, 1, 2, 4, el, sizeof(el));
		run_dsdt(aml, n);
		assert_true(acpi.have_s5);
		assert_int_equal(acpi.slp_typa, 0);
		assert_int_equal(acpi.slp_typb, 1);
	}
	/* Word and DWord prefixes; 4-byte PkgLength; package ends the table. */
	{
		static const uint8_t el[] = { 0x0b, 0x07, 0x00, 0x0c, 0x03, 0, 0, 0 };

		n = s5_aml(aml, 0, 4, 2, el, sizeof(el));
		run_dsdt(aml, n);
		assert_true(acpi.have_s5);
		assert_int_equal(acpi.slp_typa, 7);
		assert_int_equal(acpi.slp_typb, 3);
	}
	/* One element gives both. */
	{
		static const uint8_t el[] = { 0x0a, 0x02 };

		n = s5_aml(aml, 0, 1, 1, el, sizeof(el));
		run_dsdt(aml, n);
		assert_true(acpi.have_s5);
		assert_int_equal(acpi.slp_typa, 2);
		assert_int_equal(acpi.slp_typb, 2);
	}
	assert_int_equal(n_warn, 0);
}

static void test_dsdt_without_s5(void **state)
{
	static const uint8_t no_s5[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x00, 0x00,
					 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x0a };

	(void)state;
	run_dsdt(no_s5, sizeof(no_s5));
	assert_false(acpi.have_s5);
	assert_int_equal(n_warn, 1);
	expect_warning("no \\_S5");

	run_dsdt(no_s5, 0);            /* header-only DSDT */
	assert_false(acpi.have_s5);

	run_dsdt((const uint8_t *)"_S5_", 4);   /* name at the very start: no room for NameOp */
	assert_false(acpi.have_s5);

	/* Return(_S5_) then a package: a use of the name, not its definition. */
	{
		static const uint8_t use[] = { 0xa4, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x00 };

		run_dsdt(use, sizeof(use));
		assert_false(acpi.have_s5);
		expect_warning("no \\_S5");
	}
}

static void test_dsdt_malformed_s5(void **state)
{
	static const uint8_t el2[] = { 0x0a, 0x05, 0x0a, 0x05 };
	uint8_t aml[64];
	size_t n;

	(void)state;
	struct { const char *what; uint8_t bytes[16]; size_t n; } cases[] = {
		{ "PackageOp is the last byte", { 0x08, '_', 'S', '5', '_', 0x12 }, 6 },
		{ "PkgLength past the end", { 0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00 }, 10 },
		{ "multi-byte PkgLength cut", { 0x08, '_', 'S', '5', '_', 0x12, 0xc2, 0x01 }, 8 },
		{ "BytePrefix at package end", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0a }, 10 },
		{ "zero elements", { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 }, 8 },
		{ "NumElements outside package", { 0x08, '_', 'S', '5', '_', 0x12, 0x01, 0x02 }, 8 },
		{ "OnesOp element", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x00 }, 10 },
		{ "value over 3 bits", { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x09, 0x00 }, 11 },
		{ "WordPrefix cut", { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x0b }, 10 },
		{ "PkgLength zero", { 0x08, '_', 'S', '5', '_', 0x12, 0x00, 0x02, 0x00, 0x00 }, 10 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_dsdt(cases[i].bytes, cases[i].n);
		if (acpi.have_s5)
			fail_msg("case '%s' was accepted", cases[i].what);
		assert_int_equal(n_warn, 1);
		expect_warning("malformed");
	}

	/* PkgLength claims more than the table holds, by one byte. */
	n = s5_aml(aml, 0, 1, 2, el2, sizeof(el2));
	aml[6] = (uint8_t)(aml[6] + 1);
	run_dsdt(aml, n);
	assert_false(acpi.have_s5);

	/* DSDT with a bad checksum is not parsed at all. */
	n = s5_aml(aml, 0, 1, 2, el2, sizeof(el2));
	dsdt_build(aml, n);
	mem[DSDT_PA + 9] ^= 1;
	maps_free();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_false(acpi.have_s5);
	assert_false(table_find("DSDT")->valid);

	/* FADT's DSDT pointer naming some other table. */
	setup(NULL);
	w32(FADT_PA + 40, HPET_PA);
	w64(FADT_PA + 140, HPET_PA);
	sdt_fix(FADT_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_false(acpi.have_s5);
	expect_warning("expected DSDT");
}

static void test_mcfg_entries(void **state)
{
	(void)state;
	/* Two good entries, one with start > end, and 8 stray bytes at the end. */
	sdt_begin(MCFG_PA, "MCFG", 44 + 3 * 16 + 8, 1);
	w64(MCFG_PA + 44, 0xb0000000u);
	mem[MCFG_PA + 55] = 0x7f;
	w64(MCFG_PA + 60, 0xc0000000u);
	mem[MCFG_PA + 70] = 0x80;
	mem[MCFG_PA + 71] = 0x10;
	w64(MCFG_PA + 76, 0xd0000000u);
	w16(MCFG_PA + 84, 1);
	mem[MCFG_PA + 87] = 0xff;
	memset(mem + MCFG_PA + 92, 0xcc, 8);
	sdt_fix(MCFG_PA);
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 1);
	assert_int_equal(acpi.nmcfg, 2);
	assert_int_equal(acpi.mcfg[0].bus_end, 0x7f);
	assert_int_equal(acpi.mcfg[1].base, 0xd0000000u);
	assert_int_equal(acpi.mcfg[1].segment, 1);
}

static void test_root_entries(void **state)
{
	(void)state;
	/* Null, out-of-memory and duplicate entries around the real ones. */
	nroot = 0;
	root_entries[nroot++] = 0;
	root_entries[nroot++] = MADT_PA;
	root_entries[nroot++] = (uint64_t)MEM_SIZE - 8;
	root_entries[nroot++] = 0xffffffffffffff00ull;
	root_entries[nroot++] = FADT_PA;
	root_entries[nroot++] = FADT_PA;
	root_entries[nroot++] = HPET_PA;
	roots_build();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(n_warn, 4);
	assert_true(acpi.have_madt);
	assert_true(acpi.have_fadt);
	assert_true(acpi.have_s5);
	assert_int_equal(acpi.hpet_phys, 0xfed00000u);

	/* More entries than the table list holds. */
	setup(NULL);
	nroot = 0;
	for (uint32_t i = 0; i < 100; i++)
		root_entries[nroot++] = (i == 50) ? MADT_PA : DMAR_PA;
	roots_build();
	assert_int_equal(acpi_init(RSDP_PA), 0);
	assert_int_equal(acpi.ntables, ACPI_MAX_TABLES);
	assert_true(acpi.have_madt);
	assert_true(acpi.have_dmar);
}

/* xorshift64: deterministic garbage. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void garbage(uint32_t pa, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		mem[pa + i] = (uint8_t)rng();
}

static void check_bounds(void)
{
	assert_true(acpi.ntables <= ACPI_MAX_TABLES);
	assert_true(acpi.ncpus <= ACPI_MAX_CPUS);
	assert_true(acpi.nioapics <= ACPI_MAX_IOAPICS);
	assert_true(acpi.nisos <= ACPI_MAX_ISOS);
	assert_true(acpi.nmcfg <= ACPI_MAX_MCFG);
	assert_true(!acpi.have_s5 || (acpi.slp_typa <= 7 && acpi.slp_typb <= 7));
	for (uint32_t i = 0; i < acpi.ntables; i++) {
		assert_int_equal(strlen(acpi.tables[i].sig), 4);
		assert_int_equal(strlen(acpi.tables[i].oem_id), 6);
	}
}

static void test_garbage_tables(void **state)
{
	static const char *const sigs[] = { "APIC", "FACP", "HPET", "MCFG", "DMAR", "DSDT", "SSDT" };
	static const uint32_t slots[] = { MADT_PA, FADT_PA, HPET_PA, MCFG_PA, DMAR_PA };

	(void)state;
	for (int round = 0; round < 600; round++) {
		setup(NULL);
		for (size_t s = 0; s < 5; s++) {
			uint32_t pa = slots[s];

			garbage(pa, SLOT);
			if (round % 3 == 0)
				continue;      /* pure garbage: fails the checksum */
			/* Well-formed header over garbage, so the parsers run. */
			uint32_t len = (uint32_t)(rng() % (SLOT + 64));

			memcpy(mem + pa, sigs[rng() % 7], 4);
			w32(pa + 4, len);
			if (len >= 36 && len <= SLOT)
				csum_fix(pa, 9, len);
		}
		/* Garbage DSDT with a plausible _S5 planted somewhere. */
		garbage(DSDT_PA, SLOT);
		memcpy(mem + DSDT_PA, "DSDT", 4);
		w32(DSDT_PA + 4, 36 + (uint32_t)(rng() % (SLOT - 36)));
		{
			uint32_t len = *(uint32_t *)(mem + DSDT_PA + 4);
			uint32_t at = 36 + (uint32_t)(rng() % (len - 36 + 1));
			static const uint8_t pat[] = { 0x08, '_', 'S', '5', '_', 0x12 };

			if (at + sizeof(pat) <= len)
				memcpy(mem + DSDT_PA + at, pat, sizeof(pat));
			csum_fix(DSDT_PA, 9, len);
		}
		if (round % 5 == 0) {
			/* Garbage XSDT entries, still checksummed. */
			garbage(XSDT_PA + 36, 8 * nroot);
			sdt_fix(XSDT_PA);
		}
		(void)acpi_init(RSDP_PA);
		check_bounds();
		maps_free();
	}

	/* Garbage in place of the RSDP itself. */
	for (int round = 0; round < 200; round++) {
		setup(NULL);
		garbage(RSDP_PA, 64);
		if (round & 1)
			memcpy(mem + RSDP_PA, "RSD PTR ", 8);
		if (round & 2)
			csum_fix(RSDP_PA, 8, 20);
		(void)acpi_init(RSDP_PA);
		check_bounds();
		maps_free();
	}
}

/* AML search on its own, without the table walk around it. */
static void test_aml_direct(void **state)
{
	uint8_t t[36 + 16] = { 0 };
	uint8_t a = 9, b = 9;
	static const uint8_t el[] = { 0x01, 0x0a, 0x06 };

	(void)state;
	assert_int_equal(acpi_aml_find_s5(t, 36, &a, &b), ACPI_AML_S5_MISSING);
	assert_int_equal(acpi_aml_find_s5(t, 0, &a, &b), ACPI_AML_S5_MISSING);
	size_t n = s5_aml(t + 36, 0, 1, 2, el, sizeof(el));
	assert_int_equal(acpi_aml_find_s5(t, (uint32_t)(36 + n), &a, &b), ACPI_AML_S5_OK);
	assert_int_equal(a, 1);
	assert_int_equal(b, 6);
	/* The same bytes, one short: the package no longer fits. */
	assert_int_equal(acpi_aml_find_s5(t, (uint32_t)(36 + n - 1), &a, &b), ACPI_AML_S5_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_and_sleep_value),
		cmocka_unit_test_setup_teardown(test_good_xsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsdt_fallback_revision0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsdp_v2_bad_extended_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_xsdt_falls_back_to_rsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_table_checksum_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_field_choice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_entry_length_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_entry_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_s5_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_without_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt_malformed_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mcfg_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_tables, setup, teardown),
		cmocka_unit_test(test_aml_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

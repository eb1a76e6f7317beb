/*
 * Host tests for a VM's ACPI tables (vdev/acpi_tables.c) and its PM1a
 * registers (vdev/acpi_pm.c).
 *
 * The tables are read back two ways: field by field at ACPI 6.0 offsets
 * written out here, independently of the builder's own constants, and
 * through plinth's host ACPI parser (drivers/acpi.c), which sees the blob as
 * guest-physical memory at tables_gpa through a fake phys_map_ro().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arch/guest_layout.h>
#include "arch/x86_64/vdev/acpi_pm.h"
#include "arch/x86_64/vdev/acpi_tables.h"
#include "drivers/acpi.h"
#include "drivers/acpi_aml.h"
#include "log.h"
#include "mm.h"

#define BUF_SIZE  0x10000
#define SENTINEL  0xa5

static uint8_t blob[BUF_SIZE];
static uint64_t blob_gpa;
static size_t blob_used;

/* ---------------------------------------------------------------- fakes */

/* Guest-physical memory is the blob alone: anything else is unmapped. */
const void *phys_map_ro(uint64_t pa, uint64_t size)
{
	if (size == 0 || pa < blob_gpa || pa - blob_gpa > blob_used ||
	    size > blob_used - (pa - blob_gpa))
		return NULL;
	return blob + (pa - blob_gpa);
}

static int n_warn, n_err;

void log_write(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (lvl == LOG_WARN)
		n_warn++;
	else if (lvl == LOG_ERR)
		n_err++;
	if (lvl >= LOG_WARN || getenv("ACPI_TEST_VERBOSE"))
		fprintf(stderr, "log[%d]: %s\n", lvl, buf);
}

/* ---------------------------------------------------------------- readers */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* Build for ncpus at gpa into blob (sentinel-filled first); returns bytes used. */
static size_t build(uint32_t ncpus, uint64_t gpa)
{
	struct vacpi_config c = { .ncpus = ncpus, .tables_gpa = gpa };

	memset(blob, SENTINEL, sizeof(blob));
	blob_gpa = gpa;
	blob_used = vacpi_build(&c, blob, sizeof(blob));
	return blob_used;
}

/* The len bytes at gpa, which must lie inside the blob. */
static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	if (gpa < blob_gpa || gpa - blob_gpa > blob_used || len > blob_used - (gpa - blob_gpa))
		fail_msg("0x%llx+%llu outside the blob [0x%llx, +%zu)", (unsigned long long)gpa,
			 (unsigned long long)len, (unsigned long long)blob_gpa, blob_used);
	return blob + (gpa - blob_gpa);
}

/* A table with a standard header at gpa: in the blob, checksum 0, signature sig. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(gpa, 36);
	uint32_t len = rd32(t + 4);

	assert_memory_equal(t, sig, 4);
	assert_true(len >= 36);
	t = at(gpa, len);
	assert_int_equal(sum8(t, len), 0);
	assert_memory_equal(t + 10, "PLINTH", 6);
	return t;
}

static const uint8_t *xsdt_of(void) { return table(rd64(blob + 24), "XSDT"); }

/* The table the XSDT lists with signature sig (exactly one must). */
static const uint8_t *find(const char *sig)
{
	const uint8_t *x = xsdt_of(), *found = NULL;
	uint32_t len = rd32(x + 4);

	for (uint32_t off = 36; off + 8 <= len; off += 8) {
		const uint8_t *t = at(rd64(x + off), 36);

		if (memcmp(t, sig, 4) == 0) {
			assert_null(found);
			found = table(rd64(x + off), sig);
		}
	}
	assert_non_null(found);
	return found;
}

/* ---------------------------------------------------------------- tables */

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(build(1, GL_ACPI), 896);
	assert_int_equal(build(2, GL_ACPI), 904);
	assert_int_equal(build(8, GL_ACPI), 952);
	assert_int_equal(build(VACPI_MAX_CPUS, GL_ACPI), 888 + 8 * VACPI_MAX_CPUS);
	assert_true(blob_used <= GL_ACPI_SIZE);
	/* Nothing past the bytes used is touched. */
	for (size_t i = blob_used; i < sizeof(blob); i++)
		assert_int_equal(blob[i], SENTINEL);
}

static void test_rsdp(void **state)
{
	(void)state;
	assert_int_not_equal(build(2, GL_ACPI), 0);
	assert_int_equal(GL_ACPI % 16, 0);              /* RSDP at offset 0 */
	assert_memory_equal(blob, "RSD PTR ", 8);
	assert_int_equal(sum8(blob, 20), 0);            /* ACPI 1.0 checksum */
	assert_memory_equal(blob + 9, "PLINTH", 6);
	assert_int_equal(blob[15], 2);                  /* revision */
	assert_int_equal(rd32(blob + 20), 36);          /* length */
	assert_int_equal(sum8(blob, 36), 0);            /* extended checksum */
	table(rd32(blob + 16), "RSDT");
	table(rd64(blob + 24), "XSDT");
}

static void test_roots(void **state)
{
	static const char *const want[] = { "FACP", "APIC", "MCFG" };
	const uint8_t *x, *r;

	(void)state;
	assert_int_not_equal(build(2, GL_ACPI), 0);
	x = xsdt_of();
	r = table(rd32(blob + 16), "RSDT");
	assert_int_equal(rd32(x + 4), 36 + 8 * 3);
	assert_int_equal(rd32(r + 4), 36 + 4 * 3);
	for (int i = 0; i < 3; i++) {
		uint64_t gpa = rd64(x + 36 + 8 * i);

		assert_int_equal(rd32(r + 36 + 4 * i), gpa);
		table(gpa, want[i]);
		assert_int_equal(gpa % 8, 0);
	}
	for (int i = 0; i < 3; i++)
		find(want[i]);
	/* ACPI 6.0 5.2.9: the FADT's OEM table ID matches the RSDT's. */
	assert_memory_equal(find("FACP") + 16, r + 16, 8);
}

static void expect_gas(const uint8_t *g, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	assert_int_equal(g[0], space);
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], access);
	assert_int_equal(rd64(g + 4), addr);
}

static void test_fadt_fields(void **state)
{
	const uint8_t *f;
	uint32_t flags;

	(void)state;
	assert_int_not_equal(build(2, GL_ACPI), 0);
	f = find("FACP");
	assert_int_equal(rd32(f + 4), 276);             /* revision 6 length */
	assert_int_equal(f[8], 6);
	assert_int_equal(rd32(f + 36), 0);              /* FIRMWARE_CTRL: X_ only */
	assert_int_not_equal(rd32(f + 40), 0);          /* DSDT */
	assert_int_equal(rd32(f + 40), rd64(f + 140));  /* = X_DSDT */
	assert_int_equal(rd16(f + 46), GL_IRQ_SCI);     /* SCI_INT */
	assert_int_equal(rd32(f + 48), 0);              /* SMI_CMD: already in ACPI mode */
	assert_int_equal(f[52], 0);                     /* ACPI_ENABLE */
	assert_int_equal(f[53], 0);                     /* ACPI_DISABLE */
	assert_int_equal(rd32(f + 56), GL_PORT_PM1A_EVT);
	assert_int_equal(rd32(f + 60), 0);              /* PM1b_EVT_BLK */
	assert_int_equal(rd32(f + 64), GL_PORT_PM1A_CNT);
	assert_int_equal(rd32(f + 68), 0);              /* PM1b_CNT_BLK */
	assert_int_equal(rd32(f + 72), 0);              /* PM2_CNT_BLK */
	assert_int_equal(rd32(f + 76), GL_PORT_PM_TMR);
	assert_int_equal(rd32(f + 80), 0);              /* GPE0_BLK */
	assert_int_equal(rd32(f + 84), 0);              /* GPE1_BLK */
	assert_int_equal(f[88], 4);                     /* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);                     /* PM1_CNT_LEN */
	assert_int_equal(f[90], 0);                     /* PM2_CNT_LEN */
	assert_int_equal(f[91], 4);                     /* PM_TMR_LEN */
	assert_int_equal(f[92], 0);                     /* GPE0_BLK_LEN */
	assert_true(rd16(f + 96) > 100);                /* P_LVL2_LAT: no C2 */
	assert_true(rd16(f + 98) > 1000);               /* P_LVL3_LAT: no C3 */
	assert_int_equal(f[108], 0x32);                 /* CENTURY */
	/* IAPC_BOOT_ARCH: legacy devices, 8042, no VGA; MSI allowed, CMOS RTC present. */
	assert_int_equal(rd16(f + 109), 0x0007);
	flags = rd32(f + 112);
	assert_true(flags & (1u << 0));                 /* WBINVD */
	assert_true(flags & (1u << 2));                 /* PROC_C1 */
	assert_true(flags & (1u << 4));                 /* PWR_BUTTON: none fixed */
	assert_true(flags & (1u << 5));                 /* SLP_BUTTON: none fixed */
	assert_false(flags & (1u << 8));                /* TMR_VAL_EXT: 24-bit timer */
	assert_true(flags & (1u << 10));                /* RESET_REG_SUP */
	assert_false(flags & (1u << 20));               /* HW_REDUCED_ACPI */
	assert_false(flags & (1u << 18));               /* FORCE_APIC_CLUSTER_MODEL */
	expect_gas(f + 116, 1, 8, 1, GL_PORT_RESET);    /* RESET_REG: I/O byte */
	assert_int_equal(f[128], GL_RESET_VALUE);
	assert_int_equal(rd64(f + 132) % 64, 0);        /* X_FIRMWARE_CTRL */
	expect_gas(f + 148, 1, 32, 2, GL_PORT_PM1A_EVT);
	expect_gas(f + 160, 0, 0, 0, 0);                /* X_PM1b_EVT_BLK */
	expect_gas(f + 172, 1, 16, 2, GL_PORT_PM1A_CNT);
	expect_gas(f + 184, 0, 0, 0, 0);                /* X_PM1b_CNT_BLK */
	expect_gas(f + 196, 0, 0, 0, 0);                /* X_PM2_CNT_BLK */
	expect_gas(f + 208, 1, 32, 3, GL_PORT_PM_TMR);
	expect_gas(f + 220, 0, 0, 0, 0);                /* X_GPE0_BLK */
	expect_gas(f + 244, 0, 0, 0, 0);                /* SLEEP_CONTROL_REG */
	assert_memory_equal(f + 268, "PLINTH\0\0", 8);  /* hypervisor vendor identity */
}

static void test_facs(void **state)
{
	const uint8_t *facs;
	uint64_t gpa;

	(void)state;
	assert_int_not_equal(build(1, GL_ACPI), 0);
	gpa = rd64(find("FACP") + 132);
	assert_int_equal(gpa % 64, 0);
	facs = at(gpa, 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs + 4), 64);
	assert_int_equal(rd32(facs + 16), 0);           /* global lock free */
	assert_int_equal(rd32(facs + 20), 0);           /* no S4BIOS, no 64-bit wake */
	assert_int_equal(facs[32], 2);                  /* version */
}

/* One AML integer constant at *p (ZeroOp, OneOp or BytePrefix), or -1. */
static int aml_const(const uint8_t *aml, size_t *p, size_t end)
{
	if (*p >= end)
		return -1;
	switch (aml[(*p)++]) {
	case 0x00: return 0;
	case 0x01: return 1;
	case 0x0a: return *p < end ? aml[(*p)++] : -1;
	default:   return -1;
	}
}

/*
 * Decode the start of the DSDT body as Scope(\) { Name(_S5, Package(){...}) },
 * with one-byte PkgLengths that end inside the table, and return the
 * package's integers.
 */
static void dsdt_decode_s5(const uint8_t *t, int vals[4])
{
	uint32_t len = rd32(t + 4);
	size_t p = 36, scope_end, pkg_end;

	assert_true(len >= 36 + 13);
	assert_int_equal(t[p++], 0x10);                 /* ScopeOp */
	assert_true(t[p] < 0x40);                       /* one-byte PkgLength */
	scope_end = p + t[p];
	p++;
	assert_true(scope_end <= len);
	assert_int_equal(t[p++], '\\');                 /* RootChar */
	assert_int_equal(t[p++], 0x00);                 /* NullName */
	assert_int_equal(t[p++], 0x08);                 /* NameOp */
	assert_memory_equal(t + p, "_S5_", 4);
	p += 4;
	assert_int_equal(t[p++], 0x12);                 /* PackageOp */
	assert_true(t[p] < 0x40);
	pkg_end = p + t[p];
	p++;
	assert_int_equal(pkg_end, scope_end);
	assert_int_equal(t[p++], 4);                    /* NumElements */
	for (int i = 0; i < 4; i++) {
		vals[i] = aml_const(t, &p, pkg_end);
		assert_true(vals[i] >= 0);
	}
	assert_int_equal(p, pkg_end);
}

static void test_dsdt_s5(void **state)
{
	const uint8_t *f, *d;
	int vals[4];
	uint8_t a = 0xff, b = 0xff;

	(void)state;
	assert_int_not_equal(build(2, GL_ACPI), 0);
	f = find("FACP");
	assert_int_equal(rd32(f + 40), rd64(f + 140));
	d = table(rd64(f + 140), "DSDT");
	assert_int_equal(d[8], 2);                      /* 64-bit AML integers */
	dsdt_decode_s5(d, vals);
	assert_int_equal(vals[0], VACPI_SLP_TYP_S5);
	assert_int_equal(vals[1], VACPI_SLP_TYP_S5);
	assert_int_equal(vals[2], 0);
	assert_int_equal(vals[3], 0);
	/* plinth's own \_S5 finder agrees. */
	assert_int_equal(acpi_aml_find_s5(d, rd32(d + 4), &a, &b), ACPI_AML_S5_OK);
	assert_int_equal(a, VACPI_SLP_TYP_S5);
	assert_int_equal(b, VACPI_SLP_TYP_S5);
}

/* A PkgLength at *p (ACPI 6.0 20.2.4); returns the offset where its object ends. */
static size_t pkg_end_at(const uint8_t *t, size_t *p)
{
	size_t start = *p, n = t[*p] >> 6, v;

	if (n == 0)
		v = t[(*p)++] & 0x3f;
	else {
		assert_int_equal(t[*p] & 0x30, 0);
		v = t[(*p)++] & 0x0f;
		for (size_t i = 0; i < n; i++)
			v |= (size_t)t[(*p)++] << (4 + 8 * i);
	}
	return start + v;
}

static void expect_name_dword(const uint8_t *t, size_t *p, const char *seg, uint32_t v)
{
	assert_int_equal(t[(*p)++], 0x08);              /* NameOp */
	assert_memory_equal(t + *p, seg, 4);
	*p += 4;
	assert_int_equal(t[(*p)++], 0x0c);              /* DWordPrefix */
	assert_int_equal(rd32(t + *p), v);
	*p += 4;
}

static void expect_name_zero(const uint8_t *t, size_t *p, const char *seg)
{
	assert_int_equal(t[(*p)++], 0x08);
	assert_memory_equal(t + *p, seg, 4);
	*p += 4;
	assert_int_equal(t[(*p)++], 0x00);              /* ZeroOp */
}

/*
 * The second scope of the DSDT: \_SB.PCI0, a PCI Express root bridge
 * (PNP0A08, compatible PNP0A03) for segment 0, bus 0, with _OSC returning
 * its capabilities buffer, and a _CRS whose descriptors are walked here one
 * by one: bus 0-0, the configuration ports, I/O windows around them, and
 * the memory window GL_PCI_MMIO; nothing overlaps RAM, the ECAM, the
 * IOAPIC or the LAPIC.
 */
static void test_dsdt_pci_root(void **state)
{
	const uint8_t *d;
	size_t p = 36, scope_end, dev_end, m_end, buf_end, len;
	uint32_t io_lo[2], io_hi[2], nio = 0, nbus = 0, nmem = 0, ncfg = 0;
	bool end_tag = false;

	(void)state;
	assert_int_not_equal(build(2, GL_ACPI), 0);
	d = table(rd64(find("FACP") + 140), "DSDT");
	len = rd32(d + 4);
	/* Skip Scope(\) {...}, checked by test_dsdt_s5. */
	assert_int_equal(d[p++], 0x10);
	p = pkg_end_at(d, &p);
	assert_int_equal(d[p++], 0x10);                 /* ScopeOp */
	scope_end = pkg_end_at(d, &p);
	assert_int_equal(scope_end, len);
	assert_memory_equal(d + p, "\\_SB_", 5);
	p += 5;
	assert_int_equal(d[p++], 0x5b);                 /* ExtOpPrefix */
	assert_int_equal(d[p++], 0x82);                 /* DeviceOp */
	dev_end = pkg_end_at(d, &p);
	assert_int_equal(dev_end, scope_end);
	assert_memory_equal(d + p, "PCI0", 4);
	p += 4;
	expect_name_dword(d, &p, "_HID", 0x080ad041);   /* EisaId("PNP0A08") */
	expect_name_dword(d, &p, "_CID", 0x030ad041);   /* EisaId("PNP0A03") */
	expect_name_zero(d, &p, "_UID");
	expect_name_zero(d, &p, "_SEG");
	expect_name_zero(d, &p, "_BBN");

	assert_int_equal(d[p++], 0x14);                 /* MethodOp */
	m_end = pkg_end_at(d, &p);
	assert_memory_equal(d + p, "_OSC", 4);
	p += 4;
	assert_int_equal(d[p++], 4);                    /* 4 arguments, not serialized */
	assert_int_equal(d[p++], 0xa4);                 /* ReturnOp */
	assert_int_equal(d[p++], 0x6b);                 /* Arg3Op */
	assert_int_equal(p, m_end);

	assert_int_equal(d[p++], 0x08);
	assert_memory_equal(d + p, "_CRS", 4);
	p += 4;
	assert_int_equal(d[p++], 0x11);                 /* BufferOp */
	buf_end = pkg_end_at(d, &p);
	assert_int_equal(buf_end, dev_end);
	assert_int_equal(d[p++], 0x0c);                 /* BufferSize as DWordConst */
	assert_int_equal(rd32(d + p), buf_end - p - 4);
	p += 4;
	while (p < buf_end && !end_tag) {
		uint8_t tag = d[p];

		if (tag == 0x79) {                      /* EndTag */
			end_tag = true;
			p += 2;
		} else if (tag == 0x47) {               /* IO port, 16-bit decode */
			assert_int_equal(d[p + 1], 1);
			assert_int_equal(rd16(d + p + 2), GL_PORT_PCI_ADDR);
			assert_int_equal(rd16(d + p + 4), GL_PORT_PCI_ADDR);
			assert_int_equal(d[p + 7], 8);
			ncfg++;
			p += 8;
		} else if (tag == 0x88) {               /* Word address space */
			uint16_t lo = rd16(d + p + 8), hi = rd16(d + p + 10);

			assert_int_equal(rd16(d + p + 1), 13);
			assert_int_equal(d[p + 4], 0x0c);       /* producer, min and max fixed */
			assert_int_equal(rd16(d + p + 14), hi - lo + 1);
			if (d[p + 3] == 2) {                    /* bus numbers */
				assert_int_equal(lo, 0);
				assert_int_equal(hi, 0);
				nbus++;
			} else {
				assert_int_equal(d[p + 3], 1);  /* I/O */
				assert_true(nio < 2);
				io_lo[nio] = lo;
				io_hi[nio++] = hi;
			}
			p += 16;
		} else if (tag == 0x87) {               /* DWord address space: memory */
			uint32_t lo = rd32(d + p + 10), hi = rd32(d + p + 14);

			assert_int_equal(rd16(d + p + 1), 23);
			assert_int_equal(d[p + 3], 0);
			assert_int_equal(rd32(d + p + 22), hi - lo + 1);
			assert_int_equal(lo, GL_PCI_MMIO);
			assert_true(lo >= GL_RAM_MAX);
			assert_true(hi < GL_ECAM);
			nmem++;
			p += 26;
		} else {
			fail_msg("unexpected resource descriptor %#x at %zu", tag, p);
		}
	}
	assert_true(end_tag);
	assert_int_equal(p, buf_end);
	assert_int_equal(nbus, 1);
	assert_int_equal(ncfg, 1);
	assert_int_equal(nmem, 1);
	/* Every port but the configuration block, once. */
	assert_int_equal(nio, 2);
	assert_int_equal(io_lo[0], 0);
	assert_int_equal(io_hi[0], GL_PORT_PCI_ADDR - 1);
	assert_int_equal(io_lo[1], GL_PORT_PCI_ADDR + 8);
	assert_int_equal(io_hi[1], 0xffff);
}

static void check_madt(uint32_t ncpus)
{
	const uint8_t *m;
	uint32_t len, off, nlapic = 0, nioapic = 0, niso = 0, nnmi = 0;

	assert_int_not_equal(build(ncpus, GL_ACPI), 0);
	m = find("APIC");
	len = rd32(m + 4);
	assert_int_equal(len, 44 + 8 * ncpus + 12 + 10 + 10 + 6);
	assert_int_equal(rd32(m + 36), GL_LAPIC);
	assert_int_equal(rd32(m + 40), 1);              /* PCAT_COMPAT */
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		assert_true(off + 2 <= len);
		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:                                 /* Processor Local APIC */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], nlapic);         /* UID */
			assert_int_equal(e[3], nlapic);         /* APIC ID */
			assert_int_equal(rd32(e + 4), 1);       /* enabled */
			nlapic++;
			break;
		case 1:                                 /* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], ncpus);
			assert_int_equal(e[2], VACPI_IOAPIC_ID(ncpus));
			assert_int_equal(rd32(e + 4), GL_IOAPIC);
			assert_int_equal(rd32(e + 8), 0);
			nioapic++;
			break;
		case 2:                                 /* Interrupt Source Override */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);              /* ISA */
			if (e[3] == 0) {
				assert_int_equal(rd32(e + 4), 2);
				assert_int_equal(rd16(e + 8), 0);       /* ISA: edge, high */
			} else {
				assert_int_equal(e[3], GL_IRQ_SCI);
				assert_int_equal(rd32(e + 4), GL_IRQ_SCI);
				assert_int_equal(rd16(e + 8), 0x000d);  /* level, active high */
			}
			niso++;
			break;
		case 4:                                 /* Local APIC NMI */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(rd16(e + 3), 0x0005);
			assert_int_equal(e[5], 1);              /* LINT1 */
			nnmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(nlapic, ncpus);
	assert_int_equal(nioapic, 1);
	assert_int_equal(niso, 2);
	assert_int_equal(nnmi, 1);
}

static void test_madt(void **state)
{
	(void)state;
	check_madt(1);
	check_madt(2);
	check_madt(8);
	check_madt(VACPI_MAX_CPUS);
}

static void test_mcfg(void **state)
{
	const uint8_t *m;

	(void)state;
	assert_int_not_equal(build(1, GL_ACPI), 0);
	m = find("MCFG");
	assert_int_equal(rd32(m + 4), 60);
	assert_int_equal(rd64(m + 36), 0);              /* reserved */
	assert_int_equal(rd64(m + 44), GL_ECAM);
	assert_int_equal(rd16(m + 52), 0);              /* segment */
	assert_int_equal(m[54], 0);                     /* buses 0..0 */
	assert_int_equal(m[55], 0);
}

/* plinth's host parser reads the blob back as guest memory, without a complaint. */
static void parse_back(uint32_t ncpus, uint64_t gpa)
{
	assert_int_not_equal(build(ncpus, gpa), 0);
	n_warn = n_err = 0;
	assert_int_equal(acpi_init(gpa), 0);
	assert_int_equal(n_warn, 0);
	assert_int_equal(n_err, 0);
	assert_int_equal(acpi.revision, 2);
	/* The XSDT, the three it lists and the DSDT, all intact. */
	assert_int_equal(acpi.ntables, 5);
	for (uint32_t i = 0; i < acpi.ntables; i++) {
		assert_true(acpi.tables[i].valid);
		assert_string_equal(acpi.tables[i].oem_id, "PLINTH");
		assert_non_null(strstr("XSDT FACP APIC MCFG DSDT", acpi.tables[i].sig));
	}
	assert_true(acpi.have_madt);
	assert_int_equal(acpi.lapic_phys, GL_LAPIC);
	assert_int_equal(acpi.ncpus, ncpus);
	for (uint32_t i = 0; i < ncpus; i++) {
		assert_int_equal(acpi.cpus[i].apic_id, i);
		assert_true(acpi.cpus[i].enabled);
	}
	assert_int_equal(acpi.nioapics, 1);
	assert_int_equal(acpi.ioapics[0].phys, GL_IOAPIC);
	assert_int_equal(acpi.nisos, 2);
	assert_true(acpi.pcat_compat);
	assert_true(acpi.have_fadt);
	assert_int_equal(acpi.smi_cmd_port, 0);
	assert_int_equal(acpi.pm1a_cnt_port, GL_PORT_PM1A_CNT);
	assert_int_equal(acpi.pm1b_cnt_port, 0);
	assert_int_equal(acpi.pm_tmr_port, GL_PORT_PM_TMR);
	assert_false(acpi.pm_tmr_32bit);
	assert_true(acpi.have_reset);
	assert_int_equal(acpi.reset_reg.space, ACPI_GAS_IO);
	assert_int_equal(acpi.reset_reg.addr, GL_PORT_RESET);
	assert_int_equal(acpi.reset_value, GL_RESET_VALUE);
	assert_true(acpi.have_s5);
	assert_int_equal(acpi.slp_typa, VACPI_SLP_TYP_S5);
	assert_int_equal(acpi.hpet_phys, 0);
	assert_int_equal(acpi.nmcfg, 1);
	assert_int_equal(acpi.mcfg[0].base, GL_ECAM);
	assert_int_equal(acpi.mcfg[0].bus_end, 0);
}

static void test_parse_back(void **state)
{
	(void)state;
	parse_back(1, GL_ACPI);
	parse_back(8, GL_ACPI);
}

/* Every pointer follows tables_gpa, up to a blob ending just under 4 GiB. */
static void test_other_gpa(void **state)
{
	struct vacpi_config c = { .ncpus = 2 };
	size_t used;

	(void)state;
	used = build(2, 0x7ff00000);
	assert_int_not_equal(used, 0);
	parse_back(2, 0x7ff00000);
	assert_int_equal(rd64(blob + 24) >> 20, 0x7ff);

	c.tables_gpa = (0x100000000ull - used) & ~63ull;
	assert_int_equal(vacpi_build(&c, blob, sizeof(blob)), used);
	c.tables_gpa += 64;
	assert_int_equal(vacpi_build(&c, blob, sizeof(blob)), 0);
	c.tables_gpa = 0x100000000ull;
	assert_int_equal(vacpi_build(&c, blob, sizeof(blob)), 0);
}

/* A buffer one byte short, or any shorter, gets nothing written at all. */
static void test_too_small(void **state)
{
	struct vacpi_config c = { .ncpus = 8, .tables_gpa = GL_ACPI };
	size_t used = build(8, GL_ACPI);
	const size_t lens[] = { 0, 1, 16, 35, 36, 100, used / 2, used - 8, used - 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		/* Exactly len bytes on the heap, so a write past them trips ASan. */
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memset(b, SENTINEL, len ? len : 1);
		assert_int_equal(vacpi_build(&c, b, len), 0);
		for (size_t j = 0; j < (len ? len : 1); j++)
			assert_int_equal(b[j], SENTINEL);
		free(b);
	}
	{
		uint8_t *b = malloc(used);

		assert_non_null(b);
		assert_int_equal(vacpi_build(&c, b, used), used);
		assert_memory_equal(b, blob, used);
		free(b);
	}
}

static void test_bad_config(void **state)
{
	const struct vacpi_config bad[] = {
		{ .ncpus = 0, .tables_gpa = GL_ACPI },
		{ .ncpus = VACPI_MAX_CPUS + 1, .tables_gpa = GL_ACPI },
		{ .ncpus = 0xffffffffu, .tables_gpa = GL_ACPI },
		{ .ncpus = 1, .tables_gpa = GL_ACPI + 16 },     /* RSDP fine, FACS not */
		{ .ncpus = 1, .tables_gpa = GL_ACPI + 1 },
		{ .ncpus = 1, .tables_gpa = 0xffffffffffffffc0ull },
	};
	struct vacpi_config ok = { .ncpus = 1, .tables_gpa = GL_ACPI };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(blob, SENTINEL, sizeof(blob));
		assert_int_equal(vacpi_build(&bad[i], blob, sizeof(blob)), 0);
		for (size_t j = 0; j < sizeof(blob); j++)
			assert_int_equal(blob[j], SENTINEL);
	}
	assert_int_equal(vacpi_build(NULL, blob, sizeof(blob)), 0);
	assert_int_equal(vacpi_build(&ok, NULL, sizeof(blob)), 0);
}

/* ---------------------------------------------------------------- PM1a */

#define EVT  GL_PORT_PM1A_EVT
#define CNT  GL_PORT_PM1A_CNT

struct sleeps {
	struct vacpi_pm *pm;
	unsigned n, typ;
	uint16_t cnt_seen;      /* PM1a_CNT as the callback saw it */
};

static void on_sleep(void *arg, unsigned slp_typ)
{
	struct sleeps *s = arg;

	s->n++;
	s->typ = slp_typ;
	s->cnt_seen = s->pm->cnt;
}

static struct vacpi_pm pm;
static struct sleeps sl;

static void pm_reset(void)
{
	memset(&sl, 0, sizeof(sl));
	sl.pm = &pm;
	vacpi_pm_init(&pm, on_sleep, &sl);
}

static void test_pm_reset(void **state)
{
	(void)state;
	pm_reset();
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 2), 0);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2), VACPI_PM1_SCI_EN);
	assert_int_equal(sl.n, 0);
}

static void test_pm_enable(void **state)
{
	(void)state;
	pm_reset();
	vacpi_pm_write(&pm, EVT + 2, 2, 0xffff);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 2), 0x4721);      /* defined bits only */
	vacpi_pm_write(&pm, EVT + 2, 2, VACPI_PM1_PWRBTN_EN);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 2), VACPI_PM1_PWRBTN_EN);
	/* Bytes: the high byte alone leaves the low byte alone. */
	vacpi_pm_write(&pm, EVT + 2, 1, VACPI_PM1_TMR_EN | VACPI_PM1_GBL_EN);
	vacpi_pm_write(&pm, EVT + 3, 1, 0x00);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 2), VACPI_PM1_TMR_EN | VACPI_PM1_GBL_EN);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 3, 1), 0);
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 1), 0x21);
	assert_int_equal(pm.sts, 0);
	assert_int_equal(sl.n, 0);
}

static void test_pm_status_w1c(void **state)
{
	(void)state;
	pm_reset();
	pm.sts = VACPI_PM1_WAK_STS | VACPI_PM1_PWRBTN_STS | VACPI_PM1_GBL_STS | VACPI_PM1_TMR_STS;
	vacpi_pm_write(&pm, EVT, 2, 0);                                 /* 0s change nothing */
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0x8121);
	vacpi_pm_write(&pm, EVT, 2, VACPI_PM1_PWRBTN_STS);
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0x8021);
	vacpi_pm_write(&pm, EVT + 1, 1, 0x80);                          /* WAK_STS by byte */
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0x0021);
	vacpi_pm_write(&pm, EVT, 1, 0xff);
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0);
	/* Writing 1s never sets a status bit. */
	vacpi_pm_write(&pm, EVT, 2, 0xffff);
	assert_int_equal(vacpi_pm_read(&pm, EVT, 2), 0);
	assert_int_equal(pm.en, 0);
}

static void test_pm_dword_event_block(void **state)
{
	(void)state;
	pm_reset();
	pm.sts = VACPI_PM1_WAK_STS | VACPI_PM1_TMR_STS;
	/* One dword: clear TMR_STS and enable PWRBTN_EN, as STS | EN << 16. */
	vacpi_pm_write(&pm, EVT, 4, VACPI_PM1_TMR_STS | (uint32_t)VACPI_PM1_PWRBTN_EN << 16);
	assert_int_equal(pm.sts, VACPI_PM1_WAK_STS);
	assert_int_equal(pm.en, VACPI_PM1_PWRBTN_EN);
	assert_int_equal(vacpi_pm_read(&pm, EVT, 4),
			 VACPI_PM1_WAK_STS | (uint32_t)VACPI_PM1_PWRBTN_EN << 16);
}

static void test_pm_control(void **state)
{
	(void)state;
	pm_reset();
	/* SCI_EN stays; GBL_RLS, reserved and ignored bits read 0; BM_RLD kept. */
	vacpi_pm_write(&pm, CNT, 2, 0);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2), VACPI_PM1_SCI_EN);
	vacpi_pm_write(&pm, CNT, 2, 0xffff & ~(VACPI_PM1_SLP_EN | VACPI_PM1_SCI_EN));
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2),
			 VACPI_PM1_SCI_EN | VACPI_PM1_BM_RLD | VACPI_PM1_SLP_TYP);
	assert_int_equal(sl.n, 0);

	/* SLP_TYP alone is stored; SLP_EN with it sleeps once with that type. */
	vacpi_pm_write(&pm, CNT, 2, VACPI_PM1_SCI_EN | 3u << VACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(sl.n, 0);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2), VACPI_PM1_SCI_EN | 3u << VACPI_PM1_SLP_TYP_SHIFT);
	vacpi_pm_write(&pm, CNT, 2, VACPI_PM1_SCI_EN | VACPI_PM1_SLP_EN |
		       (unsigned)VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.typ, VACPI_SLP_TYP_S5);
	/* The state was updated before the callback ran; SLP_EN reads 0. */
	assert_int_equal(sl.cnt_seen, VACPI_PM1_SCI_EN | VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2), VACPI_PM1_SCI_EN | VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);

	/* The sequence an OS uses for S5: read, set SLP_TYP, then add SLP_EN. */
	pm_reset();
	{
		uint16_t v = (uint16_t)vacpi_pm_read(&pm, CNT, 2);
		uint16_t typ = (uint16_t)(VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);

		v = (uint16_t)((v & ~(VACPI_PM1_SLP_TYP | VACPI_PM1_SLP_EN)) | typ);
		vacpi_pm_write(&pm, CNT, 2, v);
		assert_int_equal(sl.n, 0);
		vacpi_pm_write(&pm, CNT, 2, v | VACPI_PM1_SLP_EN);
		assert_int_equal(sl.n, 1);
		assert_int_equal(sl.typ, VACPI_SLP_TYP_S5);
	}
	/* plinth's own poweroff value does the same. */
	pm_reset();
	vacpi_pm_write(&pm, CNT, 2, acpi_pm1_sleep_value((uint16_t)vacpi_pm_read(&pm, CNT, 2),
							   VACPI_SLP_TYP_S5));
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.typ, VACPI_SLP_TYP_S5);
}

static void test_pm_control_bytes(void **state)
{
	(void)state;
	pm_reset();
	/* The low byte holds no SLP_EN: never a sleep, and SLP_TYP is kept. */
	vacpi_pm_write(&pm, CNT + 1, 1, 2u << 2);                       /* SLP_TYP 2 */
	vacpi_pm_write(&pm, CNT, 1, 0xff);
	assert_int_equal(sl.n, 0);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2),
			 VACPI_PM1_SCI_EN | VACPI_PM1_BM_RLD | 2u << VACPI_PM1_SLP_TYP_SHIFT);
	/* The high byte alone carries SLP_TYP and SLP_EN. */
	vacpi_pm_write(&pm, CNT + 1, 1, 0x20 | 7u << 2);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.typ, 7);
	assert_int_equal(vacpi_pm_read(&pm, CNT + 1, 1), 7u << 2);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 1), VACPI_PM1_SCI_EN | VACPI_PM1_BM_RLD);
	/* SLP_TYP 0 with SLP_EN is passed on too: the owner decides. */
	vacpi_pm_write(&pm, CNT + 1, 1, 0x20);
	assert_int_equal(sl.n, 2);
	assert_int_equal(sl.typ, 0);
}

static void test_pm_odd_accesses(void **state)
{
	(void)state;
	pm_reset();
	pm.sts = 0x8001;
	pm.en = 0x0120;
	/* A misaligned word reaches STS's high byte and EN's low byte. */
	assert_int_equal(vacpi_pm_read(&pm, EVT + 1, 2), 0x2080);
	vacpi_pm_write(&pm, EVT + 1, 2, 0x0080);                        /* W1C WAK_STS, EN low 0 */
	assert_int_equal(pm.sts, 0x0001);
	assert_int_equal(pm.en, 0x0100);
	/* A dword from EN reaches CNT; bytes past the blocks read 0xff. */
	assert_int_equal(vacpi_pm_read(&pm, EVT + 2, 4), 0x00010100);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 4), 0xffff0001);
	assert_int_equal(vacpi_pm_read(&pm, EVT - 1, 2), 0x01ff);
	assert_int_equal(vacpi_pm_read(&pm, CNT + 2, 1), 0xff);
	assert_int_equal(vacpi_pm_read(&pm, 0xffff, 4), 0xffffffff);    /* no wrap to port 0 */
	/* A dword write at CNT acts on CNT alone. */
	vacpi_pm_write(&pm, CNT, 4, 0xffff0000u | VACPI_PM1_SLP_EN | 1u << VACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.typ, 1);
	assert_int_equal(pm.sts, 0x0001);
	assert_int_equal(pm.en, 0x0100);
	/* Sizes other than 1, 2, 4 read all ones and write nothing. */
	assert_int_equal(vacpi_pm_read(&pm, EVT, 3), 0xffffffff);
	assert_int_equal(vacpi_pm_read(&pm, EVT, 0), 0xffffffff);
	vacpi_pm_write(&pm, EVT, 3, 0xffffff);
	vacpi_pm_write(&pm, CNT, 8, 0xffffffff);
	assert_int_equal(pm.sts, 0x0001);
	assert_int_equal(pm.en, 0x0100);
	assert_int_equal(sl.n, 1);
	/* Writes outside the blocks change nothing. */
	vacpi_pm_write(&pm, CNT + 2, 2, 0xffff);
	vacpi_pm_write(&pm, EVT - 2, 2, 0xffff);
	assert_int_equal(pm.sts, 0x0001);
	assert_int_equal(pm.en, 0x0100);
	assert_int_equal(sl.n, 1);
	/* An access starting before a block still reaches the bytes inside it. */
	vacpi_pm_write(&pm, EVT - 1, 2, 0x01ff);                        /* STS low byte: W1C */
	assert_int_equal(pm.sts, 0);
	vacpi_pm_write(&pm, CNT - 1, 4, 0x00200000u | 6u << 18);       /* CNT high byte: SLP 6 */
	assert_int_equal(sl.n, 2);
	assert_int_equal(sl.typ, 6);
}

static void test_pm_no_callback(void **state)
{
	(void)state;
	vacpi_pm_init(&pm, NULL, NULL);
	vacpi_pm_write(&pm, CNT, 2, VACPI_PM1_SLP_EN | (unsigned)VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);
	assert_int_equal(vacpi_pm_read(&pm, CNT, 2),
			 VACPI_PM1_SCI_EN | VACPI_SLP_TYP_S5 << VACPI_PM1_SLP_TYP_SHIFT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_fadt_fields),
		cmocka_unit_test(test_facs),
		cmocka_unit_test(test_dsdt_s5),
		cmocka_unit_test(test_dsdt_pci_root),
		cmocka_unit_test(test_madt),
		cmocka_unit_test(test_mcfg),
		cmocka_unit_test(test_parse_back),
		cmocka_unit_test(test_other_gpa),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_pm_reset),
		cmocka_unit_test(test_pm_enable),
		cmocka_unit_test(test_pm_status_w1c),
		cmocka_unit_test(test_pm_dword_event_block),
		cmocka_unit_test(test_pm_control),
		cmocka_unit_test(test_pm_control_bytes),
		cmocka_unit_test(test_pm_odd_accesses),
		cmocka_unit_test(test_pm_no_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

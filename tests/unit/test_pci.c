/* PCI enumeration walk over a fake ECAM space held in a host buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "drivers/pci.h"

#define FAKE_BUSES 3

/* ECAM layout (PCI Express base spec 7.2.2): bus << 20 | dev << 15 | fn << 12. */
struct fake_ecam {
	uint8_t *space;
	uint32_t reads;
	uint32_t reads_beyond_fn0;     /* reads of fn 1-7 of 00:00 (single function) */
};

static struct fake_ecam fake;

static uint32_t *cfg(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return (uint32_t *)(fake.space + ((size_t)bus << 20 | (size_t)dev << 15 |
					  (size_t)fn << 12 | off));
}

static uint32_t fake_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	struct fake_ecam *f = ctx;
	f->reads++;
	if (bus == 0 && dev == 0 && fn > 0)
		f->reads_beyond_fn0++;
	if (bus >= FAKE_BUSES || dev >= 32 || fn >= 8 || off >= 4096 || (off & 3))
		return 0xffffffffu;
	return *cfg(bus, dev, fn, off);
}

static void put_fn(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t vendor, uint16_t device,
		   uint32_t class_rev, uint8_t hdr)
{
	memset(cfg(bus, dev, fn, 0), 0, 4096);
	*cfg(bus, dev, fn, 0x00) = (uint32_t)device << 16 | vendor;
	*cfg(bus, dev, fn, 0x08) = class_rev;
	*cfg(bus, dev, fn, 0x0c) = (uint32_t)hdr << 16;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	fake.space = malloc((size_t)FAKE_BUSES << 20);
	assert_non_null(fake.space);
	memset(fake.space, 0xff, (size_t)FAKE_BUSES << 20);   /* absent reads as all ones */

	/* 00:00.0 host bridge, single function, aliasing itself on fns 1-7. */
	for (uint8_t fn = 0; fn < 8; fn++)
		put_fn(0, 0, fn, 0x8086, 0x29c0, 0x06000002, 0x00);
	/* 00:01.0 VGA with a prefetchable mem32 BAR0 and mem32 BAR2. */
	put_fn(0, 1, 0, 0x1234, 0x1111, 0x03000002, 0x00);
	*cfg(0, 1, 0, 0x10) = 0xfd000008;
	*cfg(0, 1, 0, 0x18) = 0xfebd0000;
	/* 00:02.0 Ethernet: mem32, io, mem64 prefetchable (BAR2+3), INTA line 11. */
	put_fn(0, 2, 0, 0x8086, 0x10d3, 0x02000000, 0x00);
	*cfg(0, 2, 0, 0x10) = 0xfeb80000;
	*cfg(0, 2, 0, 0x14) = 0x0000c001;
	*cfg(0, 2, 0, 0x18) = 0xe000000c;
	*cfg(0, 2, 0, 0x1c) = 0x00000008;
	*cfg(0, 2, 0, 0x3c) = 0x0000010b;
	/* 00:03.0 a broken device claiming a 64-bit BAR in the last slot. */
	put_fn(0, 3, 0, 0x1b36, 0x0001, 0xff000000, 0x00);
	*cfg(0, 3, 0, 0x24) = 0xf0000004;
	/* 00:1e.0 PCI bridge (type 1) to bus 1. */
	put_fn(0, 0x1e, 0, 0x8086, 0x244e, 0x06040100, 0x01);
	/* 00:1f multifunction: ISA bridge, (no fn 1), AHCI, SMBus. */
	put_fn(0, 0x1f, 0, 0x8086, 0x2918, 0x06010002, 0x80);
	put_fn(0, 0x1f, 2, 0x8086, 0x2922, 0x01060102, 0x00);
	put_fn(0, 0x1f, 3, 0x8086, 0x2930, 0x0c050002, 0x00);
	/* 01:00.0 behind the bridge. */
	put_fn(1, 0, 0, 0x1af4, 0x1041, 0x02000001, 0x00);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fake.space);
	return 0;
}

static struct pci_dev devs[16];

static const struct pci_dev *find(uint32_t n, uint8_t bus, uint8_t dev, uint8_t fn)
{
	for (uint32_t i = 0; i < n; i++)
		if (devs[i].bus == bus && devs[i].dev == dev && devs[i].fn == fn)
			return &devs[i];
	return NULL;
}

static void test_scan_finds_all(void **state)
{
	uint32_t n = 0;
	(void)state;

	assert_int_equal(pci_scan(0, 0, FAKE_BUSES - 1, fake_read, &fake, devs, 16, &n), 9);
	assert_int_equal(n, 9);
	/* In bus/dev/fn order. */
	assert_int_equal(devs[0].dev, 0);
	assert_int_equal(devs[5].dev, 0x1f);
	assert_int_equal(devs[6].fn, 2);
	assert_int_equal(devs[8].bus, 1);
}

static void test_single_function_not_probed(void **state)
{
	uint32_t n = 0;
	(void)state;

	pci_scan(0, 0, 0, fake_read, &fake, devs, 16, &n);
	assert_non_null(find(n, 0, 0, 0));
	assert_null(find(n, 0, 0, 1));
	assert_int_equal(fake.reads_beyond_fn0, 0);
}

static void test_multifunction(void **state)
{
	uint32_t n = 0;
	(void)state;

	pci_scan(0, 0, 0, fake_read, &fake, devs, 16, &n);
	const struct pci_dev *isa = find(n, 0, 0x1f, 0);
	const struct pci_dev *sata = find(n, 0, 0x1f, 2);
	const struct pci_dev *smb = find(n, 0, 0x1f, 3);
	assert_non_null(isa);
	assert_null(find(n, 0, 0x1f, 1));
	assert_non_null(sata);
	assert_non_null(smb);
	assert_int_equal(isa->header_type, 0x80);
	assert_int_equal(sata->vendor, 0x8086);
	assert_int_equal(sata->device, 0x2922);
	assert_int_equal(sata->class, 0x01);
	assert_int_equal(sata->subclass, 0x06);
	assert_int_equal(sata->prog_if, 0x01);
	assert_int_equal(sata->rev, 0x02);
	assert_string_equal(pci_class_name(sata->class, sata->subclass), "SATA controller");
	assert_string_equal(pci_class_name(smb->class, smb->subclass), "SMBus controller");
	assert_string_equal(pci_class_name(isa->class, isa->subclass), "ISA bridge");
}

static void test_bars(void **state)
{
	uint32_t n = 0;
	(void)state;

	pci_scan(0, 0, 0, fake_read, &fake, devs, 16, &n);
	const struct pci_dev *vga = find(n, 0, 1, 0);
	assert_non_null(vga);
	assert_int_equal(vga->bar[0], 0xfd000000);
	assert_int_equal(vga->bar_type[0], PCI_BAR_MEM32 | PCI_BAR_PREFETCH);
	assert_int_equal(vga->bar_type[1], PCI_BAR_NONE);
	assert_int_equal(vga->bar[2], 0xfebd0000);
	assert_int_equal(vga->bar_type[2], PCI_BAR_MEM32);

	const struct pci_dev *eth = find(n, 0, 2, 0);
	assert_non_null(eth);
	assert_int_equal(eth->bar[0], 0xfeb80000);
	assert_int_equal(eth->bar[1], 0xc000);
	assert_int_equal(eth->bar_type[1], PCI_BAR_IO);
	assert_int_equal(eth->bar[2], 0x8e0000000ull);
	assert_int_equal(eth->bar_type[2], PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	assert_int_equal(eth->bar_type[3], PCI_BAR_MEM64_HI);
	assert_int_equal(eth->bar[3], 0);
	assert_int_equal(eth->irq_line, 11);
	assert_int_equal(eth->irq_pin, 1);

	/* A 64-bit BAR with no slot left is kept as 32-bit, never read past BAR5. */
	const struct pci_dev *bad = find(n, 0, 3, 0);
	assert_non_null(bad);
	assert_int_equal(bad->bar[5], 0xf0000000);
	assert_int_equal(bad->bar_type[5], PCI_BAR_MEM32);
	assert_string_equal(pci_class_name(bad->class, bad->subclass), "Unknown device");

	/* The bridge has only two BARs; the rest of its header is not BARs. */
	const struct pci_dev *br = find(n, 0, 0x1e, 0);
	assert_non_null(br);
	assert_int_equal(br->header_type, 1);
	assert_string_equal(pci_class_name(br->class, br->subclass), "PCI bridge");
}

static void test_overflow_counts(void **state)
{
	uint32_t n = 0;
	(void)state;

	memset(devs, 0xa5, sizeof(devs));
	assert_int_equal(pci_scan(0, 0, FAKE_BUSES - 1, fake_read, &fake, devs, 3, &n), 9);
	assert_int_equal(n, 3);
	assert_int_equal(devs[3].vendor, 0xa5a5);           /* nothing written past max */
	/* A second segment appends after what is already there. */
	n = 2;
	assert_int_equal(pci_scan(1, 1, 1, fake_read, &fake, devs, 16, &n), 1);
	assert_int_equal(n, 3);
	assert_int_equal(devs[2].seg, 1);
	assert_int_equal(devs[2].vendor, 0x1af4);
}

static void test_bus_range(void **state)
{
	uint32_t n = 0;
	(void)state;

	assert_int_equal(pci_scan(0, 2, 2, fake_read, &fake, devs, 16, &n), 0);
	assert_int_equal(n, 0);
	/* Bus 255 is the last: the loop must end there, not wrap to 0. */
	fake.reads = 0;
	assert_int_equal(pci_scan(0, 255, 255, fake_read, &fake, devs, 16, &n), 0);
	assert_int_equal(fake.reads, 32);
}

static void test_class_names(void **state)
{
	(void)state;
	assert_string_equal(pci_class_name(0x06, 0x00), "Host bridge");
	assert_string_equal(pci_class_name(0x02, 0x00), "Ethernet controller");
	assert_string_equal(pci_class_name(0x03, 0x00), "VGA controller");
	assert_string_equal(pci_class_name(0x0c, 0x03), "USB controller");
	assert_string_equal(pci_class_name(0x02, 0x80), "Network controller");
	assert_string_equal(pci_class_name(0x13, 0x00), "Unknown device");
	assert_string_equal(pci_class_name(0xff, 0xff), "Unknown device");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_finds_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_function_not_probed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multifunction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_range, setup, teardown),
		cmocka_unit_test(test_class_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

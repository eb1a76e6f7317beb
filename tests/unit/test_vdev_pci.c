/*
 * Guest PCI host bridge (arch/x86_64/vdev/pci_host.c): the configuration
 * space of bus 0 through vpci_cfg_*, mechanism #1 ports and ECAM, with the
 * probes Linux makes (the 0xcf8 read-back, the host bridge class scan of
 * bus 0) and the size, alignment and absent-device edge cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arch/guest_layout.h>
#include "arch/x86_64/vdev/pci_host.h"

static struct vpci_host h;

static int setup(void **state)
{
	(void)state;
	memset(&h, 0x5a, sizeof(h));            /* init must not depend on zeroed memory */
	vpci_host_init(&h);
	return 0;
}

static uint32_t cf8_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | reg;
}

/* Config read through 0xcf8/0xcfc as Linux's type 1 accessors do it. */
static uint32_t io_cfg_read(uint8_t bus, uint8_t devfn, uint16_t reg, unsigned size)
{
	vpci_io_write(&h, 0xcf8, 4, cf8_addr(bus, devfn >> 3, devfn & 7, reg & 0xfc));
	return vpci_io_read(&h, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void io_cfg_write(uint8_t bus, uint8_t devfn, uint16_t reg, unsigned size, uint32_t v)
{
	vpci_io_write(&h, 0xcf8, 4, cf8_addr(bus, devfn >> 3, devfn & 7, reg & 0xfc));
	vpci_io_write(&h, (uint16_t)(0xcfc + (reg & 3)), size, v);
}

static uint64_t ecam_off(uint8_t bus, uint8_t devfn, uint16_t reg)
{
	return (uint64_t)bus << 20 | (uint64_t)devfn << 12 | reg;
}

/* ---------------------------------------------------------------- the header */

static void test_host_bridge_header(void **state)
{
	(void)state;
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 4), 0x00081b36);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 2), 0x1b36);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x02, 2), 0x0008);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x08, 4), 0x06000000);      /* class, rev 0 */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0a, 2), 0x0600);          /* Linux's check */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0b, 1), 0x06);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0e, 1), 0x00);            /* type 0, single fn */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0x00000000);      /* command, status */
	for (uint16_t r = 0x10; r < 0x28; r += 4)                            /* no BARs */
		assert_int_equal(vpci_cfg_read(&h, 0, 0, r, 4), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x34, 1), 0);               /* no capabilities */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x3c, 4), 0);               /* no interrupt */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0xfc, 4), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x100, 4), 0);              /* no ext caps */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0xffc, 4), 0);
}

static void test_writable_bits(void **state)
{
	(void)state;
	vpci_cfg_write(&h, 0, 0, 0x04, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0x00000147);      /* status stays 0 */
	vpci_cfg_write(&h, 0, 0, 0x04, 2, 0x0006);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 2), 0x0006);
	vpci_cfg_write(&h, 0, 0, 0x05, 1, 0xff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 2), 0x0106);
	vpci_cfg_write(&h, 0, 0, 0x0c, 4, 0xffffffff);                       /* BIST, hdr, lat, cls */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0c, 4), 0x000000ff);
	/* Read-only: IDs, class, BARs, interrupt line, the rest. */
	vpci_cfg_write(&h, 0, 0, 0x00, 4, 0x12345678);
	vpci_cfg_write(&h, 0, 0, 0x08, 4, 0xffffffff);
	vpci_cfg_write(&h, 0, 0, 0x10, 4, 0xffffffff);                       /* BAR sizing */
	vpci_cfg_write(&h, 0, 0, 0x3c, 1, 0x0b);
	vpci_cfg_write(&h, 0, 0, 0x80, 4, 0xffffffff);
	vpci_cfg_write(&h, 0, 0, 0x100, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 4), 0x00081b36);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x08, 4), 0x06000000);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x10, 4), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x3c, 1), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x80, 4), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x100, 4), 0);
	/* Init restores the power-up state. */
	vpci_host_init(&h);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0c, 1), 0);
}

static void test_absent_functions(void **state)
{
	(void)state;
	/* Every other device and function of bus 0, and any other bus. */
	for (unsigned devfn = 1; devfn < 256; devfn++) {
		assert_int_equal(vpci_cfg_read(&h, 0, (uint8_t)devfn, 0x00, 4), 0xffffffff);
		assert_int_equal(vpci_cfg_read(&h, 0, (uint8_t)devfn, 0x00, 2), 0xffff);
	}
	assert_int_equal(vpci_cfg_read(&h, 1, 0, 0x00, 4), 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 255, 0, 0x0a, 2), 0xffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0x08, 0x0e, 1), 0xff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0x01, 0x100, 4), 0xffffffff);
	/* Writes there change nothing anywhere. */
	vpci_cfg_write(&h, 0, 1, 0x04, 4, 0xffffffff);
	vpci_cfg_write(&h, 1, 0, 0x04, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 1, 0x04, 4), 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0);
}

static void test_cfg_size_and_alignment(void **state)
{
	(void)state;
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x01, 2), 0xffff);          /* misaligned */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x02, 4), 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 3), 0xffffff);        /* no such size */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 8), 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x00, 0), 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x1000, 4), 0xffffffff);    /* past 4 KiB */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0xffff, 1), 0xff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x01, 1), 0x1b);            /* bytes anywhere */
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x03, 1), 0x00);
	vpci_cfg_write(&h, 0, 0, 0x03, 2, 0xffff);                           /* misaligned: dropped */
	vpci_cfg_write(&h, 0, 0, 0x04, 3, 0xffffff);
	vpci_cfg_write(&h, 0, 0, 0x1004, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0);
}

/* ---------------------------------------------------------------- mechanism #1 */

static void test_cf8_register(void **state)
{
	(void)state;
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), 0);
	/* Linux's type 1 probe. */
	vpci_io_write(&h, 0xcfb, 1, 0x01);                      /* not config: ignored */
	uint32_t saved = vpci_io_read(&h, 0xcf8, 4);
	vpci_io_write(&h, 0xcf8, 4, 0x80000000);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), 0x80000000);
	vpci_io_write(&h, 0xcf8, 4, saved);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), saved);
	/* Reserved bits 30:24 and 1:0 read back 0; the rest as written. */
	vpci_io_write(&h, 0xcf8, 4, 0xffffffff);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), 0x80fffffc);
	vpci_io_write(&h, 0xcf8, 4, 0x7f123457);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), 0x00123454);
	/* Narrower accesses at 0xcf8-0xcfb are not the address register. */
	vpci_io_write(&h, 0xcf8, 4, 0x80000008);
	vpci_io_write(&h, 0xcf8, 2, 0x0000);
	vpci_io_write(&h, 0xcf8, 1, 0x00);
	vpci_io_write(&h, 0xcfa, 2, 0x1234);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 4), 0x80000008);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 2), 0xffff);
	assert_int_equal(vpci_io_read(&h, 0xcf8, 1), 0xff);
	assert_int_equal(vpci_io_read(&h, 0xcf9, 1), 0xff);
	assert_int_equal(vpci_io_read(&h, 0xcfb, 1), 0xff);
	assert_int_equal(vpci_io_read(&h, 0xcf9, 4), 0xffffffff);
}

static void test_cfc_data(void **state)
{
	(void)state;
	vpci_io_write(&h, 0xcf8, 4, cf8_addr(0, 0, 0, 0x00));
	assert_int_equal(vpci_io_read(&h, 0xcfc, 4), 0x00081b36);
	assert_int_equal(vpci_io_read(&h, 0xcfc, 2), 0x1b36);
	assert_int_equal(vpci_io_read(&h, 0xcfe, 2), 0x0008);
	assert_int_equal(vpci_io_read(&h, 0xcfd, 1), 0x1b);
	assert_int_equal(vpci_io_read(&h, 0xcff, 1), 0x00);
	/* Offsets that do not fit the access: misaligned, all ones. */
	assert_int_equal(vpci_io_read(&h, 0xcfd, 2), 0xffff);
	assert_int_equal(vpci_io_read(&h, 0xcfe, 4), 0xffffffff);
	assert_int_equal(vpci_io_read(&h, 0xcfd, 4), 0xffffffff);
	assert_int_equal(vpci_io_read(&h, 0xcfc, 3), 0xffffff);
	/* Class through the byte lanes, as Linux's sanity check reads it. */
	assert_int_equal(io_cfg_read(0, 0, 0x0a, 2), 0x0600);
	assert_int_equal(io_cfg_read(0, 0, 0x0b, 1), 0x06);
	/* Writes through the ports reach the same registers. */
	io_cfg_write(0, 0, 0x04, 2, 0xffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 2), 0x0147);
	io_cfg_write(0, 0, 0x05, 1, 0x00);
	assert_int_equal(io_cfg_read(0, 0, 0x04, 4), 0x00000047);
	io_cfg_write(0, 0, 0x0c, 1, 0x10);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x0c, 1), 0x10);
	io_cfg_write(0, 0, 0x05, 2, 0xffff);                    /* misaligned: dropped */
	assert_int_equal(io_cfg_read(0, 0, 0x04, 4), 0x00000047);
	/* Absent functions and other buses. */
	assert_int_equal(io_cfg_read(0, 0x08, 0x00, 4), 0xffffffff);
	assert_int_equal(io_cfg_read(0, 0x01, 0x00, 2), 0xffff);
	assert_int_equal(io_cfg_read(3, 0x00, 0x00, 4), 0xffffffff);
	io_cfg_write(0, 0x08, 0x04, 4, 0);
	/* Other ports of the range. */
	assert_int_equal(vpci_io_read(&h, 0xd00, 4), 0xffffffff);
	assert_int_equal(vpci_io_read(&h, 0xcf7, 1), 0xff);
}

static void test_cf8_enable_bit(void **state)
{
	(void)state;
	vpci_io_write(&h, 0xcf8, 4, 0x00000004);                /* bit 31 clear */
	assert_int_equal(vpci_io_read(&h, 0xcfc, 4), 0xffffffff);
	assert_int_equal(vpci_io_read(&h, 0xcfc, 1), 0xff);
	vpci_io_write(&h, 0xcfc, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0);
	vpci_io_write(&h, 0xcf8, 4, 0x80000004);
	vpci_io_write(&h, 0xcfc, 4, 0xffffffff);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0x147);
}

/* Linux's sanity check: some function of bus 0 is a host bridge (or VGA). */
static void test_linux_bus0_scan(void **state)
{
	(void)state;
	unsigned bridges = 0;

	for (unsigned devfn = 0; devfn < 256; devfn++) {
		uint32_t class = io_cfg_read(0, (uint8_t)devfn, 0x0a, 2);
		uint32_t vendor = io_cfg_read(0, (uint8_t)devfn, 0x00, 2);

		if (class == 0x0600) {
			bridges++;
			assert_int_equal(devfn, 0);
			assert_int_equal(vendor, 0x1b36);
		} else {
			assert_int_equal(vendor, 0xffff);
		}
	}
	assert_int_equal(bridges, 1);
}

/* ---------------------------------------------------------------- ECAM */

static void test_ecam(void **state)
{
	(void)state;
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x00), 4), 0x00081b36);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x0a), 2), 0x0600);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x0b), 1), 0x06);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x100), 4), 0);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0xffc), 4), 0);
	/* 8 bytes: two dwords, low first. */
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x08), 8), 0x0000000006000000ull);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x00), 8), 0x0000000000081b36ull);
	vpci_ecam_write(&h, ecam_off(0, 0, 0x08), 8, 0xffffffffffffffffull);  /* cls at 0x0c */
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x0c), 4), 0xff);
	vpci_ecam_write(&h, ecam_off(0, 0, 0x04), 2, 0x0007);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0x0007);
	assert_int_equal(io_cfg_read(0, 0, 0x04, 2), 0x0007);
	/* Absent functions. */
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0x01, 0x00), 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0xff, 0x00), 2), 0xffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0x08, 0x00), 8), UINT64_MAX);
	vpci_ecam_write(&h, ecam_off(0, 0x08, 0x04), 4, 0);
	/* Misaligned, bad sizes, and offsets past the window (bus 1 and up). */
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x02), 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x04), 8), UINT64_MAX);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x01), 2), 0xffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x00), 3), 0xffffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(0, 0, 0x00), 16), UINT64_MAX);
	assert_int_equal(vpci_ecam_read(&h, GL_ECAM_SIZE, 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(&h, ecam_off(1, 0, 0x00), 4), 0xffffffff);
	assert_int_equal(vpci_ecam_read(&h, UINT64_MAX - 3, 4), 0xffffffff);
	vpci_ecam_write(&h, ecam_off(0, 0, 0x04) + GL_ECAM_SIZE, 4, 0);
	vpci_ecam_write(&h, ecam_off(0, 0, 0x02), 4, 0);
	vpci_ecam_write(&h, ecam_off(0, 0, 0x04), 8, 0);
	assert_int_equal(vpci_cfg_read(&h, 0, 0, 0x04, 4), 0x0007);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_host_bridge_header, setup),
		cmocka_unit_test_setup(test_writable_bits, setup),
		cmocka_unit_test_setup(test_absent_functions, setup),
		cmocka_unit_test_setup(test_cfg_size_and_alignment, setup),
		cmocka_unit_test_setup(test_cf8_register, setup),
		cmocka_unit_test_setup(test_cfc_data, setup),
		cmocka_unit_test_setup(test_cf8_enable_bit, setup),
		cmocka_unit_test_setup(test_linux_bus0_scan, setup),
		cmocka_unit_test_setup(test_ecam, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

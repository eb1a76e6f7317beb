/*
 * Host tests of the Linux bzImage loader (core/loader_linux.c).  bzImages are
 * built in memory from a description (a setup area whose header fields are
 * set, then a patterned protected-mode payload), each in a heap buffer of
 * exactly its size so that ASan catches a read past the end.  The low
 * RAM_BUF bytes of guest RAM are a buffer behind copy_in, filled with 0xAA;
 * writes to larger VMs' higher RAM are only logged.  copy_in fails the test
 * if asked for anything outside the VM's RAM or below LOADER_DATA_GPA.
 * Memory maps have the shape the arch side builds (guest_layout.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "loader.h"

#define MIB       (1ull << 20)
#define GIB       (1ull << 30)
#define RAM_BUF   (64 * MIB)
#define FILL      0xAA
#define WRITES    8

/* ---------------------------------------------------------------- guest RAM */

struct write { uint64_t gpa, len; };

static uint8_t *ram;
static unsigned ncopies;
static int fail_copy;                   /* copy_in call number that fails, or -1 */
static struct write writes[WRITES];     /* what copy_in wrote since the last reset */

static int ram_copy_in(void *arg, uint64_t gpa, const void *src, uint64_t len)
{
	uint64_t ram_size = *(const uint64_t *)arg;

	assert_true(len > 0);
	assert_true(gpa >= LOADER_DATA_GPA);
	assert_true(gpa <= ram_size && len <= ram_size - gpa);
	assert_true(ncopies < WRITES);
	if ((int)ncopies == fail_copy) {
		ncopies++;
		return -1;
	}
	writes[ncopies++] = (struct write){ gpa, len };
	if (gpa >= RAM_BUF)
		return 0;
	if (len > RAM_BUF - gpa)
		len = RAM_BUF - gpa;
	if (src)
		memcpy(ram + gpa, src, len);
	else
		memset(ram + gpa, 0, len);
	return 0;
}

static uint64_t vm_ram_size;

static struct load_target target(uint64_t ram_size)
{
	vm_ram_size = ram_size;
	return (struct load_target){ .ram_size = ram_size, .nvcpus = 1,
				     .copy_in = ram_copy_in, .arg = &vm_ram_size };
}

static void ram_reset(void)
{
	unsigned i;

	for (i = 0; i < ncopies && i < WRITES; i++) {
		uint64_t gpa = writes[i].gpa, len = writes[i].len;

		if (gpa < RAM_BUF)
			memset(ram + gpa, FILL, len < RAM_BUF - gpa ? len : RAM_BUF - gpa);
	}
	memset(writes, 0, sizeof(writes));
	ncopies = 0;
	fail_copy = -1;
}

static uint16_t ram16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return v;
}

static uint32_t ram32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static uint64_t ram64(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, ram + gpa, 8);
	return v;
}

static void assert_ram_fill(uint64_t gpa, uint64_t len, uint8_t v)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (ram[gpa + i] != v)
			fail_msg("RAM 0x%llx is 0x%02x, expected 0x%02x",
				 (unsigned long long)(gpa + i), ram[gpa + i], v);
}

/* ---------------------------------------------------------------- memory maps */

/* The arch side's PC layout: low RAM, the BIOS hole with ACPI, high RAM, MMIO. */
static unsigned gl_map(uint64_t ram_size, struct e820_entry *m)
{
	unsigned n = 0;

	m[n++] = (struct e820_entry){ 0, 0x9fc00, E820_RAM };
	m[n++] = (struct e820_entry){ 0x9fc00, 0xe0000 - 0x9fc00, E820_RESERVED };
	m[n++] = (struct e820_entry){ 0xe0000, 0x10000, E820_ACPI };
	m[n++] = (struct e820_entry){ 0xf0000, 0x10000, E820_RESERVED };
	m[n++] = (struct e820_entry){ 0x100000, ram_size - 0x100000, E820_RAM };
	m[n++] = (struct e820_entry){ 0xe0000000, 0x100000, E820_RESERVED };
	m[n++] = (struct e820_entry){ 0xfec00000, 0x1000, E820_RESERVED };
	m[n++] = (struct e820_entry){ 0xfee00000, 0x1000, E820_RESERVED };
	return n;
}

/* ---------------------------------------------------------------- image builder */

struct bz {
	uint8_t setup_sects, hdr_len;           /* hdr_len: the byte at 0x201 */
	uint16_t boot_flag, version, xloadflags;
	uint32_t magic, syssize;
	uint8_t relocatable;
	uint32_t align, initrd_addr_max, cmdline_size, init_size;
	uint64_t pref;
	size_t pm_size;
};

/* A 6.1-like header: 2.15, relocatable, 2 MiB alignment, 16 MiB preferred, 8 MiB init_size. */
static struct bz bz_default(void)
{
	return (struct bz){
		.setup_sects = 4, .hdr_len = 0x6a, .boot_flag = 0xaa55, .version = 0x020f,
		.xloadflags = 0x7f, .magic = 0x53726448, .syssize = 0x3000 / 16,
		.relocatable = 1, .align = 0x200000, .initrd_addr_max = 0x7fffffff,
		.cmdline_size = 2047, .init_size = 0x800000, .pref = 0x1000000,
		.pm_size = 0x3000,
	};
}

static size_t bz_setup(const struct bz *b)
{
	return ((size_t)(b->setup_sects ? b->setup_sects : 4) + 1) * 512;
}

static size_t bz_size(const struct bz *b)
{
	return bz_setup(b) + b->pm_size;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31 + 11);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Fields by their boot protocol offsets, written here independently of bootparam.h. */
static uint8_t *bz_build(const struct bz *b)
{
	size_t size = bz_size(b), i;
	uint8_t *p = malloc(size);

	assert_non_null(p);
	for (i = 0; i < size; i++)
		p[i] = pattern(i);
	p[0x1f1] = b->setup_sects;
	put32(p + 0x1f4, b->syssize);
	put16(p + 0x1fe, b->boot_flag);
	p[0x200] = 0xeb;
	p[0x201] = b->hdr_len;
	put32(p + 0x202, b->magic);
	put16(p + 0x206, b->version);
	p[0x210] = 0;
	p[0x211] = 0x01;
	put32(p + 0x218, 0);
	put32(p + 0x21c, 0);
	put32(p + 0x228, 0);
	put32(p + 0x22c, b->initrd_addr_max);
	put32(p + 0x230, b->align);
	p[0x234] = b->relocatable;
	p[0x235] = 21;
	put16(p + 0x236, b->xloadflags);
	put32(p + 0x238, b->cmdline_size);
	put64(p + 0x258, b->pref);
	put32(p + 0x260, b->init_size);
	return p;
}

/* The first n bytes of b in a buffer of exactly n bytes. */
static uint8_t *prefix(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, b, n);
	return c;
}

static uint8_t initrd_data[0x5123];

static void fill_initrd(void)
{
	size_t i;

	for (i = 0; i < sizeof(initrd_data); i++)
		initrd_data[i] = (uint8_t)(i * 7 + 3);
}

/* ---------------------------------------------------------------- a full load */

/* boot_params as the protocol says it must look, built from the image. */
static void expect_params(uint8_t *bp, const uint8_t *img, uint64_t initrd, uint64_t initrd_size,
			  const struct e820_entry *map, unsigned nmap, uint64_t rsdp)
{
	unsigned i;

	memset(bp, 0, 4096);
	memcpy(bp + 0x1f1, img + 0x1f1, 0x202 + img[0x201] - 0x1f1);
	bp[0x210] = 0xff;
	bp[0x211] |= 0x81;
	put16(bp + 0x224, 0xfe00 - 0x200);
	put32(bp + 0x218, (uint32_t)initrd);
	put32(bp + 0x21c, (uint32_t)initrd_size);
	put32(bp + 0x0c0, (uint32_t)(initrd >> 32));
	put32(bp + 0x0c4, (uint32_t)(initrd_size >> 32));
	put32(bp + 0x228, 0x9000);
	put32(bp + 0x0c8, 0);
	put64(bp + 0x250, 0);
	put64(bp + 0x070, rsdp);
	bp[0x1e8] = (uint8_t)nmap;
	for (i = 0; i < nmap; i++) {
		put64(bp + 0x2d0 + i * 20, map[i].addr);
		put64(bp + 0x2d0 + i * 20 + 8, map[i].size);
		put32(bp + 0x2d0 + i * 20 + 16, map[i].type);
	}
}

static void test_valid(void **state)
{
	struct bz b = bz_default();
	uint8_t *img = bz_build(&b), bp[4096];
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(64 * MIB, map), i;
	struct load_target t = target(64 * MIB);
	static const char cmd[] = "console=ttyS0 root=/dev/ram0  quiet";
	struct load_linux l = {
		.kernel = img, .kernel_size = bz_size(&b),
		.initrd = initrd_data, .initrd_size = sizeof(initrd_data),
		.cmdline = cmd, .map = map, .nmap = nmap, .rsdp = 0xe0000,
	};
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	uint64_t initrd = (64 * MIB - sizeof(initrd_data)) & ~0xfffull;

	(void)state;
	fill_initrd();
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_int_equal(r.kind, LOAD_LINUX);
	assert_int_equal(r.entry, 0x1000200);
	assert_int_equal(r.image_start, 0x1000000);
	assert_int_equal(r.image_end, 0x1800000);
	assert_int_equal(r.boot_gpa, 0x8000);

	/* The protected-mode kernel, and nothing more, at pref_address. */
	assert_memory_equal(ram + 0x1000000, img + 0xa00, 0x3000);
	assert_ram_fill(0x1003000, 0x100, FILL);
	assert_ram_fill(0xfff000, 0x1000, FILL);

	/* The initrd page aligned at the top of RAM. */
	assert_int_equal(initrd, 0x3ffa000);
	assert_memory_equal(ram + initrd, initrd_data, sizeof(initrd_data));
	assert_ram_fill(initrd - 0x100, 0x100, FILL);
	assert_ram_fill(initrd + sizeof(initrd_data), 64 * MIB - initrd - sizeof(initrd_data), FILL);

	/* The cmdline at 0x9000, terminated, and nothing after it. */
	assert_memory_equal(ram + 0x9000, cmd, sizeof(cmd));
	assert_ram_fill(0x9000 + sizeof(cmd), 0x100, FILL);

	/* boot_params: every byte, then the fields one by one at their offsets. */
	expect_params(bp, img, initrd, sizeof(initrd_data), map, nmap, 0xe0000);
	assert_memory_equal(ram + 0x8000, bp, 4096);
	assert_ram_fill(0x7f00, 0x100, FILL);
	assert_int_equal(ram[0x8000 + 0x1f1], 4);
	assert_memory_equal(ram + 0x8000 + 0x1f2, img + 0x1f2, 0x210 - 0x1f2);
	assert_int_equal(ram16(0x8000 + 0x1fe), 0xaa55);
	assert_int_equal(ram32(0x8000 + 0x202), 0x53726448);
	assert_int_equal(ram16(0x8000 + 0x206), 0x020f);
	assert_int_equal(ram[0x8000 + 0x210], 0xff);
	assert_int_equal(ram[0x8000 + 0x211], 0x81);
	assert_int_equal(ram16(0x8000 + 0x224), 0xfc00);
	assert_int_equal(ram32(0x8000 + 0x218), initrd);
	assert_int_equal(ram32(0x8000 + 0x21c), sizeof(initrd_data));
	assert_int_equal(ram32(0x8000 + 0x0c0), 0);
	assert_int_equal(ram32(0x8000 + 0x0c4), 0);
	assert_int_equal(ram32(0x8000 + 0x228), 0x9000);
	assert_int_equal(ram32(0x8000 + 0x0c8), 0);
	assert_int_equal(ram64(0x8000 + 0x250), 0);
	assert_int_equal(ram64(0x8000 + 0x258), 0x1000000);
	assert_int_equal(ram32(0x8000 + 0x260), 0x800000);
	assert_int_equal(ram64(0x8000 + 0x070), 0xe0000);
	assert_memory_equal(ram + 0x8000 + 0x26a, img + 0x26a, 2);
	assert_ram_fill(0x8000 + 0x26c, 0x2d0 - 0x26c, 0);
	assert_ram_fill(0x8000, 0x70, 0);
	assert_ram_fill(0x8000 + 0x1e9, 8, 0);
	assert_int_equal(ram[0x8000 + 0x1e8], nmap);
	for (i = 0; i < nmap; i++) {
		assert_int_equal(ram64(0x8000 + 0x2d0 + i * 20), map[i].addr);
		assert_int_equal(ram64(0x8000 + 0x2d0 + i * 20 + 8), map[i].size);
		assert_int_equal(ram32(0x8000 + 0x2d0 + i * 20 + 16), map[i].type);
	}
	assert_ram_fill(0x8000 + 0x2d0 + nmap * 20, 0x1000 - 0x2d0 - nmap * 20, 0);
	assert_true(ncopies == 5);
	ram_reset();
	free(img);
}

/* No initrd, no cmdline, no RSDP: zeros, and an empty string at 0x9000. */
static void test_minimal(void **state)
{
	struct bz b = bz_default();
	uint8_t *img = bz_build(&b), bp[4096];
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = { .kernel = img, .kernel_size = bz_size(&b), .map = map, .nmap = nmap };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram[0x9000], 0);
	assert_int_equal(ram[0x9001], FILL);
	expect_params(bp, img, 0, 0, map, nmap, 0);
	assert_memory_equal(ram + 0x8000, bp, 4096);
	assert_int_equal(ram32(0x8000 + 0x218), 0);
	assert_int_equal(ram32(0x8000 + 0x21c), 0);
	assert_int_equal(ram64(0x8000 + 0x070), 0);
	assert_int_equal(ncopies, 4);
	ram_reset();
	free(img);
}

/* The real kernel's shape: setup_sects 0 means 4, trailing bytes after syssize are loaded too. */
static void test_setup_sects_zero(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap, .cmdline = "x" };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	b.setup_sects = 0;
	b.syssize = 0x2000 / 16;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_memory_equal(ram + 0x1000000, img + 0xa00, 0x3000);
	assert_int_equal(ram[0x8000 + 0x1f1], 0);
	ram_reset();
	free(img);
}

/* pref_address not aligned: the next kernel_alignment boundary above it. */
static void test_relocated_unaligned(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(64 * MIB, map);
	struct load_target t = target(64 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	b.pref = 0x1000123;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(r.image_start, 0x1200000);
	assert_int_equal(r.entry, 0x1200200);
	assert_int_equal(r.image_end, 0x1a00000);
	assert_memory_equal(ram + 0x1200000, img + 0xa00, 0x3000);
	assert_ram_fill(0x1000000, 0x3000, FILL);
	/* boot_params still says what the file says. */
	assert_int_equal(ram64(0x8000 + 0x258), 0x1000123);
	ram_reset();
	free(img);
}

/* pref_address range runs into a hole: the first aligned RAM range above it. */
static void test_relocated_hole(void **state)
{
	struct bz b = bz_default();
	uint8_t *img = bz_build(&b);
	struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x100000, 0x1400000 - 0x100000, E820_RAM },
		{ 0x1400000, 0x100000, E820_RESERVED },
		{ 0x1500000, 64 * MIB - 0x1500000, E820_RAM },
	};
	struct load_target t = target(64 * MIB);
	struct load_linux l = {
		.kernel = img, .kernel_size = bz_size(&b), .map = map, .nmap = 4,
		.initrd = initrd_data, .initrd_size = sizeof(initrd_data),
	};
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(r.image_start, 0x1600000);
	assert_memory_equal(ram + 0x1600000, img + 0xa00, 0x3000);
	assert_int_equal(ram32(0x8000 + 0x218), 0x3ffa000);
	assert_int_equal(ram[0x8000 + 0x1e8], 4);
	ram_reset();

	/* Not relocatable: pref_address or nothing. */
	b.relocatable = 0;
	free(img);
	img = bz_build(&b);
	l.kernel = img;
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "kernel: needs 8 MiB at 0x1000000, which is not all RAM in the "
			    "VM's memory map");
	assert_int_equal(ncopies, 0);
	free(img);
}

/* A kernel that is not relocatable goes exactly to pref_address, aligned or not. */
static void test_not_relocatable(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(64 * MIB, map);
	struct load_target t = target(64 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	b.relocatable = 0;
	b.align = 3;            /* meaningless without relocation: not checked */
	b.pref = 0x1000123;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(r.image_start, 0x1000123);
	assert_int_equal(r.entry, 0x1000323);
	assert_memory_equal(ram + 0x1000123, img + 0xa00, 0x3000);
	ram_reset();
	free(img);
}

/* init_size smaller than the code: the code's size counts. */
static void test_init_size_small(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	b.init_size = 0x100;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(r.image_end, 0x1003000);
	ram_reset();
	free(img);
}

/* initrd_addr_max is inclusive: the initrd ends at it + 1 at the highest. */
static void test_initrd_addr_max(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(64 * MIB, map);
	struct load_target t = target(64 * MIB);
	struct load_linux l = {
		.map = map, .nmap = nmap, .initrd = initrd_data, .initrd_size = 0x5000,
	};
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	fill_initrd();
	b.initrd_addr_max = 0x27fffff;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000 + 0x218), 0x27fb000);
	assert_int_equal(ram32(0x8000 + 0x21c), 0x5000);
	assert_memory_equal(ram + 0x27fb000, initrd_data, 0x5000);
	assert_ram_fill(0x2800000, 0x1000, FILL);
	ram_reset();

	/* An unaligned limit rounds the start down, never the end up. */
	free(img);
	b.initrd_addr_max = 0x27ffffe;
	img = bz_build(&b);
	l.kernel = img;
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000 + 0x218), 0x27fa000);
	ram_reset();
	free(img);
}

/* RAM above 4 GiB is never used for the initrd, even when it is the highest. */
static void test_initrd_below_4g(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED },
		{ 0x100000, 0xc0000000 - 0x100000, E820_RAM },
		{ 0xe0000000, 0x100000, E820_RESERVED },
		{ 0x100000000ull, 2 * GIB, E820_RAM },
	};
	struct load_target t = target(0x180000000ull);
	struct load_linux l = { .map = map, .nmap = 5, .initrd = initrd_data,
				.initrd_size = sizeof(initrd_data) };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	b.initrd_addr_max = 0xffffffff;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000 + 0x218), 0xbfffa000);
	assert_int_equal(ram32(0x8000 + 0x0c0), 0);
	assert_int_equal(writes[1].gpa, 0xbfffa000);
	assert_int_equal(writes[1].len, sizeof(initrd_data));
	assert_int_equal(ram[0x8000 + 0x1e8], 5);
	assert_int_equal(ram64(0x8000 + 0x2d0 + 4 * 20), 0x100000000ull);
	assert_int_equal(ram64(0x8000 + 0x2d0 + 4 * 20 + 8), 2 * GIB);
	ram_reset();
	free(img);
}

/* No room above the kernel: the initrd goes just below it, page aligned. */
static void test_initrd_below_kernel(void **state)
{
	struct bz b = bz_default();
	uint8_t *img = bz_build(&b);
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(26 * MIB, map);
	struct load_target t = target(26 * MIB);
	static uint8_t big[3 * MIB + 1];
	struct load_linux l = {
		.kernel = img, .kernel_size = bz_size(&b), .map = map, .nmap = nmap,
		.initrd = big, .initrd_size = sizeof(big),
	};
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";

	(void)state;
	memset(big, 0x5c, sizeof(big));
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000 + 0x218), 0xcff000);
	assert_true(0xcff000 + sizeof(big) <= 0x1000000);
	assert_ram_fill(0xcff000, sizeof(big), 0x5c);
	ram_reset();

	/* Exactly the room above the kernel: it goes there, ending at the top of RAM. */
	l.initrd_size = 2 * MIB;
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000 + 0x218), 24 * MIB);
	ram_reset();
	free(img);
}

/* The cmdline may be exactly cmdline_size bytes, and fill the boot area to its last byte. */
static void test_cmdline_limits(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	char *cmd = malloc(0x7002);

	(void)state;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	l.cmdline = cmd;
	memset(cmd, 'c', 0x7001);
	cmd[2047] = '\0';
	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_ram_fill(0x9000, 2047, 'c');
	assert_int_equal(ram[0x9000 + 2047], 0);
	ram_reset();
	cmd[2047] = 'c';
	cmd[2048] = '\0';
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "kernel: cmdline is 2048 bytes, the kernel takes at most 2047");
	assert_int_equal(ncopies, 0);

	free(img);
	b.cmdline_size = 0xffffffff;
	img = bz_build(&b);
	l.kernel = img;
	cmd[2048] = 'c';
	cmd[0x6fff] = '\0';
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), 0);
	assert_int_equal(ram[0xffff], 0);
	assert_int_equal(ram[0x10000], FILL);
	ram_reset();
	cmd[0x6fff] = 'c';
	cmd[0x7000] = '\0';
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "kernel: cmdline is 28672 bytes, at most 28671 fit in the boot area");
	assert_int_equal(ncopies, 0);
	free(cmd);
	free(img);
}

/* A short err buffer gets a terminated prefix; none at all is fine too. */
static void test_err_buffer(void **state)
{
	struct bz b = bz_default();
	uint8_t *img;
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = { .map = map, .nmap = nmap };
	struct load_result r;
	char err[16];

	(void)state;
	b.magic = 0;
	img = bz_build(&b);
	l.kernel = img;
	l.kernel_size = bz_size(&b);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(loader_linux(&t, &l, &r, err, 9), -1);
	assert_string_equal(err, "kernel: ");
	assert_int_equal(err[9], 'Z');
	assert_int_equal(loader_linux(&t, &l, &r, NULL, 0), -1);
	assert_int_equal(ncopies, 0);
	free(img);
}

/* A target that refuses a write makes the load fail with a message. */
static void test_copy_failure(void **state)
{
	struct bz b = bz_default();
	uint8_t *img = bz_build(&b);
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(32 * MIB, map);
	struct load_target t = target(32 * MIB);
	struct load_linux l = {
		.kernel = img, .kernel_size = bz_size(&b), .map = map, .nmap = nmap,
		.initrd = initrd_data, .initrd_size = sizeof(initrd_data), .cmdline = "k",
	};
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	int n;

	(void)state;
	for (n = 0; n < 5; n++) {
		ram_reset();
		fail_copy = n;
		assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "writing"));
		assert_int_equal(ncopies, n + 1);
	}
	ram_reset();
	free(img);
}

/* ---------------------------------------------------------------- malformed input */

struct bad_case {
	const char *name;
	const char *expect;             /* in err, or all of it with exact */
	int exact;
	void (*mutate)(struct bz *b);
	size_t cut;                     /* load only this many bytes, if nonzero */
	int empty_file;
	uint64_t ram;                   /* VM RAM, if not 64 MiB */
	uint64_t initrd_size;
	int null_initrd, null_kernel, long_cmdline, elf;
	int map;                        /* which broken map, 0 = the PC layout */
};

static void m_boot_flag(struct bz *b) { b->boot_flag = 0x55aa; }
static void m_magic(struct bz *b) { b->magic = 0x53726449; }
static void m_v210(struct bz *b) { b->version = 0x020a; }
static void m_v206(struct bz *b) { b->version = 0x0206; }
static void m_no64(struct bz *b) { b->xloadflags = 0x7e; }
static void m_sects_huge(struct bz *b) { b->setup_sects = 255; }
static void m_syssize(struct bz *b) { b->syssize = 0x3000 / 16 + 1; }
static void m_syssize_huge(struct bz *b) { b->syssize = 0xffffffff; }
static void m_pm_tiny(struct bz *b) { b->pm_size = 0x200; b->syssize = 0; }
static void m_hdr_short(struct bz *b) { b->hdr_len = 0x61; }
static void m_hdr_long(struct bz *b) { b->hdr_len = 0x8f; }
static void m_align3(struct bz *b) { b->align = 0x300000; }
static void m_align0(struct bz *b) { b->align = 0; }
static void m_align_small(struct bz *b) { b->align = 0x800; }
static void m_low_fixed(struct bz *b) { b->relocatable = 0; b->pref = 0x10000; }
static void m_big(struct bz *b) { b->init_size = 100 * MIB; }
static void m_huge_init(struct bz *b) { b->init_size = 0xffffffff; }
static void m_pref_wrap(struct bz *b) { b->relocatable = 0; b->pref = UINT64_MAX - 0xfff; }
static void m_cmdline_size(struct bz *b) { b->cmdline_size = 3; }
static void m_initrd_max_low(struct bz *b) { b->initrd_addr_max = 0xfffff; }
static void m_cmdline_any(struct bz *b) { b->cmdline_size = 0xffffffff; }

#define BAD(n, e, ...) { .name = n, .expect = e, __VA_ARGS__ }

static const struct bad_case bad_cases[] = {
	BAD("bad 0x55AA", "kernel: not a bzImage (no 0x55AA boot signature at 0x1fe)", .exact = 1,
	    .mutate = m_boot_flag),
	BAD("no HdrS", "kernel: not a bzImage (no HdrS magic at 0x202)", .exact = 1,
	    .mutate = m_magic),
	BAD("an ELF file", "not a bzImage", .elf = 1),
	BAD("protocol 2.10", "kernel: boot protocol 2.10 is too old (need 2.12 for the 64-bit entry)",
	    .exact = 1, .mutate = m_v210),
	BAD("protocol 2.06", "boot protocol 2.06 is too old", .mutate = m_v206),
	BAD("no XLF_KERNEL_64", "no 64-bit entry point", .mutate = m_no64),
	BAD("empty file", "too short for a setup header", .empty_file = 1),
	BAD("NULL kernel", "kernel: no data", .null_kernel = 1),
	BAD("10 bytes", "too short for a setup header", .cut = 10),
	BAD("cut before the version", "too short for a setup header", .cut = 0x207),
	BAD("cut inside the setup", "kernel: truncated (setup says 14848 bytes, file has 2000)",
	    .exact = 1, .cut = 2000),
	BAD("cut one byte short", "kernel: truncated (setup says 14848 bytes, file has 14847)",
	    .exact = 1, .cut = 0x39ff),
	BAD("setup_sects 255", "kernel: truncated (setup says 143360 bytes, file has 14848)",
	    .exact = 1, .mutate = m_sects_huge, .cut = 14848),
	BAD("syssize one paragraph too many", "truncated", .mutate = m_syssize),
	BAD("syssize huge", "truncated", .mutate = m_syssize_huge),
	BAD("no code past the entry", "the 64-bit entry is at 0x200", .mutate = m_pm_tiny),
	BAD("header too short", "setup header ends at 0x263", .mutate = m_hdr_short),
	BAD("header too long", "setup header ends at 0x291", .mutate = m_hdr_long),
	BAD("alignment 3 MiB", "kernel_alignment 0x300000", .mutate = m_align3),
	BAD("alignment 0", "kernel_alignment 0x0", .mutate = m_align0),
	BAD("alignment 2 KiB", "kernel_alignment 0x800", .mutate = m_align_small),
	BAD("fixed below 1 MiB", "below 1 MiB", .mutate = m_low_fixed),
	BAD("kernel too big for RAM",
	    "kernel: needs 100 MiB at 0x1000000, so 116 MiB of RAM, but the VM has 64 MiB", .exact = 1,
	    .mutate = m_big),
	BAD("RAM too small for pref_address",
	    "kernel: needs 8 MiB at 0x1000000, so 24 MiB of RAM, but the VM has 20 MiB", .exact = 1,
	    .ram = 20 * MIB),
	BAD("init_size 4 GiB", "needs 4096 MiB", .mutate = m_huge_init),
	BAD("pref_address wraps", "past the end of the address space", .mutate = m_pref_wrap),
	BAD("cmdline over cmdline_size", "kernel: cmdline is 4 bytes, the kernel takes at most 3",
	    .exact = 1, .mutate = m_cmdline_size),
	BAD("cmdline past the boot area", "fit in the boot area", .long_cmdline = 1,
	    .mutate = m_cmdline_any),
	BAD("initrd too big",
	    "initrd: 300 MiB does not fit in the VM's RAM (40 MiB free in one piece below "
	    "0x80000000 besides the kernel)", .exact = 1, .initrd_size = 300 * MIB),
	BAD("initrd one byte too big", "initrd: 41 MiB does not fit",
	    .initrd_size = 40 * MIB + 1),
	BAD("initrd below initrd_addr_max", "below 0x100000 besides", .initrd_size = 1 * MIB,
	    .mutate = m_initrd_max_low),
	BAD("initrd without data", "initrd: no data", .null_initrd = 1, .initrd_size = 10),
	BAD("no memory map", "memory map: 0 entries", .map = 1),
	BAD("17 map entries", "memory map: 17 entries, expected 1 to 16", .map = 2),
	BAD("map out of order", "out of order", .map = 3),
	BAD("map entry wraps", "wraps", .map = 4),
	BAD("map RAM beyond guest RAM", "outside guest RAM", .map = 5),
	BAD("no low RAM for boot data", "the boot data [0x8000, 0x9005) is not in RAM", .map = 6),
	BAD("empty map entry", "empty", .map = 7),
};

#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static unsigned broken_map(int which, struct e820_entry *m, uint64_t ram_size)
{
	unsigned n = gl_map(ram_size, m), i;

	switch (which) {
	case 1:
		return 0;
	case 2:
		for (i = 0; i < 17; i++)
			m[i] = (struct e820_entry){ i * 0x1000000ull, 0x1000000, E820_RAM };
		return 17;
	case 3:
		m[4].addr = 0x90000;
		return n;
	case 4:
		m[7].size = UINT64_MAX;
		return n;
	case 5:
		m[4].size += 0x1000;
		return n;
	case 6:
		m[0].type = E820_RESERVED;
		return n;
	case 7:
		m[3].size = 0;
		return n;
	default:
		return n;
	}
}

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct bz b = bz_default();
	struct e820_entry map[20];
	uint64_t ram_size = c->ram ? c->ram : 64 * MIB;
	struct load_target t = target(ram_size);
	struct load_linux l;
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	uint8_t *full, *img;
	size_t size;
	char *cmd = NULL;
	static const uint8_t elf[0x400] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	if (c->mutate)
		c->mutate(&b);
	full = bz_build(&b);
	size = c->empty_file ? 0 : c->cut ? c->cut : bz_size(&b);
	img = prefix(full, size);
	if (c->elf) {
		free(img);
		img = prefix(elf, sizeof(elf));
		size = sizeof(elf);
	}
	if (c->long_cmdline) {
		cmd = malloc(0x8001);
		memset(cmd, 'c', 0x8000);
		cmd[0x8000] = '\0';
	}
	l = (struct load_linux){
		.kernel = c->null_kernel ? NULL : img, .kernel_size = size,
		.initrd = c->null_initrd ? NULL : initrd_data, .initrd_size = c->initrd_size,
		.cmdline = cmd ? cmd : "root", .map = map,
		.nmap = broken_map(c->map, map, ram_size), .rsdp = 0xe0000,
	};
	if (c->map == 1)
		l.map = NULL;

	ram_reset();
	assert_int_equal(loader_linux(&t, &l, &r, err, sizeof(err)), -1);
	assert_int_equal(ncopies, 0);
	assert_true(err[0] != '\0');
	if (c->exact)
		assert_string_equal(err, c->expect);
	else if (!strstr(err, c->expect))
		fail_msg("err \"%s\" does not mention \"%s\"", err, c->expect);
	assert_null(strchr(err, '\n'));
	free(cmd);
	free(img);
	free(full);
}

/* ---------------------------------------------------------------- mutations */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint64_t interesting[] = {
	0, 1, 2, 0x20c, 0x20a, 0xff, 0x1000, 0x8000, 0xffff, 0x100000, 0x200000, 0x1000000,
	0x3ff0000, 0x4000000, 0x7fffffff, 0xffffffff, 0x100000000ull, 0x53726448, 0xaa55,
	UINT64_MAX, UINT64_MAX - 0xfff, 0x8000000000000000ull,
};

/* Most changes land in the setup header, where the decisions are. */
static void mutate(uint8_t *p, size_t size)
{
	uint64_t v = interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
	size_t off = 0x1f0 + rnd() % 0x80;

	switch (rnd() % 6) {
	case 0:
		p[off] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 1:
		p[off] = (uint8_t)rnd();
		break;
	case 2:
		memcpy(p + (off & ~(size_t)1), &v, 2);
		break;
	case 3:
		memcpy(p + (off & ~(size_t)3), &v, 4);
		break;
	case 4:
		memcpy(p + (off & ~(size_t)7), &v, 8);
		break;
	default:
		p[rnd() % size] = (uint8_t)rnd();
		break;
	}
}

static void test_mutations(void **state)
{
	struct bz b = bz_default();
	uint8_t *base = bz_build(&b);
	struct e820_entry map[LOADER_E820_MAX];
	unsigned nmap = gl_map(64 * MIB, map), n, k, ok = 0;
	struct load_target t = target(64 * MIB);

	(void)state;
	fill_initrd();
	for (n = 0; n < 5000; n++) {
		size_t size = bz_size(&b);
		uint8_t *img = prefix(base, size), *cut;
		struct load_linux l = {
			.initrd = initrd_data, .initrd_size = sizeof(initrd_data),
			.cmdline = "console=ttyS0", .map = map, .nmap = nmap, .rsdp = 0xe0000,
		};
		struct load_result r;
		char err[LOADER_ERR_MAX] = "";
		int rc;

		for (k = 1 + rnd() % 3; k; k--)
			mutate(img, size);
		if (rnd() % 8 == 0)
			size = rnd() % (size + 1);
		cut = prefix(img, size);
		l.kernel = cut;
		l.kernel_size = size;
		ram_reset();
		rc = loader_linux(&t, &l, &r, err, sizeof(err));
		if (rc == 0) {
			ok++;
			assert_int_equal(r.kind, LOAD_LINUX);
			assert_true(r.image_start >= 0x100000);
			assert_int_equal(r.entry, r.image_start + 0x200);
			assert_true(r.entry < r.image_end && r.image_end <= 64 * MIB);
			assert_int_equal(r.boot_gpa, 0x8000);
			assert_int_equal(ram16(0x8000 + 0x1fe), 0xaa55);
			assert_int_equal(ram[0x8000 + 0x210], 0xff);
			assert_int_equal(ram32(0x8000 + 0x228), 0x9000);
			assert_int_equal(ram[0x8000 + 0x1e8], nmap);
			/* The initrd lies outside the kernel's range. */
			assert_true(ram32(0x8000 + 0x218) >= r.image_end ||
				    ram32(0x8000 + 0x218) + sizeof(initrd_data) <= r.image_start);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(ncopies, 0);
			assert_true(err[0] != '\0');
			assert_null(strchr(err, '\n'));
		}
		free(cut);
		free(img);
	}
	ram_reset();
	/* Both outcomes must be exercised, or the mutations are too weak or too strong. */
	assert_true(ok > 100 && ok < 4900);
	free(base);
}

/* ---------------------------------------------------------------- main */

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_BUF);
	if (!ram)
		return -1;
	memset(ram, FILL, RAM_BUF);
	fail_copy = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_setup_sects_zero),
		cmocka_unit_test(test_relocated_unaligned),
		cmocka_unit_test(test_relocated_hole),
		cmocka_unit_test(test_not_relocatable),
		cmocka_unit_test(test_init_size_small),
		cmocka_unit_test(test_initrd_addr_max),
		cmocka_unit_test(test_initrd_below_4g),
		cmocka_unit_test(test_initrd_below_kernel),
		cmocka_unit_test(test_cmdline_limits),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_copy_failure),
		cmocka_unit_test(test_mutations),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), i;
	struct CMUnitTest *tests = calloc(nfixed + NBAD, sizeof(*tests));
	int rc;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* One named test per malformed input, so a failure says which. */
	for (i = 0; i < NBAD; i++)
		tests[nfixed + i] = (struct CMUnitTest){
			.name = bad_cases[i].name, .test_func = test_bad,
			.initial_state = (void *)&bad_cases[i],
		};
	rc = _cmocka_run_group_tests("test_loader_linux", tests, nfixed + NBAD, setup, teardown);
	free(tests);
	return rc;
}

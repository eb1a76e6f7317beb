/*
 * Host tests of the guest image loaders (core/loader*.c).  Images are built
 * in memory from a description, and every image a loader sees sits in a heap
 * buffer of exactly its size, so ASan catches any read past the end.  Guest
 * RAM is a 4 MiB buffer behind copy_in, filled with 0xAA, and copy_in fails
 * the test if asked for anything outside RAM or below LOADER_DATA_GPA.
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
#include "plinth_abi.h"

#define RAM_SIZE  0x400000u
#define FILL      0xAA

/* ---------------------------------------------------------------- guest RAM */

static uint8_t *ram;
static unsigned ncopies;
static int fail_copy;                   /* copy_in call number that fails, or -1 */
static uint64_t dirty_lo, dirty_hi;     /* what copy_in wrote since the last reset */

static int ram_copy_in(void *arg, uint64_t gpa, const void *src, uint64_t len)
{
	(void)arg;
	assert_true(len > 0);
	assert_true(gpa >= LOADER_DATA_GPA);
	assert_true(gpa <= RAM_SIZE && len <= RAM_SIZE - gpa);
	if ((int)ncopies++ == fail_copy)
		return -1;
	if (src)
		memcpy(ram + gpa, src, len);
	else
		memset(ram + gpa, 0, len);
	if (gpa < dirty_lo)
		dirty_lo = gpa;
	if (gpa + len > dirty_hi)
		dirty_hi = gpa + len;
	return 0;
}

static struct load_target target(uint64_t ram_size)
{
	return (struct load_target){ .ram_size = ram_size, .nvcpus = 3,
				     .copy_in = ram_copy_in, .arg = NULL };
}

static void ram_reset(void)
{
	if (dirty_hi > dirty_lo)
		memset(ram + dirty_lo, FILL, dirty_hi - dirty_lo);
	dirty_lo = UINT64_MAX;
	dirty_hi = 0;
	ncopies = 0;
	fail_copy = -1;
}

static void ram_assert_clean(void)
{
	uint64_t i;

	for (i = 0; i < RAM_SIZE; i++)
		if (ram[i] != FILL)
			fail_msg("guest RAM changed at 0x%llx", (unsigned long long)i);
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

/* ---------------------------------------------------------------- image builder */

struct ph { uint32_t type, flags; uint64_t offset, vaddr, paddr, filesz, memsz; };

struct spec {
	int is64;
	uint8_t ident[7];               /* magic, class, data, version */
	uint16_t type, machine, phentsize, phnum;
	uint32_t version;
	uint64_t entry, phoff;
	unsigned nph;
	struct ph ph[20];
	size_t size;
	int no_elf;                     /* no ELF header at all */
	long mb_off;                    /* Multiboot header offset, or -1 */
	uint32_t mb_flags;
	int mb_bad_sum;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31 + 11);
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Two segments: text [0x100000, 0x100200) RX, data [0x101000, 0x104000) RW with BSS. */
static struct spec spec_elf64(void)
{
	return (struct spec){
		.is64 = 1, .ident = { 0x7f, 'E', 'L', 'F', 2, 1, 1 },
		.type = 2, .machine = 62, .version = 1, .phentsize = 56, .phnum = 2,
		.entry = 0x100010, .phoff = 64, .nph = 2, .size = 0x1300, .mb_off = -1,
		.ph = {
			{ 1, 5, 0x1000, 0x100000, 0x100000, 0x200, 0x200 },
			{ 1, 6, 0x1200, 0x101000, 0x101000, 0x100, 0x3000 },
		},
	};
}

/* Text [0x100000, 0x100800) RX with the Multiboot header, data [0x101000, 0x103345). */
static struct spec spec_mb(void)
{
	return (struct spec){
		.is64 = 0, .ident = { 0x7f, 'E', 'L', 'F', 1, 1, 1 },
		.type = 2, .machine = 3, .version = 1, .phentsize = 32, .phnum = 2,
		.entry = 0x10000c, .phoff = 52, .nph = 2, .size = 0x1900,
		.mb_off = 0x1000, .mb_flags = 0x3,
		.ph = {
			{ 1, 5, 0x1000, 0x100000, 0x100000, 0x800, 0x800 },
			{ 1, 6, 0x1800, 0x101000, 0x101000, 0x100, 0x2345 },
		},
	};
}

static void write_phdr(uint8_t *q, int is64, const struct ph *p)
{
	if (is64) {
		put32(q, p->type);
		put32(q + 4, p->flags);
		put64(q + 8, p->offset);
		put64(q + 16, p->vaddr);
		put64(q + 24, p->paddr);
		put64(q + 32, p->filesz);
		put64(q + 40, p->memsz);
		put64(q + 48, 0x1000);
	} else {
		put32(q, p->type);
		put32(q + 4, (uint32_t)p->offset);
		put32(q + 8, (uint32_t)p->vaddr);
		put32(q + 12, (uint32_t)p->paddr);
		put32(q + 16, (uint32_t)p->filesz);
		put32(q + 20, (uint32_t)p->memsz);
		put32(q + 24, p->flags);
		put32(q + 28, 0x1000);
	}
}

static uint8_t *build(const struct spec *s)
{
	size_t eh = s->is64 ? 64 : 52, phs = s->is64 ? 56 : 32, i;
	uint8_t *b = malloc(s->size ? s->size : 1);

	assert_non_null(b);
	for (i = 0; i < s->size; i++)
		b[i] = pattern(i);
	if (!s->no_elf) {
		assert_true(s->size >= eh);
		memset(b, 0, eh);
		memcpy(b, s->ident, sizeof(s->ident));
		put16(b + 16, s->type);
		put16(b + 18, s->machine);
		put32(b + 20, s->version);
		if (s->is64) {
			put64(b + 24, s->entry);
			put64(b + 32, s->phoff);
			put16(b + 52, 64);
			put16(b + 54, s->phentsize);
			put16(b + 56, s->phnum);
		} else {
			put32(b + 24, (uint32_t)s->entry);
			put32(b + 28, (uint32_t)s->phoff);
			put16(b + 40, 52);
			put16(b + 42, s->phentsize);
			put16(b + 44, s->phnum);
		}
		for (i = 0; i < s->nph && s->phoff <= s->size &&
			    (i + 1) * phs <= s->size - s->phoff; i++)
			write_phdr(b + s->phoff + i * phs, s->is64, &s->ph[i]);
	}
	if (s->mb_off >= 0) {
		uint32_t magic = 0x1BADB002;

		put32(b + s->mb_off, magic);
		put32(b + s->mb_off + 4, s->mb_flags);
		put32(b + s->mb_off + 8, -(magic + s->mb_flags) + (s->mb_bad_sum ? 1 : 0));
	}
	return b;
}

/* The first n bytes of b in a buffer of exactly n bytes. */
static uint8_t *prefix(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, b, n);
	return c;
}

static uint8_t mod0[5000], mod1[3] = { 'x', 'y', 'z' };

static struct load_module mods2[2] = {
	{ mod0, sizeof(mod0), "initrd.img root=x" },
	{ mod1, sizeof(mod1), "m2" },
};

/* ---------------------------------------------------------------- valid images */

static void test_elf64_valid(void **state)
{
	struct spec s = spec_elf64();
	uint8_t *img = build(&s);
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	struct pl_start_info si;
	char err[LOADER_ERR_MAX] = "";
	static const char cmd[] = "console=plinth  quiet";

	(void)state;
	ram_reset();
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), LOAD_ELF64);
	assert_int_equal(loader_elf64(&t, img, s.size, cmd, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_memory_equal(ram + 0x100000, img + 0x1000, 0x200);
	assert_memory_equal(ram + 0x101000, img + 0x1200, 0x100);
	assert_ram_fill(0x101100, 0x2f00, 0);
	assert_ram_fill(0x100200, 0xe00, FILL);
	assert_ram_fill(0x104000, 0x100, FILL);
	assert_ram_fill(0xff000, 0x1000, FILL);

	memcpy(&si, ram + 0x8000, sizeof(si));
	assert_int_equal(si.magic, 0x49535450);
	assert_int_equal(si.abi_version, 0x10000);
	assert_int_equal(si.ram_size, RAM_SIZE);
	assert_int_equal(si.cmdline_gpa, 0x8020);
	assert_int_equal(si.cmdline_len, strlen(cmd));
	assert_int_equal(si.nvcpus, 3);
	assert_memory_equal(ram + 0x8020, cmd, sizeof(cmd));
	assert_ram_fill(0x8020 + sizeof(cmd), 0x10, FILL);
	assert_ram_fill(0x7ff0, 0x10, FILL);

	assert_int_equal(r.kind, LOAD_ELF64);
	assert_int_equal(r.entry, 0x100010);
	assert_int_equal(r.image_start, 0x100000);
	assert_int_equal(r.image_end, 0x104000);
	assert_int_equal(r.boot_gpa, 0x8000);
	free(img);
}

/* No cmdline, a higher-half entry, an empty PT_LOAD and a PT_NOTE are all fine. */
static void test_elf64_variants(void **state)
{
	struct spec s = spec_elf64();
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	struct pl_start_info si;
	char err[LOADER_ERR_MAX];
	uint8_t *img;

	(void)state;
	s.ph[0].vaddr = 0xffffffff80100000ull;
	s.entry = 0xffffffff80100010ull;
	s.ph[2] = (struct ph){ 1, 6, 0, 0, 0, 0, 0 };
	s.ph[3] = (struct ph){ 4, 4, 0x1000, 0x1000, 0x1000, 0x20, 0x20 };
	s.nph = s.phnum = 4;
	img = build(&s);
	ram_reset();
	assert_int_equal(loader_elf64(&t, img, s.size, NULL, &r, err, sizeof(err)), 0);
	assert_int_equal(r.entry, 0x100010);
	memcpy(&si, ram + 0x8000, sizeof(si));
	assert_int_equal(si.cmdline_gpa, 0);
	assert_int_equal(si.cmdline_len, 0);
	assert_ram_fill(0x8020, 0x10, FILL);
	free(img);
}

/* The longest cmdline that fits ends exactly at PL_BOOT_AREA_END. */
static void test_elf64_cmdline_limit(void **state)
{
	struct spec s = spec_elf64();
	uint8_t *img = build(&s);
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	size_t n = 0x10000 - 0x8020 - 1;
	char *cmd = malloc(n + 2);

	(void)state;
	memset(cmd, 'c', n + 1);
	cmd[n] = '\0';
	ram_reset();
	assert_int_equal(loader_elf64(&t, img, s.size, cmd, &r, err, sizeof(err)), 0);
	assert_ram_fill(0x8020, n, 'c');
	assert_int_equal(ram[0xffff], 0);
	assert_int_equal(ram[0x10000], FILL);
	ram_reset();
	cmd[n] = 'c';
	cmd[n + 1] = '\0';
	assert_int_equal(loader_elf64(&t, img, s.size, cmd, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cmdline"));
	assert_int_equal(ncopies, 0);
	free(cmd);
	free(img);
}

static void test_multiboot_valid(void **state)
{
	struct spec s = spec_mb();
	uint8_t *img = build(&s);
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mod0); i++)
		mod0[i] = (uint8_t)(i * 7 + 1);
	ram_reset();
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), LOAD_MULTIBOOT);
	assert_int_equal(loader_multiboot(&t, img, s.size, "kernel arg=1", mods2, 2, &r,
					  err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(r.kind, LOAD_MULTIBOOT);
	assert_int_equal(r.entry, 0x10000c);
	assert_int_equal(r.image_start, 0x100000);
	assert_int_equal(r.image_end, 0x103345);
	assert_int_equal(r.boot_gpa, 0x8000);

	assert_memory_equal(ram + 0x100000, img + 0x1000, 0x800);
	assert_int_equal(ram32(0x100000), 0x1BADB002);
	assert_memory_equal(ram + 0x101000, img + 0x1800, 0x100);
	assert_ram_fill(0x101100, 0x2245, 0);
	assert_ram_fill(0x103345, 0xcbb, FILL);

	/* The info block, byte by byte where it matters. */
	assert_int_equal(ram32(0x8000), 0x4d);
	assert_int_equal(ram32(0x8004), 639);
	assert_int_equal(ram32(0x8008), 3072);
	assert_int_equal(ram32(0x800c), 0);
	assert_int_equal(ram32(0x8010), 0x8130);
	assert_int_equal(ram32(0x8014), 2);
	assert_int_equal(ram32(0x8018), 0x80b0);
	assert_ram_fill(0x801c, 16, 0);
	assert_int_equal(ram32(0x802c), 48);
	assert_int_equal(ram32(0x8030), 0x8080);
	assert_ram_fill(0x8034, 116 - 0x34, 0);
	assert_string_equal((char *)ram + 0x8130, "kernel arg=1");

	/* Memory map: 'size' excludes itself. */
	assert_int_equal(ram32(0x8080), 20);
	assert_int_equal(ram64(0x8084), 0);
	assert_int_equal(ram64(0x808c), 0xa0000);
	assert_int_equal(ram32(0x8094), 1);
	assert_int_equal(ram32(0x8098), 20);
	assert_int_equal(ram64(0x809c), 0x100000);
	assert_int_equal(ram64(0x80a4), 0x300000);
	assert_int_equal(ram32(0x80ac), 1);

	/* Modules: page aligned after the image, then after each other. */
	assert_int_equal(ram32(0x80b0), 0x104000);
	assert_int_equal(ram32(0x80b4), 0x104000 + 5000);
	assert_string_equal((char *)ram + ram32(0x80b8), "initrd.img root=x");
	assert_int_equal(ram32(0x80bc), 0);
	assert_int_equal(ram32(0x80c0), 0x106000);
	assert_int_equal(ram32(0x80c4), 0x106003);
	assert_string_equal((char *)ram + ram32(0x80c8), "m2");
	assert_int_equal(ram32(0x80cc), 0);
	assert_memory_equal(ram + 0x104000, mod0, sizeof(mod0));
	assert_memory_equal(ram + 0x106000, mod1, sizeof(mod1));
	assert_int_equal(ram[0x106003], FILL);
	free(img);
}

/*
 * An ELF kernel may set flags bit 16 (its ELF headers win), a header may end
 * exactly at 8 KiB, and without a cmdline or modules flags bit 2 is clear.
 */
static void test_multiboot_variants(void **state)
{
	struct spec s = spec_mb();
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	uint8_t *img;

	(void)state;
	s.mb_flags = 0x10007;
	s.size = 0x2100;
	s.mb_off = 8192 - 12;
	img = build(&s);
	ram_reset();
	assert_int_equal(loader_multiboot(&t, img, s.size, NULL, NULL, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x8000), 0x49);
	assert_int_equal(ram32(0x8014), 0);
	assert_int_equal(ram32(0x8010), 0);
	assert_int_equal(r.image_end, 0x103345);
	free(img);
}

static void test_probe(void **state)
{
	struct spec s = spec_mb();
	char err[LOADER_ERR_MAX];
	uint8_t *img;

	(void)state;
	s.mb_off = -1;
	img = build(&s);
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no Multiboot header"));
	free(img);

	s = spec_mb();
	s.no_elf = 1;
	s.mb_off = 0;
	s.mb_flags = 0x10003;
	img = build(&s);
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), LOAD_MULTIBOOT);
	s.mb_off = -1;
	free(img);
	img = build(&s);
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not an ELF"));
	assert_int_equal(loader_probe(img, 0, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not an ELF"));
	free(img);

	s = spec_elf64();
	s.machine = 3;
	img = build(&s);
	assert_int_equal(loader_probe(img, s.size, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "x86-64"));
	free(img);
}

/* A short err buffer gets a terminated prefix; none at all is fine too. */
static void test_err_buffer(void **state)
{
	struct spec s = spec_elf64();
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	char err[16];
	uint8_t *img;

	(void)state;
	s.machine = 3;
	img = build(&s);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(loader_elf64(&t, img, s.size, NULL, &r, err, 8), -1);
	assert_string_equal(err, "image: ");
	assert_int_equal(err[8], 'Z');
	assert_int_equal(loader_elf64(&t, img, s.size, NULL, &r, NULL, 0), -1);
	free(img);
}

/* A target that refuses a write makes the load fail with a message. */
static void test_copy_failure(void **state)
{
	struct spec s = spec_mb();
	uint8_t *img = build(&s);
	struct load_target t = target(RAM_SIZE);
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	int n;

	(void)state;
	for (n = 0; n < 8; n++) {
		ram_reset();
		fail_copy = n;
		assert_int_equal(loader_multiboot(&t, img, s.size, "k", mods2, 2, &r, err,
						  sizeof(err)), -1);
		assert_non_null(strstr(err, "writing"));
		assert_int_equal(ncopies, n + 1);
	}
	ram_reset();
	free(img);
}

/* ---------------------------------------------------------------- malformed images */

enum which { ELF64, MB };

struct bad_case {
	const char *name;
	enum which loader;
	const char *expect;             /* in err */
	void (*mutate)(struct spec *s);
	size_t truncate;                /* load only this many bytes, if nonzero */
	uint64_t ram_size;              /* if nonzero */
	int big_modules, many_modules, null_module, long_cmdline, empty_file;
};

static void m_magic(struct spec *s) { s->ident[1] = 'X'; }
static void m_class32(struct spec *s) { s->ident[4] = 1; }
static void m_class64(struct spec *s) { s->ident[4] = 2; }
static void m_bigendian(struct spec *s) { s->ident[5] = 2; }
static void m_ident_version(struct spec *s) { s->ident[6] = 0; }
static void m_version(struct spec *s) { s->version = 2; }
static void m_machine386(struct spec *s) { s->machine = 3; }
static void m_machine64(struct spec *s) { s->machine = 62; }
static void m_dyn(struct spec *s) { s->type = 3; }
static void m_phoff_far(struct spec *s) { s->phoff = 0x100000; }
static void m_phoff_edge(struct spec *s) { s->phoff = s->size - 56; }
static void m_phoff_wrap(struct spec *s) { s->phoff = UINT64_MAX - 8; }
static void m_phentsize(struct spec *s) { s->phentsize = 55; }
static void m_phnum0(struct spec *s) { s->phnum = 0; }
static void m_phnum65(struct spec *s) { s->phnum = 65; }
static void m_phnum_huge(struct spec *s) { s->phnum = 0xffff; }
static void m_past_eof(struct spec *s) { s->ph[1].filesz = 0x101; }
static void m_offset_wrap(struct spec *s) { s->ph[0].offset = UINT64_MAX - 0xff; }
static void m_filesz(struct spec *s) { s->ph[1].memsz = 0x80; }
static void m_paddr_wrap(struct spec *s) { s->ph[1].paddr = UINT64_MAX - 0xfff; }
static void m_outside_ram(struct spec *s) { s->ph[1].paddr = 0x3ff000; }
static void m_far_outside(struct spec *s) { s->ph[1].paddr = 0x100000000ull; }
static void m_boot_area(struct spec *s) { s->ph[1].paddr = 0x9000; }
static void m_boot_edge(struct spec *s) { s->ph[1].paddr = 0xff00; }
static void m_zero(struct spec *s) { s->ph[1].paddr = 0; }
static void m_overlap(struct spec *s) { s->ph[1].paddr = 0x1001ff; }
static void m_contains(struct spec *s) { s->ph[1].paddr = 0xff000; s->ph[1].memsz = 0x4000; }
static void m_entry_out(struct spec *s) { s->entry = 0x200000; }
static void m_entry_end(struct spec *s) { s->entry = 0x100200; }
static void m_entry_data(struct spec *s) { s->entry = 0x101000; }
static void m_no_load(struct spec *s) { s->ph[0].type = 4; s->ph[1].type = 4; }
static void m_above_4g(struct spec *s) { s->ph[1].paddr = 0xfffff000; s->ph[1].memsz = 0x2000; }
static void m_mb_sum(struct spec *s) { s->mb_bad_sum = 1; }
static void m_mb_none(struct spec *s) { s->mb_off = -1; }
static void m_mb_far(struct spec *s) { s->size = 0x2100; s->mb_off = 0x2000; }
static void m_mb_edge(struct spec *s) { s->size = 0x2100; s->mb_off = 8192 - 8; }
static void m_mb_flag(struct spec *s) { s->mb_flags |= 1u << 3; }
static void m_mb_flag15(struct spec *s) { s->mb_flags |= 1u << 15; }
static void m_aout(struct spec *s) { s->no_elf = 1; s->mb_off = 0; s->mb_flags = 0x10003; }

static void m_loads17(struct spec *s)
{
	unsigned i;

	for (i = 0; i < 17; i++)
		s->ph[i] = (struct ph){ 1, 5, 0x1000, 0x100000 + i * 0x1000,
					0x100000 + i * 0x1000, 0x10, 0x10 };
	s->nph = s->phnum = 17;
	s->phoff = 0x200;
}

/* Designated fields, so that a case names only what it sets. */
#define BAD(n, l, e, m, ...) { .name = n, .loader = l, .expect = e, .mutate = m, __VA_ARGS__ }

static const struct bad_case bad_cases[] = {
	BAD("bad magic", ELF64, "not an ELF file", m_magic),
	BAD("ELF32 to the ELF64 loader", ELF64, "class", m_class32),
	BAD("ELF64 to the Multiboot loader", MB, "class", m_class64),
	BAD("big-endian", ELF64, "little-endian", m_bigendian),
	BAD("ident version", ELF64, "version", m_ident_version),
	BAD("e_version", ELF64, "version", m_version),
	BAD("i386 machine in ELF64", ELF64, "machine", m_machine386),
	BAD("x86-64 machine in ELF32", MB, "machine", m_machine64),
	BAD("ET_DYN", ELF64, "ET_EXEC", m_dyn),
	BAD("ET_DYN Multiboot", MB, "ET_EXEC", m_dyn),
	BAD("phoff beyond the file", ELF64, "program headers", m_phoff_far),
	BAD("program headers cut off", ELF64, "program headers", m_phoff_edge),
	BAD("phoff wraps", ELF64, "program headers", m_phoff_wrap),
	BAD("phentsize", ELF64, "entry size", m_phentsize),
	BAD("phnum 0", ELF64, "program headers", m_phnum0),
	BAD("phnum 65", ELF64, "program headers", m_phnum65),
	BAD("phnum 0xffff", ELF64, "program headers", m_phnum_huge),
	BAD("segment data past the end", ELF64, "truncated: segment 1", m_past_eof),
	BAD("segment data past the end, ELF32", MB, "truncated: segment 1", m_past_eof),
	BAD("segment offset wraps", ELF64, "overflows", m_offset_wrap),
	BAD("filesz > memsz", ELF64, "larger than its memory size", m_filesz),
	BAD("paddr + memsz wraps", ELF64, "overflows", m_paddr_wrap),
	BAD("segment past the end of RAM", ELF64, "outside guest RAM", m_outside_ram),
	BAD("segment far above RAM", ELF64, "outside guest RAM", m_far_outside),
	BAD("segment past the end of RAM, ELF32", MB, "outside guest RAM", m_outside_ram),
	BAD("segment inside the boot area", ELF64, "boot area", m_boot_area),
	BAD("segment into the boot area", ELF64, "boot area", m_boot_edge),
	BAD("segment at 0", MB, "boot area", m_zero),
	BAD("overlapping segments", ELF64, "overlap", m_overlap),
	BAD("segment around another", ELF64, "overlap", m_contains),
	BAD("entry outside segments", ELF64, "entry point", m_entry_out),
	BAD("entry at a segment's end", ELF64, "entry point", m_entry_end),
	BAD("entry in a data segment", ELF64, "entry point", m_entry_data),
	BAD("entry outside, ELF32", MB, "entry point", m_entry_out),
	BAD("no PT_LOAD", ELF64, "PT_LOAD", m_no_load),
	BAD("17 PT_LOADs", ELF64, "PT_LOAD", m_loads17),
	BAD("ELF32 segment above 4 GiB", MB, "above 4 GiB", m_above_4g, .ram_size = 8ull << 30),
	BAD("empty file", ELF64, "not an ELF file", NULL, .empty_file = 1),
	BAD("10 bytes", ELF64, "truncated", NULL, .truncate = 10),
	BAD("63 bytes", ELF64, "truncated", NULL, .truncate = 63),
	BAD("51 bytes, ELF32", MB, "no Multiboot header", NULL, .truncate = 51),
	BAD("ELF32 cut off in a segment", MB, "truncated", NULL, .truncate = 0x1880),
	BAD("ELF64 cut off in a segment", ELF64, "truncated", NULL, .truncate = 0x12ff),
	BAD("ELF64 cmdline too long", ELF64, "cmdline", NULL, .long_cmdline = 1),
	BAD("Multiboot bad checksum", MB, "checksum", m_mb_sum),
	BAD("no Multiboot header", MB, "no Multiboot header", m_mb_none),
	BAD("Multiboot header beyond 8 KiB", MB, "first 8 KiB", m_mb_far),
	BAD("Multiboot header across 8 KiB", MB, "first 8 KiB", m_mb_edge),
	BAD("Multiboot flag bit 3", MB, "flags", m_mb_flag),
	BAD("Multiboot flag bit 15", MB, "flags", m_mb_flag15),
	BAD("a.out kludge", MB, "flags bit 16", m_aout),
	BAD("modules too big for RAM", MB, "modules need", NULL, .big_modules = 1),
	BAD("too many modules", MB, "modules", NULL, .many_modules = 1),
	BAD("module without data", MB, "no data", NULL, .null_module = 1),
	BAD("Multiboot cmdline too long", MB, "cmdline", NULL, .long_cmdline = 1),
};

#define NBAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct spec s = c->loader == ELF64 ? spec_elf64() : spec_mb();
	struct load_module mods[LOADER_MODULES_MAX + 1];
	struct load_target t;
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	uint8_t *full, *img;
	size_t size;
	char *cmd = NULL;
	unsigned nmods = 2, i;
	int rc;

	if (c->mutate)
		c->mutate(&s);
	full = build(&s);
	size = c->empty_file ? 0 : c->truncate ? c->truncate : s.size;
	img = prefix(full, size);
	t = target(c->ram_size ? c->ram_size : RAM_SIZE);
	for (i = 0; i <= LOADER_MODULES_MAX; i++)
		mods[i] = mods2[i % 2];
	if (c->big_modules)
		mods[1].size = RAM_SIZE - 0x106000 + 1;
	if (c->many_modules)
		nmods = LOADER_MODULES_MAX + 1;
	if (c->null_module)
		mods[1].data = NULL;
	if (c->long_cmdline) {
		cmd = malloc(0x8000 + 1);
		memset(cmd, 'c', 0x8000);
		cmd[0x8000] = '\0';
	}

	ram_reset();
	if (c->loader == ELF64)
		rc = loader_elf64(&t, img, size, cmd, &r, err, sizeof(err));
	else
		rc = loader_multiboot(&t, img, size, cmd, mods, nmods, &r, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_int_equal(ncopies, 0);
	ram_assert_clean();
	assert_true(err[0] != '\0');
	if (!strstr(err, c->expect))
		fail_msg("err \"%s\" does not mention \"%s\"", err, c->expect);
	assert_null(strchr(err, '\n'));
	free(cmd);
	free(img);
	free(full);
}

/* Modules that fill RAM to the last byte still fit. */
static void test_modules_fill_ram(void **state)
{
	struct spec s = spec_mb();
	uint8_t *img = build(&s);
	struct load_target t = target(RAM_SIZE);
	struct load_module mods[2] = { mods2[0], mods2[1] };
	struct load_result r;
	char err[LOADER_ERR_MAX] = "";
	uint8_t *big = calloc(1, RAM_SIZE);

	(void)state;
	mods[1].data = big;
	mods[1].size = RAM_SIZE - 0x106000;
	ram_reset();
	assert_int_equal(loader_multiboot(&t, img, s.size, NULL, mods, 2, &r, err, sizeof(err)), 0);
	assert_int_equal(ram32(0x80c4), RAM_SIZE);
	ram_reset();
	free(big);
	free(img);
}

/* ---------------------------------------------------------------- fuzz */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint64_t interesting[] = {
	0, 1, 2, 3, 0x20, 0x38, 0x40, 0x7f, 0xff, 0x1000, 0x8000, 0xffff, 0x10000, 0x100000,
	0x3ff000, 0x400000, 0x7fffffff, 0xffffffff, 0x100000000ull, 0x1BADB002,
	UINT64_MAX, UINT64_MAX - 0xfff, 0x8000000000000000ull,
};

static void mutate(uint8_t *b, size_t size)
{
	uint64_t v = interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
	size_t head = size < 256 ? size : 256, off;

	if (!head)
		return;
	switch (rnd() % 5) {
	case 0:
		b[rnd() % head] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 1:
		b[rnd() % head] = (uint8_t)rnd();
		break;
	case 2:
		off = rnd() % head & ~(size_t)3;
		memcpy(b + off, &v, off + 4 <= size ? 4 : size - off);
		break;
	case 3:
		off = rnd() % head & ~(size_t)7;
		memcpy(b + off, &v, off + 8 <= size ? 8 : size - off);
		break;
	default:
		b[rnd() % size] = (uint8_t)rnd();
		break;
	}
}

static void fuzz(enum which which)
{
	struct spec s = which == ELF64 ? spec_elf64() : spec_mb();
	uint8_t *base = build(&s);
	struct load_target t = target(RAM_SIZE);
	unsigned n, k, ok = 0;

	for (n = 0; n < 20000; n++) {
		size_t size = s.size;
		uint8_t *img = prefix(base, size), *cut;
		struct load_result r;
		char err[LOADER_ERR_MAX] = "";
		int rc;

		for (k = 1 + rnd() % 3; k; k--)
			mutate(img, size);
		if (rnd() % 8 == 0)
			size = rnd() % (size + 1);
		cut = prefix(img, size);
		(void)loader_probe(cut, size, err, sizeof(err));
		ram_reset();
		err[0] = '\0';
		if (which == ELF64)
			rc = loader_elf64(&t, cut, size, "fuzz", &r, err, sizeof(err));
		else
			rc = loader_multiboot(&t, cut, size, "fuzz", mods2, 2, &r, err,
					      sizeof(err));
		if (rc == 0) {
			ok++;
			assert_true(r.image_start >= 0x10000);
			assert_true(r.image_start < r.image_end && r.image_end <= RAM_SIZE);
			assert_true(r.entry >= r.image_start && r.entry < r.image_end);
			assert_int_equal(r.boot_gpa, 0x8000);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(ncopies, 0);
			assert_true(err[0] != '\0');
		}
		free(cut);
		free(img);
		if (n % 2000 == 0) {
			ram_reset();
			ram_assert_clean();
		}
	}
	ram_reset();
	/* Both outcomes must be exercised, or the mutations are too weak or too strong. */
	assert_true(ok > 100 && ok < 19000);
	free(base);
}

static void test_fuzz_elf64(void **state)
{
	(void)state;
	fuzz(ELF64);
}

static void test_fuzz_multiboot(void **state)
{
	(void)state;
	fuzz(MB);
}

/* ---------------------------------------------------------------- main */

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	if (!ram)
		return -1;
	memset(ram, FILL, RAM_SIZE);
	dirty_lo = UINT64_MAX;
	dirty_hi = 0;
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
		cmocka_unit_test(test_elf64_valid),
		cmocka_unit_test(test_elf64_variants),
		cmocka_unit_test(test_elf64_cmdline_limit),
		cmocka_unit_test(test_multiboot_valid),
		cmocka_unit_test(test_multiboot_variants),
		cmocka_unit_test(test_modules_fill_ram),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_copy_failure),
		cmocka_unit_test(test_fuzz_elf64),
		cmocka_unit_test(test_fuzz_multiboot),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), i;
	struct CMUnitTest *tests = calloc(nfixed + NBAD, sizeof(*tests));
	int rc;

	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	/* One named test per malformed image, so a failure says which. */
	for (i = 0; i < NBAD; i++)
		tests[nfixed + i] = (struct CMUnitTest){
			.name = bad_cases[i].name, .test_func = test_bad,
			.initial_state = (void *)&bad_cases[i],
		};
	rc = _cmocka_run_group_tests("test_loader", tests, nfixed + NBAD, setup, teardown);
	free(tests);
	return rc;
}

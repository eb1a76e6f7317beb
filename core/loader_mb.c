/*
 * Multiboot v1 kernels (Multiboot Specification 0.6.96), ELF32 only.
 *
 * Guest memory after loading:
 *   [LOADER_DATA_GPA, PL_BOOT_AREA_END)  info block, memory map, module list,
 *                                         then the kernel and module cmdlines
 *   [image_start, image_end)             the kernel's PT_LOAD segments
 *   page aligned after image_end         the modules, one after the other
 * Everything a 32-bit kernel is told about lies below 4 GiB.
 */
#include <inttypes.h>
#include <string.h>

#include "loader_priv.h"
#include "plinth_abi.h"
#include "le.h"

#define MB_SEARCH_END      8192
#define MB_FLAGS_REQUIRED  0xffffu      /* 3.1.2: unknown bits here must fail the load */
#define MB_FLAGS_KNOWN     0x0007u      /* page-align modules, memory info, video mode */
#define MB_FLAG_AOUT_KLUDGE (1u << 16)

/* 3.3 Boot information format: byte offsets in the info block. */
#define MBI_FLAGS          0
#define MBI_MEM_LOWER      4
#define MBI_MEM_UPPER      8
#define MBI_CMDLINE        16
#define MBI_MODS_COUNT     20
#define MBI_MODS_ADDR      24
#define MBI_MMAP_LENGTH    44
#define MBI_MMAP_ADDR      48
#define MBI_SIZE           116          /* through the framebuffer fields, all zero */

#define MBI_HAS_MEM        (1u << 0)
#define MBI_HAS_CMDLINE    (1u << 2)
#define MBI_HAS_MODS       (1u << 3)
#define MBI_HAS_MMAP       (1u << 6)

#define MMAP_ENTRY_SIZE    24           /* the 'size' field (20) plus the 20 bytes it counts */
#define MMAP_MAX           2
#define MMAP_AVAILABLE     1
#define MOD_ENTRY_SIZE     16

/* Where each piece sits, relative to LOADER_DATA_GPA. */
#define OFF_MMAP           128
#define OFF_MODS           (OFF_MMAP + MMAP_MAX * MMAP_ENTRY_SIZE)
#define OFF_STRINGS        (OFF_MODS + LOADER_MODULES_MAX * MOD_ENTRY_SIZE)
#define BOOT_DATA_SIZE     (PL_BOOT_AREA_END - LOADER_DATA_GPA)

#define LOW_MEM_END        0xa0000ull
#define HIGH_MEM_START     0x100000ull
/* mod_end is a 32-bit exclusive end, so modules stop one byte short of 4 GiB. */
#define MB_MODS_LIMIT      0xffffffffull

_Static_assert(MBI_SIZE <= OFF_MMAP && OFF_STRINGS < BOOT_DATA_SIZE, "boot data layout");

static uint64_t page_up(uint64_t v)
{
	return v > UINT64_MAX - (LOADER_PAGE - 1) ? UINT64_MAX :
		(v + LOADER_PAGE - 1) & ~(uint64_t)(LOADER_PAGE - 1);
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* 3.1.1: the header is 4-byte aligned and wholly inside the first 8 KiB. */
int loader_mb_find(const void *img, uint64_t size, uint32_t *flags, char *err, size_t errlen)
{
	const uint8_t *p = img;
	uint64_t end = size < MB_SEARCH_END ? size : MB_SEARCH_END;
	uint64_t off, bad = UINT64_MAX;

	for (off = 0; off + 12 <= end; off += 4) {
		uint32_t magic = loader_rd32(p + off);
		uint32_t fl = loader_rd32(p + off + 4), sum = loader_rd32(p + off + 8);

		if (magic != MB_HEADER_MAGIC)
			continue;
		if ((uint32_t)(magic + fl + sum) == 0) {
			*flags = fl;
			return 0;
		}
		if (bad == UINT64_MAX)
			bad = off;
	}
	if (bad != UINT64_MAX)
		loader_err(err, errlen, "multiboot: the header at file offset 0x%" PRIx64
			   " has a bad checksum", bad);
	else
		loader_err(err, errlen, "multiboot: no Multiboot header in the first 8 KiB");
	return -1;
}

static int mb_check_header(const void *img, uint64_t size, char *err, size_t errlen)
{
	uint32_t flags;

	if (loader_mb_find(img, size, &flags, err, errlen))
		return -1;
	if (flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_KNOWN) {
		loader_err(err, errlen, "multiboot: header flags 0x%08" PRIx32 " require features "
			   "plinth does not have (bits 3-15)", flags);
		return -1;
	}
	/* A valid ELF file carries the same addresses in its own headers. */
	if ((flags & MB_FLAG_AOUT_KLUDGE) && !loader_is_elf(img, size)) {
		loader_err(err, errlen, "multiboot: address fields (flags bit 16) are not "
			   "supported; link as ELF");
		return -1;
	}
	return 0;
}

/* The modules go page aligned from `base` and must end in RAM, below 4 GiB. */
static int mb_check_modules(const struct load_module *mods, unsigned nmods, uint64_t base,
			    uint64_t ram_size, char *err, size_t errlen)
{
	uint64_t limit = ram_size < MB_MODS_LIMIT ? ram_size : MB_MODS_LIMIT;
	uint64_t need = 0;
	unsigned i;

	if (nmods > LOADER_MODULES_MAX) {
		loader_err(err, errlen, "multiboot: %u modules, at most %u are supported",
			   nmods, LOADER_MODULES_MAX);
		return -1;
	}
	for (i = 0; i < nmods; i++) {
		if (!mods[i].data && mods[i].size) {
			loader_err(err, errlen, "multiboot: module %u has no data", i);
			return -1;
		}
		need = add_sat(need, i + 1 < nmods ? page_up(mods[i].size) : mods[i].size);
	}
	if (nmods && (base > limit || need > limit - base)) {
		loader_err(err, errlen, "multiboot: modules need %" PRIu64 " bytes above 0x%" PRIx64
			   ", %s ends at 0x%" PRIx64, need, base,
			   limit == ram_size ? "RAM" : "the 32-bit address space", limit);
		return -1;
	}
	return 0;
}

static int mb_check_strings(const char *cmdline, const struct load_module *mods,
			    unsigned nmods, char *err, size_t errlen)
{
	uint64_t need = cmdline ? strlen(cmdline) + 1 : 0;
	unsigned i;

	for (i = 0; i < nmods; i++)
		if (mods[i].cmdline)
			need += strlen(mods[i].cmdline) + 1;
	if (need > BOOT_DATA_SIZE - OFF_STRINGS) {
		loader_err(err, errlen, "multiboot: cmdlines need %" PRIu64 " bytes, %u fit in "
			   "the boot area", need, BOOT_DATA_SIZE - OFF_STRINGS);
		return -1;
	}
	return 0;
}

/* Give string s the next place in the string area; 0 for none. */
static uint32_t mb_place_string(uint64_t *gpa, const char *s)
{
	uint64_t at = *gpa;

	if (!s)
		return 0;
	*gpa += strlen(s) + 1;
	return (uint32_t)at;
}

static int mb_copy_string(const struct load_target *t, uint32_t gpa, const char *s,
			  char *err, size_t errlen)
{
	return s ? loader_copy(t, gpa, s, strlen(s) + 1, err, errlen) : 0;
}

/* Usable RAM below 640 KiB and from 1 MiB up; fills mmap and returns its length in bytes. */
static uint32_t mb_build_mmap(uint8_t *mmap, uint64_t ram_size)
{
	uint64_t base[MMAP_MAX] = { 0, HIGH_MEM_START };
	uint64_t end[MMAP_MAX] = { ram_size < LOW_MEM_END ? ram_size : LOW_MEM_END, ram_size };
	unsigned i, n = ram_size > HIGH_MEM_START ? 2 : 1;

	for (i = 0; i < n; i++) {
		uint8_t *e = mmap + i * MMAP_ENTRY_SIZE;

		le_put32(e, MMAP_ENTRY_SIZE - 4);
		le_put64(e + 4, base[i]);
		le_put64(e + 12, end[i] - base[i]);
		le_put32(e + 20, MMAP_AVAILABLE);
	}
	return n * MMAP_ENTRY_SIZE;
}

static void mb_build_info(uint8_t *info, uint64_t ram_size, uint32_t cmdline_gpa,
			  unsigned nmods, uint32_t mmap_len)
{
	uint64_t upper = ram_size > HIGH_MEM_START ? (ram_size - HIGH_MEM_START) / 1024 : 0;
	uint64_t lower = ram_size / 1024 < 639 ? ram_size / 1024 : 639;

	memset(info, 0, MBI_SIZE);
	/*
	 * 639 KiB, not 640: kernels written for PC firmware expect an EBDA in
	 * the last KiB below 640 KiB.  There is none, and the memory map says
	 * so; it leaves out [0xa0000, 1 MiB) as a PC's does.
	 */
	le_put32(info + MBI_FLAGS, MBI_HAS_MEM | MBI_HAS_MODS | MBI_HAS_MMAP |
	      (cmdline_gpa ? MBI_HAS_CMDLINE : 0));
	le_put32(info + MBI_MEM_LOWER, (uint32_t)lower);
	le_put32(info + MBI_MEM_UPPER, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);
	le_put32(info + MBI_CMDLINE, cmdline_gpa);
	le_put32(info + MBI_MODS_COUNT, nmods);
	le_put32(info + MBI_MODS_ADDR, LOADER_DATA_GPA + OFF_MODS);
	le_put32(info + MBI_MMAP_LENGTH, mmap_len);
	le_put32(info + MBI_MMAP_ADDR, LOADER_DATA_GPA + OFF_MMAP);
}

int loader_multiboot(const struct load_target *t, const void *img, uint64_t size,
		     const char *cmdline, const struct load_module *mods, unsigned nmods,
		     struct load_result *r, char *err, size_t errlen)
{
	struct elf_image im;
	uint8_t info[MBI_SIZE], mmap[MMAP_MAX * MMAP_ENTRY_SIZE];
	uint8_t list[LOADER_MODULES_MAX * MOD_ENTRY_SIZE];
	uint64_t str = LOADER_DATA_GPA + OFF_STRINGS, at;
	uint32_t cmdline_gpa, mmap_len;
	unsigned i;

	if (mb_check_header(img, size, err, errlen) ||
	    loader_elf_decode(img, size, ELF_CLASS32, t->ram_size, &im, err, errlen) ||
	    mb_check_modules(mods, nmods, page_up(im.end), t->ram_size, err, errlen) ||
	    mb_check_strings(cmdline, mods, nmods, err, errlen))
		return -1;

	/* Lay out the boot data; the checks above keep every address under 4 GiB. */
	memset(list, 0, sizeof(list));
	at = page_up(im.end);
	for (i = 0; i < nmods; i++) {
		le_put32(list + i * MOD_ENTRY_SIZE, (uint32_t)at);
		le_put32(list + i * MOD_ENTRY_SIZE + 4, (uint32_t)(at + mods[i].size));
		at = page_up(at + mods[i].size);
	}
	cmdline_gpa = mb_place_string(&str, cmdline);
	for (i = 0; i < nmods; i++)
		le_put32(list + i * MOD_ENTRY_SIZE + 8, mb_place_string(&str, mods[i].cmdline));
	mmap_len = mb_build_mmap(mmap, t->ram_size);
	mb_build_info(info, t->ram_size, cmdline_gpa, nmods, mmap_len);

	if (loader_elf_copy(t, img, &im, err, errlen) ||
	    mb_copy_string(t, cmdline_gpa, cmdline, err, errlen))
		return -1;
	for (i = 0; i < nmods; i++)
		if (loader_copy(t, loader_rd32(list + i * MOD_ENTRY_SIZE), mods[i].data,
				mods[i].size, err, errlen) ||
		    mb_copy_string(t, loader_rd32(list + i * MOD_ENTRY_SIZE + 8), mods[i].cmdline,
				   err, errlen))
			return -1;
	/* A segment proves RAM reaches past PL_BOOT_AREA_END, so the boot data fits in RAM. */
	if (loader_copy(t, LOADER_DATA_GPA + OFF_MODS, list, nmods * MOD_ENTRY_SIZE, err, errlen) ||
	    loader_copy(t, LOADER_DATA_GPA + OFF_MMAP, mmap, mmap_len, err, errlen) ||
	    loader_copy(t, LOADER_DATA_GPA, info, MBI_SIZE, err, errlen))
		return -1;

	return loader_result(r, LOAD_MULTIBOOT, &im);
}

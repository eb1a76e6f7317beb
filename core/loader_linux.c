/*
 * Linux guests: a bzImage booted through the 64-bit boot protocol
 * (boot.rst, "64-bit Boot Protocol"; field offsets in bootparam.h).
 *
 * Guest memory after loading:
 *   [LOADER_DATA_GPA, +4 KiB)     boot_params: zero but for the setup header
 *                                 copied from the file and the fields below
 *   [LINUX_CMDLINE_GPA, ...)      the cmdline, NUL-terminated, inside the boot
 *                                 area (so below PL_BOOT_AREA_END)
 *   [load, load + init_size)      the protected-mode kernel (the file after
 *                                 its real-mode setup), then the room it
 *                                 decompresses itself into
 *   page aligned, highest fit     the initrd
 *
 * Where the kernel goes: at pref_address if that range is RAM (and, for a
 * relocatable kernel, aligned to kernel_alignment).  Otherwise a relocatable
 * kernel goes to the lowest kernel_alignment boundary at or above
 * max(pref_address, 1 MiB) whose range is RAM.  Nothing lower is tried: a
 * relocatable kernel decompresses to no lower than its own pref_address
 * (LOAD_PHYSICAL_ADDR), so loading it lower would not make it fit.  Without
 * XLF_CAN_BE_LOADED_ABOVE_4G the whole range stays below 4 GiB.
 *
 * The initrd goes as high as it fits inside one RAM range, below
 * min(initrd_addr_max + 1, 4 GiB), outside the kernel's range and the boot
 * area.  The setup code of the file is not loaded: a 64-bit entry never
 * runs it.  Nothing is written before the whole plan has been checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bootparam.h"
#include "loader_priv.h"
#include "plinth_abi.h"
#include "le.h"

#define LINUX_CMDLINE_GPA  (LOADER_DATA_GPA + BP_SIZE)
#define LINUX_KERNEL_MIN   0x100000ull      /* protected-mode code loads at 1 MiB or above */
#define LINUX_4G           0x100000000ull
#define LINUX_ALIGN_MIN    0x1000u
#define BP_HDR_NEED        (BP_INIT_SIZE + 4)   /* the header must reach the last field read */
/* boot_params is zero from here on; plinth builds the bytes before it. */
#define BP_BUILT           (BP_E820_TABLE + LOADER_E820_MAX * BP_E820_ENTRY_SIZE)
#define SIZE_TEXT          24

_Static_assert(LINUX_CMDLINE_GPA < PL_BOOT_AREA_END, "the cmdline has room in the boot area");
_Static_assert(LOADER_E820_MAX <= BP_E820_TABLE_MAX && LOADER_E820_MAX <= 0xff,
	       "the memory map fits boot_params");
_Static_assert(BP_BUILT <= BP_SIZE, "boot_params layout");

/* The setup header, decoded and checked. */
struct linux_hdr {
	uint16_t version, xloadflags;
	uint8_t relocatable;
	uint32_t hdr_end;               /* file offset just past the setup header */
	uint32_t align, initrd_addr_max, cmdline_size, init_size;
	uint64_t pref;
	uint64_t setup_size;            /* boot sector + real-mode setup: the file part not loaded */
	uint64_t pm_size;               /* the rest of the file: the protected-mode kernel */
};

/* Where everything goes; filled only from checked values. */
struct linux_plan {
	uint64_t load, need;            /* the kernel occupies [load, load + need) */
	uint64_t initrd_gpa;            /* 0: no initrd */
	size_t cmdline_len;
};

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* v rounded up to a power of two `a`; UINT64_MAX if that does not fit. */
static uint64_t align_up(uint64_t v, uint64_t a)
{
	return v > UINT64_MAX - (a - 1) ? UINT64_MAX : (v + a - 1) & ~(a - 1);
}

/* "N MiB", "N KiB" or "N bytes", in the largest unit that leaves N nonzero. */
static const char *size_text(char *buf, uint64_t v, int round_up)
{
	static const struct { uint64_t unit; const char *name; } units[] = {
		{ 1ull << 20, "MiB" }, { 1ull << 10, "KiB" }, { 1, "bytes" },
	};
	size_t i = 0;

	while (v < units[i].unit && units[i].unit > 1)
		i++;
	snprintf(buf, SIZE_TEXT, "%" PRIu64 " %s",
		 v / units[i].unit + (round_up && v % units[i].unit ? 1 : 0), units[i].name);
	return buf;
}

/* ---------------------------------------------------------------- decode */

static int linux_check_magic(const uint8_t *p, uint64_t size, char *err, size_t errlen)
{
	uint16_t version;

	if (size < BP_VERSION + 2) {
		loader_err(err, errlen, "kernel: not a bzImage (the file is %" PRIu64
			   " bytes, too short for a setup header)", size);
		return -1;
	}
	if (loader_rd16(p + BP_BOOT_FLAG) != BP_BOOT_FLAG_MAGIC) {
		loader_err(err, errlen, "kernel: not a bzImage (no 0x55AA boot signature at 0x%x)",
			   BP_BOOT_FLAG);
		return -1;
	}
	if (loader_rd32(p + BP_HEADER) != BP_HEADER_MAGIC) {
		loader_err(err, errlen, "kernel: not a bzImage (no HdrS magic at 0x%x)", BP_HEADER);
		return -1;
	}
	version = loader_rd16(p + BP_VERSION);
	if (version < BP_VERSION_MIN) {
		loader_err(err, errlen, "kernel: boot protocol %u.%02u is too old (need %u.%02u for "
			   "the 64-bit entry)", version >> 8, version & 0xff,
			   BP_VERSION_MIN >> 8, BP_VERSION_MIN & 0xff);
		return -1;
	}
	return 0;
}

/* The file must hold its setup, all syssize paragraphs and a 64-bit entry. */
static int linux_check_size(const uint8_t *p, uint64_t size, struct linux_hdr *h,
			    char *err, size_t errlen)
{
	unsigned sects = p[BP_SETUP_SECTS] ? p[BP_SETUP_SECTS] : 4;
	uint64_t want;

	h->setup_size = (uint64_t)(sects + 1) * BP_SECTOR;
	want = h->setup_size + (uint64_t)loader_rd32(p + BP_SYSSIZE) * 16;
	if (size < want || size < h->setup_size) {
		loader_err(err, errlen, "kernel: truncated (setup says %" PRIu64 " bytes, file has %"
			   PRIu64 ")", want, size);
		return -1;
	}
	h->pm_size = size - h->setup_size;
	if (h->pm_size <= BP_ENTRY64_OFFSET) {
		loader_err(err, errlen, "kernel: truncated (%" PRIu64 " bytes after the %" PRIu64
			   "-byte setup, the 64-bit entry is at 0x%x)", h->pm_size, h->setup_size,
			   BP_ENTRY64_OFFSET);
		return -1;
	}
	return 0;
}

static int linux_decode(const uint8_t *p, uint64_t size, struct linux_hdr *h,
			char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (linux_check_magic(p, size, err, errlen) || linux_check_size(p, size, h, err, errlen))
		return -1;
	/* From here on every read lies inside the setup, which the file holds. */
	h->version = loader_rd16(p + BP_VERSION);
	h->hdr_end = BP_HEADER_BASE + p[BP_JUMP + 1];
	if (h->hdr_end < BP_HDR_NEED || h->hdr_end > BP_HDR_END_MAX) {
		loader_err(err, errlen, "kernel: setup header ends at 0x%x, expected 0x%x to 0x%x",
			   h->hdr_end, BP_HDR_NEED, BP_HDR_END_MAX);
		return -1;
	}
	h->xloadflags = loader_rd16(p + BP_XLOADFLAGS);
	h->relocatable = p[BP_RELOCATABLE_KERNEL];
	h->align = loader_rd32(p + BP_KERNEL_ALIGNMENT);
	h->initrd_addr_max = loader_rd32(p + BP_INITRD_ADDR_MAX);
	h->cmdline_size = loader_rd32(p + BP_CMDLINE_SIZE);
	h->pref = loader_rd64(p + BP_PREF_ADDRESS);
	h->init_size = loader_rd32(p + BP_INIT_SIZE);
	if (!(h->xloadflags & BP_XLF_KERNEL_64)) {
		loader_err(err, errlen, "kernel: no 64-bit entry point (xloadflags 0x%x, bit 0 "
			   "clear); plinth boots only 64-bit kernels", h->xloadflags);
		return -1;
	}
	if (h->relocatable && (h->align < LINUX_ALIGN_MIN || (h->align & (h->align - 1)))) {
		loader_err(err, errlen, "kernel: kernel_alignment 0x%" PRIx32 " is not a power of "
			   "two of at least 4 KiB", h->align);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the VM's side */

static int linux_check_input(const struct load_linux *l, const struct linux_hdr *h,
			     size_t len, char *err, size_t errlen)
{
	uint64_t room = PL_BOOT_AREA_END - LINUX_CMDLINE_GPA;

	if (len > h->cmdline_size) {
		loader_err(err, errlen, "kernel: cmdline is %zu bytes, the kernel takes at most %"
			   PRIu32, len, h->cmdline_size);
		return -1;
	}
	if (len >= room) {
		loader_err(err, errlen, "kernel: cmdline is %zu bytes, at most %" PRIu64 " fit in "
			   "the boot area", len, room - 1);
		return -1;
	}
	if (!l->initrd && l->initrd_size) {
		loader_err(err, errlen, "initrd: no data");
		return -1;
	}
	return 0;
}

/*
 * The map comes from plinth, but a wrong one would send the guest's RAM
 * writes astray: sorted, disjoint, RAM inside guest RAM, boot data in RAM.
 */
static int linux_check_map(const struct load_target *t, const struct load_linux *l,
			   uint64_t boot_end, char *err, size_t errlen)
{
	uint64_t prev_end = 0;
	int boot_in_ram = 0;
	unsigned i;

	if (!l->map || l->nmap == 0 || l->nmap > LOADER_E820_MAX) {
		loader_err(err, errlen, "memory map: %u entries, expected 1 to %u",
			   l->map ? l->nmap : 0, LOADER_E820_MAX);
		return -1;
	}
	for (i = 0; i < l->nmap; i++) {
		const struct e820_entry *e = &l->map[i];

		if (e->size == 0 || e->size > UINT64_MAX - e->addr) {
			loader_err(err, errlen, "memory map: entry %u at 0x%" PRIx64 " is empty or "
				   "wraps", i, e->addr);
			return -1;
		}
		if (i && e->addr < prev_end) {
			loader_err(err, errlen, "memory map: entry %u at 0x%" PRIx64 " is out of "
				   "order or overlaps the one before", i, e->addr);
			return -1;
		}
		prev_end = e->addr + e->size;
		if (e->type != E820_RAM)
			continue;
		if (!loader_range_inside(e->addr, e->size, 0, t->ram_size)) {
			loader_err(err, errlen, "memory map: RAM entry %u [0x%" PRIx64 ", 0x%" PRIx64
				   ") is outside guest RAM [0, 0x%" PRIx64 ")", i, e->addr, prev_end,
				   t->ram_size);
			return -1;
		}
		if (loader_range_inside(LOADER_DATA_GPA, boot_end - LOADER_DATA_GPA, e->addr,
					prev_end))
			boot_in_ram = 1;
	}
	if (!boot_in_ram) {
		loader_err(err, errlen, "memory map: the boot data [0x%x, 0x%" PRIx64 ") is not "
			   "in RAM", LOADER_DATA_GPA, boot_end);
		return -1;
	}
	return 0;
}

/* [at, at + len) lies inside one RAM range of the map, and below limit. */
static int linux_in_ram(const struct load_linux *l, uint64_t at, uint64_t len, uint64_t limit)
{
	unsigned i;

	if (!loader_range_inside(at, len, 0, limit))
		return 0;
	for (i = 0; i < l->nmap; i++)
		if (l->map[i].type == E820_RAM &&
		    loader_range_inside(at, len, l->map[i].addr, l->map[i].addr + l->map[i].size))
			return 1;
	return 0;
}

static int linux_place_kernel(const struct load_target *t, const struct load_linux *l,
			      const struct linux_hdr *h, struct linux_plan *pl,
			      char *err, size_t errlen)
{
	uint64_t limit = h->xloadflags & BP_XLF_ABOVE_4G ? UINT64_MAX : LINUX_4G;
	uint64_t floor = max64(h->pref, LINUX_KERNEL_MIN), at;
	char need[SIZE_TEXT], total[SIZE_TEXT], ram[SIZE_TEXT];
	unsigned i;

	pl->need = max64(h->init_size, h->pm_size);
	if (h->pref >= LINUX_KERNEL_MIN && (!h->relocatable || !(h->pref & (h->align - 1))) &&
	    linux_in_ram(l, h->pref, pl->need, limit)) {
		pl->load = h->pref;
		return 0;
	}
	if (!h->relocatable && h->pref < LINUX_KERNEL_MIN) {
		loader_err(err, errlen, "kernel: not relocatable, and its address 0x%" PRIx64
			   " is below 1 MiB", h->pref);
		return -1;
	}
	for (i = 0; h->relocatable && i < l->nmap; i++) {
		if (l->map[i].type != E820_RAM)
			continue;
		at = align_up(max64(l->map[i].addr, floor), h->align);
		if (linux_in_ram(l, at, pl->need, limit)) {
			pl->load = at;
			return 0;
		}
	}
	at = h->relocatable ? align_up(floor, h->align) : h->pref;
	size_text(need, pl->need, 1);
	if (pl->need > UINT64_MAX - at)
		loader_err(err, errlen, "kernel: needs %s at 0x%" PRIx64 ", past the end of the "
			   "address space", need, at);
	else if (at + pl->need <= min64(t->ram_size, limit))
		loader_err(err, errlen, "kernel: needs %s at 0x%" PRIx64 ", which is not all RAM "
			   "in the VM's memory map", need, at);
	else
		loader_err(err, errlen, "kernel: needs %s at 0x%" PRIx64 ", so %s of RAM, but the "
			   "VM has %s", need, at, size_text(total, at + pl->need, 1),
			   size_text(ram, t->ram_size, 0));
	return -1;
}

/* The highest page-aligned start for size bytes in [lo, hi); 0 if none. */
static uint64_t linux_fit_top(uint64_t lo, uint64_t hi, uint64_t size)
{
	uint64_t at;

	if (hi <= lo || size > hi - lo)
		return 0;
	at = (hi - size) & ~(uint64_t)(LOADER_PAGE - 1);
	return at >= lo ? at : 0;
}

/*
 * Try the free pieces of RAM from the top down: each RAM range clipped to
 * [PL_BOOT_AREA_END, limit), less the kernel's range.  A start of 0 never
 * fits (it is in the boot area), so 0 can mean "none".
 */
static int linux_place_initrd(const struct load_linux *l, const struct linux_hdr *h,
			      struct linux_plan *pl, char *err, size_t errlen)
{
	/* initrd_addr_max is 32 bits wide, so this also keeps the initrd below 4 GiB. */
	uint64_t limit = (uint64_t)h->initrd_addr_max + 1;
	uint64_t kstart = pl->load, kend = pl->load + pl->need, best = 0;
	char want[SIZE_TEXT], free_[SIZE_TEXT];
	unsigned i, k;

	pl->initrd_gpa = 0;
	if (!l->initrd_size)
		return 0;
	for (i = l->nmap; i-- > 0;) {
		const struct e820_entry *e = &l->map[i];
		uint64_t lo = max64(e->addr, PL_BOOT_AREA_END);
		uint64_t hi = min64(e->addr + e->size, limit);
		uint64_t piece[2][2] = { { lo, hi }, { 1, 0 } };

		if (e->type != E820_RAM || hi <= lo)
			continue;
		if (kstart < hi && kend > lo) {
			piece[0][0] = max64(lo, kend);
			piece[1][0] = lo;
			piece[1][1] = kstart;
		}
		for (k = 0; k < 2; k++) {
			uint64_t plo = align_up(piece[k][0], LOADER_PAGE), phi = piece[k][1];

			pl->initrd_gpa = linux_fit_top(plo, phi, l->initrd_size);
			if (pl->initrd_gpa)
				return 0;
			if (phi > plo && phi - plo > best)
				best = phi - plo;
		}
	}
	loader_err(err, errlen, "initrd: %s does not fit in the VM's RAM (%s free in one piece "
		   "below 0x%" PRIx64 " besides the kernel)", size_text(want, l->initrd_size, 1),
		   size_text(free_, best, 0), limit);
	return -1;
}

/* ---------------------------------------------------------------- act */

/* The first BP_BUILT bytes of boot_params; the rest is zero. */
static void linux_build_params(uint8_t *bp, const uint8_t *img, const struct linux_hdr *h,
			       const struct load_linux *l, const struct linux_plan *pl)
{
	unsigned i;

	memset(bp, 0, BP_BUILT);
	memcpy(bp + BP_HDR_START, img + BP_HDR_START, h->hdr_end - BP_HDR_START);
	bp[BP_TYPE_OF_LOADER] = BP_LOADER_UNDEFINED;
	bp[BP_LOADFLAGS] |= BP_LOADED_HIGH | BP_CAN_USE_HEAP;
	le_put16(bp + BP_HEAP_END_PTR, BP_HEAP_END);
	le_put32(bp + BP_RAMDISK_IMAGE, (uint32_t)pl->initrd_gpa);
	le_put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(pl->initrd_gpa >> 32));
	le_put32(bp + BP_RAMDISK_SIZE, (uint32_t)l->initrd_size);
	le_put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)(l->initrd_size >> 32));
	le_put32(bp + BP_CMD_LINE_PTR, LINUX_CMDLINE_GPA);
	le_put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	/* The file's value means nothing to a loader that passes no setup_data. */
	le_put64(bp + BP_SETUP_DATA, 0);
	le_put64(bp + BP_ACPI_RSDP_ADDR, l->rsdp);
	bp[BP_E820_ENTRIES] = (uint8_t)l->nmap;
	for (i = 0; i < l->nmap; i++) {
		uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		le_put64(e, l->map[i].addr);
		le_put64(e + 8, l->map[i].size);
		le_put32(e + 16, l->map[i].type);
	}
}

int loader_linux(const struct load_target *t, const struct load_linux *l,
		 struct load_result *r, char *err, size_t errlen)
{
	const uint8_t *img = l->kernel;
	const char *cmdline = l->cmdline ? l->cmdline : "";
	uint8_t bp[BP_BUILT];
	struct linux_hdr h;
	struct linux_plan pl;

	if (!img && l->kernel_size) {
		loader_err(err, errlen, "kernel: no data");
		return -1;
	}
	pl.cmdline_len = strlen(cmdline);
	if (linux_decode(img, l->kernel_size, &h, err, errlen) ||
	    linux_check_input(l, &h, pl.cmdline_len, err, errlen) ||
	    linux_check_map(t, l, LINUX_CMDLINE_GPA + pl.cmdline_len + 1, err, errlen) ||
	    linux_place_kernel(t, l, &h, &pl, err, errlen) ||
	    linux_place_initrd(l, &h, &pl, err, errlen))
		return -1;

	linux_build_params(bp, img, &h, l, &pl);
	if (loader_copy(t, pl.load, img + h.setup_size, h.pm_size, err, errlen) ||
	    loader_copy(t, pl.initrd_gpa, l->initrd, l->initrd_size, err, errlen) ||
	    loader_copy(t, LINUX_CMDLINE_GPA, cmdline, pl.cmdline_len + 1, err, errlen) ||
	    loader_copy(t, LOADER_DATA_GPA, bp, BP_BUILT, err, errlen) ||
	    loader_copy(t, LOADER_DATA_GPA + BP_BUILT, NULL, BP_SIZE - BP_BUILT, err, errlen))
		return -1;

	r->kind = LOAD_LINUX;
	r->entry = pl.load + BP_ENTRY64_OFFSET;
	r->image_start = pl.load;
	r->image_end = pl.load + pl.need;
	r->boot_gpa = LOADER_DATA_GPA;
	return 0;
}

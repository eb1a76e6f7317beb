/*
 * Guest image loaders, the shared part: format probe, error messages, range
 * checks and the ELF decoder both loaders use.
 *
 * The decoder reads every field byte by byte in little-endian order, so it
 * never makes an unaligned access into the file and never trusts a length
 * before checking it against the file size.  It fills a struct elf_image
 * only with segments that passed every check; the copy step that follows
 * has no decisions left to make.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader_priv.h"
#include "plinth_abi.h"

/* ELF (System V gABI, "ELF-64 Object File Format") constants. */
#define EI_NIDENT     16
#define EI_CLASS      4
#define EI_DATA       5
#define EI_VERSION    6
#define ELFDATA2LSB   1
#define EV_CURRENT    1
#define ET_EXEC       2
#define EM_386        3
#define EM_X86_64     62
#define PT_LOAD       1
#define PF_X          1

/* Header and program header sizes; the field offsets are in the readers below. */
#define EHDR32_SIZE   52
#define EHDR64_SIZE   64
#define PHDR32_SIZE   32
#define PHDR64_SIZE   56

#define ELF32_LIMIT   0x100000000ull    /* a 32-bit kernel addresses no more */

struct elf_hdr {
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff;
	uint16_t phentsize, phnum;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* ---------------------------------------------------------------- helpers */

void loader_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int loader_range_inside(uint64_t start, uint64_t len, uint64_t lo, uint64_t hi)
{
	return start >= lo && start <= hi && len <= hi - start;
}

int loader_copy(const struct load_target *t, uint64_t gpa, const void *src, uint64_t len,
		char *err, size_t errlen)
{
	if (!len || t->copy_in(t->arg, gpa, src, len) == 0)
		return 0;
	loader_err(err, errlen, "image: writing 0x%" PRIx64 " bytes of guest RAM at 0x%" PRIx64
		   " failed", len, gpa);
	return -1;
}

int loader_is_elf(const void *img, uint64_t size)
{
	return size >= 4 && memcmp(img, "\177ELF", 4) == 0;
}

/* ---------------------------------------------------------------- probe */

/*
 * A non-ELF file with a Multiboot header counts as Multiboot too, so that
 * loader_multiboot can say why it refuses it rather than "not an ELF file".
 */
int loader_probe(const void *img, uint64_t size, char *err, size_t errlen)
{
	const uint8_t *p = img;
	uint32_t flags;

	if (!loader_is_elf(img, size)) {
		if (loader_mb_find(img, size, &flags, NULL, 0) == 0)
			return LOAD_MULTIBOOT;
		loader_err(err, errlen, "image: not an ELF file");
		return 0;
	}
	if (size < EHDR32_SIZE) {
		loader_err(err, errlen, "image: truncated: the file is %" PRIu64
			   " bytes, shorter than an ELF header", size);
		return 0;
	}
	if (p[EI_CLASS] == ELF_CLASS64) {
		/* loader_elf64 names whatever else is wrong with the file. */
		if (p[EI_DATA] == ELFDATA2LSB && loader_rd16(p + 18) == EM_X86_64)
			return LOAD_ELF64;
		loader_err(err, errlen, "image: ELF64 file, but not for little-endian x86-64");
		return 0;
	}
	if (p[EI_CLASS] == ELF_CLASS32) {
		if (loader_mb_find(img, size, &flags, err, errlen) == 0)
			return LOAD_MULTIBOOT;
		return 0;
	}
	loader_err(err, errlen, "image: unknown ELF class %u", p[EI_CLASS]);
	return 0;
}

/* ---------------------------------------------------------------- ELF decoder */

static int elf_read_hdr(const uint8_t *p, uint64_t size, int elf_class, struct elf_hdr *h,
			char *err, size_t errlen)
{
	int is64 = elf_class == ELF_CLASS64;
	uint64_t hsize = is64 ? EHDR64_SIZE : EHDR32_SIZE;

	if (!loader_is_elf(p, size)) {
		loader_err(err, errlen, "image: not an ELF file");
		return -1;
	}
	if (size < EI_NIDENT) {
		loader_err(err, errlen, "image: truncated: the file is %" PRIu64
			   " bytes, shorter than an ELF header", size);
		return -1;
	}
	if (p[EI_CLASS] != elf_class) {
		loader_err(err, errlen, "image: ELF class %u, expected %s", p[EI_CLASS],
			   is64 ? "ELF64 (2)" : "ELF32 (1)");
		return -1;
	}
	if (p[EI_DATA] != ELFDATA2LSB) {
		loader_err(err, errlen, "image: ELF data encoding %u, expected little-endian (1)",
			   p[EI_DATA]);
		return -1;
	}
	if (p[EI_VERSION] != EV_CURRENT) {
		loader_err(err, errlen, "image: ELF version %u, expected 1", p[EI_VERSION]);
		return -1;
	}
	if (size < hsize) {
		loader_err(err, errlen, "image: truncated: the file is %" PRIu64
			   " bytes, shorter than an ELF header (%" PRIu64 ")", size, hsize);
		return -1;
	}
	h->type = loader_rd16(p + 16);
	h->machine = loader_rd16(p + 18);
	h->version = loader_rd32(p + 20);
	h->entry = is64 ? loader_rd64(p + 24) : loader_rd32(p + 24);
	h->phoff = is64 ? loader_rd64(p + 32) : loader_rd32(p + 28);
	h->phentsize = loader_rd16(p + (is64 ? 54 : 42));
	h->phnum = loader_rd16(p + (is64 ? 56 : 44));
	return 0;
}

static int elf_check_hdr(const struct elf_hdr *h, uint64_t size, int elf_class,
			 char *err, size_t errlen)
{
	int is64 = elf_class == ELF_CLASS64;
	unsigned machine = is64 ? EM_X86_64 : EM_386;
	unsigned phsize = is64 ? PHDR64_SIZE : PHDR32_SIZE;

	if (h->machine != machine) {
		loader_err(err, errlen, "image: ELF machine %u, expected %s (%u)", h->machine,
			   is64 ? "x86-64" : "i386", machine);
		return -1;
	}
	if (h->type != ET_EXEC) {
		loader_err(err, errlen, "image: ELF type %u, expected an executable (ET_EXEC, "
			   "2); link with -static -no-pie", h->type);
		return -1;
	}
	if (h->version != EV_CURRENT) {
		loader_err(err, errlen, "image: ELF version %" PRIu32 ", expected 1", h->version);
		return -1;
	}
	if (h->phentsize != phsize) {
		loader_err(err, errlen, "image: program header entry size %u, expected %u",
			   h->phentsize, phsize);
		return -1;
	}
	if (h->phnum == 0 || h->phnum > ELF_PHNUM_MAX) {
		loader_err(err, errlen, "image: %u program headers, expected 1 to %u",
			   h->phnum, ELF_PHNUM_MAX);
		return -1;
	}
	if (!loader_range_inside(h->phoff, (uint64_t)h->phnum * phsize, 0, size)) {
		loader_err(err, errlen, "image: truncated: %u program headers at offset 0x%"
			   PRIx64 " do not fit in the 0x%" PRIx64 "-byte file",
			   h->phnum, h->phoff, size);
		return -1;
	}
	return 0;
}

static void elf_read_phdr(const uint8_t *q, int elf_class, struct elf_phdr *ph)
{
	ph->type = loader_rd32(q);
	if (elf_class == ELF_CLASS64) {
		ph->flags = loader_rd32(q + 4);
		ph->offset = loader_rd64(q + 8);
		ph->vaddr = loader_rd64(q + 16);
		ph->paddr = loader_rd64(q + 24);
		ph->filesz = loader_rd64(q + 32);
		ph->memsz = loader_rd64(q + 40);
	} else {
		ph->offset = loader_rd32(q + 4);
		ph->vaddr = loader_rd32(q + 8);
		ph->paddr = loader_rd32(q + 12);
		ph->filesz = loader_rd32(q + 16);
		ph->memsz = loader_rd32(q + 20);
		ph->flags = loader_rd32(q + 24);
	}
}

/* One non-empty PT_LOAD, numbered by its program header index. */
static int elf_check_seg(const struct elf_phdr *ph, unsigned i, uint64_t size,
			 uint64_t ram_size, uint64_t limit, char *err, size_t errlen)
{
	uint64_t end = ph->paddr + ph->memsz;

	if (ph->filesz > ph->memsz) {
		loader_err(err, errlen, "image: segment %u: file size 0x%" PRIx64
			   " is larger than its memory size 0x%" PRIx64, i, ph->filesz, ph->memsz);
		return -1;
	}
	if (ph->offset + ph->filesz < ph->offset) {
		loader_err(err, errlen, "image: segment %u: file offset 0x%" PRIx64 " + size 0x%"
			   PRIx64 " overflows", i, ph->offset, ph->filesz);
		return -1;
	}
	if (!loader_range_inside(ph->offset, ph->filesz, 0, size)) {
		loader_err(err, errlen, "image: truncated: segment %u file data ends at 0x%" PRIx64
			   " but the file is 0x%" PRIx64 " bytes", i, ph->offset + ph->filesz, size);
		return -1;
	}
	if (end < ph->paddr) {
		loader_err(err, errlen, "image: segment %u: address 0x%" PRIx64 " + size 0x%"
			   PRIx64 " overflows", i, ph->paddr, ph->memsz);
		return -1;
	}
	if (ph->paddr < PL_BOOT_AREA_END) {
		loader_err(err, errlen, "image: segment %u [0x%" PRIx64 ", 0x%" PRIx64
			   ") overlaps the boot area [0, 0x%x)", i, ph->paddr, end, PL_BOOT_AREA_END);
		return -1;
	}
	if (!loader_range_inside(ph->paddr, ph->memsz, 0, ram_size)) {
		loader_err(err, errlen, "image: segment %u [0x%" PRIx64 ", 0x%" PRIx64
			   ") is outside guest RAM [0, 0x%" PRIx64 ")", i, ph->paddr, end, ram_size);
		return -1;
	}
	if (!loader_range_inside(ph->paddr, ph->memsz, 0, limit)) {
		loader_err(err, errlen, "image: segment %u [0x%" PRIx64 ", 0x%" PRIx64
			   ") is above 4 GiB, out of reach of a 32-bit kernel", i, ph->paddr, end);
		return -1;
	}
	return 0;
}

int loader_elf_decode(const void *img, uint64_t size, int elf_class, uint64_t ram_size,
		      struct elf_image *im, char *err, size_t errlen)
{
	const uint8_t *p = img;
	uint64_t limit = elf_class == ELF_CLASS32 ? ELF32_LIMIT : UINT64_MAX;
	struct elf_hdr h;
	struct elf_phdr ph;
	int have_entry = 0;
	unsigned i, j, idx[ELF_LOADS_MAX];

	if (elf_read_hdr(p, size, elf_class, &h, err, errlen) ||
	    elf_check_hdr(&h, size, elf_class, err, errlen))
		return -1;
	memset(im, 0, sizeof(*im));
	im->start = UINT64_MAX;
	for (i = 0; i < h.phnum; i++) {
		elf_read_phdr(p + h.phoff + (uint64_t)i * h.phentsize, elf_class, &ph);
		/* An empty PT_LOAD occupies nothing, wherever it claims to be. */
		if (ph.type != PT_LOAD || (ph.memsz == 0 && ph.filesz == 0))
			continue;
		if (elf_check_seg(&ph, i, size, ram_size, limit, err, errlen))
			return -1;
		if (im->nsegs == ELF_LOADS_MAX) {
			loader_err(err, errlen, "image: more than %u PT_LOAD segments",
				   ELF_LOADS_MAX);
			return -1;
		}
		for (j = 0; j < im->nsegs; j++) {
			const struct elf_seg *o = &im->segs[j];

			if (ph.paddr < o->paddr + o->memsz && o->paddr < ph.paddr + ph.memsz) {
				loader_err(err, errlen, "image: segments %u and %u overlap in "
					   "guest memory", idx[j], i);
				return -1;
			}
		}
		/* Entry is a virtual address: find it the way the segment maps it. */
		if (!have_entry && (ph.flags & PF_X) && h.entry >= ph.vaddr &&
		    h.entry - ph.vaddr < ph.memsz) {
			im->entry = ph.paddr + (h.entry - ph.vaddr);
			have_entry = 1;
		}
		idx[im->nsegs] = i;
		im->segs[im->nsegs++] = (struct elf_seg){
			.paddr = ph.paddr, .memsz = ph.memsz,
			.offset = ph.offset, .filesz = ph.filesz,
		};
		if (ph.paddr < im->start)
			im->start = ph.paddr;
		if (ph.paddr + ph.memsz > im->end)
			im->end = ph.paddr + ph.memsz;
	}
	if (im->nsegs == 0) {
		loader_err(err, errlen, "image: no loadable (PT_LOAD) segment");
		return -1;
	}
	if (!have_entry) {
		loader_err(err, errlen, "image: entry point 0x%" PRIx64
			   " is not inside an executable PT_LOAD segment", h.entry);
		return -1;
	}
	return 0;
}

int loader_elf_copy(const struct load_target *t, const void *img,
		    const struct elf_image *im, char *err, size_t errlen)
{
	const uint8_t *p = img;
	unsigned i;

	for (i = 0; i < im->nsegs; i++) {
		const struct elf_seg *s = &im->segs[i];

		if (loader_copy(t, s->paddr, p + s->offset, s->filesz, err, errlen) ||
		    loader_copy(t, s->paddr + s->filesz, NULL, s->memsz - s->filesz, err, errlen))
			return -1;
	}
	return 0;
}

int loader_result(struct load_result *r, enum load_kind kind, const struct elf_image *im)
{
	r->kind = kind;
	r->entry = im->entry;
	r->image_start = im->start;
	r->image_end = im->end;
	r->boot_gpa = LOADER_DATA_GPA;
	return 0;
}

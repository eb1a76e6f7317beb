/*
 * What the two guest image loaders share (core/loader.c): error messages,
 * overflow-safe range checks, and one ELF decoder for both classes, which
 * turns a file into a validated list of segments before anything is copied.
 */
#ifndef PLINTH_LOADER_PRIV_H
#define PLINTH_LOADER_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

#define ELF_CLASS32 1
#define ELF_CLASS64 2

#define ELF_PHNUM_MAX 64        /* program headers in a file */
#define ELF_LOADS_MAX 16        /* non-empty PT_LOAD segments */

#define LOADER_PAGE 0x1000u

/* One PT_LOAD: file bytes [offset, offset+filesz) go to [paddr, paddr+filesz), then zeros. */
struct elf_seg {
	uint64_t paddr, memsz;
	uint64_t offset, filesz;
};

struct elf_image {
	uint64_t entry;                 /* guest-physical */
	uint64_t start, end;            /* lowest and highest GPA of the segments */
	unsigned nsegs;
	struct elf_seg segs[ELF_LOADS_MAX];
};

/* ELF and Multiboot fields are little-endian and may sit at any alignment in the file. */
static inline uint16_t loader_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t loader_rd32(const uint8_t *p)
{
	return (uint32_t)loader_rd16(p) | (uint32_t)loader_rd16(p + 2) << 16;
}

static inline uint64_t loader_rd64(const uint8_t *p)
{
	return (uint64_t)loader_rd32(p) | (uint64_t)loader_rd32(p + 4) << 32;
}

void loader_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* [start, start+len) lies inside [lo, hi), and start+len does not wrap. */
int loader_range_inside(uint64_t start, uint64_t len, uint64_t lo, uint64_t hi);

/* img starts with the ELF magic. */
int loader_is_elf(const void *img, uint64_t size);

#define MB_HEADER_MAGIC 0x1badb002u

/* Find the Multiboot v1 header and return its flags.  Returns 0, or -1 with err set. */
int loader_mb_find(const void *img, uint64_t size, uint32_t *flags, char *err, size_t errlen);

/*
 * Validate an ELF file of the given class (ELF_CLASS64: x86-64, ELF_CLASS32:
 * i386, below 4 GiB) as an executable whose segments fit in guest RAM
 * [0, ram_size), outside the boot area.  Returns 0, or -1 with err set.
 */
int loader_elf_decode(const void *img, uint64_t size, int elf_class, uint64_t ram_size,
		      struct elf_image *im, char *err, size_t errlen);

/* Copy a decoded image's segments and zero their BSS.  Returns 0, or -1 if copy_in fails. */
int loader_elf_copy(const struct load_target *t, const void *img,
		    const struct elf_image *im, char *err, size_t errlen);

/* Fill r for a loaded image whose boot data starts at LOADER_DATA_GPA; returns 0. */
int loader_result(struct load_result *r, enum load_kind kind, const struct elf_image *im);

/* copy_in, with err set when the target refuses. */
int loader_copy(const struct load_target *t, uint64_t gpa, const void *src, uint64_t len,
		char *err, size_t errlen);

#endif

/*
 * Guest image loaders: ELF64 images and Multiboot v1 ELF32 kernels.
 *
 * Pure logic with no hardware access: a loader validates the whole image
 * first (decode, then act), then copies segments and boot data into guest RAM
 * through the target's callbacks.  On any error nothing has been written and
 * `err` holds one line for the operator.  The host unit tests drive these
 * with malformed images.  The start state each loader sets up is documented
 * in docs/guests.md.
 */
#ifndef PLINTH_LOADER_H
#define PLINTH_LOADER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The boot area, GPAs [0x1000, PL_BOOT_AREA_END): the arch code puts the
 * guest's GDT and identity page tables in [0x1000, LOADER_DATA_GPA); the
 * loaders put their boot data (start info or Multiboot info, memory map,
 * cmdlines) in [LOADER_DATA_GPA, PL_BOOT_AREA_END).  No segment may touch
 * [0, PL_BOOT_AREA_END).
 */
#define LOADER_DATA_GPA 0x8000u

#define LOADER_ERR_MAX 128
#define LOADER_MODULES_MAX 8

/* Guest RAM is [0, ram_size); writes go through copy_in. */
struct load_target {
	uint64_t ram_size;
	uint32_t nvcpus;                /* ELF64: copied into pl_start_info.nvcpus */
	/*
	 * Copy len bytes from src to guest-physical gpa (src == NULL: zero
	 * them).  The loader only asks for ranges inside RAM.  Returns 0 or -1.
	 */
	int (*copy_in)(void *arg, uint64_t gpa, const void *src, uint64_t len);
	void *arg;
};

/* A file handed to a Multiboot kernel as a module. */
struct load_module {
	const void *data;
	uint64_t size;
	const char *cmdline;            /* "FILE args", as written in the config */
};

enum load_kind { LOAD_ELF64 = 1, LOAD_MULTIBOOT };

struct load_result {
	enum load_kind kind;
	uint64_t entry;                 /* guest-physical entry point */
	uint64_t image_start, image_end;/* lowest and highest GPA the image occupies */
	uint64_t boot_gpa;              /* ELF64: struct pl_start_info; Multiboot: the info block */
};

/*
 * Recognise the format: LOAD_MULTIBOOT if a valid Multiboot v1 header is in
 * the first 8 KiB of an ELF32 file (or of a non-ELF file, so that
 * loader_multiboot says why it refuses it), LOAD_ELF64 for an ELF64 x86-64
 * executable, 0 otherwise (err says why).
 */
int loader_probe(const void *img, uint64_t size, char *err, size_t errlen);

/*
 * Load an ELF64 x86-64 ET_EXEC image: PT_LOAD segments at their physical
 * addresses (p_paddr), BSS zeroed, and a struct pl_start_info (with the
 * cmdline after it) in the boot area.  Returns 0, or -1 with err set.
 */
int loader_elf64(const struct load_target *t, const void *img, uint64_t size,
		 const char *cmdline, struct load_result *r, char *err, size_t errlen);

/*
 * Load a Multiboot v1 ELF32 kernel: PT_LOAD segments, then the modules
 * (page aligned, after the image), then the info block with the memory map,
 * cmdline and module list in the boot area.  Returns 0, or -1 with err set.
 */
int loader_multiboot(const struct load_target *t, const void *img, uint64_t size,
		     const char *cmdline, const struct load_module *mods, unsigned nmods,
		     struct load_result *r, char *err, size_t errlen);

#endif

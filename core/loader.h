/*
 * Guest image loaders: ELF64 images, Multiboot v1 ELF32 kernels and Linux
 * bzImages (64-bit boot protocol).
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
 * loaders put their boot data (start info, Multiboot info or Linux
 * boot_params, memory map, cmdlines) in [LOADER_DATA_GPA, PL_BOOT_AREA_END).
 * No segment may touch [0, PL_BOOT_AREA_END).
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

enum load_kind { LOAD_ELF64 = 1, LOAD_MULTIBOOT, LOAD_LINUX };

struct load_result {
	enum load_kind kind;
	uint64_t entry;                 /* guest-physical entry point */
	uint64_t image_start, image_end;/* lowest and highest GPA the image occupies */
	uint64_t boot_gpa;              /* ELF64: struct pl_start_info; Multiboot: the info
					   block; Linux: boot_params */
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

/* One range of a VM's guest-physical map, as a Linux guest reads it (e820). */
enum e820_type { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3 };

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

#define LOADER_E820_MAX 16

/* What a Linux guest is made from. */
struct load_linux {
	const void *kernel;             /* the bzImage file */
	uint64_t kernel_size;
	const void *initrd;             /* NULL and 0: none */
	uint64_t initrd_size;
	const char *cmdline;            /* NULL: empty */
	const struct e820_entry *map;   /* the VM's physical map, sorted by address */
	unsigned nmap;
	uint64_t rsdp;                  /* boot_params.acpi_rsdp_addr; 0: none */
};

/*
 * Load a bzImage for the 64-bit boot protocol: the protected-mode kernel at
 * its preferred address (or, if relocatable, the lowest aligned place above
 * it that is RAM), the initrd page aligned as high as the kernel allows, the
 * cmdline at LOADER_DATA_GPA + 0x1000 and boot_params at LOADER_DATA_GPA.
 * r->entry is the 64-bit entry (load address + 0x200); RSI must hold
 * r->boot_gpa.  Returns 0, or -1 with err set.
 */
int loader_linux(const struct load_target *t, const struct load_linux *l,
		 struct load_result *r, char *err, size_t errlen);

#endif

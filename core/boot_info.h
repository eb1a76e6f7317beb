/*
 * The contract between boot/ (the UEFI loader) and core/.
 *
 * The loader fills one struct boot_info in memory it allocated as loader data,
 * calls ExitBootServices, switches to its hand-off page tables and jumps to the
 * core's entry with %rdi = the physical address of this struct.  Hand-off page
 * tables map: all RAM identity, all RAM at BOOT_DIRECT_MAP_BASE, and the core
 * image at BOOT_CORE_VIRT_BASE.  Everything here is plain data: no pointers.
 */
#ifndef PLINTH_BOOT_INFO_H
#define PLINTH_BOOT_INFO_H

#include <stdint.h>
#include "config.h"

#define BOOT_INFO_MAGIC   0x4f464e4948544e4cull   /* "LNTHINFO" */
#define BOOT_INFO_VERSION 1

#define BOOT_DIRECT_MAP_BASE 0xffff800000000000ull
#define BOOT_CORE_VIRT_BASE  0xffffffff80000000ull

#define BOOT_MEM_MAX   512
#define BOOT_MOD_MAX   32
#define BOOT_LOG_MAX   4096
#define BOOT_PATH_MAX  160
#define BOOT_CMDLINE_MAX 512

/* What a physical range is, as the core needs to know it. */
enum boot_mem_type {
	BOOT_MEM_FREE = 1,      /* conventional, boot services, loader code */
	BOOT_MEM_LOADED,        /* loader data: core image, boot_info, modules, hand-off tables */
	BOOT_MEM_FIRMWARE,      /* runtime services code/data: never touched */
	BOOT_MEM_ACPI_RECLAIM,  /* ACPI tables */
	BOOT_MEM_ACPI_NVS,
	BOOT_MEM_MMIO,
	BOOT_MEM_RESERVED,
	BOOT_MEM_BAD,
	BOOT_MEM_PERSISTENT,
};

struct boot_mem_range {
	uint64_t base;
	uint64_t size;
	uint32_t type;          /* enum boot_mem_type */
	uint32_t efi_type;      /* the firmware's EFI_MEMORY_TYPE, for display */
};

/* A file named in the config, loaded by the loader. */
struct boot_module {
	char     name[64];      /* the path as written in the config */
	uint64_t phys;          /* page aligned, BOOT_MEM_LOADED */
	uint64_t size;          /* bytes */
};

enum boot_cfg_status {
	BOOT_CFG_OK = 0,        /* read and parsed without errors */
	BOOT_CFG_MISSING,       /* not found: defaults */
	BOOT_CFG_ERRORS,        /* read, some lines rejected (see config.errors) */
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size;                  /* sizeof(struct boot_info) */

	uint64_t rsdp_phys;             /* ACPI 2.0+ RSDP, or 1.0 if that is all there is; 0 = none */
	uint64_t trampoline_phys;       /* one page below 1 MiB for SMP start-up */
	uint64_t core_phys;             /* where the core image was placed */
	uint64_t core_size;             /* bytes, page aligned */
	uint64_t tsc_efi_main;          /* TSC at efi_main entry */
	uint64_t tsc_handoff;           /* TSC just before the jump to the core */
	uint64_t tsc_exit_bs;           /* TSC spent inside the firmware's ExitBootServices */

	char     boot_source[BOOT_PATH_MAX];  /* e.g. "disk \EFI\BOOT\" or "tftp 10.0.2.2:/" */
	char     cfg_path[BOOT_PATH_MAX];     /* where plinth.cfg was looked for */
	uint32_t cfg_status;                  /* enum boot_cfg_status */
	char     cmdline[BOOT_CMDLINE_MAX];   /* UEFI load options, as ASCII */

	uint32_t nmem;
	uint32_t nmod;
	struct boot_mem_range mem[BOOT_MEM_MAX];   /* sorted by base, merged */
	struct boot_module    mod[BOOT_MOD_MAX];

	struct config config;           /* parsed plinth.cfg with load-option overrides */

	uint32_t log_len;
	char     log[BOOT_LOG_MAX];     /* the loader's messages, replayed into the core log */
};

#ifndef PLINTH_LOADER
/* The core's view of what the loader handed over (set once by core_main). */
extern const struct boot_info *boot_info;
#endif

#endif

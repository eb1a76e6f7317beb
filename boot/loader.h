/* Internal interfaces of the UEFI loader (boot/). */
#ifndef PLINTH_LOADER_H
#define PLINTH_LOADER_H

#include <efi.h>
#include <efilib.h>
#include "boot_info.h"

extern struct boot_info *bi;

/* Print to the firmware console and keep the line for the core's log. */
void boot_log(const char *fmt, ...);
/* Unrecoverable: print, wait, return to the firmware. */
EFI_STATUS boot_fail(EFI_STATUS st, const char *fmt, ...);

/* Zeroed pages of loader data, physically contiguous.  0 on failure. */
uint64_t boot_alloc_pages(uint64_t pages, uint64_t max_addr);

/* Where plinth.efi came from, and reading files from the same place. */
EFI_STATUS src_init(EFI_HANDLE image);
const char *src_describe(void);          /* "disk \EFI\BOOT\" or "tftp 10.0.2.2:/dir/" */
/* Read a file relative to plinth.efi's directory into fresh pages. */
EFI_STATUS src_read(const char *name, uint64_t *phys, uint64_t *size, uint64_t max_size);

/* Load the embedded core ELF; returns its entry point (virtual). */
EFI_STATUS core_load(uint64_t *entry, uint64_t *image_end_virt);

/* Build the hand-off tables, exit boot services and jump.  Returns only on failure. */
EFI_STATUS handoff(EFI_HANDLE image, uint64_t entry, uint64_t core_virt_end);

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);

/* Tiny string helpers: no libc here. */
uint64_t bstrlen(const char *s);
void bstrlcpy(char *dst, const char *src, uint64_t size);

#endif

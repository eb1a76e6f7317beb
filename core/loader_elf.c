/*
 * ELF64 guests: PT_LOAD segments at their physical addresses, and a struct
 * pl_start_info followed by the cmdline at LOADER_DATA_GPA (docs/guests.md).
 */
#include <string.h>

#include "loader_priv.h"
#include "plinth_abi.h"

#define START_INFO_SIZE  ((sizeof(struct pl_start_info) + 15) & ~(size_t)15)
#define START_CMDLINE_GPA (LOADER_DATA_GPA + START_INFO_SIZE)

_Static_assert(START_CMDLINE_GPA < PL_BOOT_AREA_END, "the start info fills the boot area");

int loader_elf64(const struct load_target *t, const void *img, uint64_t size,
		 const char *cmdline, struct load_result *r, char *err, size_t errlen)
{
	struct elf_image im;
	struct pl_start_info si;
	size_t len = cmdline ? strlen(cmdline) : 0;
	size_t room = PL_BOOT_AREA_END - START_CMDLINE_GPA;

	if (loader_elf_decode(img, size, ELF_CLASS64, t->ram_size, &im, err, errlen))
		return -1;
	if (len >= room) {
		loader_err(err, errlen, "image: cmdline is %zu bytes, at most %zu fit in the boot "
			   "area", len, room - 1);
		return -1;
	}

	memset(&si, 0, sizeof(si));
	si.magic = PL_START_MAGIC;
	si.abi_version = PL_ABI_VERSION;
	si.ram_size = t->ram_size;
	si.cmdline_gpa = cmdline ? START_CMDLINE_GPA : 0;
	si.cmdline_len = (unsigned int)len;
	si.nvcpus = t->nvcpus;
	/* A segment proves RAM reaches past PL_BOOT_AREA_END, so the boot data fits in RAM. */
	if (loader_elf_copy(t, img, &im, err, errlen) ||
	    loader_copy(t, LOADER_DATA_GPA, &si, sizeof(si), err, errlen) ||
	    (cmdline && loader_copy(t, START_CMDLINE_GPA, cmdline, len + 1, err, errlen)))
		return -1;

	return loader_result(r, LOAD_ELF64, &im);
}

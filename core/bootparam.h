/*
 * The x86 Linux boot protocol as plinth uses it: where the fields of a
 * bzImage's setup header sit, and where the fields plinth fills sit in the
 * 4 KiB boot_params block (the "zero page") a 64-bit kernel receives.
 *
 * Written from the boot protocol document (Documentation/arch/x86/boot.rst,
 * "The Real-Mode Kernel Header" and "64-bit Boot Protocol") and its zero
 * page table (zero-page.rst).  The setup header lies at file offset 0x1f1
 * and is copied to the same offset in boot_params, so one set of offsets
 * serves both.  Every field is little-endian and read byte by byte; the
 * fields are named as the document names them.
 */
#ifndef PLINTH_BOOTPARAM_H
#define PLINTH_BOOTPARAM_H

/* ---------------------------------------------------------------- setup header */

#define BP_SETUP_SECTS        0x1f1   /* 1: sectors of real-mode setup after the boot sector; 0 means 4 */
#define BP_SYSSIZE            0x1f4   /* 4: protected-mode code size in 16-byte paragraphs */
#define BP_BOOT_FLAG          0x1fe   /* 2: 0xaa55 */
#define BP_JUMP               0x200   /* 2: jmp short; its second byte is the header length */
#define BP_HEADER             0x202   /* 4: "HdrS" */
#define BP_VERSION            0x206   /* 2: protocol version, major in the high byte */
#define BP_TYPE_OF_LOADER     0x210   /* 1 (write) */
#define BP_LOADFLAGS          0x211   /* 1 (modify) */
#define BP_RAMDISK_IMAGE      0x218   /* 4 (write): initrd address, low 32 bits */
#define BP_RAMDISK_SIZE       0x21c   /* 4 (write): initrd size, low 32 bits */
#define BP_HEAP_END_PTR       0x224   /* 2 (write) */
#define BP_CMD_LINE_PTR       0x228   /* 4 (write): cmdline address, low 32 bits */
#define BP_INITRD_ADDR_MAX    0x22c   /* 4: highest address the initrd may occupy (2.03) */
#define BP_KERNEL_ALIGNMENT   0x230   /* 4: alignment a relocated kernel needs (2.05) */
#define BP_RELOCATABLE_KERNEL 0x234   /* 1: nonzero if the kernel may load anywhere aligned (2.05) */
#define BP_XLOADFLAGS         0x236   /* 2 (2.12) */
#define BP_CMDLINE_SIZE       0x238   /* 4: longest cmdline, without its NUL (2.06) */
#define BP_SETUP_DATA         0x250   /* 8 (write): list of extra boot data; plinth passes none (2.09) */
#define BP_PREF_ADDRESS       0x258   /* 8: preferred load address (2.10) */
#define BP_INIT_SIZE          0x260   /* 4: contiguous memory the kernel needs from its load address (2.10) */

#define BP_BOOT_FLAG_MAGIC    0xaa55u
#define BP_HEADER_MAGIC       0x53726448u     /* "HdrS" read little-endian */
#define BP_HEADER_BASE        0x202           /* the header ends at this + the byte at 0x201 */

/* 2.12 is the first version with xloadflags, which says a 64-bit entry exists. */
#define BP_VERSION_MIN        0x020cu

#define BP_LOADED_HIGH        0x01u   /* loadflags: protected-mode code at 1 MiB or above */
#define BP_CAN_USE_HEAP       0x80u   /* loadflags: heap_end_ptr is valid */

#define BP_XLF_KERNEL_64      0x0001u /* xloadflags: 64-bit entry at load address + 0x200 */
#define BP_XLF_ABOVE_4G       0x0002u /* xloadflags: kernel, boot_params, cmdline and initrd may be above 4 GiB */

#define BP_LOADER_UNDEFINED   0xffu   /* type_of_loader: a loader with no assigned id */
#define BP_HEAP_END           (0xfe00u - 0x200u)
#define BP_ENTRY64_OFFSET     0x200u  /* the 64-bit entry, from the protected-mode load address */
#define BP_SECTOR             512u

/* ---------------------------------------------------------------- boot_params */

#define BP_ACPI_RSDP_ADDR     0x070   /* 8 */
#define BP_EXT_RAMDISK_IMAGE  0x0c0   /* 4: initrd address, high 32 bits */
#define BP_EXT_RAMDISK_SIZE   0x0c4   /* 4: initrd size, high 32 bits */
#define BP_EXT_CMD_LINE_PTR   0x0c8   /* 4: cmdline address, high 32 bits */
#define BP_E820_ENTRIES       0x1e8   /* 1 */
#define BP_HDR_START          BP_SETUP_SECTS
#define BP_HDR_END_MAX        0x290   /* edd_mbr_sig_buffer follows the setup header */
#define BP_E820_TABLE         0x2d0   /* struct { u64 addr, size; u32 type; } packed */
#define BP_E820_ENTRY_SIZE    20
#define BP_E820_TABLE_MAX     128
#define BP_SIZE               0x1000

_Static_assert(BP_E820_TABLE + BP_E820_TABLE_MAX * BP_E820_ENTRY_SIZE <= BP_SIZE,
	       "the e820 table fits in boot_params");
_Static_assert(BP_INIT_SIZE + 4 <= BP_HDR_END_MAX && BP_HDR_END_MAX <= BP_E820_TABLE,
	       "the setup header lies between e820_entries and e820_table");
_Static_assert(BP_EXT_CMD_LINE_PTR + 4 <= BP_E820_ENTRIES && BP_E820_ENTRIES < BP_HDR_START,
	       "boot_params fields precede the setup header");

#endif

/* The x86-64 part of a VM, embedded in struct vm (core/vm.h). */
#ifndef ARCH_VM_ARCH_H
#define ARCH_VM_ARCH_H

#include <stddef.h>
#include <stdint.h>
#include <arch/pagetable.h>

struct vm;
struct vpc;

struct vm_arch {
	struct pt npt;                      /* guest-physical -> host-physical */
	uint64_t npt_pages;                 /* table frames in use */
	uint8_t *iopm;                      /* I/O permission map: bit set = intercept */
	uint64_t iopm_pa;
	uint8_t *msrpm;                     /* MSR permission map: bits set = intercept */
	uint64_t msrpm_pa;
	int boot_kind;                      /* enum load_kind of the image */
	uint64_t entry, boot_gpa;           /* where the vCPUs start, and their boot data */
	uint64_t unclaimed_io_logged;       /* rate limit for the "unclaimed port" line */
	uint64_t unclaimed_io_tsc;          /* TSC at which the current log window ends */
	uint8_t com1_lcr;                   /* the transmit-only UART's line control */
	struct vpc *pc;                     /* Linux VMs: the PC platform (arch/pc.h), else NULL */
};

/* Nested paging and permission maps: 0, or -1 (out of memory, nothing kept). */
int vm_arch_init(struct vm *vm);
void vm_arch_free(struct vm *vm);
/* Map guest RAM [gpa, gpa+size) to host [hpa, ...); 0 or -1. */
int vm_arch_map_ram(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size);
/* Write the guest's GDT and page tables into its boot area; 0 or -1. */
int vm_arch_boot_setup(struct vm *vm, int kind, uint64_t entry, uint64_t boot_gpa);
/* Linux VMs (arch/pc.h): the e820 map (entries written, 0 if max is too small)... */
struct e820_entry;
unsigned vm_arch_e820(const struct vm *vm, struct e820_entry *map, unsigned max);
/* ...and the PC platform with its ACPI tables in guest RAM: the RSDP's GPA, or 0 with err set. */
uint64_t vm_arch_pc_setup(struct vm *vm, char *err, size_t errlen);
/* The operator typed: the guest's UART takes what it can from the VM's input ring. */
void vm_arch_console_input(struct vm *vm);
/* Bytes of plinth memory the arch side uses for this VM (maps, tables, VMCBs). */
uint64_t vm_arch_overhead(struct vm *vm);

#endif

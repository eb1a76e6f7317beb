/*
 * What a Linux VM is given before its kernel runs: the e820 map of
 * arch/guest_layout.h and the ACPI tables that describe the same platform,
 * written into the reserved area below 1 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <arch/vm_arch.h>
#include "loader.h"
#include "../vdev/acpi_tables.h"
#include "pc_priv.h"

unsigned vm_arch_e820(const struct vm *vm, struct e820_entry *map, unsigned max)
{
	const struct e820_entry m[] = {
		{ 0, GL_LOW_RAM_END, E820_RAM },
		{ GL_LOW_RAM_END, GL_HIGH_RAM - GL_LOW_RAM_END, E820_RESERVED },
		{ GL_HIGH_RAM, vm->ram_size - GL_HIGH_RAM, E820_RAM },
		{ GL_ECAM, GL_ECAM_SIZE, E820_RESERVED },
	};
	unsigned n = sizeof(m) / sizeof(m[0]);

	if (n > max)
		return 0;
	for (unsigned i = 0; i < n; i++)
		map[i] = m[i];
	return n;
}

uint64_t vm_arch_pc_setup(struct vm *vm, char *err, size_t errlen)
{
	struct vacpi_config cfg = { .ncpus = vm->nvcpus, .tables_gpa = GL_ACPI };
	void *buf;
	size_t used;

	if (vm->ram_size > GL_RAM_MAX || vm->ram_size < 2 * GL_HIGH_RAM) {
		snprintf(err, errlen, "a Linux VM needs mem between 2 MiB and %llu MiB",
			 GL_RAM_MAX >> 20);
		return 0;
	}
	buf = calloc(1, GL_ACPI_SIZE);
	if (!buf || pc_setup(vm)) {
		free(buf);
		snprintf(err, errlen, "out of memory for the VM's devices");
		return 0;
	}
	used = vacpi_build(&cfg, buf, GL_ACPI_SIZE);
	if (!used || vm_copy_to(vm, GL_ACPI, buf, used)) {
		free(buf);
		snprintf(err, errlen, "cannot build the VM's ACPI tables");
		return 0;
	}
	free(buf);
	vm->console_uart = true;
	return GL_ACPI;         /* the RSDP leads the tables */
}

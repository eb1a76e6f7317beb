/*
 * The `mem` console command: the boot memory map by type, the RAM it adds up
 * to, and the frame allocator's free and total frames.  Kept apart from
 * frame.c so the allocator's unit test needs nothing of the console.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "frame.h"

#define MEM_TYPE_MAX BOOT_MEM_PERSISTENT

static struct boot_mem_range mem_map[BOOT_MEM_MAX];
static uint32_t mem_nmap;
static int mem_map_set;

static const char *const mem_type_names[] = {
	[BOOT_MEM_FREE] = "free",
	[BOOT_MEM_LOADED] = "loaded",
	[BOOT_MEM_FIRMWARE] = "firmware",
	[BOOT_MEM_ACPI_RECLAIM] = "acpi-reclaim",
	[BOOT_MEM_ACPI_NVS] = "acpi-nvs",
	[BOOT_MEM_MMIO] = "mmio",
	[BOOT_MEM_RESERVED] = "reserved",
	[BOOT_MEM_BAD] = "bad",
	[BOOT_MEM_PERSISTENT] = "persistent",
};

/* UEFI 2.10 7.2.1, EFI_MEMORY_TYPE. */
static const char *const mem_efi_names[] = {
	"reserved", "loader-code", "loader-data", "boot-code", "boot-data",
	"runtime-code", "runtime-data", "conventional", "unusable", "acpi-reclaim",
	"acpi-nvs", "mmio", "mmio-port", "pal-code", "persistent", "unaccepted",
};

const char *mem_type_name(uint32_t type)
{
	if (type >= sizeof(mem_type_names) / sizeof(mem_type_names[0]) || !mem_type_names[type])
		return "unknown";
	return mem_type_names[type];
}

static const char *mem_efi_name(uint32_t efi_type)
{
	if (efi_type >= sizeof(mem_efi_names) / sizeof(mem_efi_names[0]))
		return "other";
	return mem_efi_names[efi_type];
}

static int mem_type_is_ram(uint32_t type)
{
	return type == BOOT_MEM_FREE || type == BOOT_MEM_LOADED || type == BOOT_MEM_FIRMWARE ||
	       type == BOOT_MEM_ACPI_RECLAIM || type == BOOT_MEM_ACPI_NVS;
}

void mem_set_map(const struct boot_mem_range *map, uint32_t n)
{
	if (!map && n) {
		printf("mem: no memory map given\n");
		return;
	}
	if (n > BOOT_MEM_MAX)
		n = BOOT_MEM_MAX;
	/* Sorted by base (insertion sort keeps equal bases in firmware order). */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;

		while (j > 0 && mem_map[j - 1].base > map[i].base) {
			mem_map[j] = mem_map[j - 1];
			j--;
		}
		mem_map[j] = map[i];
	}
	mem_nmap = n;
	mem_map_set = 1;
}

/* Ranges must be sorted by base; bytes covered by several RAM ranges count once. */
uint64_t mem_ram_bytes(const struct boot_mem_range *map, uint32_t n)
{
	uint64_t total = 0, covered = 0;   /* covered: end of the RAM counted so far */
	int any = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t start = map[i].base, end = map[i].base + map[i].size;

		if (!mem_type_is_ram(map[i].type) || map[i].size == 0)
			continue;
		if (end < start)
			end = UINT64_MAX;
		if (any && start < covered)
			start = covered;
		if (end > start)
			total += end - start;
		if (!any || end > covered)
			covered = end;
		any = 1;
	}
	return total;
}

/* "640 KiB", "1023 MiB": KiB below 16 MiB so small ranges stay readable. */
static void mem_fmt_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes < ((uint64_t)16 << 20))
		snprintf(buf, len, "%" PRIu64 " KiB", (bytes + 1023) >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " MiB", (bytes + ((uint64_t)1 << 19)) >> 20);
}

static void mem_print_ranges(const struct boot_mem_range *map, uint32_t n)
{
	char size[24];

	for (uint32_t i = 0; i < n; i++) {
		const struct boot_mem_range *r = &map[i];
		uint64_t last = r->size ? r->base + r->size - 1 : r->base;

		if (last < r->base)
			last = UINT64_MAX;
		mem_fmt_size(size, sizeof(size), r->size);
		printf("  %016" PRIx64 "-%016" PRIx64 " %10s  %-12s efi %u %s\n", r->base, last,
		       size, mem_type_name(r->type), r->efi_type, mem_efi_name(r->efi_type));
	}
}

void mem_print(const struct boot_mem_range *map, uint32_t n, int verbose)
{
	uint64_t bytes[MEM_TYPE_MAX + 2] = { 0 };   /* the last slot holds unknown types */
	uint32_t count[MEM_TYPE_MAX + 2] = { 0 };
	struct frame_stats st = frame_stats();
	char size[24];

	if (!map)
		n = 0;
	printf("memory map: %u ranges\n", n);
	if (verbose)
		mem_print_ranges(map, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = map[i].type >= 1 && map[i].type <= MEM_TYPE_MAX ? map[i].type : MEM_TYPE_MAX + 1;

		bytes[t] += map[i].size;
		count[t]++;
	}
	for (uint32_t t = 1; t <= MEM_TYPE_MAX + 1; t++) {
		if (!count[t])
			continue;
		mem_fmt_size(size, sizeof(size), bytes[t]);
		printf("  %-12s %4u ranges %10s\n", t <= MEM_TYPE_MAX ? mem_type_name(t) : "unknown",
		       count[t], size);
	}
	printf("ram: %" PRIu64 " MiB\n", (mem_ram_bytes(map, n) + ((uint64_t)1 << 19)) >> 20);
	printf("frames: free %" PRIu64 " of %" PRIu64 " (%" PRIu64 " MiB of %" PRIu64 " MiB)\n",
	       st.free, st.total, st.free >> 8, st.total >> 8);
	printf("bookkeeping: %" PRIu64 " frames, %u regions\n", st.bookkeeping, st.regions);
}

static int mem_run(int argc, char **argv)
{
	int verbose = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = 1;
			continue;
		}
		printf("mem: unknown argument '%.40s' (usage: mem [-v])\n", argv[i]);
		return 1;
	}
	if (!mem_map_set) {
		printf("mem: no memory map was recorded at boot\n");
		return 1;
	}
	mem_print(mem_map, mem_nmap, verbose);
	return 0;
}

CONSOLE_CMD(mem_cmd, "mem", "[-v]", "memory map by type, RAM total and free frames (-v: every range)",
	    mem_run);

/*
 * Host tests of the `mem` command (core/mem_cmd.c) over the frame allocator,
 * with the memory map OVMF really gives on q35 with `-m 1G`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "console.h"
#include "frame.h"
#include "log.h"

#define MIB       (1024ull * 1024)
#define PG        4096ull
#define PHYS_SIZE (64 * MIB)

static uint8_t *mem;               /* backs physical 0..64 MiB */
static int log_errors;

void log_write(enum log_level lvl, const char *fmt, ...)
{
	(void)fmt;
	if (lvl == LOG_ERR)
		log_errors++;
}

static void *fake_phys_to_ptr(uint64_t pa)
{
	if (pa >= PHYS_SIZE) {
		fprintf(stderr, "phys_to_ptr(0x%llx) outside the fake memory\n", (unsigned long long)pa);
		abort();
	}
	return mem + pa;
}

/*
 * Debian's OVMF_CODE_4M.fd on `qemu-system-x86_64 -machine q35 -smp 2 -m 1G`,
 * read with the UEFI shell's `memmap`.  EFI types are mapped as
 * core/boot_info.h says: boot services, loader code and conventional memory
 * are free, runtime services are firmware.  The shell's "Total Memory" for
 * this map is 1,072,824,320 bytes.
 */
static const struct boot_mem_range ovmf_map[] = {
	{ 0x0, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x1000, 0x86000, BOOT_MEM_FREE, 7 },
	{ 0x87000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x88000, 0x18000, BOOT_MEM_FREE, 7 },
	{ 0x100000, 0x706000, BOOT_MEM_FREE, 7 },
	{ 0x806000, 0x2000, BOOT_MEM_ACPI_NVS, 10 },
	{ 0x808000, 0x8000, BOOT_MEM_FREE, 7 },
	{ 0x810000, 0xf0000, BOOT_MEM_ACPI_NVS, 10 },
	{ 0x900000, 0xc00000, BOOT_MEM_FREE, 4 },
	{ 0x1500000, 0x3a66d000, BOOT_MEM_FREE, 7 },
	{ 0x3bb6d000, 0x20000, BOOT_MEM_FREE, 4 },
	{ 0x3bb8d000, 0x25eb000, BOOT_MEM_FREE, 7 },
	{ 0x3e178000, 0xd7000, BOOT_MEM_FREE, 1 },
	{ 0x3e24f000, 0x50000, BOOT_MEM_FREE, 7 },
	{ 0x3e29f000, 0x1e000, BOOT_MEM_FREE, 4 },
	{ 0x3e2bd000, 0x1a000, BOOT_MEM_FREE, 7 },
	{ 0x3e2d7000, 0x266000, BOOT_MEM_FREE, 4 },
	{ 0x3e53d000, 0x9e000, BOOT_MEM_FREE, 3 },
	{ 0x3e5db000, 0x3f000, BOOT_MEM_FREE, 4 },
	{ 0x3e61a000, 0x5000, BOOT_MEM_FREE, 3 },
	{ 0x3e61f000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3e620000, 0x1d000, BOOT_MEM_FREE, 3 },
	{ 0x3e63d000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3e640000, 0xa000, BOOT_MEM_FREE, 3 },
	{ 0x3e64a000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3e64c000, 0x17000, BOOT_MEM_FREE, 3 },
	{ 0x3e663000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3e664000, 0x8000, BOOT_MEM_FREE, 3 },
	{ 0x3e66c000, 0x4000, BOOT_MEM_FREE, 4 },
	{ 0x3e670000, 0x17000, BOOT_MEM_FREE, 3 },
	{ 0x3e687000, 0x5000, BOOT_MEM_FREE, 4 },
	{ 0x3e68c000, 0x14000, BOOT_MEM_FREE, 3 },
	{ 0x3e6a0000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3e6a3000, 0x3000, BOOT_MEM_FREE, 3 },
	{ 0x3e6a6000, 0x5000, BOOT_MEM_FREE, 4 },
	{ 0x3e6ab000, 0x15000, BOOT_MEM_FREE, 3 },
	{ 0x3e6c0000, 0x8000, BOOT_MEM_FREE, 4 },
	{ 0x3e6c8000, 0x23000, BOOT_MEM_FREE, 3 },
	{ 0x3e6eb000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3e6ed000, 0x14000, BOOT_MEM_FREE, 3 },
	{ 0x3e701000, 0x7000, BOOT_MEM_FREE, 4 },
	{ 0x3e708000, 0x20000, BOOT_MEM_FREE, 3 },
	{ 0x3e728000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3e72b000, 0xe000, BOOT_MEM_FREE, 3 },
	{ 0x3e739000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3e73c000, 0x67000, BOOT_MEM_FREE, 3 },
	{ 0x3e7a3000, 0x4000, BOOT_MEM_FREE, 4 },
	{ 0x3e7a7000, 0xe000, BOOT_MEM_FREE, 3 },
	{ 0x3e7b5000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3e7b7000, 0xd000, BOOT_MEM_FREE, 3 },
	{ 0x3e7c4000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3e7c7000, 0x6000, BOOT_MEM_FREE, 3 },
	{ 0x3e7cd000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3e7cf000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3e7d0000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3e7d1000, 0x5000, BOOT_MEM_FREE, 3 },
	{ 0x3e7d6000, 0x5000, BOOT_MEM_FREE, 4 },
	{ 0x3e7db000, 0x14000, BOOT_MEM_FREE, 3 },
	{ 0x3e7ef000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3e7f1000, 0xf000, BOOT_MEM_FREE, 3 },
	{ 0x3e800000, 0x201000, BOOT_MEM_FREE, 4 },
	{ 0x3ea01000, 0xd000, BOOT_MEM_FREE, 3 },
	{ 0x3ea0e000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3ea11000, 0x13000, BOOT_MEM_FREE, 3 },
	{ 0x3ea24000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3ea27000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3ea28000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3ea29000, 0x7000, BOOT_MEM_FREE, 3 },
	{ 0x3ea30000, 0x7000, BOOT_MEM_FREE, 4 },
	{ 0x3ea37000, 0x4000, BOOT_MEM_FREE, 3 },
	{ 0x3ea3b000, 0x7000, BOOT_MEM_FREE, 4 },
	{ 0x3ea42000, 0xd000, BOOT_MEM_FREE, 3 },
	{ 0x3ea4f000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3ea50000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3ea51000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3ea54000, 0x25000, BOOT_MEM_FREE, 3 },
	{ 0x3ea79000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3ea7a000, 0xc000, BOOT_MEM_FREE, 3 },
	{ 0x3ea86000, 0x4000, BOOT_MEM_FREE, 4 },
	{ 0x3ea8a000, 0x102000, BOOT_MEM_FIRMWARE, 6 },
	{ 0x3eb8c000, 0x16000, BOOT_MEM_FREE, 3 },
	{ 0x3eba2000, 0x400000, BOOT_MEM_FREE, 4 },
	{ 0x3efa2000, 0x6f000, BOOT_MEM_FREE, 3 },
	{ 0x3f011000, 0x7000, BOOT_MEM_FREE, 4 },
	{ 0x3f018000, 0x3000, BOOT_MEM_FREE, 3 },
	{ 0x3f01b000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3f01e000, 0x8000, BOOT_MEM_FREE, 3 },
	{ 0x3f026000, 0x5000, BOOT_MEM_FREE, 4 },
	{ 0x3f02b000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3f02c000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3f02d000, 0x2000, BOOT_MEM_FREE, 3 },
	{ 0x3f02f000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3f031000, 0x6000, BOOT_MEM_FREE, 3 },
	{ 0x3f037000, 0x1a000, BOOT_MEM_FREE, 4 },
	{ 0x3f051000, 0x16000, BOOT_MEM_FREE, 3 },
	{ 0x3f067000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3f068000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3f069000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3f06b000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3f06c000, 0x1000, BOOT_MEM_FREE, 4 },
	{ 0x3f06d000, 0x3000, BOOT_MEM_FREE, 3 },
	{ 0x3f070000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3f073000, 0x2000, BOOT_MEM_FREE, 3 },
	{ 0x3f075000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3f077000, 0x4000, BOOT_MEM_FREE, 3 },
	{ 0x3f07b000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3f07d000, 0x1000, BOOT_MEM_FREE, 3 },
	{ 0x3f07e000, 0x2000, BOOT_MEM_FREE, 4 },
	{ 0x3f080000, 0x9000, BOOT_MEM_FREE, 3 },
	{ 0x3f089000, 0x3000, BOOT_MEM_FREE, 4 },
	{ 0x3f08c000, 0x3000, BOOT_MEM_FREE, 3 },
	{ 0x3f08f000, 0x45d000, BOOT_MEM_FREE, 4 },
	{ 0x3f4ec000, 0x100000, BOOT_MEM_FIRMWARE, 6 },
	{ 0x3f5ec000, 0x100000, BOOT_MEM_FIRMWARE, 5 },
	{ 0x3f6ec000, 0x80000, BOOT_MEM_RESERVED, 0 },
	{ 0x3f76c000, 0x12000, BOOT_MEM_ACPI_RECLAIM, 9 },
	{ 0x3f77e000, 0x80000, BOOT_MEM_ACPI_NVS, 10 },
	{ 0x3f7fe000, 0x602000, BOOT_MEM_FREE, 4 },
	{ 0x3fe00000, 0x71000, BOOT_MEM_FREE, 7 },
	{ 0x3fe71000, 0x20000, BOOT_MEM_FREE, 4 },
	{ 0x3fe91000, 0x2e000, BOOT_MEM_FREE, 3 },
	{ 0x3febf000, 0x19000, BOOT_MEM_FREE, 4 },
	{ 0x3fed8000, 0x14000, BOOT_MEM_FREE, 3 },
	{ 0x3feec000, 0x84000, BOOT_MEM_FIRMWARE, 6 },
	{ 0x3ff70000, 0x90000, BOOT_MEM_ACPI_NVS, 10 },
	{ 0xb0000000, 0x10000000, BOOT_MEM_RESERVED, 0 },
	{ 0xffc00000, 0x400000, BOOT_MEM_MMIO, 11 },
};
#define OVMF_N ((uint32_t)(sizeof(ovmf_map) / sizeof(ovmf_map[0])))

/*
 * Managed frames (free pages from 1 MiB up, minus every page a non-free
 * range touches): 0x100-0x806, 0x808-0x810, 0x900-0x3eb8a, 0x3eb8c-0x3f4ec,
 * 0x3f7fe-0x3feec = 260326 frames; 4072 bitmap words = 8 frames.
 */
#define OVMF_TOTAL   260326ull
#define OVMF_BK      8ull
#define OVMF_REGIONS 5u

static int setup(void **state)
{
	(void)state;
	memset(mem, 0xaa, PHYS_SIZE);
	log_errors = 0;
	return frame_init(ovmf_map, OVMF_N, MIB, fake_phys_to_ptr) == 0 ? 0 : -1;
}

/* Run fn with stdout captured into buf. */
static void capture(void (*fn)(void *), void *arg, char *buf, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(1);
	size_t n;

	assert_non_null(tmp);
	fflush(stdout);
	dup2(fileno(tmp), 1);
	fn(arg);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, len - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
}

static const struct console_cmd *find_cmd(const char *name)
{
	extern const struct console_cmd __start_plinth_cmds[], __stop_plinth_cmds[];

	for (const struct console_cmd *c = __start_plinth_cmds; c < __stop_plinth_cmds; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int cmd_rc;

static void run_mem(void *arg)
{
	char **argv = arg;
	int argc = 0;

	while (argv[argc])
		argc++;
	cmd_rc = find_cmd("mem")->run(argc, argv);
}

static void test_ovmf_allocator(void **state)
{
	struct frame_stats st = frame_stats();
	uint64_t pa;

	(void)state;
	assert_int_equal(st.total, OVMF_TOTAL);
	assert_int_equal(st.bookkeeping, OVMF_BK);
	assert_int_equal(st.free, OVMF_TOTAL - OVMF_BK);
	assert_int_equal(st.regions, OVMF_REGIONS);
	/* Next fit starts right after the bitmaps at 1 MiB. */
	pa = frame_alloc();
	assert_int_equal(pa, MIB + OVMF_BK * PG);
	assert_int_equal(frame_alloc_contig(512, 512, 0), 2 * MIB);
	/* 0x400000..0x806000 is free; the next two pages are ACPI NVS. */
	assert_int_equal(frame_alloc_contig(1031, 1, 0), 0x900000);
	assert_int_equal(frame_alloc_contig(1030, 1, 0), 0x400000);
	assert_int_equal(frame_alloc_contig(1, 1, 0x200000), MIB + (OVMF_BK + 1) * PG);
	assert_int_equal(log_errors, 0);
}

static void test_ovmf_mem_output(void **state)
{
	char *buf = malloc(64 * 1024);
	char *argv[] = { "mem", NULL };

	(void)state;
	assert_non_null(buf);
	assert_int_equal(mem_ram_bytes(ovmf_map, OVMF_N), 1072824320ull);
	mem_set_map(ovmf_map, OVMF_N);
	capture(run_mem, argv, buf, 64 * 1024);
	assert_int_equal(cmd_rc, 0);
	assert_non_null(strstr(buf, "memory map: 127 ranges\n"));
	assert_non_null(strstr(buf, "\nram: 1023 MiB\n"));
	assert_non_null(strstr(buf, "\nframes: free 260318 of 260326 (1016 MiB of 1016 MiB)\n"));
	assert_non_null(strstr(buf, "  reserved        2 ranges    257 MiB\n"));
	assert_non_null(strstr(buf, "  mmio            1 ranges   4096 KiB\n"));
	/* Without -v no range is listed. */
	assert_null(strstr(buf, "00000000b0000000"));
	free(buf);
}

static void test_mem_map_handling(void **state)
{
	static const struct boot_mem_range overlap[] = {
		{ 0, 2 * MIB, BOOT_MEM_FREE, 7 },
		{ 1 * MIB, 2 * MIB, BOOT_MEM_ACPI_NVS, 10 },
		{ 3 * MIB, 1 * MIB, BOOT_MEM_MMIO, 11 },
		{ 3 * MIB, 1 * MIB, BOOT_MEM_RESERVED, 0 },
		{ 8 * MIB, 0, BOOT_MEM_FREE, 7 },
	};
	/* Out of order on purpose: mem_set_map sorts. */
	static const struct boot_mem_range unsorted[] = {
		{ 0x100000, 0x3ff00000, BOOT_MEM_FREE, 7 },
		{ 0, 0xa0000, BOOT_MEM_FREE, 7 },
		{ 0xb0000000, 0x10000000, BOOT_MEM_RESERVED, 0 },
		{ 0xfee00000, 0x1000, 77, 99 },
	};
	char *buf = malloc(64 * 1024);
	char *verbose[] = { "mem", "-v", NULL }, *bad[] = { "mem", "-x", NULL };

	(void)state;
	assert_non_null(buf);
	assert_string_equal(mem_type_name(BOOT_MEM_ACPI_NVS), "acpi-nvs");
	assert_string_equal(mem_type_name(BOOT_MEM_FREE), "free");
	assert_string_equal(mem_type_name(0), "unknown");
	assert_string_equal(mem_type_name(99), "unknown");
	assert_int_equal(mem_ram_bytes(overlap, 5), 3 * MIB);   /* overlaps counted once */
	assert_int_equal(mem_ram_bytes(NULL, 0), 0);

	mem_set_map(unsorted, 4);
	capture(run_mem, verbose, buf, 64 * 1024);
	assert_int_equal(cmd_rc, 0);
	assert_non_null(strstr(buf, "\nram: 1024 MiB\n"));
	assert_non_null(strstr(buf, "  0000000000000000-000000000009ffff    640 KiB  free         efi 7 conventional\n"));
	assert_non_null(strstr(buf, "00000000fee00000-00000000fee00fff      4 KiB  unknown      efi 99 other\n"));
	assert_non_null(strstr(buf, "  unknown         1 ranges      4 KiB\n"));
	assert_true(strstr(buf, "0000000000000000-000000000009ffff") <
		    strstr(buf, "0000000000100000-000000003fffffff"));

	capture(run_mem, bad, buf, 64 * 1024);
	assert_int_equal(cmd_rc, 1);
	assert_non_null(strstr(buf, "mem: unknown argument '-x' (usage: mem [-v])\n"));
	free(buf);
}

/* Must run first: before mem_set_map the command says there is no map. */
static void test_mem_without_map(void **state)
{
	char *buf = malloc(4096);
	char *argv[] = { "mem", NULL };

	(void)state;
	assert_non_null(buf);
	assert_non_null(find_cmd("mem"));
	capture(run_mem, argv, buf, 4096);
	assert_int_equal(cmd_rc, 1);
	assert_non_null(strstr(buf, "no memory map"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mem_without_map, setup),
		cmocka_unit_test_setup(test_ovmf_allocator, setup),
		cmocka_unit_test_setup(test_ovmf_mem_output, setup),
		cmocka_unit_test_setup(test_mem_map_handling, setup),
	};

	mem = mmap(NULL, PHYS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "test_mem_cmd: cannot allocate the fake physical memory\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

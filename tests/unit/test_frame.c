/*
 * Host tests of the frame allocator (core/frame.c).  Physical memory 0..64 MiB is a host buffer; the map
 * below has unaligned edges, overlaps, a zero-size range and free ranges
 * sharing pages with reserved ones.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "frame.h"
#include "log.h"

#define KIB       1024ull
#define MIB       (1024ull * KIB)
#define GIB       (1024ull * MIB)
#define PG        4096ull
#define PHYS_SIZE (64 * MIB)
#define LOW_LIMIT (1 * MIB)

static uint8_t *mem;              /* backs physical [phys_base, phys_base + PHYS_SIZE) */
static uint64_t phys_base;
static int log_errors;
static char last_log[512];

void log_write(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if (lvl == LOG_ERR)
		__atomic_add_fetch(&log_errors, 1, __ATOMIC_RELAXED);
}

static void *fake_phys_to_ptr(uint64_t pa)
{
	if (pa < phys_base || pa - phys_base >= PHYS_SIZE) {
		fprintf(stderr, "phys_to_ptr(0x%llx) outside the fake memory\n", (unsigned long long)pa);
		abort();
	}
	return mem + (pa - phys_base);
}

static const struct boot_mem_range test_map[] = {
	{ 0x0000000, 0x009f000, BOOT_MEM_FREE, 7 },          /* below low_limit */
	{ 0x009f000, 0x0061000, BOOT_MEM_RESERVED, 0 },
	{ 0x0100000, 0x0700800, BOOT_MEM_FREE, 7 },          /* ends mid-page ... */
	{ 0x0800800, 0x0007800, BOOT_MEM_ACPI_NVS, 10 },     /* ... shared with ACPI NVS */
	{ 0x0808000, 0x0003000, BOOT_MEM_FREE, 3 },
	{ 0x080b000, 0x0001000, BOOT_MEM_LOADED, 2 },
	{ 0x080c123, 0x03f3edd, BOOT_MEM_FREE, 4 },          /* starts mid-page */
	{ 0x0c00000, 0x0100000, BOOT_MEM_FIRMWARE, 6 },
	{ 0x0d00000, 0x0000000, BOOT_MEM_FREE, 7 },          /* zero size */
	{ 0x0d00000, 0x1300000, BOOT_MEM_FREE, 7 },
	{ 0x1800000, 0x0010000, BOOT_MEM_RESERVED, 0 },      /* inside a free range */
	{ 0x2000000, 0x0000800, BOOT_MEM_ACPI_RECLAIM, 9 },  /* shares a page with the next */
	{ 0x2000800, 0x1fff800, BOOT_MEM_FREE, 7 },
	{ 0x3000000, 0x0100000, BOOT_MEM_FREE, 7 },          /* overlaps the previous */
	{ 0xfec00000, 0x1000, BOOT_MEM_MMIO, 11 },
	{ 0xfee00000, 0x1000, BOOT_MEM_MMIO, 11 },
};
#define TEST_N ((uint32_t)(sizeof(test_map) / sizeof(test_map[0])))

/*
 * Managed frames, by hand: 0x100000-0x800000 (1792), 0x808000-0x80b000 (3),
 * 0x80d000-0xc00000 (1011), 0xd00000-0x1800000 (2816), 0x1810000-0x2000000
 * (2032), 0x2001000-0x4000000 (8191).  Bitmaps: 249 words = 1 frame at 1 MiB.
 */
#define TEST_TOTAL   15845ull
#define TEST_BK      1ull
#define TEST_REGIONS 6u
#define TEST_BK_PA   0x100000ull

static uint8_t *seen;             /* one byte per fake frame */

static int setup(void **state)
{
	(void)state;
	phys_base = 0;
	memset(mem, 0xaa, PHYS_SIZE);
	memset(seen, 0, PHYS_SIZE / PG);
	log_errors = 0;
	return frame_init(test_map, TEST_N, LOW_LIMIT, fake_phys_to_ptr) == 0 ? 0 : -1;
}

/* Independent of the allocator: the page lies in free ranges only, above low_limit. */
static int page_allowed(uint64_t pa)
{
	uint64_t cur = pa;

	if (pa % PG || pa < LOW_LIMIT || pa + PG > PHYS_SIZE)
		return 0;
	for (uint32_t i = 0; i < TEST_N; i++) {
		const struct boot_mem_range *r = &test_map[i];

		if (r->type != BOOT_MEM_FREE && r->size && r->base < pa + PG && pa < r->base + r->size)
			return 0;
		if (r->type == BOOT_MEM_FREE && r->base <= cur && r->base + r->size > cur)
			cur = r->base + r->size;
	}
	return cur >= pa + PG;
}

static int is_filled(uint64_t pa, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (mem[pa - phys_base + i] != v)
			return 0;
	return 1;
}

/* Take every free frame; each must be allowed, new and zeroed.  Marks them 0x55. */
static uint64_t alloc_all(void)
{
	uint64_t n = 0, pa;

	while ((pa = frame_alloc()) != FRAME_NONE) {
		assert_true(page_allowed(pa));
		assert_int_equal(seen[pa / PG], 0);
		assert_true(is_filled(pa, PG, 0));
		seen[pa / PG] = 1;
		memset(mem + pa, 0x55, PG);
		n++;
	}
	return n;
}

static void free_all_seen(void)
{
	for (uint64_t f = 0; f < PHYS_SIZE / PG; f++)
		if (seen[f]) {
			frame_free(f * PG);
			seen[f] = 0;
		}
}

static void test_stats_exact(void **state)
{
	struct frame_stats st = frame_stats();

	(void)state;
	assert_int_equal(st.total, TEST_TOTAL);
	assert_int_equal(st.free, TEST_TOTAL - TEST_BK);
	assert_int_equal(st.bookkeeping, TEST_BK);
	assert_int_equal(st.regions, TEST_REGIONS);
	assert_int_equal(log_errors, 0);
}

static void test_alloc_all_free_realloc(void **state)
{
	(void)state;
	assert_int_equal(alloc_all(), TEST_TOTAL - TEST_BK);
	assert_int_equal(frame_stats().free, 0);
	assert_int_equal(frame_alloc(), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(1, 1, 0), FRAME_NONE);
	/* Nothing outside the handed-out frames and the bitmaps was written. */
	for (uint64_t f = 0; f < PHYS_SIZE / PG; f++) {
		if (f * PG == TEST_BK_PA)
			continue;
		assert_true(is_filled(f * PG, PG, seen[f] ? 0x55 : 0xaa));
	}
	free_all_seen();
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK);
	/* The second round hands out the same frames, zeroed again over the 0x55. */
	assert_int_equal(alloc_all(), TEST_TOTAL - TEST_BK);
	free_all_seen();
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK);
	assert_int_equal(log_errors, 0);
}

static void check_run(uint64_t pa, uint64_t count)
{
	assert_int_not_equal(pa, FRAME_NONE);
	for (uint64_t i = 0; i < count; i++)
		assert_true(page_allowed(pa + i * PG));
	assert_true(is_filled(pa, count * PG, 0));
}

static void test_contig(void **state)
{
	uint64_t p, r, q, big, mid;

	(void)state;
	/* 16 frames aligned to 64 KiB: 0x100000 holds the bitmaps, so 0x110000. */
	p = frame_alloc_contig(16, 16, 0);
	assert_int_equal(p, 0x110000);
	check_run(p, 16);
	assert_int_equal(frame_alloc_contig(1, 1, LOW_LIMIT), FRAME_NONE);
	r = frame_alloc_contig(1, 1, 0x102000);
	assert_int_equal(r, 0x101000);
	check_run(r, 1);
	q = frame_alloc_contig(4, 1, 2 * MIB);
	assert_int_equal(q, 0x102000);
	assert_true(q + 4 * PG <= 2 * MIB);
	check_run(q, 4);
	/* 16 MiB aligned to 2 MiB fits only in the last region. */
	big = frame_alloc_contig(4096, 512, 0);
	assert_int_equal(big, 0x2200000);
	check_run(big, 4096);
	/* `below` cuts inside a region too: the run must end at or below it. */
	assert_int_equal(frame_alloc_contig(16, 1, 0x100000 + 0x20 * PG), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(1792, 1, 0xd00000 + 1791 * PG), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(1792, 1, 0xd00000 + 1792 * PG), 0xd00000);
	frame_free_contig(0xd00000, 1792);
	/* The largest region holds 8191 frames. */
	assert_int_equal(frame_alloc_contig(8192, 1, 0), FRAME_NONE);
	/* 1792 frames no longer fit below 8 MiB: the next region that holds them. */
	mid = frame_alloc_contig(1792, 1, 0);
	assert_int_equal(mid, 0xd00000);
	check_run(mid, 1792);
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK - 16 - 1 - 4 - 4096 - 1792);
	assert_int_equal(log_errors, 0);

	/* Freed and taken again: zeroed again. */
	memset(mem + p, 0x77, 16 * PG);
	frame_free_contig(p, 16);
	assert_int_equal(frame_alloc_contig(16, 16, 0), p);
	assert_true(is_filled(p, 16 * PG, 0));

	frame_free_contig(p, 16);
	frame_free(r);
	frame_free_contig(q, 4);
	frame_free_contig(big, 4096);
	frame_free_contig(mid, 1792);
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK);
	assert_int_equal(log_errors, 0);

	/* Bad requests are refused with an error. */
	assert_int_equal(frame_alloc_contig(0, 1, 0), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(2, 3, 0), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(UINT64_MAX, 1, 0), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(1, 1ull << 62, 0), FRAME_NONE);
	assert_int_equal(log_errors, 3);
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK);
}

static void test_contig_fragmented(void **state)
{
	(void)state;
	alloc_all();
	/* Free every other frame of 0x200000..0x220000: no run of 2 exists. */
	for (uint64_t pa = 0x200000; pa < 0x220000; pa += 2 * PG) {
		frame_free(pa);
		seen[pa / PG] = 0;
	}
	assert_int_equal(frame_alloc_contig(2, 1, 0), FRAME_NONE);
	frame_free(0x211000);
	seen[0x211000 / PG] = 0;
	assert_int_equal(frame_alloc_contig(2, 1, 0), 0x210000);
	/* 4-frame aligned singles: only every fourth free frame qualifies. */
	assert_int_equal(frame_alloc_contig(1, 4, 0), 0x200000);
	assert_int_equal(frame_alloc_contig(1, 4, 0), 0x204000);
	assert_int_equal(log_errors, 0);
}

static void test_double_and_bad_free(void **state)
{
	uint64_t a, p, free0;

	(void)state;
	a = frame_alloc();
	assert_int_not_equal(a, FRAME_NONE);
	frame_free(a);
	free0 = frame_stats().free;
	assert_int_equal(log_errors, 0);

	frame_free(a);                               /* double free */
	assert_int_equal(log_errors, 1);
	assert_non_null(strstr(last_log, "not allocated"));
	frame_free(0x9f000);                         /* reserved */
	frame_free(0x50000);                         /* free but below low_limit */
	frame_free(0x800000);                        /* free page shared with ACPI NVS */
	frame_free(0xfec00000);                      /* MMIO */
	frame_free(TEST_BK_PA);                      /* the bitmaps */
	assert_non_null(strstr(last_log, "bookkeeping"));
	frame_free(a + 1);                           /* unaligned, free frame */
	a = frame_alloc();
	frame_free(a + 8);                           /* unaligned, allocated frame */
	assert_int_equal(log_errors, 8);
	frame_free(a);                               /* still allocated: no error */
	assert_int_equal(log_errors, 8);
	frame_free(FRAME_NONE);
	frame_free_contig(0x7ff000, 2);              /* runs past a region's end */
	frame_free_contig(a, 0);
	frame_free_contig(a, UINT64_MAX);
	assert_int_equal(log_errors, 12);
	assert_int_equal(frame_stats().free, free0);

	/* A run with one frame already free is refused whole. */
	p = frame_alloc_contig(8, 1, 0);
	assert_int_not_equal(p, FRAME_NONE);
	frame_free(p + 3 * PG);
	frame_free_contig(p, 8);
	assert_int_equal(log_errors, 13);
	assert_int_equal(frame_stats().free, free0 - 7);
	for (uint64_t i = 0; i < 8; i++)
		if (i != 3)
			frame_free(p + i * PG);
	assert_int_equal(log_errors, 13);
	assert_int_equal(frame_stats().free, free0);

	/* State is intact: everything can still be taken exactly once. */
	assert_int_equal(alloc_all(), TEST_TOTAL - TEST_BK);
}

static void test_bad_maps(void **state)
{
	static const struct boot_mem_range only_reserved[] = {
		{ 0x100000, 0x100000, BOOT_MEM_RESERVED, 0 },
	};
	static const struct boot_mem_range covered[] = {
		{ 0x100000, 0x100000, BOOT_MEM_FREE, 7 },
		{ 0x0ff800, 0x101000, BOOT_MEM_RESERVED, 0 },
	};
	static const struct boot_mem_range wraps[] = {
		{ 0x100000, 0x800, BOOT_MEM_FREE, 7 },                /* less than a page */
		{ 0xffffffffffff0000ull, 0x20000, BOOT_MEM_FREE, 7 }, /* past 2^64 */
		{ 0xfffffffffffff000ull, UINT64_MAX, BOOT_MEM_MMIO, 11 },
	};
	static const struct boot_mem_range halves[] = {
		{ 0x100000, 0x000800, BOOT_MEM_FREE, 7 },  /* two halves of one page */
		{ 0x100800, 0x0ff800, BOOT_MEM_FREE, 3 },
		{ 0x180000, 0x001000, BOOT_MEM_FREE, 4 },  /* nested */
	};
	struct frame_stats st;

	(void)state;
	log_errors = 0;
	assert_int_equal(frame_init(test_map, 0, LOW_LIMIT, fake_phys_to_ptr), -1);
	assert_int_equal(frame_init(NULL, 3, LOW_LIMIT, fake_phys_to_ptr), -1);
	assert_int_equal(frame_init(test_map, TEST_N, LOW_LIMIT, NULL), -1);
	assert_int_equal(frame_init(only_reserved, 1, LOW_LIMIT, fake_phys_to_ptr), -1);
	assert_int_equal(frame_init(covered, 2, LOW_LIMIT, fake_phys_to_ptr), -1);
	assert_int_equal(frame_init(wraps, 3, LOW_LIMIT, fake_phys_to_ptr), -1);
	assert_int_equal(frame_init(test_map, TEST_N, 64 * MIB, fake_phys_to_ptr), -1);
	assert_int_equal(log_errors, 7);
	/* A failed init leaves an empty allocator, not a broken one. */
	st = frame_stats();
	assert_int_equal(st.total, 0);
	assert_int_equal(st.free, 0);
	assert_int_equal(frame_alloc(), FRAME_NONE);
	assert_int_equal(frame_alloc_contig(1, 1, 0), FRAME_NONE);
	frame_free(0x100000);
	assert_int_equal(log_errors, 8);

	/* Free ranges that together cover a page make it usable. */
	assert_int_equal(frame_init(halves, 3, LOW_LIMIT, fake_phys_to_ptr), 0);
	st = frame_stats();
	assert_int_equal(st.total, 256);
	assert_int_equal(st.regions, 1);
	assert_int_equal(st.free, 255);
}

/* The same map in reverse order gives the same allocator. */
static void test_unsorted_map(void **state)
{
	struct boot_mem_range rev[TEST_N];
	struct frame_stats st;

	(void)state;
	for (uint32_t i = 0; i < TEST_N; i++)
		rev[i] = test_map[TEST_N - 1 - i];
	assert_int_equal(frame_init(rev, TEST_N, LOW_LIMIT, fake_phys_to_ptr), 0);
	st = frame_stats();
	assert_int_equal(st.total, TEST_TOTAL);
	assert_int_equal(st.bookkeeping, TEST_BK);
	assert_int_equal(st.regions, TEST_REGIONS);
	assert_int_equal(alloc_all(), TEST_TOTAL - TEST_BK);
	assert_int_equal(log_errors, 0);
}

/* 512 ranges, 16 GiB from 4 GiB: each free range's last page is shared with a reserved one. */
static void test_large_map(void **state)
{
	static struct boot_mem_range big[BOOT_MEM_MAX];
	struct frame_stats st;
	uint64_t pa;

	(void)state;
	for (uint32_t i = 0; i < BOOT_MEM_MAX / 2; i++) {
		uint64_t base = 4 * GIB + (uint64_t)i * 64 * MIB;

		big[2 * i] = (struct boot_mem_range){ base, 64 * MIB - PG + 100, BOOT_MEM_FREE, 7 };
		big[2 * i + 1] = (struct boot_mem_range){ base + 64 * MIB - PG + 100, PG - 100,
							  BOOT_MEM_RESERVED, 0 };
	}
	phys_base = 4 * GIB;
	memset(mem, 0xaa, PHYS_SIZE);
	log_errors = 0;
	assert_int_equal(frame_init(big, BOOT_MEM_MAX, LOW_LIMIT, fake_phys_to_ptr), 0);
	st = frame_stats();
	assert_int_equal(st.regions, 256);
	assert_int_equal(st.total, 256 * 16383ull);
	assert_int_equal(st.bookkeeping, 128);       /* 256 x 256 words */
	assert_int_equal(st.free, 256 * 16383ull - 128);
	for (int i = 0; i < 1000; i++) {
		pa = frame_alloc();
		assert_true(pa >= 4 * GIB + 128 * PG && pa < 4 * GIB + 64 * MIB - PG);
		assert_true(is_filled(pa, PG, 0));
	}
	assert_int_equal(frame_alloc_contig(1, 1, 4 * GIB), FRAME_NONE);
	/* Bitmaps and the 1000 frames fill the first 1128: the first free 2 MiB is at 6 MiB. */
	pa = frame_alloc_contig(512, 512, 4 * GIB + 16 * MIB);
	assert_int_equal(pa, 4 * GIB + 6 * MIB);
	assert_true(is_filled(pa, 2 * MIB, 0));
	frame_free(4 * GIB + 200 * 64 * MIB);        /* managed, never allocated */
	frame_free(4 * GIB + 64 * MIB - PG);         /* the shared page */
	assert_int_equal(log_errors, 2);
	assert_int_equal(frame_stats().free, 256 * 16383ull - 128 - 1000 - 512);
	phys_base = 0;
}

struct worker { int id; int failures; };

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t held[64];

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 64; i++) {
			held[i] = frame_alloc();
			if (held[i] == FRAME_NONE || !is_filled(held[i], PG, 0)) {
				w->failures++;
				held[i] = FRAME_NONE;
				continue;
			}
			memset(mem + held[i], w->id, PG);
		}
		for (int i = 0; i < 64; i++) {
			if (held[i] == FRAME_NONE)
				continue;
			if (!is_filled(held[i], PG, (uint8_t)w->id))
				w->failures++;
			frame_free(held[i]);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	struct worker w[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .id = 0x10 + i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(log_errors, 0);
	assert_int_equal(frame_stats().free, TEST_TOTAL - TEST_BK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stats_exact, setup),
		cmocka_unit_test_setup(test_alloc_all_free_realloc, setup),
		cmocka_unit_test_setup(test_contig, setup),
		cmocka_unit_test_setup(test_contig_fragmented, setup),
		cmocka_unit_test_setup(test_double_and_bad_free, setup),
		cmocka_unit_test_setup(test_threads, setup),
		cmocka_unit_test_setup(test_bad_maps, setup),
		cmocka_unit_test_setup(test_unsorted_map, setup),
		cmocka_unit_test_setup(test_large_map, setup),
	};

	mem = mmap(NULL, PHYS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	seen = calloc(PHYS_SIZE / PG, 1);
	if (mem == MAP_FAILED || !seen) {
		fprintf(stderr, "test_frame: cannot allocate the fake physical memory\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Host tests of the page-table builder (arch/x86_64/pagetable.c) used the
 * way the nested page tables use it: 2 MiB leaves at most, U=1 on every
 * entry, guest RAM mapped W|U.  Table frames come from a pool of host pages
 * with fake physical addresses; the pool knows which frames are in use, so
 * a leak, a double free or a use after free is caught where it happens.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arch/pagetable.h>

#define KIB        1024ull
#define MIB        (1024ull * KIB)
#define GIB        (1024ull * MIB)
#define PG         PT_SIZE_4K
#define LP         PT_SIZE_2M
#define POOL_PA    0x100000ull      /* fake physical address of frame 0 */
#define POOL_MAX   4096             /* enough for every table of a 4 GiB window */
#define TABLE      (PTE_P | PTE_W | PTE_U)
#define RAM        (PTE_W | PTE_U)  /* what vm_arch_map_ram asks for */
#define NONE       ((uint64_t)-1)

struct pool {
	uint8_t *mem;
	bool used[POOL_MAX];
	size_t nframes;
	size_t in_use;
	size_t allocs, frees;
	size_t budget;                  /* allocations still allowed */
};

static struct pool pool;

static uint64_t pool_alloc(void *arg)
{
	struct pool *p = arg;

	if (!p->budget)
		return 0;
	for (size_t i = 0; i < p->nframes; i++) {
		if (p->used[i])
			continue;
		p->used[i] = true;
		p->in_use++;
		p->allocs++;
		p->budget--;
		memset(p->mem + i * PG, 0, PG);
		return POOL_PA + i * PG;
	}
	return 0;
}

static size_t pool_index(uint64_t pa)
{
	assert_true(pa >= POOL_PA && pa < POOL_PA + pool.nframes * PG);
	assert_int_equal(pa & (PG - 1), 0);
	return (pa - POOL_PA) / PG;
}

static void *pool_ptr(uint64_t pa, void *arg)
{
	struct pool *p = arg;
	size_t i = pool_index(pa);

	assert_true(p->used[i]);        /* never a freed frame */
	return p->mem + i * PG;
}

static void pool_free(uint64_t pa, void *arg)
{
	struct pool *p = arg;
	size_t i = pool_index(pa);

	assert_true(p->used[i]);        /* never twice */
	p->used[i] = false;
	p->in_use--;
	p->frees++;
	memset(p->mem + i * PG, 0xdb, PG);
}

static int setup(void **state)
{
	(void)state;
	memset(pool.used, 0, sizeof(pool.used));
	memset(pool.mem, 0xa5, POOL_MAX * PG);
	pool.nframes = POOL_MAX;
	pool.in_use = pool.allocs = pool.frees = 0;
	pool.budget = SIZE_MAX;
	return 0;
}

static struct pt npt_new(void)
{
	struct pt pt = { .alloc = pool_alloc, .ptr = pool_ptr, .arg = &pool,
			 .max_page = PT_SIZE_2M, .table_flags = TABLE };

	assert_int_equal(pt_init(&pt), 0);
	return pt;
}

/* pt_destroy must give back exactly the frames it took, each once. */
static void npt_done(struct pt *pt)
{
	pt_destroy(pt, pool_free);
	assert_int_equal(pt->root, 0);
	assert_int_equal(pool.in_use, 0);
	assert_int_equal(pool.frees, pool.allocs);
}

/* The raw entry for va at `level`; every table above it must be P|W|U only. */
static uint64_t raw_entry(const struct pt *pt, uint64_t va, int level)
{
	uint64_t *t = pool_ptr(pt->root, &pool);

	for (int l = 4; ; l--) {
		uint64_t e = t[(va >> (12 + 9 * (l - 1))) & 511];
		if (l == level)
			return e;
		assert_int_equal(e & ~PTE_ADDR, TABLE);
		t = pool_ptr(e & PTE_ADDR, &pool);
	}
}

static size_t count_tables(uint64_t table, int level)
{
	const uint64_t *t = pool_ptr(table, &pool);
	size_t n = 1;

	for (int i = 0; level > 1 && i < 512; i++)
		if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
			n += count_tables(t[i] & PTE_ADDR, level - 1);
	return n;
}

/* Check one translation: pa (NONE = unmapped), leaf flags without PS, page size. */
static void expect(const struct pt *pt, uint64_t va, uint64_t pa, uint64_t flags, uint64_t size)
{
	uint64_t f = 0, s = 0;
	uint64_t got = pt_lookup(pt, va, &f, &s);

	assert_int_equal(got, pa);
	if (pa == NONE)
		return;
	assert_int_equal(s, size);
	assert_int_equal(f, PTE_P | flags | (size == LP ? PTE_PS : 0));
}

/* ---------------------------------------------------------------- shape */

static void test_init_destroy(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pool.allocs, 1);
	assert_int_equal(pt.max_page, PT_SIZE_2M);
	assert_int_equal(pt.table_flags, TABLE);
	expect(&pt, 0, NONE, 0, 0);
	assert_int_equal(pt_lookup(&pt, 512 * GIB, NULL, NULL), NONE);
	npt_done(&pt);
	assert_int_equal(pool.frees, 1);
}

static void test_large_leaves(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pt_map(&pt, 0, 0x40000000, 8 * MIB, RAM), 0);
	assert_int_equal(pool.allocs, 3);           /* PML4, PDPT, PD */
	for (uint64_t off = 0; off < 8 * MIB; off += 0x1ff8)
		expect(&pt, off, 0x40000000 + off, RAM, LP);
	expect(&pt, 8 * MIB, NONE, 0, 0);
	assert_int_equal(raw_entry(&pt, 2 * MIB, 2), (0x40000000 + 2 * MIB) | TABLE | PTE_PS);
	assert_int_equal(raw_entry(&pt, 8 * MIB, 2), 0);
	/* 1 GiB aligned on both sides: still 2 MiB leaves, NPT's largest. */
	assert_int_equal(pt_map(&pt, GIB, 4 * GIB, GIB, RAM), 0);
	assert_int_equal(pool.allocs, 4);
	assert_int_equal(raw_entry(&pt, GIB, 3) & ~PTE_ADDR, TABLE);
	for (uint64_t off = 0; off < GIB; off += 0x3fff008)
		expect(&pt, GIB + off, 4 * GIB + off, RAM, LP);
	npt_done(&pt);
}

static void test_small_where_misaligned(void **state)
{
	struct pt pt = npt_new();
	uint64_t e;

	(void)state;
	/* 4 KiB head, one 2 MiB leaf, 4 KiB tail. */
	assert_int_equal(pt_map(&pt, 0x1ff000, 0x3ff000, 0x202000, RAM), 0);
	expect(&pt, 0x1ff000, 0x3ff000, RAM, PG);
	expect(&pt, 0x1ffabc, 0x3ffabc, RAM, PG);
	expect(&pt, 0x200000, 0x400000, RAM, LP);
	expect(&pt, 0x3fffff, 0x5fffff, RAM, LP);
	expect(&pt, 0x400000, 0x600000, RAM, PG);
	expect(&pt, 0x401000, NONE, 0, 0);
	expect(&pt, 0x1fe000, NONE, 0, 0);
	e = raw_entry(&pt, 0x400000, 1);
	assert_int_equal(e, 0x600000 | TABLE);      /* no PS on a 4 KiB leaf */
	assert_int_equal(pool.allocs, 5);           /* PML4, PDPT, PD, two PTs */

	/* GPA 2 MiB aligned but HPA not: 4 KiB leaves only. */
	assert_int_equal(pt_map(&pt, 0x800000, 0x1001000, 2 * LP, RAM), 0);
	for (uint64_t off = 0; off < 2 * LP; off += 0x3f000)
		expect(&pt, 0x800000 + off, 0x1001000 + off, RAM, PG);
	/* Both aligned but shorter than 2 MiB. */
	assert_int_equal(pt_map(&pt, 0xc00000, 0xc00000, LP - PG, RAM), 0);
	expect(&pt, 0xc00000, 0xc00000, RAM, PG);
	expect(&pt, 0xdfe000, 0xdfe000, RAM, PG);
	expect(&pt, 0xdff000, NONE, 0, 0);
	npt_done(&pt);
}

static void test_four_levels(void **state)
{
	struct pt pt = npt_new();
	uint64_t high = 512 * GIB + 3 * GIB + 5 * LP;       /* PML4 1, PDPT 3, PD 5 */
	uint64_t mid = GIB + 7 * LP + 9 * PG;               /* PML4 0, PDPT 1, PD 7, PT 9 */

	(void)state;
	assert_int_equal(pt_map(&pt, high, 0x7654200000, LP, RAM), 0);
	assert_int_equal(pool.allocs, 3);
	assert_int_equal(pt_map(&pt, mid, 0x123456000, PG, RAM | PTE_NX), 0);
	assert_int_equal(pool.allocs, 6);
	expect(&pt, high + 0x1234, 0x7654201234, RAM, LP);
	expect(&pt, mid + 0x10, 0x123456010, RAM | PTE_NX, PG);
	/* Same indexes below, other upper levels: nothing there. */
	expect(&pt, high - 512 * GIB, NONE, 0, 0);
	expect(&pt, mid - GIB, NONE, 0, 0);
	expect(&pt, high + 512 * GIB, NONE, 0, 0);
	assert_int_equal(raw_entry(&pt, high, 2), 0x7654200000 | TABLE | PTE_PS);
	assert_int_equal(raw_entry(&pt, mid, 1), 0x123456000 | TABLE | PTE_NX);
	assert_int_equal(raw_entry(&pt, high, 4) & ~PTE_ADDR, TABLE);
	assert_int_equal(raw_entry(&pt, high, 3) & ~PTE_ADDR, TABLE);
	assert_int_equal(count_tables(pt.root, 4), 6);
	npt_done(&pt);
}

static void test_nx_and_flags(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pt_map(&pt, 0, 0xfe00000000, LP, RAM | PTE_NX), 0);
	assert_int_equal(pt_map(&pt, LP, 0xfe00200000, LP, PTE_U), 0);
	expect(&pt, 0x1000, 0xfe00001000, RAM | PTE_NX, LP);
	expect(&pt, LP + 8, 0xfe00200008, PTE_U, LP);
	/* Address bits in the flags never leak into the entry. */
	assert_int_equal(pt_map(&pt, 2 * LP, 0x5000, PG, RAM | 0x000ff00000ff0000ull), 0);
	expect(&pt, 2 * LP, 0x5000, RAM, PG);
	/* A split keeps NX and U/W on every small leaf. */
	assert_int_equal(pt_unmap(&pt, 0x3000, PG), 0);
	expect(&pt, 0x2000, 0xfe00002000, RAM | PTE_NX, PG);
	expect(&pt, 0x1ff000, 0xfe001ff000, RAM | PTE_NX, PG);
	assert_int_equal(raw_entry(&pt, 0x4000, 1), 0xfe00004000 | TABLE | PTE_NX);
	npt_done(&pt);
}

/* ---------------------------------------------------------------- changes */

static void test_split_on_unmap(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pt_map(&pt, 4 * MIB, 0x7400000, LP, RAM | PTE_NX), 0);
	assert_int_equal(pool.allocs, 3);
	assert_int_equal(pt_unmap(&pt, 4 * MIB + 5 * PG, PG), 0);
	assert_int_equal(pool.allocs, 4);           /* the new PT */
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t va = 4 * MIB + i * PG + (i & 0xfff);
		expect(&pt, va, i == 5 ? NONE : 0x7400000 + i * PG + (i & 0xfff), RAM | PTE_NX, PG);
	}
	/* The neighbours of the old leaf are untouched. */
	expect(&pt, 4 * MIB - PG, NONE, 0, 0);
	expect(&pt, 6 * MIB, NONE, 0, 0);
	npt_done(&pt);
}

static void test_unmap_ranges(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pt_map(&pt, 0, 0x80000000, 16 * MIB, RAM), 0);
	/* From the middle of one 2 MiB leaf to the middle of another. */
	assert_int_equal(pt_unmap(&pt, 3 * MIB, 6 * MIB), 0);
	expect(&pt, 3 * MIB - PG, 0x80000000 + 3 * MIB - PG, RAM, PG);
	expect(&pt, 2 * MIB, 0x80200000, RAM, PG);
	for (uint64_t va = 3 * MIB; va < 9 * MIB; va += 0x11000)
		expect(&pt, va, NONE, 0, 0);
	expect(&pt, 9 * MIB - PG, NONE, 0, 0);
	expect(&pt, 9 * MIB, 0x80000000 + 9 * MIB, RAM, PG);
	expect(&pt, 10 * MIB, 0x80000000 + 10 * MIB, RAM, LP);
	expect(&pt, 0, 0x80000000, RAM, LP);
	/* Unmapping holes, or across holes, is fine. */
	assert_int_equal(pt_unmap(&pt, 3 * MIB, 6 * MIB), 0);
	assert_int_equal(pt_unmap(&pt, 600 * GIB, 4 * GIB), 0);
	assert_int_equal(pt_unmap(&pt, 0, 0), 0);
	expect(&pt, 0, 0x80000000, RAM, LP);
	/* Everything, whatever the leaf sizes. */
	assert_int_equal(pt_unmap(&pt, 0, 16 * MIB), 0);
	for (uint64_t va = 0; va < 16 * MIB; va += 0x7000)
		expect(&pt, va, NONE, 0, 0);
	npt_done(&pt);
}

static void test_remap(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	assert_int_equal(pt_map(&pt, 0, 0x10000000, 4 * MIB, RAM), 0);
	assert_int_equal(pt_map(&pt, 0, 0x20000000, 4 * MIB, RAM | PTE_NX), 0);
	expect(&pt, 0x123450, 0x20123450, RAM | PTE_NX, LP);
	/* A small page over a large leaf splits it; the rest keeps its target. */
	assert_int_equal(pt_map(&pt, LP + PG, 0x99000, PG, PTE_U), 0);
	expect(&pt, LP + PG, 0x99000, PTE_U, PG);
	expect(&pt, LP, 0x20200000, RAM | PTE_NX, PG);
	expect(&pt, LP + 2 * PG, 0x20202000, RAM | PTE_NX, PG);
	expect(&pt, 0, 0x20000000, RAM | PTE_NX, LP);
	npt_done(&pt);
}

/*
 * A large leaf over a range that holds a table: the table is no longer
 * reachable, so pt_destroy must still give its frame back.
 */
static void test_remap_large_over_table(void **state)
{
	struct pt pt = npt_new();
	uint64_t s;

	(void)state;
	assert_int_equal(pt_map(&pt, LP, 0x301000, LP, RAM), 0);   /* 512 small leaves */
	assert_int_equal(pool.allocs, 4);
	assert_int_equal(pt_map(&pt, LP, 0x600000, LP, RAM), 0);
	/* Either leaf size is a correct translation; the frames must add up. */
	assert_int_equal(pt_lookup(&pt, LP, NULL, &s), 0x600000);
	assert_true(s == LP || s == PG);
	expect(&pt, LP + 0x1234, 0x601234, RAM, s);
	expect(&pt, 2 * LP - 1, 0x7fffff, RAM, s);
	assert_int_equal(pool.in_use, count_tables(pt.root, 4));
	npt_done(&pt);
}

/* ---------------------------------------------------------------- errors */

static void test_bad_arguments(void **state)
{
	struct pt pt = npt_new();
	static uint8_t before[8 * PG];
	static const uint64_t bad[][3] = {
		{ 0x1, 0, PG }, { 0, 0x800, PG }, { 0, 0, PG + 1 }, { LP + 8, LP, LP },
		{ 0x0000800000000000, 0, PG },          /* not canonical */
		{ 0x00007ffffffff000, 0, 2 * PG },      /* end not canonical */
		{ 0xfffffffffffff000, 0, 2 * PG },      /* end wraps */
	};

	(void)state;
	assert_int_equal(pt_map(&pt, 0, 0x40000000, 2 * LP + PG, RAM), 0);
	size_t used = pool.in_use, allocs = pool.allocs;
	memcpy(before, pool.mem, used * PG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt_map(&pt, bad[i][0], bad[i][1], bad[i][2], RAM), -1);
	assert_int_equal(pt_unmap(&pt, 0x800, PG), -1);
	assert_int_equal(pt_unmap(&pt, PG, 0x10), -1);
	assert_int_equal(pt_unmap(&pt, LP + 1, LP), -1);
	/* An unmap whose end wraps must not reach GPA 0. */
	assert_int_equal(pt_unmap(&pt, 0xfffffffffffff000, 2 * PG), -1);
	assert_int_equal(pool.allocs, allocs);
	assert_memory_equal(before, pool.mem, used * PG);
	assert_int_equal(pt_map(&pt, PG, 0, 0, RAM), 0);           /* empty: nothing to do */
	assert_memory_equal(before, pool.mem, used * PG);
	expect(&pt, 0, 0x40000000, RAM, LP);
	npt_done(&pt);
}

static void test_out_of_frames(void **state)
{
	struct pt pt = { .alloc = pool_alloc, .ptr = pool_ptr, .arg = &pool,
			 .max_page = PT_SIZE_2M, .table_flags = TABLE };

	(void)state;
	pool.budget = 0;
	assert_int_equal(pt_init(&pt), -1);
	assert_int_equal(pt.root, 0);
	pool.budget = 2;                            /* a PML4 and a PDPT, no PD */
	assert_int_equal(pt_init(&pt), 0);
	assert_int_equal(pt_map(&pt, GIB, GIB, LP, RAM), -1);
	expect(&pt, GIB, NONE, 0, 0);
	pool.budget = 1;
	assert_int_equal(pt_map(&pt, GIB, GIB, LP, RAM), 0);
	/* A split needs a frame: without one the large leaf stays whole. */
	pool.budget = 0;
	assert_int_equal(pt_unmap(&pt, GIB + PG, PG), -1);
	expect(&pt, GIB + PG, GIB + PG, RAM, LP);
	assert_int_equal(pt_map(&pt, GIB + PG, 0, PG, RAM), -1);
	expect(&pt, GIB + PG, GIB + PG, RAM, LP);
	npt_done(&pt);
	assert_int_equal(pool.allocs, 3);
}

/* ---------------------------------------------------------------- random */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define WINDOW (4 * GIB)
#define NPAGES (WINDOW / PG)

/* model[page] = pa | P | flags, 0 when unmapped. */
static uint64_t *model;

static void check_va(const struct pt *pt, uint64_t va)
{
	uint64_t m = model[va / PG], f = 0, s = 0;
	uint64_t got = pt_lookup(pt, va, &f, &s);

	if (!m) {
		assert_int_equal(got, NONE);
		return;
	}
	assert_int_equal(got, (m & PTE_ADDR) + (va & (PG - 1)));
	assert_true(s == PG || s == LP);
	assert_int_equal(f, (m & ~PTE_ADDR) | (s == LP ? PTE_PS : 0));
	if (s == LP) {
		/* A large leaf stands for 512 pages the model holds contiguously. */
		uint64_t first = (va & ~(LP - 1)) / PG;
		for (uint64_t i = 0; i < 512; i++)
			assert_int_equal(model[first + i], model[first] + i * PG);
	}
}

static void test_random(void **state)
{
	struct pt pt = npt_new();

	(void)state;
	model = calloc(NPAGES, sizeof(*model));
	assert_non_null(model);
	for (int op = 0; op < 3000; op++) {
		uint64_t r = rnd(), va, pa, size;
		uint64_t flags = RAM | (r & 1 ? PTE_NX : 0);
		bool large = r & 2, unmap = (r >> 4) % 3 == 0;

		if (large) {
			va = rnd() % (WINDOW / LP) * LP;
			size = (1 + rnd() % 4) * LP;
			pa = (r & 8 ? rnd() % (1ull << 15) * LP : rnd() % (1ull << 24) * PG);
		} else {
			va = rnd() % NPAGES * PG;
			size = (1 + rnd() % 1024) * PG;
			pa = rnd() % (1ull << 24) * PG;
		}
		if (size > WINDOW - va)
			size = WINDOW - va;
		if (unmap) {
			assert_int_equal(pt_unmap(&pt, va, size), 0);
			memset(&model[va / PG], 0, size / PG * sizeof(*model));
		} else {
			assert_int_equal(pt_map(&pt, va, pa, size, flags), 0);
			for (uint64_t i = 0; i < size / PG; i++)
				model[va / PG + i] = (pa + i * PG) | PTE_P | flags;
		}
		assert_int_equal(pool.in_use, count_tables(pt.root, 4));
		check_va(&pt, va);
		check_va(&pt, va + size - 1);
		if (va)
			check_va(&pt, va - 1);
		if (va + size < WINDOW)
			check_va(&pt, va + size);
		for (int i = 0; i < 16; i++)
			check_va(&pt, rnd() % WINDOW);
	}
	for (uint64_t va = 0; va < WINDOW; va += PG)
		check_va(&pt, va + (va >> 12) % PG);
	npt_done(&pt);
	free(model);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_destroy, setup),
		cmocka_unit_test_setup(test_large_leaves, setup),
		cmocka_unit_test_setup(test_small_where_misaligned, setup),
		cmocka_unit_test_setup(test_four_levels, setup),
		cmocka_unit_test_setup(test_nx_and_flags, setup),
		cmocka_unit_test_setup(test_split_on_unmap, setup),
		cmocka_unit_test_setup(test_unmap_ranges, setup),
		cmocka_unit_test_setup(test_remap, setup),
		cmocka_unit_test_setup(test_remap_large_over_table, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test_setup(test_out_of_frames, setup),
		cmocka_unit_test_setup(test_random, setup),
	};

	pool.mem = aligned_alloc(PG, POOL_MAX * PG);
	if (!pool.mem)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

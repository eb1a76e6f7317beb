/*
 * Host tests of the guest page-table walker (arch/x86_64/gwalk.c).  Guest
 * memory is a fake: 4 MiB of RAM at 0 and one 4 KiB page just below 4 GiB
 * (where a reset vector lives); everything else is not RAM.  Tables are built
 * by hand with the helpers below, so every bit an entry holds is visible in
 * the test that sets it.  The architectural constants are written out here
 * again on purpose: the tests do not borrow the walker's view of them.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arch/cpu.h>
#include <arch/gwalk.h>

#define KIB       1024ull
#define MIB       (1024 * KIB)
#define GIB       (1024 * MIB)
#define RAM_SIZE  (4 * MIB)
#define TOP_BASE  0xfffff000ull
#define TOP_SIZE  (4 * KIB)
#define TABLES    0x100000ull           /* table frames are handed out from here */
#define NOT_RAM   0x80000000ull

#define P    (1ull << 0)
#define W    (1ull << 1)
#define U    (1ull << 2)
#define A    (1ull << 5)
#define D    (1ull << 6)
#define PS   (1ull << 7)
#define G    (1ull << 8)
#define NX   (1ull << 63)
#define KEY(k) ((uint64_t)(k) << 59)


#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u
#define PF_ID   16u
#define PF_PK   32u
#define ALL     (GWALK_PERM_W | GWALK_PERM_U | GWALK_PERM_X)

static uint8_t ram[RAM_SIZE];
static uint8_t top[TOP_SIZE];
static uint64_t next_frame;
static unsigned reads, cmpxchgs;
/* Another vCPU, as seen by mem_cmpxchg: called before it compares. */
static void (*cmpxchg_hook)(uint64_t gpa);
static int cmpxchg_result;              /* forced result when nonzero */

/* ---------------------------------------------------------------- guest memory */

static uint8_t *mem_ptr(uint64_t gpa, uint64_t size)
{
	if (gpa < RAM_SIZE && size <= RAM_SIZE - gpa)
		return ram + gpa;
	if (gpa >= TOP_BASE && gpa - TOP_BASE < TOP_SIZE && size <= TOP_SIZE - (gpa - TOP_BASE))
		return top + (gpa - TOP_BASE);
	return NULL;
}

static int mem_read(void *arg, uint64_t gpa, uint64_t *val, unsigned size)
{
	uint8_t *p = mem_ptr(gpa, size);

	assert_ptr_equal(arg, ram);
	assert_true(size == 1 || size == 4 || size == 8);
	assert_int_equal(gpa & (size - 1), 0);          /* entries are read as one load */
	reads++;
	if (!p)
		return -1;
	*val = 0;
	memcpy(val, p, size);
	return 0;
}

static int mem_bulk(void *arg, uint64_t gpa, void *buf, size_t len)
{
	uint8_t *p = mem_ptr(gpa, len);

	assert_ptr_equal(arg, ram);
	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static int mem_cmpxchg(void *arg, uint64_t gpa, uint64_t old, uint64_t val, unsigned size)
{
	uint8_t *p = mem_ptr(gpa, size);
	uint64_t cur = 0;

	assert_ptr_equal(arg, ram);
	assert_true(size == 4 || size == 8);
	assert_int_equal(gpa & (size - 1), 0);
	cmpxchgs++;
	if (cmpxchg_result)
		return cmpxchg_result;
	if (cmpxchg_hook)
		cmpxchg_hook(gpa);
	if (!p)
		return -1;
	memcpy(&cur, p, size);
	if (cur != old)
		return 1;
	memcpy(p, &val, size);
	return 0;
}

static uint64_t get(unsigned size, uint64_t gpa)
{
	uint64_t v = 0;

	memcpy(&v, mem_ptr(gpa, size), size);
	return v;
}

static void put(unsigned size, uint64_t gpa, uint64_t v)
{
	memcpy(mem_ptr(gpa, size), &v, size);
}

static uint64_t frame_new(void)
{
	uint64_t f = next_frame;

	next_frame += 4 * KIB;
	assert_true(next_frame <= 2 * MIB);
	return f;
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	memset(top, 0, sizeof(top));
	next_frame = TABLES;
	reads = cmpxchgs = 0;
	cmpxchg_hook = NULL;
	cmpxchg_result = 0;
	return 0;
}

/* ---------------------------------------------------------------- table builders */

/* A paging mode's shape: top level, entry size, index bits, flags of new tables. */
struct fmt {
	int top;
	unsigned esize, ibits;
	uint64_t tflags;
};

static const struct fmt F32 = { 2, 4, 10, P | W | U };
static const struct fmt FPAE = { 3, 8, 9, P | W | U };
static const struct fmt FLM = { 4, 8, 9, P | W | U };

static uint64_t frame_of(const struct fmt *f, uint64_t e)
{
	return f->esize == 4 ? e & 0xfffff000ull : e & 0x000ffffffffff000ull;
}

/*
 * The gpa of the entry translating va at `level` (4 PML4E, 3 PDPTE, 2 PDE,
 * 1 PTE), creating the tables above it.  New PAE PDPTEs get P alone: their
 * R/W and U/S bits are reserved.
 */
static uint64_t slot(const struct fmt *f, uint64_t root, uint64_t va, int level)
{
	uint64_t table = root;

	for (int l = f->top; ; l--) {
		uint64_t idx = (va >> (12 + f->ibits * (l - 1))) & ((1ull << f->ibits) - 1);
		uint64_t egpa = table + idx * f->esize;
		uint64_t e;

		if (l == level)
			return egpa;
		e = get(f->esize, egpa);
		if (!(e & P)) {
			e = frame_new() | (f == &FPAE && l == 3 ? P : f->tflags);
			put(f->esize, egpa, e);
		}
		table = frame_of(f, e);
	}
}

/* Map va to pa with a leaf at `level` (PS above level 1); returns the leaf's gpa. */
static uint64_t map(const struct fmt *f, uint64_t root, uint64_t va, uint64_t pa, int level,
		    uint64_t flags)
{
	uint64_t s = slot(f, root, va, level);

	put(f->esize, s, pa | flags | P | (level > 1 ? PS : 0));
	return s;
}

static void ent_set(const struct fmt *f, uint64_t egpa, uint64_t bits)
{
	put(f->esize, egpa, get(f->esize, egpa) | bits);
}

static void ent_clear(const struct fmt *f, uint64_t egpa, uint64_t bits)
{
	put(f->esize, egpa, get(f->esize, egpa) & ~bits);
}

/* A 32-bit 4 MiB PDE's address field: bits 31:22, and PSE-36 bits 39:32 in 20:13. */
static uint64_t pde4m(uint64_t pa)
{
	return (pa & 0xffc00000ull) | ((pa >> 32) << 13);
}

/* ---------------------------------------------------------------- environments */

static struct gwalk_env env_base(void)
{
	return (struct gwalk_env){
		.maxphyaddr = 48,
		.features = GWALK_F_PSE36 | GWALK_F_1G | GWALK_F_AMD,
		.read_gpa = mem_read,
		.arg = ram,
	};
}

static struct gwalk_env env_off(void)
{
	struct gwalk_env e = env_base();

	e.cr0 = CR0_PE;
	return e;
}

static struct gwalk_env env_32(uint64_t cr3)
{
	struct gwalk_env e = env_base();

	e.cr0 = CR0_PE | CR0_WP | CR0_PG;
	e.cr3 = cr3;
	e.cr4 = CR4_PSE;
	return e;
}

static struct gwalk_env env_pae(uint64_t cr3)
{
	struct gwalk_env e = env_32(cr3);

	e.cr4 = CR4_PAE;
	e.efer = EFER_NXE;
	return e;
}

static struct gwalk_env env_long(uint64_t cr3)
{
	struct gwalk_env e = env_pae(cr3);

	e.efer = EFER_LME | EFER_LMA | EFER_NXE;
	return e;
}

/* ---------------------------------------------------------------- expectations */

static void expect_ok(const struct gwalk_env *e, uint64_t va, unsigned acc,
		      uint64_t gpa, uint64_t size, unsigned perm)
{
	struct gwalk_result res;

	assert_int_equal(gwalk(e, va, acc, &res), 0);
	assert_int_equal(res.gpa, gpa);
	assert_int_equal(res.page_size, size);
	assert_int_equal(res.perm, perm);
	assert_int_equal(res.error_code, 0);
}

static void expect_pf_at(const struct gwalk_env *e, uint64_t va, unsigned acc, uint32_t ec,
			 uint64_t cr2)
{
	struct gwalk_result res;

	assert_int_equal(gwalk(e, va, acc, &res), -GWALK_EPF);
	assert_int_equal(res.error_code, ec);
	assert_int_equal(res.fault_gva, cr2);
	assert_int_equal(res.gpa, 0);
}

static void expect_pf(const struct gwalk_env *e, uint64_t va, unsigned acc, uint32_t ec)
{
	expect_pf_at(e, va, acc, ec, va);
}

static void expect_err(const struct gwalk_env *e, uint64_t va, unsigned acc, int err,
		       uint64_t gpa)
{
	struct gwalk_result res;

	assert_int_equal(gwalk(e, va, acc, &res), -err);
	assert_int_equal(res.gpa, gpa);
	assert_int_equal(res.error_code, 0);
}

/* ---------------------------------------------------------------- paging off */

static void test_paging_off(void **state)
{
	struct gwalk_env e = env_off();
	struct gwalk_result res;
	uint8_t buf[4];

	(void)state;
	expect_ok(&e, 0x12345, 0, 0x12345, 4 * KIB, ALL);
	expect_ok(&e, 0x12345, GWALK_WRITE | GWALK_USER, 0x12345, 4 * KIB, ALL);
	expect_ok(&e, 0x100005678ull, GWALK_FETCH, 0x5678, 4 * KIB, ALL);   /* 32-bit wrap */
	e.cr0 = 0;                                                          /* real mode */
	expect_ok(&e, 0xffff0, GWALK_FETCH, 0xffff0, 4 * KIB, ALL);

	top[TOP_SIZE - 2] = 0xaa;
	top[TOP_SIZE - 1] = 0xbb;
	ram[0] = 0xcc;
	ram[1] = 0xdd;
	assert_int_equal(gwalk_read(&e, 0xfffffffeull, buf, 4, GWALK_FETCH, &res), 0);
	assert_memory_equal(buf, "\xaa\xbb\xcc\xdd", 4);
	assert_int_equal(res.done, 4);
	assert_int_equal(reads, 4);                   /* no read_bulk: one byte at a time */
}

/* ---------------------------------------------------------------- 32-bit paging */

static void test_32bit_4k(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_32(root | 0x18);     /* PWT, PCD: not address bits */
	uint64_t pte = map(&F32, root, 0x00403000, 0x250000, 1, W | U);

	(void)state;
	assert_int_equal(pte, slot(&F32, root, 0x00403000, 1));
	expect_ok(&e, 0x00403123, 0, 0x250123, 4 * KIB, ALL);
	expect_ok(&e, 0x00403fff, GWALK_WRITE, 0x250fff, 4 * KIB, ALL);
	expect_ok(&e, 0x100403123ull, 0, 0x250123, 4 * KIB, ALL);          /* 32-bit wrap */
	/* Non-present PDE, then non-present PTE under a present PDE. */
	expect_pf(&e, 0x00800000, 0, 0);
	expect_pf_at(&e, 0x100800000ull, 0, 0, 0x00800000);
	expect_pf(&e, 0x00404000, GWALK_WRITE | GWALK_USER, PF_W | PF_U);
	/* No NX in 32-bit paging: EFER.NXE changes nothing, and no I/D bit without SMEP. */
	e.efer = EFER_NXE;
	expect_ok(&e, 0x00403000, GWALK_FETCH, 0x250000, 4 * KIB, ALL);
	expect_pf(&e, 0x00404000, GWALK_FETCH, 0);
	e.cr4 |= CR4_SMEP;
	expect_pf(&e, 0x00404000, GWALK_FETCH, PF_ID);
}

static void test_32bit_perm(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_32(root);
	uint64_t pte = map(&F32, root, 0x1000, 0x7000, 1, W | U);
	uint64_t pde = slot(&F32, root, 0x1000, 2);

	(void)state;
	ent_clear(&F32, pde, U);                      /* U/S combines over both levels */
	expect_pf(&e, 0x1000, GWALK_USER, PF_P | PF_U);
	expect_ok(&e, 0x1000, 0, 0x7000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	ent_set(&F32, pde, U);
	ent_clear(&F32, pte, W);
	expect_ok(&e, 0x1000, GWALK_USER, 0x7000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W);
	e.cpl = 3;
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W | PF_U);
	e.cpl = 0;
	e.cr0 &= ~CR0_WP;
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x7000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	e.cr4 |= CR4_SMEP;
	expect_pf(&e, 0x1000, GWALK_FETCH, PF_P | PF_ID);
}

static void test_32bit_4m(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_32(root);
	uint64_t pde = slot(&F32, root, 0x00c00000, 2);

	(void)state;
	put(4, pde, pde4m(0x00800000) | P | W | PS);
	expect_ok(&e, 0x00c12345, 0, 0x00812345, 4 * MIB, GWALK_PERM_W | GWALK_PERM_X);
	expect_pf(&e, 0x00c12345, GWALK_USER, PF_P | PF_U);
	/* Without CR4.PSE the PS bit is ignored: the PDE points to a table at 8 MiB, not RAM. */
	e.cr4 = 0;
	expect_err(&e, 0x00c12345, 0, GWALK_ETABLE, 0x00800000 + 0x12 * 4);
	e.cr4 = CR4_PSE;

	/* PSE-36: physical bits 39:32 in PDE bits 20:13, as wide as MAXPHYADDR allows. */
	put(4, pde, pde4m(0x1200400000ull) | P | W | PS);
	e.maxphyaddr = 40;
	expect_ok(&e, 0x00c00010, 0, 0x1200400010ull, 4 * MIB, GWALK_PERM_W | GWALK_PERM_X);
	e.maxphyaddr = 52;                            /* still 40 bits at most */
	expect_ok(&e, 0x00c00010, 0, 0x1200400010ull, 4 * MIB, GWALK_PERM_W | GWALK_PERM_X);
	e.maxphyaddr = 36;                            /* 0x12 has bit 36 set: PDE bit 17 */
	expect_pf(&e, 0x00c00010, 0, PF_P | PF_RSVD);
	put(4, pde, pde4m(0x500400000ull) | P | W | PS);
	expect_ok(&e, 0x00c00010, 0, 0x500400010ull, 4 * MIB, GWALK_PERM_W | GWALK_PERM_X);
	e.features &= ~GWALK_F_PSE36;                 /* no PSE-36: bits 21:13 all reserved */
	expect_pf(&e, 0x00c00010, GWALK_WRITE, PF_P | PF_W | PF_RSVD);
	put(4, pde, pde4m(0x00400000) | P | W | PS | (1ull << 21));
	e.features |= GWALK_F_PSE36;
	e.maxphyaddr = 40;
	expect_pf(&e, 0x00c00010, 0, PF_P | PF_RSVD);  /* bit 21 always */
	e.cr4 = 0;                                    /* a table pointer has no reserved bits */
	expect_err(&e, 0x00c00010, 0, GWALK_ETABLE, 0x00600000);
}

/* ---------------------------------------------------------------- PAE paging */

static void test_pae(void **state)
{
	uint64_t pdpt = frame_new() + 0xfe0;          /* CR3 bits 31:5: 32-byte aligned */
	struct gwalk_env e = env_pae(pdpt);
	uint64_t pte = map(&FPAE, pdpt, 0xc0201000, 0x345000, 1, W | U);
	uint64_t pdpte = slot(&FPAE, pdpt, 0xc0201000, 3);
	uint64_t pde2m;

	(void)state;
	assert_int_equal(pdpte, pdpt + 3 * 8);
	/* The PDPTE has neither R/W nor U/S: it restricts nothing. */
	assert_int_equal(get(8, pdpte) & (W | U), 0);
	e.cpl = 3;
	expect_ok(&e, 0xc0201123, GWALK_WRITE, 0x345123, 4 * KIB, ALL);
	expect_ok(&e, 0x1c0201123ull, 0, 0x345123, 4 * KIB, ALL);          /* 32-bit wrap */
	e.cpl = 0;

	/* 2 MiB pages need no CR4.PSE; PAT (bit 12) is not an address bit. */
	pde2m = map(&FPAE, pdpt, 0x40400000, 0x00600000, 2, W | (1ull << 12));
	expect_ok(&e, 0x405abcde, GWALK_WRITE, 0x007abcde, 2 * MIB, GWALK_PERM_W | GWALK_PERM_X);
	ent_set(&FPAE, pde2m, 1ull << 13);
	expect_pf(&e, 0x405abcde, 0, PF_P | PF_RSVD);
	ent_clear(&FPAE, pde2m, 1ull << 13);

	/* Non-present PDPTE. */
	expect_pf(&e, 0x80000000, GWALK_WRITE | GWALK_USER, PF_W | PF_U);
	e.cpl = 3;
	expect_pf(&e, 0x80000000, GWALK_FETCH, PF_U | PF_ID);
	e.cpl = 0;

	/* Every reserved bit of a PDPTE, NX included even with EFER.NXE. */
	static const unsigned rsvd[] = { 1, 2, 5, 6, 7, 8, 48, 52, 62, 63 };
	for (size_t i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		ent_set(&FPAE, pdpte, 1ull << rsvd[i]);
		expect_pf(&e, 0xc0201000, 0, PF_P | PF_RSVD);
		expect_pf(&e, 0xc0201000, GWALK_FETCH, PF_P | PF_RSVD | PF_ID);
		ent_clear(&FPAE, pdpte, 1ull << rsvd[i]);
	}
	/* Ignored PDPTE bits. */
	ent_set(&FPAE, pdpte, (1ull << 3) | (1ull << 4) | (7ull << 9));
	expect_ok(&e, 0xc0201000, 0, 0x345000, 4 * KIB, ALL);

	/* Legacy PAE entries reserve bits 62:MAXPHYADDR, where long mode ignores 62:52. */
	ent_set(&FPAE, pte, 1ull << 52);
	expect_pf(&e, 0xc0201000, 0, PF_P | PF_RSVD);
	ent_clear(&FPAE, pte, 1ull << 52);
	ent_set(&FPAE, slot(&FPAE, pdpt, 0xc0201000, 2), 1ull << 62);
	expect_pf(&e, 0xc0201000, 0, PF_P | PF_RSVD);
	ent_clear(&FPAE, slot(&FPAE, pdpt, 0xc0201000, 2), 1ull << 62);

	/* NX: a fetch fault with NXE, a reserved bit without. */
	ent_set(&FPAE, pte, NX);
	expect_ok(&e, 0xc0201000, 0, 0x345000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_U);
	expect_pf(&e, 0xc0201000, GWALK_FETCH, PF_P | PF_ID);
	e.efer = 0;
	expect_pf(&e, 0xc0201000, 0, PF_P | PF_RSVD);
	expect_pf(&e, 0xc0201000, GWALK_FETCH, PF_P | PF_RSVD);      /* no I/D without NXE */
}

/* ---------------------------------------------------------------- 4-level paging */

static void test_long_sizes(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root | 0x123);  /* PCID: not address bits */
	uint64_t l1g;

	(void)state;
	map(&FLM, root, 0x00007f1234567000ull, 0x345000, 1, W | U);
	map(&FLM, root, 0xffff800000200000ull, 0x40000000, 2, W);
	l1g = map(&FLM, root, 0xffffffffc0000000ull, 0x180000000ull, 3, U | NX | (1ull << 12));
	expect_ok(&e, 0x00007f1234567abcull, 0, 0x345abc, 4 * KIB, ALL);
	expect_ok(&e, 0xffff8000003fffffull, GWALK_WRITE, 0x401fffff, 2 * MIB,
		  GWALK_PERM_W | GWALK_PERM_X);
	expect_ok(&e, 0xffffffffdeadbeefull, 0, 0x19eadbeefull, 1 * GIB, GWALK_PERM_U);
	e.features &= ~GWALK_F_1G;                    /* PDPTE.PS reserved without 1 GiB pages */
	expect_pf(&e, 0xffffffffdeadbeefull, 0, PF_P | PF_RSVD);
	e.features |= GWALK_F_1G;
	ent_set(&FLM, l1g, 1ull << 29);
	expect_pf(&e, 0xffffffffdeadbeefull, 0, PF_P | PF_RSVD);
	ent_clear(&FLM, l1g, 1ull << 29);
	ent_set(&FLM, slot(&FLM, root, 0xffff800000200000ull, 2), 1ull << 20);
	expect_pf(&e, 0xffff800000200000ull, 0, PF_P | PF_RSVD);
	expect_pf(&e, 0x00007f1234568000ull, 0, 0);  /* PTE not present */
	expect_pf(&e, 0x0000000000001000ull, GWALK_WRITE, PF_W);    /* PML4E not present */
}

static void test_long_reserved(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);
	uint64_t va = 0x0000123456789000ull;
	uint64_t pte = map(&FLM, root, va, 0x5000, 1, W | U);
	uint64_t pml4e = slot(&FLM, root, va, 4);

	(void)state;
	ent_set(&FLM, pml4e, PS);
	expect_pf(&e, va, 0, PF_P | PF_RSVD);
	ent_clear(&FLM, pml4e, PS);
	ent_set(&FLM, pml4e, G);                      /* reserved on AMD only */
	expect_pf(&e, va, GWALK_WRITE, PF_P | PF_W | PF_RSVD);
	e.features &= ~GWALK_F_AMD;
	expect_ok(&e, va, GWALK_WRITE, 0x5000, 4 * KIB, ALL);
	/* Bits 62:52 are ignored at every level; so are G and PAT in a PTE. */
	for (int l = 4; l >= 1; l--)
		ent_set(&FLM, slot(&FLM, root, va, l), (1ull << 52) | (1ull << 58) | (1ull << 62));
	ent_set(&FLM, pte, G | PS);
	expect_ok(&e, va, GWALK_WRITE, 0x5000, 4 * KIB, ALL);
	/* NX without EFER.NXE is reserved at any level. */
	e.efer &= ~EFER_NXE;
	for (int l = 4; l >= 1; l--) {
		uint64_t s = slot(&FLM, root, va, l);

		ent_set(&FLM, s, NX);
		expect_pf(&e, va, 0, PF_P | PF_RSVD);
		ent_clear(&FLM, s, NX);
	}
	expect_ok(&e, va, GWALK_FETCH, 0x5000, 4 * KIB, ALL);
}

static void test_canonical_and_env(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);
	struct gwalk_result res;

	(void)state;
	map(&FLM, root, 0xffff800000000000ull, 0x9000, 1, W);
	expect_ok(&e, 0xffff800000000042ull, 0, 0x9042, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	reads = 0;
	assert_int_equal(gwalk(&e, 0x0000800000000000ull, 0, &res), -GWALK_EGP);
	assert_int_equal(res.fault_gva, 0x0000800000000000ull);
	assert_int_equal(res.error_code, 0);
	assert_int_equal(gwalk(&e, 0xffff7fffffffffffull, GWALK_FETCH, &res), -GWALK_EGP);
	assert_int_equal(res.fault_gva, 0xffff7fffffffffffull);
	assert_int_equal(reads, 0);
	expect_pf(&e, 0x00007fffffffffffull, 0, 0);

	e.cr4 |= CR4_LA57;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e = env_long(root);
	e.cr4 |= CR4_PKS;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e = env_long(root | (1ull << 48));            /* above MAXPHYADDR */
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e.maxphyaddr = 52;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_ETABLE, (root | (1ull << 48)) + 256 * 8);
	e = env_long(root);
	e.cr4 = 0;                                    /* LMA without PAE */
	expect_err(&e, 0, 0, GWALK_EINVAL, 0);
	e = env_long(root);
	e.cr0 = CR0_PE;                               /* LMA without paging */
	expect_err(&e, 0, 0, GWALK_EINVAL, 0);
	e = env_long(root);
	e.cpl = 4;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e.cpl = 0;
	e.maxphyaddr = 31;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e.maxphyaddr = 53;
	expect_err(&e, 0xffff800000000000ull, 0, GWALK_EINVAL, 0);
	e.maxphyaddr = 48;
	expect_err(&e, 0xffff800000000000ull, GWALK_WRITE | GWALK_FETCH, GWALK_EINVAL, 0);
	/* LA57 and PKS mean nothing outside long mode. */
	e = env_pae(root);
	e.cr4 |= CR4_LA57 | CR4_PKS;
	expect_pf(&e, 0, 0, 0);
}

/* ---------------------------------------------------------------- access rights */

/* Each level alone can take away U, W and X; the error codes are exact. */
static void test_rights_per_level(void **state)
{
	uint64_t root = frame_new();
	uint64_t va = 0x00000badc0de0000ull;
	struct gwalk_env e = env_long(root);

	(void)state;
	map(&FLM, root, va, 0x3000, 1, W | U);
	for (int l = 4; l >= 1; l--) {
		uint64_t s = slot(&FLM, root, va, l);

		e = env_long(root);
		ent_clear(&FLM, s, U);
		expect_pf(&e, va, GWALK_USER, PF_P | PF_U);
		expect_ok(&e, va, 0, 0x3000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
		ent_set(&FLM, s, U);

		ent_clear(&FLM, s, W);
		expect_pf(&e, va, GWALK_WRITE, PF_P | PF_W);
		expect_ok(&e, va, GWALK_USER, 0x3000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
		e.cpl = 3;
		expect_pf(&e, va, GWALK_WRITE, PF_P | PF_W | PF_U);
		e.cr0 &= ~CR0_WP;                     /* WP=0 frees supervisor writes only */
		expect_pf(&e, va, GWALK_WRITE, PF_P | PF_W | PF_U);
		e.cpl = 0;
		expect_ok(&e, va, GWALK_WRITE, 0x3000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
		ent_set(&FLM, s, W);
		e.cr0 |= CR0_WP;

		ent_set(&FLM, s, NX);
		expect_pf(&e, va, GWALK_FETCH, PF_P | PF_ID);
		e.cpl = 3;
		expect_pf(&e, va, GWALK_FETCH, PF_P | PF_U | PF_ID);
		expect_ok(&e, va, GWALK_WRITE, 0x3000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_U);
		e.cpl = 0;
		ent_clear(&FLM, s, NX);

		ent_clear(&FLM, s, P);
		expect_pf(&e, va, 0, 0);
		expect_pf(&e, va, GWALK_FETCH, PF_ID);
		e.cpl = 3;
		expect_pf(&e, va, GWALK_WRITE, PF_W | PF_U);
		e.efer &= ~EFER_NXE;
		expect_pf(&e, va, GWALK_FETCH, PF_U);
		ent_set(&FLM, s, P);
	}
}

static void test_user_and_implicit(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);

	(void)state;
	map(&FLM, root, 0x1000, 0x2000, 1, W);       /* a supervisor page */
	expect_pf(&e, 0x1000, GWALK_USER, PF_P | PF_U);
	expect_pf(&e, 0x1000, GWALK_USER | GWALK_WRITE, PF_P | PF_W | PF_U);
	e.cpl = 3;
	expect_pf(&e, 0x1000, 0, PF_P | PF_U);
	/* Descriptor-table reads are supervisor accesses at any CPL. */
	expect_ok(&e, 0x1000, GWALK_IMPLICIT, 0x2000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	expect_ok(&e, 0x1000, GWALK_IMPLICIT | GWALK_USER, 0x2000, 4 * KIB,
		  GWALK_PERM_W | GWALK_PERM_X);
	expect_pf(&e, 0x5000, GWALK_IMPLICIT | GWALK_WRITE, PF_W);
	e.cpl = 2;
	expect_ok(&e, 0x1000, 0, 0x2000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
}

static void test_smep_smap(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);

	(void)state;
	map(&FLM, root, 0x1000, 0x2000, 1, U);       /* user, read-only */
	map(&FLM, root, 0x3000, 0x4000, 1, W);       /* supervisor */
	expect_ok(&e, 0x1000, GWALK_FETCH, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	e.cr4 |= CR4_SMEP;
	expect_pf(&e, 0x1000, GWALK_FETCH, PF_P | PF_ID);
	expect_ok(&e, 0x1000, 0, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_ok(&e, 0x1000, GWALK_FETCH | GWALK_USER, 0x2000, 4 * KIB,
		  GWALK_PERM_U | GWALK_PERM_X);
	e.efer &= ~EFER_NXE;                          /* SMEP alone reports I/D */
	expect_pf(&e, 0x1000, GWALK_FETCH, PF_P | PF_ID);
	e = env_long(root);

	e.cr4 |= CR4_SMAP;
	expect_pf(&e, 0x1000, 0, PF_P);
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W);
	expect_ok(&e, 0x1000, GWALK_FETCH, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_ok(&e, 0x1000, GWALK_USER, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_ok(&e, 0x3000, GWALK_WRITE, 0x4000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	e.rflags = RFLAGS_AC;                         /* STAC: explicit accesses pass */
	expect_ok(&e, 0x1000, 0, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W);      /* still read-only with WP */
	e.cr0 &= ~CR0_WP;
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x2000, 4 * KIB, GWALK_PERM_U | GWALK_PERM_X);
	expect_pf(&e, 0x1000, GWALK_IMPLICIT, PF_P);          /* implicit: AC does not count */
	e.cpl = 3;
	expect_pf(&e, 0x1000, GWALK_IMPLICIT, PF_P);
	e.rflags = 0;
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W | PF_U);
}

static void test_pkeys(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);
	uint64_t pte = map(&FLM, root, 0x1000, 0x2000, 1, W | U | KEY(5));
	uint64_t pde = slot(&FLM, root, 0x1000, 2);

	(void)state;
	e.cr4 |= CR4_PKE;
	e.pkru = 1u << 10;                            /* AD for key 5 */
	expect_pf(&e, 0x1000, GWALK_USER, PF_P | PF_U | PF_PK);
	expect_pf(&e, 0x1000, 0, PF_P | PF_PK);      /* a user page, whoever reads */
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W | PF_PK);
	expect_ok(&e, 0x1000, GWALK_FETCH | GWALK_USER, 0x2000, 4 * KIB, ALL);
	e.pkru = (1u << 11) | 0xffff0000u;            /* WD for key 5, keys 8..15 closed */
	expect_ok(&e, 0x1000, GWALK_USER, 0x2000, 4 * KIB, ALL);
	expect_pf(&e, 0x1000, GWALK_USER | GWALK_WRITE, PF_P | PF_W | PF_U | PF_PK);
	expect_pf(&e, 0x1000, GWALK_WRITE, PF_P | PF_W | PF_PK);
	e.cr0 &= ~CR0_WP;                             /* WD binds supervisor writes only with WP */
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x2000, 4 * KIB, ALL);
	e.cr0 |= CR0_WP;
	/* A key fault and a rights fault together report both. */
	ent_clear(&FLM, pte, W);
	expect_pf(&e, 0x1000, GWALK_USER | GWALK_WRITE, PF_P | PF_W | PF_U | PF_PK);
	ent_set(&FLM, pte, W);
	/* Only the leaf's key counts. */
	ent_set(&FLM, pde, KEY(9));
	expect_ok(&e, 0x1000, GWALK_USER, 0x2000, 4 * KIB, ALL);
	ent_clear(&FLM, pde, KEY(15));
	ent_clear(&FLM, pte, KEY(15));
	ent_set(&FLM, pte, KEY(9));
	expect_pf(&e, 0x1000, GWALK_USER | GWALK_WRITE, PF_P | PF_W | PF_U | PF_PK);
	/* Supervisor pages have no key check; neither has anything without CR4.PKE. */
	ent_clear(&FLM, pte, U);
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x2000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	ent_set(&FLM, pte, U);
	e.cr4 &= ~CR4_PKE;
	expect_ok(&e, 0x1000, GWALK_USER | GWALK_WRITE, 0x2000, 4 * KIB, ALL);
}

/* ---------------------------------------------------------------- MAXPHYADDR */

static void test_maxphyaddr(void **state)
{
	static const unsigned widths[] = { 36, 40, 48, 52 };

	(void)state;
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
		unsigned m = widths[i];
		uint64_t top_bit = 1ull << (m - 1), over = 1ull << m;
		uint64_t root, pdpt, pte, pde, pdpte, l2m, pd;
		struct gwalk_env e;

		setup(NULL);
		root = frame_new();
		e = env_long(root);
		e.maxphyaddr = m;
		pte = map(&FLM, root, 0x1000, top_bit | 0x5000, 1, W);
		l2m = map(&FLM, root, 0x40000000, top_bit | 0x200000, 2, W);
		pdpte = map(&FLM, root, 0x8000000000ull, top_bit | 0x40000000, 3, W);
		pde = slot(&FLM, root, 0x1000, 2);
		expect_ok(&e, 0x1010, 0, top_bit | 0x5010, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
		expect_ok(&e, 0x40000010, 0, top_bit | 0x200010, 2 * MIB,
			  GWALK_PERM_W | GWALK_PERM_X);
		expect_ok(&e, 0x8000000010ull, 0, top_bit | 0x40000010, 1 * GIB,
			  GWALK_PERM_W | GWALK_PERM_X);
		ent_set(&FLM, pte, over);
		ent_set(&FLM, l2m, over);
		ent_set(&FLM, pdpte, over);
		if (m < 52) {
			expect_pf(&e, 0x1010, 0, PF_P | PF_RSVD);
			expect_pf(&e, 0x40000010, 0, PF_P | PF_RSVD);
			expect_pf(&e, 0x8000000010ull, 0, PF_P | PF_RSVD);
			ent_clear(&FLM, pte, over);
			ent_set(&FLM, pde, over);     /* a table pointer too */
			expect_pf(&e, 0x1010, 0, PF_P | PF_RSVD);
		} else {
			/* Bit 52 is an ignored bit in long mode, not an address bit. */
			expect_ok(&e, 0x1010, 0, top_bit | 0x5010, 4 * KIB,
				  GWALK_PERM_W | GWALK_PERM_X);
			expect_ok(&e, 0x40000010, 0, top_bit | 0x200010, 2 * MIB,
				  GWALK_PERM_W | GWALK_PERM_X);
		}

		/* PAE: the same bits, and 62:52 stay reserved at 52. */
		pdpt = frame_new();
		e = env_pae(pdpt);
		e.maxphyaddr = m;
		pte = map(&FPAE, pdpt, 0x1000, top_bit | 0x5000, 1, W);
		expect_ok(&e, 0x1010, 0, top_bit | 0x5010, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
		ent_set(&FPAE, pte, over);
		expect_pf(&e, 0x1010, 0, PF_P | PF_RSVD);
		ent_clear(&FPAE, pte, over);
		ent_set(&FPAE, slot(&FPAE, pdpt, 0x1000, 3), over);
		expect_pf(&e, 0x1010, 0, PF_P | PF_RSVD);
		ent_clear(&FPAE, slot(&FPAE, pdpt, 0x1000, 3), over);
		/* The highest address bit is an address bit: the PD moves out of RAM. */
		pd = get(8, slot(&FPAE, pdpt, 0x1000, 3)) & 0xfffff000ull;
		ent_set(&FPAE, slot(&FPAE, pdpt, 0x1000, 3), top_bit);
		expect_err(&e, 0x1010, 0, GWALK_ETABLE, top_bit | pd);
	}
}

/* ---------------------------------------------------------------- tables outside RAM */

static void test_tables_not_ram(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(NOT_RAM);
	uint64_t va = 0xffff800000403000ull;          /* PML4 256, PDPT 0, PD 2, PT 3 */

	(void)state;
	expect_err(&e, va, 0, GWALK_ETABLE, NOT_RAM + 256 * 8);
	e = env_long(root);
	map(&FLM, root, va, 0x5000, 1, W);
	put(8, slot(&FLM, root, va, 3), NOT_RAM | P | W);
	expect_err(&e, va, GWALK_WRITE, GWALK_ETABLE, NOT_RAM + 2 * 8);
	put(8, slot(&FLM, root, va, 4), (RAM_SIZE - 4 * KIB) | P | W);      /* a zero page */
	expect_pf(&e, va, 0, 0);

	/* PAE: the PDPT itself, then a PDPTE pointing past RAM. */
	e = env_pae(0x7fffffe0);
	expect_err(&e, 0xc0000000, 0, GWALK_ETABLE, 0x7fffffe0ull + 3 * 8);
	root = frame_new();
	e = env_pae(root);
	put(8, root + 1 * 8, NOT_RAM | P);
	expect_err(&e, 0x40600000, 0, GWALK_ETABLE, NOT_RAM + 3 * 8);

	/* 32-bit: a PDE pointing past RAM. */
	root = frame_new();
	e = env_32(root);
	put(4, root + 1 * 4, 0x00800000 | P | W);
	expect_err(&e, 0x00405000, 0, GWALK_ETABLE, 0x00800000 + 5 * 4);
}

/* ---------------------------------------------------------------- gwalk_read */

static void test_read_cross_page(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);
	struct gwalk_result res;
	uint64_t pte2;
	uint8_t buf[15], want[15];

	(void)state;
	map(&FLM, root, 0x400000, 0x200000, 1, W);
	pte2 = map(&FLM, root, 0x401000, 0x300000, 1, W);
	for (int i = 0; i < 15; i++) {
		want[i] = (uint8_t)(0x40 + i);
		ram[(i < 8 ? 0x200ff8 : 0x300000 - 8) + i] = want[i];
	}
	/* Byte by byte through read_gpa: 8 entries, 15 bytes. */
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 15, GWALK_FETCH, &res), 0);
	assert_memory_equal(buf, want, 15);
	assert_int_equal(res.done, 15);
	assert_int_equal(reads, 8 + 15);
	/* Through read_bulk: the entries only. */
	e.read_bulk = mem_bulk;
	reads = 0;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 15, GWALK_FETCH, &res), 0);
	assert_memory_equal(buf, want, 15);
	assert_int_equal(reads, 8);

	/* Second page not present: CR2 is its first byte, the first 8 bytes are in. */
	ent_clear(&FLM, pte2, P);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 15, GWALK_FETCH, &res), -GWALK_EPF);
	assert_int_equal(res.fault_gva, 0x401000);
	assert_int_equal(res.error_code, PF_ID);
	assert_int_equal(res.done, 8);
	assert_memory_equal(buf, want, 8);
	e.cpl = 3;
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 15, 0, &res), -GWALK_EPF);
	assert_int_equal(res.error_code, PF_P | PF_U);        /* the first page faults first */
	assert_int_equal(res.fault_gva, 0x400ff8);
	assert_int_equal(res.done, 0);
	e.cpl = 0;
	/* Second page NX. */
	ent_set(&FLM, pte2, P | NX);
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 15, GWALK_FETCH, &res), -GWALK_EPF);
	assert_int_equal(res.error_code, PF_P | PF_ID);
	assert_int_equal(res.fault_gva, 0x401000);
	/* Reading a short instruction does not touch the next page. */
	assert_int_equal(gwalk_read(&e, 0x400ff8, buf, 8, GWALK_FETCH, &res), 0);
	assert_int_equal(res.done, 8);
	assert_int_equal(res.gpa, 0x200ff8);
	/* Second page outside RAM. */
	put(8, pte2, NOT_RAM | P | W);
	assert_int_equal(gwalk_read(&e, 0x400ffa, buf, 15, GWALK_FETCH, &res), -GWALK_EDATA);
	assert_int_equal(res.gpa, NOT_RAM);
	assert_int_equal(res.done, 6);
	assert_int_equal(res.error_code, 0);
	e.read_bulk = NULL;
	assert_int_equal(gwalk_read(&e, 0x400ffa, buf, 15, GWALK_FETCH, &res), -GWALK_EDATA);
	assert_int_equal(res.gpa, NOT_RAM);
	assert_int_equal(res.done, 6);
	/* Nothing to read. */
	reads = 0;
	assert_int_equal(gwalk_read(&e, 0x0000800000000000ull, buf, 0, 0, &res), 0);
	assert_int_equal(res.done, 0);
	assert_int_equal(reads, 0);

	/* Crossing into the non-canonical hole. */
	map(&FLM, root, 0x00007ffffffff000ull, 0x200000, 1, W);
	assert_int_equal(gwalk_read(&e, 0x00007ffffffffff8ull, buf, 15, 0, &res), -GWALK_EGP);
	assert_int_equal(res.fault_gva, 0x0000800000000000ull);
	assert_int_equal(res.done, 8);
}

static void test_read_wrap_32bit(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_32(root);
	struct gwalk_result res;
	uint8_t buf[8];

	(void)state;
	e.read_bulk = mem_bulk;
	map(&F32, root, 0xfffff000, 0x200000, 1, W);
	memcpy(ram + 0x200ffc, "\x01\x02\x03\x04", 4);
	memcpy(ram + 0x201000, "\x05\x06\x07\x08", 4);
	assert_int_equal(gwalk_read(&e, 0xfffffffc, buf, 8, 0, &res), -GWALK_EPF);
	assert_int_equal(res.fault_gva, 0);
	assert_int_equal(res.done, 4);
	map(&F32, root, 0, 0x201000, 1, W);
	assert_int_equal(gwalk_read(&e, 0xfffffffc, buf, 8, 0, &res), 0);
	assert_memory_equal(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	/* PAE wraps the same way. */
	root = frame_new();
	e = env_pae(root);
	e.read_bulk = mem_bulk;
	map(&FPAE, root, 0xfffff000, 0x200000, 1, W);
	map(&FPAE, root, 0, 0x201000, 1, W);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gwalk_read(&e, 0xfffffffc, buf, 8, 0, &res), 0);
	assert_memory_equal(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
}

/* ---------------------------------------------------------------- accessed and dirty */

static void test_ad_bits(void **state)
{
	uint64_t root = frame_new(), va = 0x0000001234567000ull;
	struct gwalk_env e = env_long(root);
	uint64_t s[5], pte, l2m, pdpt, pdpte;
	static uint8_t before[RAM_SIZE];
	struct gwalk_result res;

	(void)state;
	pte = map(&FLM, root, va, 0x5000, 1, W | U);
	for (int l = 4; l >= 1; l--)
		s[l] = slot(&FLM, root, va, l);
	/* Without the callback, guest memory never changes. */
	memcpy(before, ram, RAM_SIZE);
	expect_ok(&e, va, GWALK_WRITE, 0x5000, 4 * KIB, ALL);
	assert_memory_equal(before, ram, RAM_SIZE);

	e.cmpxchg_gpa = mem_cmpxchg;
	expect_ok(&e, va, 0, 0x5000, 4 * KIB, ALL);
	for (int l = 4; l >= 1; l--)
		assert_int_equal(get(8, s[l]) & (A | D), A);
	assert_int_equal(cmpxchgs, 4);
	expect_ok(&e, va, 0, 0x5000, 4 * KIB, ALL);
	assert_int_equal(cmpxchgs, 4);                /* nothing left to set */
	expect_ok(&e, va, GWALK_WRITE, 0x5000, 4 * KIB, ALL);
	assert_int_equal(get(8, pte) & (A | D), A | D);
	for (int l = 4; l >= 2; l--)
		assert_int_equal(get(8, s[l]) & (A | D), A);
	assert_int_equal(cmpxchgs, 5);

	/* A fault sets nothing. */
	l2m = map(&FLM, root, 0x40000000, 0x200000, 2, U);
	memcpy(before, ram, RAM_SIZE);
	e.cpl = 3;
	expect_pf(&e, 0x40000000, GWALK_WRITE, PF_P | PF_W | PF_U);
	expect_pf(&e, 0x80000000, 0, PF_U);
	assert_memory_equal(before, ram, RAM_SIZE);
	/* The dirty bit of a large leaf; supervisor write with WP=0 to a read-only page. */
	e.cpl = 0;
	e.cr0 &= ~CR0_WP;
	expect_ok(&e, 0x40000000, GWALK_WRITE, 0x200000, 2 * MIB, GWALK_PERM_U | GWALK_PERM_X);
	assert_int_equal(get(8, l2m) & (A | D), A | D);
	assert_int_equal(get(8, slot(&FLM, root, 0x40000000, 3)) & (A | D), A);

	/* PAE: the PDPTE has no A bit to set. */
	pdpt = frame_new();
	e = env_pae(pdpt);
	e.cmpxchg_gpa = mem_cmpxchg;
	pte = map(&FPAE, pdpt, 0x1000, 0x9000, 1, W);
	pdpte = get(8, slot(&FPAE, pdpt, 0x1000, 3));
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x9000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	assert_int_equal(get(8, slot(&FPAE, pdpt, 0x1000, 3)), pdpte);
	assert_int_equal(get(8, slot(&FPAE, pdpt, 0x1000, 2)) & (A | D), A);
	assert_int_equal(get(8, pte) & (A | D), A | D);

	/* 32-bit: 4-byte entries, the next entry untouched. */
	root = frame_new();
	e = env_32(root);
	e.cmpxchg_gpa = mem_cmpxchg;
	pte = map(&F32, root, 0x1000, 0x9000, 1, W);
	put(4, pte + 4, 0xdeadbeef);
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x9000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	assert_int_equal(get(4, pte), 0x9000 | P | W | A | D);
	assert_int_equal(get(4, pte + 4), 0xdeadbeef);
	assert_int_equal(get(4, slot(&F32, root, 0x1000, 2)) & (A | D), A);

	/* The callback fails: the table is no longer RAM to it. */
	root = frame_new();
	e = env_long(root);
	e.cmpxchg_gpa = mem_cmpxchg;
	map(&FLM, root, 0x1000, 0x9000, 1, W);
	cmpxchg_result = -1;
	assert_int_equal(gwalk(&e, 0x1000, 0, &res), -GWALK_ETABLE);
	assert_int_equal(res.gpa, root);
}

/* Another vCPU remaps the page while the walk sets the accessed bits. */
static uint64_t race_pte;
static unsigned race_left;

static void race_remap(uint64_t gpa)
{
	(void)gpa;
	if (!race_left)
		return;
	race_left--;
	put(8, race_pte, get(8, race_pte) ^ 0x1000);  /* the neighbouring frame */
}

static void test_ad_race(void **state)
{
	uint64_t root = frame_new();
	struct gwalk_env e = env_long(root);
	struct gwalk_result res;

	(void)state;
	e.cmpxchg_gpa = mem_cmpxchg;
	race_pte = map(&FLM, root, 0x1000, 0x8000, 1, W);
	cmpxchg_hook = race_remap;
	race_left = 1;
	/* The PTE's exchange fails once; the walk starts again and sees 0x9000. */
	expect_ok(&e, 0x1000, GWALK_WRITE, 0x9000, 4 * KIB, GWALK_PERM_W | GWALK_PERM_X);
	assert_int_equal(get(8, race_pte), 0x9000 | P | W | A | D);
	/* A guest that never stops: the walker gives up instead of spinning. */
	put(8, race_pte, 0x8000 | P | W);
	race_left = ~0u;
	assert_int_equal(gwalk(&e, 0x1000, GWALK_WRITE, &res), -GWALK_ERETRY);
	assert_int_equal(res.gpa, 0);
	assert_int_equal(get(8, race_pte) & (A | D), 0);
}

/* ---------------------------------------------------------------- random vs. reference */

/*
 * The reference: 4-level paging written straight from the manuals' prose,
 * one bit at a time, sharing no code with the walker.
 */
struct ref {
	int r;
	uint64_t gpa, size, fault_gva, bad;
	unsigned perm;
	uint32_t ec;
	int n;                                        /* entries used: egpa[0] is the PML4E */
	uint64_t egpa[4];
};

static bool ref_reserved(const struct gwalk_env *e, int level, bool ps, unsigned b)
{
	if (b >= e->maxphyaddr && b <= 51)
		return true;
	if (b == 63 && !(e->efer & EFER_NXE))
		return true;
	if (level == 4)
		return b == 7 || (b == 8 && (e->features & GWALK_F_AMD));
	if (level == 3 && ps)
		return (e->features & GWALK_F_1G) ? b >= 13 && b <= 29 : b == 7;
	if (level == 2 && ps)
		return b >= 13 && b <= 20;
	return false;
}

static void ref_walk(const struct gwalk_env *e, uint64_t va, unsigned acc, struct ref *o)
{
	bool user = !(acc & GWALK_IMPLICIT) && ((acc & GWALK_USER) || e->cpl == 3);
	bool write = acc & GWALK_WRITE, fetch = acc & GWALK_FETCH;
	bool smep = e->cr4 & CR4_SMEP, smap = e->cr4 & CR4_SMAP, wp = e->cr0 & CR0_WP;
	uint32_t ec = (write ? PF_W : 0) | (user ? PF_U : 0) |
		(fetch && (smep || (e->efer & EFER_NXE)) ? PF_ID : 0);
	bool u = true, w = true, x = true, ok, pk = false;
	uint64_t table = e->cr3 & 0x000ffffffffff000ull, ent = 0;
	int level;

	memset(o, 0, sizeof(*o));
	if (va >= 0x0000800000000000ull && va < 0xffff800000000000ull) {
		o->r = -GWALK_EGP;
		o->fault_gva = va;
		return;
	}
	for (level = 4; ; level--) {
		uint64_t a = table + 8 * ((va >> (12 + 9 * (level - 1))) & 511);
		bool ps;

		if (!mem_ptr(a, 8)) {
			o->r = -GWALK_ETABLE;
			o->bad = a;
			return;
		}
		ent = get(8, a);
		o->egpa[o->n++] = a;
		ps = ent & PS;
		if (!(ent & P))
			goto pf;
		for (unsigned b = 0; b < 64; b++) {
			if (((ent >> b) & 1) && ref_reserved(e, level, ps, b)) {
				ec |= PF_P | PF_RSVD;
				goto pf;
			}
		}
		u = u && (ent & U);
		w = w && (ent & W);
		x = x && !(ent & NX);
		if (level == 1 || ps)
			break;
		table = ent & 0x000ffffffffff000ull;
	}
	if (fetch)
		ok = x && (user ? u : !(u && smep));
	else if (user)
		ok = u && (w || !write);
	else
		ok = !(u && smap && ((acc & GWALK_IMPLICIT) || !(e->rflags & RFLAGS_AC))) &&
			(w || !write || !wp);
	if ((e->cr4 & CR4_PKE) && u && !fetch) {
		unsigned key = (unsigned)(ent >> 59) & 15;
		bool ad = (e->pkru >> (2 * key)) & 1, wd = (e->pkru >> (2 * key + 1)) & 1;

		pk = ad || (write && wd && (user || wp));
	}
	if (!ok || pk) {
		ec |= PF_P | (pk ? PF_PK : 0);
		goto pf;
	}
	o->size = 1ull << (12 + 9 * (level - 1));
	o->gpa = (ent & 0x000ffffffffff000ull & ~(o->size - 1)) | (va & (o->size - 1));
	o->perm = (w ? GWALK_PERM_W : 0) | (u ? GWALK_PERM_U : 0) | (x ? GWALK_PERM_X : 0);
	return;
pf:
	o->r = -GWALK_EPF;
	o->ec = ec;
	o->fault_gva = va;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NPOOL 24

static uint64_t rnd_entry(void)
{
	uint64_t e;

	switch (rnd() % 16) {
	case 0:
		return rnd() & ~P;                    /* not present: any garbage */
	case 1:
		e = NOT_RAM + rnd() % 8 * 4 * KIB;
		break;
	case 2:                                       /* large pages, aligned or not */
		e = rnd() % 64 * GIB | PS;
		break;
	case 3:
		e = (rnd() % 64 * GIB + rnd() % 512 * 2 * MIB) | PS;
		break;
	case 4:
		e = rnd() % (1u << 20) * 4 * KIB | PS;
		break;
	default:
		e = TABLES + rnd() % NPOOL * 4 * KIB;
		break;
	}
	e |= P | (rnd() & (0x1e | A | D | G | (1ull << 12)));
	if (rnd() % 8)
		e |= W;
	if (rnd() % 8)
		e |= U;
	if (rnd() % 8 == 0)
		e |= NX;
	if (rnd() % 4 == 0)
		e |= KEY(rnd() % 16);
	if (rnd() % 16 == 0)
		e |= 1ull << (rnd() % 64);
	return e;
}

static uint64_t rnd_va(void)
{
	uint64_t va = rnd();

	if (rnd() % 8)
		va = (uint64_t)((int64_t)(va << 16) >> 16);
	return va;
}

static void rnd_env(struct gwalk_env *e)
{
	static const unsigned widths[] = { 36, 40, 48, 52 };
	static const uint64_t cr4_bits[] = { CR4_SMEP, CR4_SMAP, CR4_PKE, CR4_PSE };

	*e = env_long(TABLES + rnd() % NPOOL * 4 * KIB + rnd() % 4096);
	e->cpl = (unsigned)(rnd() % 4);
	if (rnd() % 2)
		e->cr0 &= ~CR0_WP;
	for (size_t i = 0; i < 4; i++)
		if (rnd() % 2)
			e->cr4 |= cr4_bits[i];
	if (rnd() % 4 == 0)
		e->efer &= ~EFER_NXE;
	e->rflags = rnd() % 2 ? RFLAGS_AC : 0;
	e->pkru = (uint32_t)rnd() & (uint32_t)rnd();
	e->maxphyaddr = widths[rnd() % 4];
	e->features = (unsigned)(rnd() % 8);
}

static void test_random_vs_reference(void **state)
{
	unsigned seen[8] = { 0 }, large = 0, ad_checked = 0;

	(void)state;
	for (int iter = 0; iter < 60000; iter++) {
		static const unsigned kinds[] = { 0, GWALK_WRITE, GWALK_FETCH };
		struct gwalk_env e;
		struct gwalk_result res;
		struct ref ref;
		uint64_t va, old[4];
		unsigned acc;
		int r;

		if (iter % 64 == 0)
			for (uint64_t a = TABLES; a < TABLES + NPOOL * 4 * KIB; a += 8)
				put(8, a, rnd_entry());
		rnd_env(&e);
		va = rnd_va();
		acc = kinds[rnd() % 3];
		if (rnd() % 8 == 0)
			acc |= GWALK_USER;
		if (rnd() % 8 == 0)
			acc |= GWALK_IMPLICIT;
		ref_walk(&e, va, acc, &ref);
		for (int i = 0; i < ref.n; i++)
			old[i] = get(8, ref.egpa[i]);
		if (iter % 2)
			e.cmpxchg_gpa = mem_cmpxchg;

		r = gwalk(&e, va, acc, &res);
		assert_int_equal(r, ref.r);
		switch (-r) {
		case 0:
			assert_int_equal(res.gpa, ref.gpa);
			assert_int_equal(res.page_size, ref.size);
			assert_int_equal(res.perm, ref.perm);
			large += ref.size > 4 * KIB;
			break;
		case GWALK_EPF:
			assert_int_equal(res.error_code, ref.ec);
			assert_int_equal(res.fault_gva, ref.fault_gva);
			seen[res.error_code & PF_RSVD ? 1 : res.error_code & PF_P ? 2 : 3]++;
			break;
		case GWALK_EGP:
			assert_int_equal(res.fault_gva, ref.fault_gva);
			break;
		case GWALK_ETABLE:
			assert_int_equal(res.gpa, ref.bad);
			break;
		default:
			fail();
		}
		seen[r == 0 ? 0 : r == -GWALK_EPF ? 4 : r == -GWALK_EGP ? 5 : 6]++;

		/* A/D: each entry used gains A, the leaf of a write D; a fault changes nothing. */
		for (int i = 0; i < ref.n; i++) {
			uint64_t want = old[i];

			if (r == 0 && e.cmpxchg_gpa) {
				for (int j = 0; j < ref.n; j++)
					if (ref.egpa[j] == ref.egpa[i])
						want |= A | (j == ref.n - 1 && (acc & GWALK_WRITE) ? D : 0);
				ad_checked++;
			}
			assert_int_equal(get(8, ref.egpa[i]), want);
		}
	}
	/* The tables must reach every outcome, or the comparison proves little. */
	for (int i = 0; i < 7; i++)
		assert_true(seen[i] > 500);
	assert_true(large > 500);
	assert_true(ad_checked > 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_paging_off, setup),
		cmocka_unit_test_setup(test_32bit_4k, setup),
		cmocka_unit_test_setup(test_32bit_perm, setup),
		cmocka_unit_test_setup(test_32bit_4m, setup),
		cmocka_unit_test_setup(test_pae, setup),
		cmocka_unit_test_setup(test_long_sizes, setup),
		cmocka_unit_test_setup(test_long_reserved, setup),
		cmocka_unit_test_setup(test_canonical_and_env, setup),
		cmocka_unit_test_setup(test_rights_per_level, setup),
		cmocka_unit_test_setup(test_user_and_implicit, setup),
		cmocka_unit_test_setup(test_smep_smap, setup),
		cmocka_unit_test_setup(test_pkeys, setup),
		cmocka_unit_test_setup(test_maxphyaddr, setup),
		cmocka_unit_test_setup(test_tables_not_ram, setup),
		cmocka_unit_test_setup(test_read_cross_page, setup),
		cmocka_unit_test_setup(test_read_wrap_32bit, setup),
		cmocka_unit_test_setup(test_ad_bits, setup),
		cmocka_unit_test_setup(test_ad_race, setup),
		cmocka_unit_test_setup(test_random_vs_reference, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

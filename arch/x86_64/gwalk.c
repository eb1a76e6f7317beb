/*
 * Guest page-table walker.  See arch/gwalk.h.
 *
 * One descent serves every mode: a mode is its top level, its entry size and
 * its index width.  Faults come in hardware's order: a non-present or
 * reserved entry stops the descent where it is met; access rights are
 * judged only on the finished translation, from the rights combined over
 * all levels.
 */
#include <stdbool.h>
#include <stddef.h>

#include <arch/cpu.h>
#include <arch/gwalk.h>
#include <arch/cpu.h>
#include <arch/pagetable.h>


#define GWALK_LEVELS   4
#define GWALK_RETRIES  8                /* a guest rewriting its tables must not hold us forever */
#define GWALK_4K       4096ull
#define GWALK_32_FRAME 0xfffff000ull
#define GWALK_PAE_PDPT 0xffffffe0ull    /* CR3 bits 31:5 under PAE paging */
#define GWALK_PK_SHIFT 59               /* SDM vol.3 4.6.2: protection key in bits 62:59 of a leaf */

enum gwalk_mode { MODE_OFF, MODE_32, MODE_PAE, MODE_LONG };

struct walk {
	const struct gwalk_env *env;
	enum gwalk_mode mode;
	uint64_t va;
	bool write, fetch, user, implicit;
	int top;                        /* level of the root table's entries */
	unsigned esize;                 /* bytes per entry */
	unsigned ibits;                 /* index bits per level */
	uint64_t root;
	uint64_t frame;                 /* bits MAXPHYADDR-1:12 */
	uint64_t high_rsvd;             /* reserved above MAXPHYADDR, and NX without EFER.NXE */
	int leaf;                       /* level the descent ended at */
	uint64_t egpa[GWALK_LEVELS + 1];
	uint64_t ent[GWALK_LEVELS + 1];
};

/* Bits hi..lo, or none when lo > hi. */
static uint64_t gwalk_bits(unsigned hi, unsigned lo)
{
	if (lo > hi)
		return 0;
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

static unsigned gwalk_shift(const struct walk *w, int level)
{
	return 12 + w->ibits * (unsigned)(level - 1);
}

static int gwalk_init(struct walk *w, const struct gwalk_env *env, uint64_t gva,
		      unsigned access, struct gwalk_result *res)
{
	unsigned m = env->maxphyaddr;
	bool lma = env->efer & EFER_LMA;

	*w = (struct walk){ .env = env, .va = gva };
	w->write = access & GWALK_WRITE;
	w->fetch = access & GWALK_FETCH;
	w->implicit = access & GWALK_IMPLICIT;
	w->user = !w->implicit && ((access & GWALK_USER) || env->cpl == 3);
	if (env->cpl > 3 || m < 32 || m > 52 || (w->write && w->fetch))
		return -GWALK_EINVAL;
	if (lma && (!(env->cr0 & CR0_PG) || !(env->cr4 & CR4_PAE)))
		return -GWALK_EINVAL;
	if (lma && (env->cr4 & (CR4_LA57 | CR4_PKS)))
		return -GWALK_EINVAL;

	w->frame = gwalk_bits(m - 1, 12);
	if (!lma)
		w->va = (uint32_t)gva;
	if (!(env->cr0 & CR0_PG)) {
		w->mode = MODE_OFF;
		return 0;
	}
	if (!(env->cr4 & CR4_PAE)) {
		w->mode = MODE_32;
		w->top = 2;
		w->esize = 4;
		w->ibits = 10;
		w->root = env->cr3 & GWALK_32_FRAME;
		return 0;
	}
	w->esize = 8;
	w->ibits = 9;
	w->high_rsvd = (env->efer & EFER_NXE) ? 0 : PTE_NX;
	if (!lma) {
		/* Legacy PAE entries reserve bits 62:52 too; long mode ignores them. */
		w->mode = MODE_PAE;
		w->top = 3;
		w->root = env->cr3 & GWALK_PAE_PDPT;
		w->high_rsvd |= gwalk_bits(62, m);
		return 0;
	}
	/* MOV CR3 refuses these bits with #GP, so no guest can be walking with them. */
	if (env->cr3 & gwalk_bits(63, m))
		return -GWALK_EINVAL;
	/* SDM vol.1 3.3.7.1: bits 63:47 of a linear address must all be equal. */
	if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva) {
		res->fault_gva = gva;
		return -GWALK_EGP;
	}
	w->mode = MODE_LONG;
	w->top = 4;
	w->root = env->cr3 & w->frame;
	w->high_rsvd |= gwalk_bits(51, m);
	return 0;
}

/* Reserved bits of a present entry at `level` (SDM vol.3 tables 4-4 to 4-20). */
static uint64_t gwalk_rsvd(const struct walk *w, int level, uint64_t e)
{
	const struct gwalk_env *env = w->env;
	bool ps = e & PTE_PS;
	unsigned pse;

	switch (w->mode) {
	case MODE_32:
		if (level != 2 || !ps || !(env->cr4 & CR4_PSE))
			return 0;
		/* A 4 MiB PDE holds physical bits 39:32 in 20:13, up to the PSE-36 width. */
		pse = 32;
		if (env->features & GWALK_F_PSE36)
			pse = env->maxphyaddr < 40 ? env->maxphyaddr : 40;
		return gwalk_bits(21, pse - 19);
	case MODE_PAE:
		if (level == 3)         /* a PDPTE has no R/W, U/S, A, D, PS, G or NX */
			return w->high_rsvd | PTE_NX | gwalk_bits(8, 5) | gwalk_bits(2, 1);
		return w->high_rsvd | (level == 2 && ps ? gwalk_bits(20, 13) : 0);
	default:
		if (level == 4)
			return w->high_rsvd | PTE_PS |
				((env->features & GWALK_F_AMD) ? PTE_G : 0);
		if (level == 3 && ps)
			return w->high_rsvd |
				((env->features & GWALK_F_1G) ? gwalk_bits(29, 13) : PTE_PS);
		return w->high_rsvd | (level == 2 && ps ? gwalk_bits(20, 13) : 0);
	}
}

static bool gwalk_is_leaf(const struct walk *w, int level, uint64_t e)
{
	if (level == 1)
		return true;
	if (!(e & PTE_PS))
		return false;
	/* A reserved PS stopped the descent already; 32-bit paging ignores PS without CR4.PSE. */
	return w->mode != MODE_32 || (w->env->cr4 & CR4_PSE);
}

static uint64_t gwalk_frame(const struct walk *w, int level, uint64_t e, uint64_t size)
{
	if (w->mode != MODE_32)
		return e & w->frame & ~(size - 1);
	if (level == 1)
		return e & GWALK_32_FRAME;
	return (e & 0xffc00000ull) | ((e & gwalk_bits(20, 13)) << 19);
}

static uint32_t gwalk_pfec(const struct walk *w, uint32_t bits)
{
	const struct gwalk_env *env = w->env;

	if (w->write)
		bits |= GWALK_PF_W;
	if (w->user)
		bits |= GWALK_PF_U;
	if (w->fetch && ((env->cr4 & CR4_SMEP) ||
			 (w->mode != MODE_32 && (env->efer & EFER_NXE))))
		bits |= GWALK_PF_ID;
	return bits;
}

static int gwalk_fault(const struct walk *w, uint32_t bits, struct gwalk_result *res)
{
	res->error_code = gwalk_pfec(w, bits);
	res->fault_gva = w->va;
	return -GWALK_EPF;
}

/*
 * The access rights of the finished translation (SDM vol.3 4.6, APM vol.2
 * 5.6): 0 if allowed, else the #PF bits beyond the access's own.
 */
static uint32_t gwalk_denied(const struct walk *w, unsigned perm, uint64_t leaf)
{
	const struct gwalk_env *env = w->env;
	bool upage = perm & GWALK_PERM_U;
	bool wp = env->cr0 & CR0_WP;
	/* RFLAGS.AC lets explicit supervisor accesses through SMAP, never implicit ones. */
	bool smap = !w->user && upage && (env->cr4 & CR4_SMAP) &&
		(w->implicit || !(env->rflags & RFLAGS_AC));
	bool bad;
	uint32_t pk = 0;

	if (w->fetch)
		bad = !(perm & GWALK_PERM_X) ||
			(w->user ? !upage : upage && (env->cr4 & CR4_SMEP));
	else if (w->user)
		bad = !upage || (w->write && !(perm & GWALK_PERM_W));
	else
		bad = smap || (w->write && wp && !(perm & GWALK_PERM_W));

	/* Keys guard data accesses to user pages, and only under 4-level paging. */
	if (w->mode == MODE_LONG && (env->cr4 & CR4_PKE) && upage && !w->fetch) {
		unsigned key = (unsigned)(leaf >> GWALK_PK_SHIFT) & 15;
		uint32_t rights = (env->pkru >> (2 * key)) & 3;

		if ((rights & 1) || ((rights & 2) && w->write && (w->user || wp)))
			pk = GWALK_PF_PK;
	}
	if (!bad && !pk)
		return 0;
	return GWALK_PF_P | pk;
}

/* Descend from the root; fills res on success and on every failure. */
static int gwalk_descend(struct walk *w, struct gwalk_result *res)
{
	const struct gwalk_env *env = w->env;
	unsigned perm = GWALK_PERM_W | GWALK_PERM_U | GWALK_PERM_X;
	uint64_t table = w->root, e = 0, size;
	uint32_t denied;
	int level;

	for (level = w->top; level >= 1; level--) {
		uint64_t idx = (w->va >> gwalk_shift(w, level)) & ((1ull << w->ibits) - 1);
		uint64_t egpa = table + idx * w->esize;

		if (env->read_gpa(env->arg, egpa, &e, w->esize)) {
			res->gpa = egpa;
			return -GWALK_ETABLE;
		}
		w->egpa[level] = egpa;
		w->ent[level] = e;
		if (!(e & PTE_P))
			return gwalk_fault(w, 0, res);
		if (e & gwalk_rsvd(w, level, e))
			return gwalk_fault(w, GWALK_PF_P | GWALK_PF_RSVD, res);
		if (w->mode != MODE_PAE || level != 3) {
			if (!(e & PTE_W))
				perm &= ~GWALK_PERM_W;
			if (!(e & PTE_U))
				perm &= ~GWALK_PERM_U;
			if (w->mode != MODE_32 && (e & PTE_NX))
				perm &= ~GWALK_PERM_X;
		}
		if (gwalk_is_leaf(w, level, e))
			break;
		table = w->mode == MODE_32 ? e & GWALK_32_FRAME : e & w->frame;
	}
	w->leaf = level;
	denied = gwalk_denied(w, perm, e);
	if (denied)
		return gwalk_fault(w, denied, res);
	size = 1ull << gwalk_shift(w, level);
	res->gpa = gwalk_frame(w, level, e, size) | (w->va & (size - 1));
	res->page_size = size;
	res->perm = perm;
	return 0;
}

/*
 * Hardware's accessed and dirty updates (SDM vol.3 4.8): A in every entry
 * used, D in the leaf of a write.  Returns 0, 1 if an entry changed since it
 * was read (walk again), or -1 with res->gpa if an entry is not RAM.
 */
static int gwalk_set_ad(const struct walk *w, struct gwalk_result *res)
{
	const struct gwalk_env *env = w->env;
	int level, r;

	if (!env->cmpxchg_gpa)
		return 0;
	for (level = w->top; level >= w->leaf; level--) {
		uint64_t want = w->ent[level] | PTE_A;

		if (w->mode == MODE_PAE && level == 3)
			continue;       /* PDPTE bit 5 is reserved */
		if (level == w->leaf && w->write)
			want |= PTE_D;
		if (want == w->ent[level])
			continue;
		r = env->cmpxchg_gpa(env->arg, w->egpa[level], w->ent[level], want, w->esize);
		if (r < 0)
			res->gpa = w->egpa[level];
		if (r)
			return r < 0 ? -1 : 1;
	}
	return 0;
}

int gwalk(const struct gwalk_env *env, uint64_t gva, unsigned access, struct gwalk_result *res)
{
	struct walk w;
	int r, tries;

	*res = (struct gwalk_result){ 0 };
	r = gwalk_init(&w, env, gva, access, res);
	if (r)
		return r;
	if (w.mode == MODE_OFF) {
		res->gpa = w.va;
		res->page_size = GWALK_4K;
		res->perm = GWALK_PERM_W | GWALK_PERM_U | GWALK_PERM_X;
		return 0;
	}
	for (tries = 0; tries < GWALK_RETRIES; tries++) {
		*res = (struct gwalk_result){ 0 };
		r = gwalk_descend(&w, res);
		if (r)
			return r;
		r = gwalk_set_ad(&w, res);
		if (r < 0)
			return -GWALK_ETABLE;
		if (r == 0)
			return 0;
	}
	*res = (struct gwalk_result){ 0 };
	return -GWALK_ERETRY;
}

static int gwalk_copy(const struct gwalk_env *env, uint64_t gpa, uint8_t *buf, size_t len)
{
	uint64_t v;
	size_t i;

	if (env->read_bulk)
		return env->read_bulk(env->arg, gpa, buf, len);
	for (i = 0; i < len; i++) {
		if (env->read_gpa(env->arg, gpa + i, &v, 1))
			return -1;
		buf[i] = (uint8_t)v;
	}
	return 0;
}

int gwalk_read(const struct gwalk_env *env, uint64_t gva, void *buf, size_t len,
	       unsigned access, struct gwalk_result *res)
{
	uint8_t *out = buf;
	size_t done = 0;
	int r;

	*res = (struct gwalk_result){ 0 };
	while (done < len) {
		uint64_t va = gva + done;
		size_t chunk;

		r = gwalk(env, va, access, res);
		if (r) {
			res->done = done;
			return r;
		}
		chunk = (size_t)(res->page_size - (res->gpa & (res->page_size - 1)));
		if (chunk > len - done)
			chunk = len - done;
		if (gwalk_copy(env, res->gpa, out + done, chunk)) {
			*res = (struct gwalk_result){ .gpa = res->gpa, .done = done };
			return -GWALK_EDATA;
		}
		done += chunk;
	}
	res->done = done;
	return 0;
}

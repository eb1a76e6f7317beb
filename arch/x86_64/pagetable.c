/*
 * 4-level page-table builder.  See arch/pagetable.h.  No libc: this file is
 * also linked into the UEFI loader.
 */
#include <arch/pagetable.h>

#define LEVELS 4
#define ENTRIES 512

static const uint64_t level_size[LEVELS + 1] = {
	0, PT_SIZE_4K, PT_SIZE_2M, PT_SIZE_1G, 512 * PT_SIZE_1G,
};

static unsigned pt_index(uint64_t va, int level)
{
	return (unsigned)(va >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t *pt_table(const struct pt *pt, uint64_t pa)
{
	return (uint64_t *)pt->ptr(pa & PTE_ADDR, pt->arg);
}

static int canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

int pt_init(struct pt *pt)
{
	if (!pt->max_page)
		pt->max_page = PT_SIZE_4K;
	if (!pt->table_flags)
		pt->table_flags = PTE_P | PTE_W;
	pt->root = pt->alloc(pt->arg);
	return pt->root ? 0 : -1;
}

/* Replace a large leaf at *e (covering `level`) by a table of smaller leaves. */
static int pt_split(struct pt *pt, uint64_t *e, int level)
{
	uint64_t frame = pt->alloc(pt->arg);
	if (!frame)
		return -1;
	uint64_t *t = pt_table(pt, frame);
	uint64_t leaf = *e;
	uint64_t base = leaf & PTE_ADDR & ~(level_size[level] - 1);
	uint64_t flags = leaf & ~PTE_ADDR;
	if (level - 1 == 1)
		flags &= ~PTE_PS;   /* 4 KiB leaves have no PS bit (it is PAT there) */
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = (base + i * level_size[level - 1]) | flags;
	*e = frame | pt->table_flags;
	return 0;
}

/* The entry for va at `level`, creating tables above it; NULL if out of frames. */
static uint64_t *pt_walk_create(struct pt *pt, uint64_t va, int level)
{
	uint64_t *t = pt_table(pt, pt->root);
	for (int l = LEVELS; l > level; l--) {
		uint64_t *e = &t[pt_index(va, l)];
		if (!(*e & PTE_P)) {
			uint64_t frame = pt->alloc(pt->arg);
			if (!frame)
				return 0;
			*e = frame | pt->table_flags;
		} else if (*e & PTE_PS) {
			if (pt_split(pt, e, l))
				return 0;
		}
		t = pt_table(pt, *e);
	}
	return &t[pt_index(va, level)];
}

static int pt_leaf_level(const struct pt *pt, uint64_t va, uint64_t pa, uint64_t left)
{
	for (int l = 3; l > 1; l--) {
		uint64_t s = level_size[l];
		if (s <= pt->max_page && !(va & (s - 1)) && !(pa & (s - 1)) && left >= s)
			return l;
	}
	return 1;
}

int pt_map(struct pt *pt, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags)
{
	if ((va | pa | size) & (PT_SIZE_4K - 1))
		return -1;
	if (!canonical(va) || (size && !canonical(va + size - 1)) || va + size < va)
		return -1;
	flags = (flags & ~PTE_ADDR) | PTE_P;
	while (size) {
		int level = pt_leaf_level(pt, va, pa, size);
		uint64_t *e = pt_walk_create(pt, va, level);
		if (!e)
			return -1;
		/* Keep a table that is already here, so pt_destroy still reaches it. */
		while (level > 1 && (*e & PTE_P) && !(*e & PTE_PS)) {
			level--;
			e = &pt_table(pt, *e)[pt_index(va, level)];
		}
		*e = pa | flags | (level > 1 ? PTE_PS : 0);
		va += level_size[level];
		pa += level_size[level];
		size -= level_size[level];
	}
	return 0;
}

int pt_unmap(struct pt *pt, uint64_t va, uint64_t size)
{
	if ((va | size) & (PT_SIZE_4K - 1) || va + size < va)
		return -1;
	while (size) {
		uint64_t *t = pt_table(pt, pt->root);
		int l = LEVELS;
		uint64_t *e;
		for (;;) {
			e = &t[pt_index(va, l)];
			if (!(*e & PTE_P) || l == 1 || (*e & PTE_PS))
				break;
			t = pt_table(pt, *e);
			l--;
		}
		uint64_t span = level_size[l];
		uint64_t off = va & (span - 1);
		if (!(*e & PTE_P)) {
			uint64_t step = span - off;
			if (step >= size)
				return 0;
			va += step;
			size -= step;
			continue;
		}
		if (off || size < span) {
			if (pt_split(pt, e, l))
				return -1;
			continue;   /* walk again into the new table */
		}
		*e = 0;
		va += span;
		size -= span;
	}
	return 0;
}

uint64_t pt_lookup(const struct pt *pt, uint64_t va, uint64_t *flags, uint64_t *page_size)
{
	uint64_t *t = pt_table(pt, pt->root);
	for (int l = LEVELS; l >= 1; l--) {
		uint64_t e = t[pt_index(va, l)];
		if (!(e & PTE_P))
			return (uint64_t)-1;
		if (l == 1 || (e & PTE_PS)) {
			uint64_t s = level_size[l];
			if (flags)
				*flags = e & ~PTE_ADDR;
			if (page_size)
				*page_size = s;
			return (e & PTE_ADDR & ~(s - 1)) + (va & (s - 1));
		}
		t = pt_table(pt, e);
	}
	return (uint64_t)-1;
}

static void pt_free_level(struct pt *pt, uint64_t table, int level,
			  void (*free_frame)(uint64_t pa, void *arg))
{
	uint64_t *t = pt_table(pt, table);

	for (unsigned i = 0; level > 1 && i < ENTRIES; i++)
		if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
			pt_free_level(pt, t[i] & PTE_ADDR, level - 1, free_frame);
	free_frame(table, pt->arg);
}

void pt_destroy(struct pt *pt, void (*free_frame)(uint64_t pa, void *arg))
{
	if (pt->root)
		pt_free_level(pt, pt->root, LEVELS, free_frame);
	pt->root = 0;
}

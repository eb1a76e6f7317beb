/*
 * Physical frame allocator: one bitmap per managed region (bit set = in use).
 *
 * frame_init turns the boot memory map into regions in three steps:
 *   1. free ranges are merged (firmware may report overlaps) and rounded
 *      inward to whole frames, above low_limit;
 *   2. every other range is rounded outward to whole frames and merged;
 *   3. regions = free minus busy, so no frame touching a non-free byte is
 *      ever managed, whatever the ranges' alignment or overlaps.
 * Each step can only split a free span at a busy one, so the regions never
 * outnumber the map's ranges.
 */
#include <inttypes.h>
#include <string.h>

#include "frame.h"
#include "log.h"
#include "spinlock.h"

#define FRAME_SHIFT     12
#define WORD_BITS       64
/* Intel SDM vol.3 4.1.4 / APM vol.2 5.1: physical addresses have at most 52 bits. */
#define FRAME_PFN_LIMIT (1ull << (52 - FRAME_SHIFT))
/* Larger alignments cannot be met by any managed frame but frame 0. */
#define FRAME_ALIGN_MAX FRAME_PFN_LIMIT

struct frame_region {
	uint64_t first;          /* first frame number */
	uint64_t frames;
	uint64_t *bitmap;        /* through phys_to_ptr */
	uint64_t words;
	uint64_t free;
	uint64_t hint;           /* next-fit: the word where the last allocation happened */
};

struct frame_span { uint64_t start, end; };   /* [start, end) */

static struct frame_region frame_regions[FRAME_MAX_REGIONS];
static uint32_t frame_nregions;
static uint32_t frame_cur;                     /* next-fit: region of the last allocation */
static uint64_t frame_total, frame_nfree;
static uint64_t frame_bk_first, frame_bk_frames;
static void *(*frame_to_ptr)(uint64_t pa);
static spinlock_t frame_spin;

/* Scratch for frame_init only: it runs once, before the other CPUs start. */
static struct frame_span frame_free_spans[BOOT_MEM_MAX];
static struct frame_span frame_busy_spans[BOOT_MEM_MAX];

/* Host tests run in user mode, where cli would fault: spin_lock_irqsave is not usable there. */
#ifdef PLINTH_HOST_TEST
static uint64_t frame_irq_save(void) { return 0; }
static void frame_irq_restore(uint64_t flags) { (void)flags; }
#else
static uint64_t frame_irq_save(void) { return irq_save(); }
static void frame_irq_restore(uint64_t flags) { irq_restore(flags); }
#endif

/* Interrupts stay off while held: an interrupt handler that allocates must not spin on us. */
static uint64_t frame_lock(void)
{
	uint64_t flags = frame_irq_save();

	spin_lock(&frame_spin);
	return flags;
}

static void frame_unlock(uint64_t flags)
{
	spin_unlock(&frame_spin);
	frame_irq_restore(flags);
}

/* ------------------------------------------------------------ bitmaps */

/* First index in [from, to) whose bit equals `set`, or `to`. */
static uint64_t bits_find(const uint64_t *bm, uint64_t from, uint64_t to, int set)
{
	while (from < to) {
		uint64_t w = set ? bm[from / WORD_BITS] : ~bm[from / WORD_BITS];

		w &= ~0ull << (from % WORD_BITS);
		if (w) {
			uint64_t i = (from & ~(uint64_t)(WORD_BITS - 1)) + (uint64_t)__builtin_ctzll(w);
			return i < to ? i : to;
		}
		from = (from & ~(uint64_t)(WORD_BITS - 1)) + WORD_BITS;
	}
	return to;
}

static void bits_assign(uint64_t *bm, uint64_t from, uint64_t to, int set)
{
	while (from < to) {
		uint64_t lo = from % WORD_BITS;
		uint64_t n = to - from < WORD_BITS - lo ? to - from : WORD_BITS - lo;
		uint64_t mask = (n == WORD_BITS ? ~0ull : (1ull << n) - 1) << lo;

		if (set)
			bm[from / WORD_BITS] |= mask;
		else
			bm[from / WORD_BITS] &= ~mask;
		from += n;
	}
}

/* ------------------------------------------------------------ building regions */

static void spans_sort(struct frame_span *s, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct frame_span v = s[i];
		uint32_t j = i;

		while (j > 0 && s[j - 1].start > v.start) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = v;
	}
}

/* Last byte of a range; a range running past the top of the address space is clipped. */
static uint64_t range_last(const struct boot_mem_range *r)
{
	return r->base + r->size - 1 < r->base ? UINT64_MAX : r->base + r->size - 1;
}

/*
 * Free ranges, merged in bytes first (two free ranges may share a page and
 * together cover it), then rounded inward to frames.
 */
static uint32_t spans_free(const struct boot_mem_range *map, uint32_t n, uint64_t low_pfn)
{
	uint32_t k = 0, out = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (map[i].type != BOOT_MEM_FREE || map[i].size == 0)
			continue;
		/* Inclusive last byte, so a range ending at 2^64 still fits. */
		frame_free_spans[k++] = (struct frame_span){ map[i].base, range_last(&map[i]) };
	}
	/* Merge on inclusive bounds: touching means next.start <= last + 1. */
	spans_sort(frame_free_spans, k);
	for (uint32_t i = 0; i < k; i++) {
		struct frame_span s = frame_free_spans[i];

		if (out > 0 && (frame_free_spans[out - 1].end == UINT64_MAX ||
				s.start <= frame_free_spans[out - 1].end + 1)) {
			if (s.end > frame_free_spans[out - 1].end)
				frame_free_spans[out - 1].end = s.end;
			continue;
		}
		frame_free_spans[out++] = s;
	}
	k = 0;
	for (uint32_t i = 0; i < out; i++) {
		uint64_t start = frame_free_spans[i].start;
		uint64_t last = frame_free_spans[i].end;
		uint64_t first, end;

		if (start > UINT64_MAX - (FRAME_SIZE - 1))
			continue;
		first = (start + FRAME_SIZE - 1) >> FRAME_SHIFT;
		end = last == UINT64_MAX ? (1ull << (64 - FRAME_SHIFT)) : (last + 1) >> FRAME_SHIFT;
		if (first < low_pfn)
			first = low_pfn;
		if (end > FRAME_PFN_LIMIT)
			end = FRAME_PFN_LIMIT;
		if (first < end)
			frame_free_spans[k++] = (struct frame_span){ first, end };
	}
	return k;
}

/* Every non-free range, rounded outward to whole frames. */
static uint32_t spans_busy(const struct boot_mem_range *map, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (map[i].type == BOOT_MEM_FREE || map[i].size == 0)
			continue;
		frame_busy_spans[k++] = (struct frame_span){
			map[i].base >> FRAME_SHIFT, (range_last(&map[i]) >> FRAME_SHIFT) + 1 };
	}
	spans_sort(frame_busy_spans, k);
	return k;
}

static void region_add(uint64_t first, uint64_t end)
{
	if (frame_nregions == FRAME_MAX_REGIONS) {
		log_warn("frame: more than %u regions, frames 0x%" PRIx64 "-0x%" PRIx64 " unused",
			 FRAME_MAX_REGIONS, first, end);
		return;
	}
	frame_regions[frame_nregions++] = (struct frame_region){ .first = first, .frames = end - first };
}

/*
 * Regions = free spans minus busy spans, both sorted by start.  Busy spans
 * may overlap: one that ends at or before the cursor is simply passed over.
 */
static void regions_build(uint32_t nfree, uint32_t nbusy)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < nfree; i++) {
		uint64_t s = frame_free_spans[i].start, e = frame_free_spans[i].end;

		while (s < e) {
			while (j < nbusy && frame_busy_spans[j].end <= s)
				j++;
			if (j == nbusy || frame_busy_spans[j].start >= e) {
				region_add(s, e);
				break;
			}
			if (frame_busy_spans[j].start > s)
				region_add(s, frame_busy_spans[j].start);
			s = frame_busy_spans[j].end;
		}
	}
}

/* Place all bitmaps at the start of the lowest region that holds them. */
static int regions_place_bitmaps(void)
{
	uint64_t words = 0, off = 0;
	struct frame_region *home = NULL;

	for (uint32_t i = 0; i < frame_nregions; i++) {
		frame_regions[i].words = (frame_regions[i].frames + WORD_BITS - 1) / WORD_BITS;
		words += frame_regions[i].words;
	}
	frame_bk_frames = (words * sizeof(uint64_t) + FRAME_SIZE - 1) / FRAME_SIZE;
	for (uint32_t i = 0; i < frame_nregions && !home; i++)
		if (frame_regions[i].frames > frame_bk_frames)
			home = &frame_regions[i];
	if (!home) {
		log_err("frame: no free region holds the %" PRIu64 " frames of bitmaps", frame_bk_frames);
		return -1;
	}
	frame_bk_first = home->first;
	for (uint32_t i = 0; i < frame_nregions; i++) {
		struct frame_region *r = &frame_regions[i];

		r->bitmap = frame_to_ptr((frame_bk_first << FRAME_SHIFT) + off * sizeof(uint64_t));
		if (!r->bitmap) {
			log_err("frame: bookkeeping at 0x%" PRIx64 " is not addressable",
				frame_bk_first << FRAME_SHIFT);
			return -1;
		}
		off += r->words;
		memset(r->bitmap, 0, r->words * sizeof(uint64_t));
		/* Bits past the region's end read as used, so no scan ever returns them. */
		bits_assign(r->bitmap, r->frames, r->words * WORD_BITS, 1);
		r->free = r->frames;
		frame_total += r->frames;
	}
	bits_assign(home->bitmap, 0, frame_bk_frames, 1);
	home->free -= frame_bk_frames;
	frame_nfree = frame_total - frame_bk_frames;
	return 0;
}

int frame_init(const struct boot_mem_range *map, uint32_t n, uint64_t low_limit,
	       void *(*phys_to_ptr)(uint64_t pa))
{
	uint64_t low_pfn;
	uint32_t nfree, nbusy;

	frame_nregions = 0;
	frame_cur = 0;
	frame_total = frame_nfree = frame_bk_first = frame_bk_frames = 0;
	frame_to_ptr = phys_to_ptr;
	if ((!map && n) || !phys_to_ptr) {
		log_err("frame: init without a memory map or phys_to_ptr");
		return -1;
	}
	if (n > BOOT_MEM_MAX) {
		log_warn("frame: memory map has %u ranges, using the first %u", n, BOOT_MEM_MAX);
		n = BOOT_MEM_MAX;
	}
	low_pfn = low_limit > UINT64_MAX - (FRAME_SIZE - 1) ? FRAME_PFN_LIMIT
		: (low_limit + FRAME_SIZE - 1) >> FRAME_SHIFT;
	nfree = spans_free(map, n, low_pfn);
	nbusy = spans_busy(map, n);
	regions_build(nfree, nbusy);
	if (frame_nregions == 0) {
		log_err("frame: the memory map has no usable free memory above 0x%" PRIx64, low_limit);
		return -1;
	}
	if (regions_place_bitmaps() < 0) {
		frame_nregions = 0;
		frame_total = frame_nfree = 0;
		return -1;
	}
	log_info("frame: %u regions, %" PRIu64 " frames (%" PRIu64 " MiB), bitmaps %" PRIu64
		 " frames at 0x%" PRIx64, frame_nregions, frame_total, frame_total >> (20 - FRAME_SHIFT),
		 frame_bk_frames, frame_bk_first << FRAME_SHIFT);
	return 0;
}

/* ------------------------------------------------------------ allocation */

/* Take one frame of a region known to have a free one; index, or FRAME_NONE. */
static uint64_t region_take_one(struct frame_region *r)
{
	uint64_t w = r->hint;

	for (uint64_t k = 0; k < r->words; k++, w++) {
		if (w == r->words)
			w = 0;
		if (~r->bitmap[w]) {
			uint64_t bit = (uint64_t)__builtin_ctzll(~r->bitmap[w]);

			r->bitmap[w] |= 1ull << bit;
			r->hint = w;
			r->free--;
			frame_nfree--;
			return w * WORD_BITS + bit;
		}
	}
	return FRAME_NONE;
}

static void frames_zero(uint64_t pa, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		memset(frame_to_ptr(pa + i * FRAME_SIZE), 0, FRAME_SIZE);
}

uint64_t frame_alloc(void)
{
	uint64_t pa = FRAME_NONE;
	uint64_t flags = frame_lock();

	for (uint32_t k = 0; k < frame_nregions && frame_nfree; k++) {
		uint32_t ri = (frame_cur + k) % frame_nregions;
		struct frame_region *r = &frame_regions[ri];
		uint64_t idx;

		if (!r->free)
			continue;
		idx = region_take_one(r);
		if (idx == FRAME_NONE)
			continue;
		frame_cur = ri;
		pa = (r->first + idx) << FRAME_SHIFT;
		break;
	}
	frame_unlock(flags);
	/* The frame is ours alone now: zero it outside the lock. */
	if (pa != FRAME_NONE)
		frames_zero(pa, 1);
	return pa;
}

/* First-fit search of one region for an aligned run ending at or below frame `limit`. */
static uint64_t region_take_run(struct frame_region *r, uint64_t count, uint64_t align, uint64_t limit)
{
	uint64_t end = r->first + r->frames < limit ? r->first + r->frames : limit;
	uint64_t f = (r->first + align - 1) & ~(align - 1);

	while (f < end && end - f >= count) {
		uint64_t i = f - r->first;
		uint64_t used = bits_find(r->bitmap, i, i + count, 1);

		if (used == i + count) {
			bits_assign(r->bitmap, i, i + count, 1);
			r->free -= count;
			frame_nfree -= count;
			return f;
		}
		f = (r->first + used + 1 + align - 1) & ~(align - 1);
	}
	return FRAME_NONE;
}

uint64_t frame_alloc_contig(uint64_t count, uint64_t align_frames, uint64_t below)
{
	uint64_t limit = below ? below >> FRAME_SHIFT : UINT64_MAX;
	uint64_t pfn = FRAME_NONE, flags;

	if (align_frames == 0)
		align_frames = 1;
	if (count == 0 || align_frames > FRAME_ALIGN_MAX || (align_frames & (align_frames - 1))) {
		log_err("frame: bad contiguous request: %" PRIu64 " frames aligned to %" PRIu64,
			count, align_frames);
		return FRAME_NONE;
	}
	flags = frame_lock();
	for (uint32_t i = 0; i < frame_nregions && pfn == FRAME_NONE; i++)
		if (frame_regions[i].free >= count && frame_regions[i].first < limit)
			pfn = region_take_run(&frame_regions[i], count, align_frames, limit);
	frame_unlock(flags);
	if (pfn == FRAME_NONE)
		return FRAME_NONE;
	frames_zero(pfn << FRAME_SHIFT, count);
	return pfn << FRAME_SHIFT;
}

/* ------------------------------------------------------------ freeing */

static struct frame_region *region_find(uint64_t pfn)
{
	uint32_t lo = 0, hi = frame_nregions;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct frame_region *r = &frame_regions[mid];

		if (pfn < r->first)
			hi = mid;
		else if (pfn - r->first >= r->frames)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

enum frame_fault { FRAME_OK, FRAME_UNMANAGED, FRAME_BOOKKEEPING, FRAME_NOT_ALLOCATED };

static void frame_release(uint64_t pa, uint64_t count)
{
	static const char *const why[] = {
		[FRAME_UNMANAGED] = "not memory the allocator manages",
		[FRAME_BOOKKEEPING] = "the allocator's own bookkeeping",
		[FRAME_NOT_ALLOCATED] = "not allocated (double free?)",
	};
	enum frame_fault fault = FRAME_OK;
	uint64_t pfn = pa >> FRAME_SHIFT, bad = pa, flags;
	struct frame_region *r;

	if (count == 0 || (pa & (FRAME_SIZE - 1))) {
		log_err("frame: free of 0x%" PRIx64 " (%" PRIu64 " frames): not a page-aligned run",
			pa, count);
		return;
	}
	/* Check the whole run before touching anything, so a bad free changes nothing. */
	flags = frame_lock();
	r = region_find(pfn);
	if (!r || count > r->frames - (pfn - r->first)) {
		fault = FRAME_UNMANAGED;
	} else if (pfn < frame_bk_first + frame_bk_frames && pfn + count > frame_bk_first) {
		fault = FRAME_BOOKKEEPING;
	} else {
		uint64_t i = pfn - r->first;
		uint64_t hole = bits_find(r->bitmap, i, i + count, 0);

		if (hole != i + count) {
			fault = FRAME_NOT_ALLOCATED;
			bad = (r->first + hole) << FRAME_SHIFT;
		} else {
			bits_assign(r->bitmap, i, i + count, 0);
			r->free += count;
			frame_nfree += count;
		}
	}
	frame_unlock(flags);
	/* Log outside the lock: logging may allocate. */
	if (fault != FRAME_OK)
		log_err("frame: free of 0x%" PRIx64 " (%" PRIu64 " frames): 0x%" PRIx64 " is %s",
			pa, count, bad, why[fault]);
}

void frame_free(uint64_t pa)
{
	frame_release(pa, 1);
}

void frame_free_contig(uint64_t pa, uint64_t count)
{
	frame_release(pa, count);
}

struct frame_stats frame_stats(void)
{
	struct frame_stats st;
	uint64_t flags = frame_lock();

	st.total = frame_total;
	st.free = frame_nfree;
	st.bookkeeping = frame_bk_frames;
	st.regions = frame_nregions;
	frame_unlock(flags);
	return st;
}

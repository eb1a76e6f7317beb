/*
 * The console byte ring.  head and tail run freely and wrap at 2^32, so
 * tail - head is the fill level even across the wrap, and RING_SIZE being a
 * power of two makes the index a mask.  Writer and reader may sit on
 * different pCPUs; neither runs from an interrupt handler, so a plain
 * spinlock is enough.
 */
#include <string.h>

#include "ring.h"

_Static_assert((RING_SIZE & (RING_SIZE - 1)) == 0, "RING_SIZE must be a power of two");

void ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
}

size_t ring_put(struct ring *r, const void *src, size_t len)
{
	const uint8_t *s = src;

	if (len == 0)
		return 0;
	spin_lock(&r->lock);
	uint32_t used = r->tail - r->head;
	size_t n = len < RING_SIZE - used ? len : RING_SIZE - used;
	uint32_t at = r->tail & (RING_SIZE - 1);
	size_t first = n < RING_SIZE - at ? n : RING_SIZE - at;

	memcpy(r->buf + at, s, first);
	memcpy(r->buf, s + first, n - first);
	r->tail += (uint32_t)n;
	r->total += n;
	r->dropped += len - n;
	spin_unlock(&r->lock);
	return n;
}

size_t ring_get(struct ring *r, void *dst, size_t len)
{
	uint8_t *d = dst;

	if (len == 0)
		return 0;
	spin_lock(&r->lock);
	uint32_t used = r->tail - r->head;
	size_t n = len < used ? len : used;
	uint32_t at = r->head & (RING_SIZE - 1);
	size_t first = n < RING_SIZE - at ? n : RING_SIZE - at;

	memcpy(d, r->buf + at, first);
	memcpy(d + first, r->buf, n - first);
	r->head += (uint32_t)n;
	spin_unlock(&r->lock);
	return n;
}

size_t ring_used(struct ring *r)
{
	spin_lock(&r->lock);
	size_t used = r->tail - r->head;
	spin_unlock(&r->lock);
	return used;
}

/*
 * Host tests of the console byte ring (core/ring.c): order, wraparound of
 * the buffer and of the free-running 32-bit indices, exact drop counting
 * when full, and long random put/get runs against a reference queue.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"

static struct ring r;

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void test_init_empty(void **state)
{
	uint8_t out[8] = { 0x55 };

	(void)state;
	memset(&r, 0xa5, sizeof(r));
	ring_init(&r);
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.total, 0);
	assert_int_equal(r.lock.locked, 0);
	assert_int_equal(ring_get(&r, out, sizeof(out)), 0);
	assert_int_equal(out[0], 0x55);
}

static void test_zero_lengths(void **state)
{
	(void)state;
	ring_init(&r);
	assert_int_equal(ring_put(&r, NULL, 0), 0);
	assert_int_equal(ring_get(&r, NULL, 0), 0);
	assert_int_equal(ring_put(&r, "abc", 3), 3);
	assert_int_equal(ring_get(&r, NULL, 0), 0);
	assert_int_equal(ring_used(&r), 3);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.total, 3);
}

static void test_fifo_order(void **state)
{
	char out[16] = { 0 };

	(void)state;
	ring_init(&r);
	assert_int_equal(ring_put(&r, "hello ", 6), 6);
	assert_int_equal(ring_put(&r, "world", 5), 5);
	assert_int_equal(ring_used(&r), 11);
	assert_int_equal(ring_get(&r, out, 4), 4);
	assert_memory_equal(out, "hell", 4);
	assert_int_equal(ring_used(&r), 7);
	assert_int_equal(ring_get(&r, out, sizeof(out)), 7);
	assert_memory_equal(out, "o world", 7);
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(r.total, 11);
}

/* The write and the read both split at the end of buf. */
static void test_buffer_wrap(void **state)
{
	static uint8_t in[RING_SIZE], out[RING_SIZE];

	(void)state;
	ring_init(&r);
	fill_pattern(in, sizeof(in), 1);
	assert_int_equal(ring_put(&r, in, RING_SIZE - 10), RING_SIZE - 10);
	assert_int_equal(ring_get(&r, out, RING_SIZE - 10), RING_SIZE - 10);
	assert_memory_equal(out, in, RING_SIZE - 10);

	fill_pattern(in, 30, 99);
	assert_int_equal(ring_put(&r, in, 30), 30);
	assert_int_equal(ring_used(&r), 30);
	/* 10 bytes at the end of buf, 20 at the start. */
	assert_memory_equal(r.buf + RING_SIZE - 10, in, 10);
	assert_memory_equal(r.buf, in + 10, 20);
	memset(out, 0, sizeof(out));
	assert_int_equal(ring_get(&r, out, sizeof(out)), 30);
	assert_memory_equal(out, in, 30);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(r.total, RING_SIZE + 20);
}

/* head and tail run freely: crossing 2^32 changes nothing. */
static void test_index_wrap(void **state)
{
	static uint8_t in[RING_SIZE], out[RING_SIZE];

	(void)state;
	ring_init(&r);
	r.head = r.tail = UINT32_MAX - 100;
	fill_pattern(in, sizeof(in), 7);
	assert_int_equal(ring_put(&r, in, 300), 300);
	assert_int_equal(r.tail, 199u);
	/* tail has wrapped and head has not: still 300 used, not 0. */
	assert_int_equal(ring_used(&r), 300);
	assert_int_equal(ring_put(&r, in, RING_SIZE), RING_SIZE - 300);
	assert_int_equal(r.dropped, 300);
	assert_int_equal(ring_get(&r, out, 250), 250);
	assert_memory_equal(out, in, 250);
	assert_int_equal(ring_used(&r), RING_SIZE - 250);
	assert_int_equal(ring_get(&r, out, 50), 50);
	assert_memory_equal(out, in + 250, 50);
	assert_int_equal(ring_get(&r, out, RING_SIZE), RING_SIZE - 300);
	assert_memory_equal(out, in, RING_SIZE - 300);
	assert_int_equal(ring_used(&r), 0);
	assert_int_equal(r.total, RING_SIZE);
}

static void test_full_drops_exactly(void **state)
{
	static uint8_t in[RING_SIZE + 100], out[RING_SIZE];

	(void)state;
	ring_init(&r);
	fill_pattern(in, sizeof(in), 3);
	assert_int_equal(ring_put(&r, in, sizeof(in)), RING_SIZE);
	assert_int_equal(ring_used(&r), RING_SIZE);
	assert_int_equal(r.dropped, 100);
	assert_int_equal(r.total, RING_SIZE);

	assert_int_equal(ring_put(&r, "xyzzy", 5), 0);
	assert_int_equal(r.dropped, 105);
	assert_int_equal(r.total, RING_SIZE);

	/* One byte of room: one byte kept, the rest counted. */
	assert_int_equal(ring_get(&r, out, 1), 1);
	assert_int_equal(out[0], in[0]);
	assert_int_equal(ring_put(&r, "abc", 3), 1);
	assert_int_equal(r.dropped, 107);
	assert_int_equal(r.total, RING_SIZE + 1);

	/* What was kept is the oldest output, then the one byte that fit. */
	assert_int_equal(ring_get(&r, out, sizeof(out)), RING_SIZE);
	assert_memory_equal(out, in + 1, RING_SIZE - 1);
	assert_int_equal(out[RING_SIZE - 1], 'a');
	assert_int_equal(ring_used(&r), 0);
}

/* ---------------------------------------------------------------- random model */

static uint64_t rng_state;

static uint32_t rng_next(void)
{
	/* xorshift64: a fixed seed gives the same run everywhere. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

struct model {
	uint8_t q[RING_SIZE];
	size_t used;
	uint64_t dropped, total;
};

static size_t model_put(struct model *m, const uint8_t *src, size_t len)
{
	size_t n = 0;

	while (n < len && m->used < RING_SIZE)
		m->q[m->used++] = src[n++];
	m->dropped += len - n;
	m->total += n;
	return n;
}

static size_t model_get(struct model *m, uint8_t *dst, size_t len)
{
	size_t n = len < m->used ? len : m->used;

	memcpy(dst, m->q, n);
	memmove(m->q, m->q + n, m->used - n);
	m->used -= n;
	return n;
}

/* Lengths favour small writes with the odd burst past the ring's size. */
static size_t rng_len(void)
{
	switch (rng_next() % 4) {
	case 0:
		return rng_next() % 4;
	case 1:
		return rng_next() % 64;
	case 2:
		return rng_next() % 1024;
	default:
		return rng_next() % (RING_SIZE + 200);
	}
}

static void run_random(uint64_t seed, uint32_t start_index)
{
	static struct model m;
	static uint8_t in[RING_SIZE + 200], got[RING_SIZE + 200], want[RING_SIZE + 200];

	rng_state = seed;
	memset(&m, 0, sizeof(m));
	ring_init(&r);
	r.head = r.tail = start_index;
	for (int op = 0; op < 20000; op++) {
		size_t len = rng_len();

		if (rng_next() % 2) {
			fill_pattern(in, len, rng_next());
			assert_int_equal(ring_put(&r, in, len), model_put(&m, in, len));
		} else {
			size_t n = ring_get(&r, got, len);

			assert_int_equal(n, model_get(&m, want, len));
			assert_memory_equal(got, want, n);
		}
		assert_int_equal(ring_used(&r), m.used);
		assert_int_equal(r.dropped, m.dropped);
		assert_int_equal(r.total, m.total);
	}
	assert_true(m.dropped > 0);
	assert_true(m.total > 4 * RING_SIZE);
}

static void test_random_vs_model(void **state)
{
	(void)state;
	run_random(0x9e3779b97f4a7c15ull, 0);
	run_random(12345, UINT32_MAX - 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_zero_lengths),
		cmocka_unit_test(test_fifo_order),
		cmocka_unit_test(test_buffer_wrap),
		cmocka_unit_test(test_index_wrap),
		cmocka_unit_test(test_full_drops_exactly),
		cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

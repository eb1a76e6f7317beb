/*
 * strio: string port I/O (INS/OUTS, REP or not, both directions of DF, all
 * element sizes, an FS override) against the VM's 16550 at 0x3f8 and an
 * unclaimed port.  Text sent with OUTS appears on the console as it is;
 * every register and every byte is checked, and the guest prints
 * "strio: ok" or "strio: FAIL <what>" and shuts down with 0 or 1.
 */
#include "pl.h"

#define COM1        0x3f8
#define COM1_LSR    (COM1 + 5)  /* transmit-only 16550: always 0x60 (idle) */
#define UNCLAIMED   0x510       /* reads all ones */
#define MSR_FS_BASE 0xc0000100u
#define SENTINEL    0x5a

static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));
static unsigned failures;

#define CHECK(cond, ...) do {                                   \
	if (!(cond)) {                                          \
		pl_printf("strio: FAIL " __VA_ARGS__);          \
		pl_printf("\n");                                \
		failures++;                                     \
	}                                                       \
} while (0)

static void fill(uint8_t v)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = v;
}

/* Every byte of buf outside [from, to) still holds the sentinel, and inside it is v. */
static void expect_range(unsigned from, unsigned to, uint8_t v, const char *what)
{
	for (unsigned i = 0; i < sizeof(buf); i++) {
		uint8_t want = i >= from && i < to ? v : SENTINEL;

		if (buf[i] != want) {
			CHECK(0, "%s: byte %u is 0x%x, expected 0x%x", what, i, buf[i], want);
			return;
		}
	}
}

static void test_outsb(void)
{
	static const char msg[] = "strio: rep outsb to the UART\n";
	const char *p = msg;
	uint64_t n = sizeof(msg) - 1;

	__asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(COM1) : "memory");
	CHECK(p == msg + sizeof(msg) - 1 && n == 0, "rep outsb: rsi %p rcx %llu", p,
	      (unsigned long long)n);
}

static void test_outsb_backwards(void)
{
	static const char msg[] = "\nsdrawkcab bstuo per :oirts";
	const char *p = msg + sizeof(msg) - 2;           /* the last character */
	uint64_t n = sizeof(msg) - 1;

	__asm__ volatile("std; rep outsb; cld" : "+S"(p), "+c"(n) : "d"(COM1) : "memory");
	CHECK((uint64_t)p == (uint64_t)msg - 1 && n == 0, "std rep outsb: rsi %p rcx %llu", p, (unsigned long long)n);
}

static void test_single_outsb(void)
{
	static const char msg[] = "strio: single outsb\n";
	const char *p = msg;

	for (unsigned i = 0; i < sizeof(msg) - 1; i++)
		__asm__ volatile("outsb" : "+S"(p) : "d"(COM1) : "memory");
	CHECK(p == msg + sizeof(msg) - 1, "outsb: rsi %p", p);
}

/* FS-relative OUTS: RSI is an offset from FS's base. */
static void test_outsb_fs(void)
{
	static const char msg[] = "strio: rep outsb through fs\n";
	uint64_t base = (uint64_t)msg - 0x1000, off = 0x1000, n = sizeof(msg) - 1;

	if (wrmsr_safe(MSR_FS_BASE, base)) {
		CHECK(0, "wrmsr FS_BASE");
		return;
	}
	__asm__ volatile("rep outsb %%fs:(%%rsi), %%dx" : "+S"(off), "+c"(n) : "d"(COM1) : "memory");
	wrmsr_safe(MSR_FS_BASE, 0);
	CHECK(off == 0x1000 + sizeof(msg) - 1 && n == 0, "fs rep outsb: rsi 0x%llx rcx %llu",
	      (unsigned long long)off, (unsigned long long)n);
}

/* 5000 bytes: more than one batch per exit, across two page boundaries. */
static void test_insb_long(void)
{
	uint8_t *p = buf + 100;
	uint64_t n = 5000;

	fill(SENTINEL);
	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(COM1_LSR) : "memory");
	CHECK(p == buf + 5100 && n == 0, "rep insb: rdi %p rcx %llu", p, (unsigned long long)n);
	expect_range(100, 5100, 0x60, "rep insb");
}

/* Word and dword elements that straddle a page boundary, from all-ones. */
static void test_insw_insl_straddle(void)
{
	uint8_t *p = buf + 4095;
	uint64_t n = 3;

	fill(SENTINEL);
	__asm__ volatile("rep insw" : "+D"(p), "+c"(n) : "d"(UNCLAIMED) : "memory");
	CHECK(p == buf + 4101 && n == 0, "rep insw: rdi %p rcx %llu", p, (unsigned long long)n);
	expect_range(4095, 4101, 0xff, "rep insw");

	fill(SENTINEL);
	p = buf + 8190;
	n = 2;
	__asm__ volatile("rep insl" : "+D"(p), "+c"(n) : "d"(UNCLAIMED) : "memory");
	CHECK(p == buf + 8198 && n == 0, "rep insl: rdi %p rcx %llu", p, (unsigned long long)n);
	expect_range(8190, 8198, 0xff, "rep insl");
}

/* Backwards INS, and REP with RCX = 0, which does nothing at all. */
static void test_insb_backwards_and_zero(void)
{
	uint8_t *p = buf + 4100;
	uint64_t n = 10;

	fill(SENTINEL);
	__asm__ volatile("std; rep insb; cld" : "+D"(p), "+c"(n) : "d"(COM1_LSR) : "memory");
	CHECK(p == buf + 4090 && n == 0, "std rep insb: rdi %p rcx %llu", p, (unsigned long long)n);
	expect_range(4091, 4101, 0x60, "std rep insb");

	fill(SENTINEL);
	p = buf;
	n = 0;
	__asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(COM1_LSR) : "memory");
	CHECK(p == buf && n == 0, "rep insb rcx=0: rdi %p", p);
	expect_range(0, 0, 0, "rep insb rcx=0");

	const uint32_t *q = (const uint32_t *)buf;
	n = 0;
	__asm__ volatile("rep outsl" : "+S"(q), "+c"(n) : "d"(UNCLAIMED) : "memory");
	CHECK(q == (const uint32_t *)buf, "rep outsl rcx=0: rsi %p", q);
}

/* 32-bit address size in 64-bit mode: ECX and EDI, and their upper halves cleared. */
static void test_addr32(void)
{
	uint64_t p = (uint64_t)(buf + 16) | (0xabcdull << 32), n = 4 | (0x1234ull << 32);

	if ((uint64_t)buf >> 32) {
		CHECK(0, "buf above 4 GiB");
		return;
	}
	fill(SENTINEL);
	__asm__ volatile("addr32 rep insb" : "+D"(p), "+c"(n) : "d"(COM1_LSR) : "memory");
	CHECK(p == (uint64_t)(buf + 20) && n == 0, "addr32 rep insb: rdi 0x%llx rcx 0x%llx",
	      (unsigned long long)p, (unsigned long long)n);
	expect_range(16, 20, 0x60, "addr32 rep insb");
}

int main(const struct pl_start_info *si, unsigned vcpu)
{
	(void)si;
	if (vcpu != 0)
		pl_halt_forever();
	test_outsb();
	test_outsb_backwards();
	test_single_outsb();
	test_outsb_fs();
	test_insb_long();
	test_insw_insl_straddle();
	test_insb_backwards_and_zero();
	test_addr32();
	pl_printf(failures ? "strio: %u failures\n" : "strio: ok\n", failures);
	return failures ? 1 : 0;
}

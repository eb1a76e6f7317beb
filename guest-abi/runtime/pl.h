/*
 * The plinth guest runtime: what a small ELF64 test guest links against.
 *
 * start.S enters at _start on every vCPU, zeroes BSS and builds the IDT once
 * (vCPU 0; the others wait), then calls main(si, vcpu) and shuts the VM down
 * with main's return value.  Everything here is safe to use from several
 * vCPUs at once; pl_printf emits one console call per call, so lines from
 * different vCPUs never interleave.
 */
#ifndef PLINTH_GUEST_PL_H
#define PLINTH_GUEST_PL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "plinth_abi.h"

/* The guest's own entry, called on every vCPU. */
int main(const struct pl_start_info *si, unsigned vcpu);

/* ---------------------------------------------------------------- hypercalls */

static inline long pl_hc5(uint64_t nr, uint64_t a, uint64_t b, uint64_t c,
			  uint64_t d, uint64_t e)
{
	register uint64_t r10 __asm__("r10") = d;
	register uint64_t r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile("vmmcall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "memory");
	return ret;
}

static inline long pl_hc4(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	register uint64_t r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("vmmcall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "memory");
	return ret;
}

static inline long pl_hc3(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	long ret;

	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "memory");
	return ret;
}

static inline long pl_hc2(uint64_t nr, uint64_t a, uint64_t b)
{
	long ret;

	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "memory");
	return ret;
}

static inline long pl_hc1(uint64_t nr, uint64_t a)
{
	long ret;

	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr), "D"(a) : "memory");
	return ret;
}

static inline long pl_hc0(uint64_t nr)
{
	long ret;

	__asm__ volatile("vmmcall" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

static inline long pl_version(void)
{
	return pl_hc0(PL_HC_VERSION);
}

static inline long pl_features(void)
{
	return pl_hc0(PL_HC_FEATURES);
}

static inline long pl_console_write(const void *buf, uint64_t len)
{
	return pl_hc2(PL_HC_CONSOLE_WRITE, (uint64_t)(uintptr_t)buf, len);
}

static inline long pl_console_read(void *buf, uint64_t len)
{
	return pl_hc2(PL_HC_CONSOLE_READ, (uint64_t)(uintptr_t)buf, len);
}

static inline long pl_time_hz(void)
{
	return pl_hc0(PL_HC_TIME);
}

static inline long pl_yield(void)
{
	return pl_hc0(PL_HC_YIELD);
}

static inline long pl_mem_fill(uint64_t gpa, uint64_t len, uint64_t pattern)
{
	return pl_hc3(PL_HC_MEM_FILL, gpa, len, pattern);
}

/* ---------------------------------------------------------------- the CPU */

static inline void pl_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
			 : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint8_t v, uint16_t port)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t v, uint16_t port)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint32_t v, uint16_t port)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void pl_pause(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline uint64_t pl_read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t pl_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* MSR access that survives #GP: 0, or -1 if the instruction faulted. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);

/* ---------------------------------------------------------------- ending */

/* IF is 0, so these halts never wake up. */
__attribute__((noreturn)) void pl_halt_forever(void);
/* The VM stops with status (v << 1) | 1 (PL_TEST_EXIT_PORT). */
__attribute__((noreturn)) void pl_test_exit(uint8_t v);
/* The VM stops with status `status & 0xff`. */
__attribute__((noreturn)) void pl_shutdown(int status);
__attribute__((noreturn)) void pl_reboot(void);

/* ---------------------------------------------------------------- per vCPU */

#define PL_RT_MAX_VCPUS 64

/*
 * What the runtime knows about one vCPU.  The exception handler finds it from
 * the stack pointer (each vCPU's stack is its own 64 KiB below ram_size), so
 * no segment base or MSR is needed.
 */
struct pl_cpu {
	unsigned id;
	uint64_t entry_rsp;             /* RSP as plinth started us */
	uint64_t entry_rflags;
	uint16_t entry_idt_limit;       /* IDTR limit before the runtime's lidt */
	volatile int expect_gp;         /* an MSR access may #GP: skip it */
	volatile int gp_taken;
	volatile uint64_t last_vector;  /* the last exception seen, for tests */
	volatile uint64_t last_error;
};

extern uint64_t pl_ram_size;

/* NULL for a vCPU id at or beyond PL_RT_MAX_VCPUS. */
struct pl_cpu *pl_cpu_of(unsigned id);
struct pl_cpu *pl_cpu_self(void);

/* ---------------------------------------------------------------- output */

/*
 * %d %i %u %x %X %c %s %p %% with the length modifiers l, ll and z, the
 * flags 0 and -, and a field width.  Returns the length the whole output
 * would have (as C's snprintf); buf always ends with NUL when size > 0.
 */
int pl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((format(printf, 3, 4)))
int pl_snprintf(char *buf, size_t size, const char *fmt, ...);
/* One PL_HC_CONSOLE_WRITE per call; output beyond PL_PRINTF_MAX is cut. */
#define PL_PRINTF_MAX 1024
__attribute__((format(printf, 1, 2)))
int pl_printf(const char *fmt, ...);

/* ---------------------------------------------------------------- cmdline */

/* The cmdline as a C string ("" when there is none). */
const char *pl_cmdline(const struct pl_start_info *si);
/*
 * Words are separated by spaces.  A word "key=value" or a bare "key" (value
 * "") matches.  Copies the value (cut to len - 1 bytes) into buf and returns
 * its full length, or -1 if the key is absent.
 */
int pl_cmdline_get(const struct pl_start_info *si, const char *key, char *buf, size_t len);
int pl_cmdline_has(const struct pl_start_info *si, const char *key);
/*
 * A number: decimal or 0x hex, with an optional K, M or G (binary) suffix.
 * def when absent, malformed or out of range.
 */
uint64_t pl_cmdline_u64(const struct pl_start_info *si, const char *key, uint64_t def);
/* The parser behind pl_cmdline_get, for any string. */
int pl_args_get(const char *args, const char *key, char *buf, size_t len);
int pl_parse_u64(const char *s, uint64_t *out);

/* ---------------------------------------------------------------- PRNG */

/* xorshift64: fast, reproducible from the seed, not for secrets. */
struct pl_rng {
	uint64_t s;
};

static inline void pl_rng_seed(struct pl_rng *r, uint64_t seed)
{
	/* One splitmix64 step, so that small seeds do not start with small values. */
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	r->s = z ? z : 0x9e3779b97f4a7c15ull;
}

static inline uint64_t pl_rng_next(struct pl_rng *r)
{
	uint64_t x = r->s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->s = x;
	return x;
}

/* A value in [0, n), n > 0. */
static inline uint64_t pl_rng_below(struct pl_rng *r, uint64_t n)
{
	return pl_rng_next(r) % n;
}

/* ---------------------------------------------------------------- memory */

/* The compiler may emit calls to these, so the runtime has them. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Linker symbols (linker/guest.ld). */
extern char __image_start[], __bss_start[], __bss_end[], __image_end[];

#endif

/*
 * bench: path lengths in TSC ticks.  Each sample is one instruction (plus
 * the one or two that load its operands) between two serialised RDTSCs:
 * a VERSION hypercall (answered inside plinth's VMRUN stub), an unknown
 * call number (-PL_ENOSYS, answered by the C exit path), CPUID leaf 0, an
 * IN from the unclaimed port 0x510, and nothing at all (the cost of the
 * measurement itself).  Prints "bench <what> min=<ticks> median=<ticks>" for
 * each, then "bench: done" and ends with test exit 0.  cmdline: n=N samples
 * each (default 2000, at most 16384).  Only vCPU 0 measures; the others halt.
 *
 * cmdline spin=S turns it into the stub's stress guest instead: vCPU 0
 * loops for ever over VERSION, FEATURES and TIME, with every GPR but RAX
 * and RSP set to a fresh pattern before each VMMCALL and checked after it,
 * and one unknown call in 64 (the C path); each result must be the ABI's
 * (TIME: the value of the first call).  Every 2^S calls it prints
 * "hcspin <calls> ok"; the first wrong result or changed register prints
 * "hcspin BAD ..." and ends with test exit 3.
 */
#include "pl.h"

#define SAMPLES_MAX 16384
#define BENCH_PORT  0x510
#define NO_CALL     0xffff          /* no such call: -PL_ENOSYS from the C exit path */

static uint64_t samples[SAMPLES_MAX];

/*
 * LFENCE before the first RDTSC waits for earlier work, the one after it
 * keeps the measured instruction from starting early; the LFENCE before the
 * second RDTSC waits for the measured instruction to finish.
 */
#define BENCH_FN(name, body)							\
static uint64_t bench_##name(void)						\
{										\
	uint32_t lo0, hi0, lo1, hi1;						\
										\
	__asm__ volatile("lfence\n\trdtsc\n\tlfence\n\t"			\
			 "mov %%eax, %[lo0]\n\tmov %%edx, %[hi0]\n\t"		\
			 body							\
			 "lfence\n\trdtsc"					\
			 : "=a"(lo1), "=d"(hi1), [lo0] "=&r"(lo0), [hi0] "=&r"(hi0) \
			 : [nr] "i"(PL_HC_VERSION), [bad] "i"(NO_CALL),		\
			   [port] "i"(BENCH_PORT)					\
			 : "rbx", "rcx", "memory");				\
	return (((uint64_t)hi1 << 32) | lo1) - (((uint64_t)hi0 << 32) | lo0);	\
}

BENCH_FN(hypercall, "mov %[nr], %%eax\n\tvmmcall\n\t")
BENCH_FN(hypercall_c, "mov %[bad], %%eax\n\tvmmcall\n\t")
BENCH_FN(cpuid, "xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\tcpuid\n\t")
BENCH_FN(io, "mov %[port], %%edx\n\tinb %%dx, %%al\n\t")
BENCH_FN(empty, "")

static void sort_u64(uint64_t *a, unsigned n)
{
	unsigned gap, i, j;

	for (gap = n / 2; gap; gap /= 2)
		for (i = gap; i < n; i++) {
			uint64_t v = a[i];

			for (j = i; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
}

static void bench_run(const char *what, uint64_t (*fn)(void), unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		samples[i] = fn();
	sort_u64(samples, n);
	pl_printf("bench %s min=%llu median=%llu\n", what, (unsigned long long)samples[0],
		  (unsigned long long)samples[n / 2]);
}

/*
 * long hc_probe(uint64_t nr, const uint64_t in[14], uint64_t out[14]): one
 * VMMCALL with RAX = nr and RBX, RCX, RDX, RSI, RDI, RBP, R8..R15 = in[0..13];
 * those registers as the call left them go to out[0..13]; returns RAX.
 */
long hc_probe(uint64_t nr, const uint64_t *in, uint64_t *out);
__asm__(
	"	.text\n"
	"	.globl hc_probe\n"
	"hc_probe:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rdx\n"
	"	mov %rdi, %rax\n"
	"	mov 0(%rsi), %rbx\n	mov 8(%rsi), %rcx\n	mov 16(%rsi), %rdx\n"
	"	mov 32(%rsi), %rdi\n	mov 40(%rsi), %rbp\n"
	"	mov 48(%rsi), %r8\n	mov 56(%rsi), %r9\n	mov 64(%rsi), %r10\n"
	"	mov 72(%rsi), %r11\n	mov 80(%rsi), %r12\n	mov 88(%rsi), %r13\n"
	"	mov 96(%rsi), %r14\n	mov 104(%rsi), %r15\n"
	"	mov 24(%rsi), %rsi\n"
	"	vmmcall\n"
	"	push %rsi\n"
	"	mov 8(%rsp), %rsi\n"
	"	mov %rbx, 0(%rsi)\n	mov %rcx, 8(%rsi)\n	mov %rdx, 16(%rsi)\n"
	"	mov %rdi, 32(%rsi)\n	mov %rbp, 40(%rsi)\n"
	"	mov %r8, 48(%rsi)\n	mov %r9, 56(%rsi)\n	mov %r10, 64(%rsi)\n"
	"	mov %r11, 72(%rsi)\n	mov %r12, 80(%rsi)\n	mov %r13, 88(%rsi)\n"
	"	mov %r14, 96(%rsi)\n	mov %r15, 104(%rsi)\n"
	"	popq 24(%rsi)\n"
	"	add $8, %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n");

static const char *const probe_regs[14] = {
	"rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static int spin(unsigned shift)
{
	static const uint64_t calls[3] = { PL_HC_VERSION, PL_HC_FEATURES, PL_HC_TIME };
	long want[3] = {
		PL_ABI_VERSION, PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER,
		pl_time_hz(),
	};
	uint64_t in[14], out[14], mask = (1ull << shift) - 1;

	pl_printf("hcspin: start, time %ld Hz\n", want[2]);
	if (want[2] <= 0) {
		pl_printf("hcspin BAD: TIME returned %ld\n", want[2]);
		return 3;
	}
	for (uint64_t i = 0;; i++) {
		int c_path = (i & 63) == 63;
		uint64_t nr = c_path ? NO_CALL : calls[i % 3];
		long expect = c_path ? -PL_ENOSYS : want[i % 3];
		long r;

		for (unsigned k = 0; k < 14; k++)
			in[k] = (i * 0x9e3779b97f4a7c15ull) ^ (0x0101010101010101ull * (k + 1));
		r = hc_probe(nr, in, out);
		if (r != expect) {
			pl_printf("hcspin BAD: call %llu returned %ld, not %ld (after %llu calls)\n",
				  (unsigned long long)nr, r, expect, (unsigned long long)i);
			return 3;
		}
		for (unsigned k = 0; k < 14; k++)
			if (out[k] != in[k]) {
				pl_printf("hcspin BAD: call %llu changed %s: 0x%llx -> 0x%llx\n",
					  (unsigned long long)nr, probe_regs[k],
					  (unsigned long long)in[k], (unsigned long long)out[k]);
				return 3;
			}
		if (((i + 1) & mask) == 0)
			pl_printf("hcspin %llu ok\n", (unsigned long long)(i + 1));
	}
}

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t n = pl_cmdline_u64(si, "n", 2000);
	uint64_t shift = pl_cmdline_u64(si, "spin", 0);

	if (vcpu != 0)
		pl_halt_forever();
	if (shift) {
		if (shift > 40)
			shift = 40;
		pl_test_exit((uint8_t)spin((unsigned)shift));
	}
	if (n < 1)
		n = 1;
	if (n > SAMPLES_MAX)
		n = SAMPLES_MAX;
	bench_run("hypercall", bench_hypercall, (unsigned)n);
	bench_run("hypercall_c", bench_hypercall_c, (unsigned)n);
	bench_run("cpuid", bench_cpuid, (unsigned)n);
	bench_run("io", bench_io, (unsigned)n);
	bench_run("empty", bench_empty, (unsigned)n);
	pl_printf("bench: done\n");
	pl_test_exit(0);
}

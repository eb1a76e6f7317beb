/*
 * bench: path lengths in TSC ticks.  Each sample is one instruction (plus
 * the one or two that load its operands) between two serialised RDTSCs:
 * a VERSION hypercall, CPUID leaf 0, an IN from the unclaimed port 0x510,
 * and nothing at all (the cost of the measurement itself).  Prints
 * "bench <what> min=<ticks> median=<ticks>" for each, then "bench: done" and
 * ends with test exit 0.  cmdline: n=N samples each (default 2000, at most
 * 16384).  Only vCPU 0 measures; the others halt.
 */
#include "pl.h"

#define SAMPLES_MAX 16384
#define BENCH_PORT  0x510

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
			 : [nr] "i"(PL_HC_VERSION), [port] "i"(BENCH_PORT)	\
			 : "rbx", "rcx", "memory");				\
	return (((uint64_t)hi1 << 32) | lo1) - (((uint64_t)hi0 << 32) | lo0);	\
}

BENCH_FN(hypercall, "mov %[nr], %%eax\n\tvmmcall\n\t")
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

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t n = pl_cmdline_u64(si, "n", 2000);

	if (vcpu != 0)
		pl_halt_forever();
	if (n < 1)
		n = 1;
	if (n > SAMPLES_MAX)
		n = SAMPLES_MAX;
	bench_run("hypercall", bench_hypercall, (unsigned)n);
	bench_run("cpuid", bench_cpuid, (unsigned)n);
	bench_run("io", bench_io, (unsigned)n);
	bench_run("empty", bench_empty, (unsigned)n);
	pl_printf("bench: done\n");
	pl_test_exit(0);
}

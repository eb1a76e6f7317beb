/*
 * fuzz: random hypercalls, CPUID leaves, port reads and MSR reads from a
 * seeded xorshift64.  Every call must return >= 0 or one of -PL_EFAULT,
 * -PL_EINVAL, -PL_ENOSYS, -PL_EPERM (and an unknown number -PL_ENOSYS);
 * anything else prints "fuzz: BAD ..." and ends with test exit 2.
 * cmdline: seed=N (default 1), count=N (default 100000).  Prints progress
 * every 10000 calls and ends with "fuzz: done ..." and test exit 0.
 *
 * Guest memory stays intact whatever plinth does with a valid range: the
 * calls that write guest memory only ever get in-RAM ranges inside `scratch`,
 * and CONSOLE_WRITE only reads from `text` (so the console sees dots).
 */
#include "pl.h"

#define SCRATCH_SIZE 0x10000ull
#define TEXT_SIZE    256ull
#define WRITE_MAX    64ull          /* per valid CONSOLE_WRITE, so the console keeps up */
#define FAR_AWAY     (1ull << 48)

static uint64_t scratch[SCRATCH_SIZE / 8];
static char text[TEXT_SIZE];

struct fuzz {
	struct pl_rng rng;
	uint64_t ram;
	int console_dirty;              /* dots were written since the last newline */
};

static uint64_t pick_number(struct fuzz *f)
{
	static const uint64_t valid[] = {
		PL_HC_VERSION, PL_HC_FEATURES, PL_HC_CONSOLE_WRITE, PL_HC_CONSOLE_READ,
		PL_HC_TIME, PL_HC_YIELD, PL_HC_MEM_FILL,
	};

	switch (pl_rng_below(&f->rng, 3)) {
	case 0:
		return valid[pl_rng_below(&f->rng, sizeof(valid) / sizeof(valid[0]))];
	case 1:
		return PL_HC_COUNT + pl_rng_below(&f->rng, 11);
	default: {
		uint64_t nr;

		/* Never a valid number by chance: SHUTDOWN and REBOOT would end the run. */
		do
			nr = pl_rng_next(&f->rng);
		while (nr < PL_HC_COUNT);
		return nr;
	}
	}
}

/* Mostly 8-byte aligned, so that MEM_FILL often gets past its alignment check. */
static uint64_t mostly_aligned(struct fuzz *f, uint64_t v)
{
	return pl_rng_below(&f->rng, 4) ? v & ~7ull : v;
}

/* An argument; base is where a "valid-looking" address points. */
static uint64_t pick_arg(struct fuzz *f, uint64_t base, uint64_t base_size)
{
	uint64_t ram = f->ram;

	switch (pl_rng_below(&f->rng, 8)) {
	case 0:
		return 0;
	case 1:
		return pl_rng_below(&f->rng, 17);
	case 2:
		return mostly_aligned(f, pl_rng_below(&f->rng, 4097));
	case 3: {
		const uint64_t edges[] = { ram - 8, ram - 1, ram, ram + 1, ram + 8, ram + 4096,
					   PL_CONSOLE_MAX, PL_CONSOLE_MAX + 1 };
		return edges[pl_rng_below(&f->rng, sizeof(edges) / sizeof(edges[0]))];
	}
	case 4:
		return base + mostly_aligned(f, pl_rng_below(&f->rng, base_size));
	case 5:
		return 1ull << 63;
	case 6:
		return ~0ull;
	default:
		return pl_rng_next(&f->rng);
	}
}

/*
 * Keep a call that would act on a valid range inside its own buffer
 * [lo, lo + size): an in-RAM gpa elsewhere moves far above RAM, and a length
 * that would leave the buffer but stay in RAM is cut to the buffer's end.
 */
static void confine(struct fuzz *f, uint64_t *gpa, uint64_t *len, uint64_t lo, uint64_t size)
{
	uint64_t end = *gpa + *len;

	if (*gpa >= f->ram)
		return;
	if (*gpa < lo || *gpa >= lo + size) {
		*gpa = FAR_AWAY | pl_rng_next(&f->rng);
		return;
	}
	if (end >= *gpa && end <= f->ram && end > lo + size)
		*len = pl_rng_below(&f->rng, lo + size - *gpa + 1);
}

static int result_ok(uint64_t nr, long rax)
{
	if (nr >= PL_HC_COUNT)
		return rax == -PL_ENOSYS;
	return rax >= 0 || rax == -PL_EFAULT || rax == -PL_EINVAL || rax == -PL_ENOSYS ||
	       rax == -PL_EPERM;
}

static void fuzz_call(struct fuzz *f)
{
	uint64_t nr = pick_number(f), a[5];
	uint64_t sc = (uint64_t)(uintptr_t)scratch, tx = (uint64_t)(uintptr_t)text;
	unsigned i;
	long rax;

	for (i = 0; i < 5; i++)
		a[i] = pick_arg(f, nr == PL_HC_CONSOLE_WRITE ? tx : sc,
				nr == PL_HC_CONSOLE_WRITE ? TEXT_SIZE : SCRATCH_SIZE);
	if (nr == PL_HC_MEM_FILL || nr == PL_HC_CONSOLE_READ) {
		confine(f, &a[0], &a[1], sc, SCRATCH_SIZE);
	} else if (nr == PL_HC_CONSOLE_WRITE) {
		confine(f, &a[0], &a[1], tx, TEXT_SIZE);
		if (a[0] < f->ram && a[1] > WRITE_MAX && a[1] <= PL_CONSOLE_MAX)
			a[1] %= WRITE_MAX + 1;
	}
	rax = pl_hc5(nr, a[0], a[1], a[2], a[3], a[4]);
	if (nr == PL_HC_CONSOLE_WRITE && rax > 0)
		f->console_dirty = 1;
	if (!result_ok(nr, rax)) {
		pl_printf("\nfuzz: BAD call nr=0x%llx args 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx rax=%ld\n",
			  (unsigned long long)nr, (unsigned long long)a[0], (unsigned long long)a[1],
			  (unsigned long long)a[2], (unsigned long long)a[3], (unsigned long long)a[4],
			  rax);
		pl_test_exit(2);
	}
}

static void fuzz_cpu(struct fuzz *f)
{
	static const uint32_t leaf_base[] = { 0, PL_CPUID_BASE, 0x80000000u, 0xc0000000u };
	static const uint32_t msr_base[] = { 0, 0xc0000000u, 0xc0010000u, 0x40000000u };
	uint32_t r[4];
	uint64_t v;
	uint16_t port;

	switch (pl_rng_below(&f->rng, 3)) {
	case 0:
		if (pl_rng_below(&f->rng, 2))
			pl_cpuid((uint32_t)pl_rng_next(&f->rng), (uint32_t)pl_rng_next(&f->rng), r);
		else
			pl_cpuid(leaf_base[pl_rng_below(&f->rng, 4)] + (uint32_t)pl_rng_below(&f->rng, 64),
				 (uint32_t)pl_rng_below(&f->rng, 4), r);
		break;
	case 1:
		do
			port = (uint16_t)(0x100 + pl_rng_below(&f->rng, 0x10000 - 0x100));
		while (port >= 0x3f8 && port <= 0x3ff);
		inb(port);
		break;
	default:
		if (pl_rng_below(&f->rng, 2))
			rdmsr_safe((uint32_t)pl_rng_next(&f->rng), &v);
		else
			rdmsr_safe(msr_base[pl_rng_below(&f->rng, 4)] +
				   (uint32_t)pl_rng_below(&f->rng, 0x1000), &v);
		break;
	}
}

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t seed = pl_cmdline_u64(si, "seed", 1);
	uint64_t count = pl_cmdline_u64(si, "count", 100000), i;
	struct fuzz f = { .ram = si->ram_size };

	if (vcpu != 0)
		pl_halt_forever();
	memset(text, '.', sizeof(text));
	pl_rng_seed(&f.rng, seed);
	pl_printf("fuzz: seed %llu count %llu\n", (unsigned long long)seed,
		  (unsigned long long)count);
	for (i = 1; i <= count; i++) {
		if (pl_rng_below(&f.rng, 4))
			fuzz_call(&f);
		else
			fuzz_cpu(&f);
		if (i % 10000 == 0) {
			pl_printf("%sfuzz: %llu calls\n", f.console_dirty ? "\n" : "",
				  (unsigned long long)i);
			f.console_dirty = 0;
		}
	}
	pl_printf("%sfuzz: done %llu calls seed %llu\n", f.console_dirty ? "\n" : "",
		  (unsigned long long)count, (unsigned long long)seed);
	pl_test_exit(0);
}

/*
 * longcall: long, preemptible MEM_FILL calls.  Round r fills `size` bytes
 * with 0x0123456789abcdef ^ (r * 0x9e3779b97f4a7c15) in one call, then checks
 * RAX and every qword.  The region starts at the first 2 MiB boundary above
 * the image and ends 1 MiB below ram_size (clear of the vCPU stacks).
 * cmdline: size=BYTES (default 8M, rounded down to 8), rounds=N (default 0 =
 * forever).  Ends with test exit 0 when done, 2 on a bad round, 3 if RAM is
 * too small.  Only vCPU 0 works; the others halt.
 */
#include "pl.h"

#define MIB (1ull << 20)

static uint64_t round_pattern(uint64_t r)
{
	return 0x0123456789abcdefull ^ (r * 0x9e3779b97f4a7c15ull);
}

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t size = pl_cmdline_u64(si, "size", 8 * MIB) & ~7ull;
	uint64_t rounds = pl_cmdline_u64(si, "rounds", 0), r;
	uint64_t start = ((uint64_t)(uintptr_t)__image_end + 2 * MIB - 1) & ~(2 * MIB - 1);
	uint64_t end = si->ram_size - MIB;

	if (vcpu != 0)
		pl_halt_forever();
	if (si->ram_size < MIB || end < start || end - start < size) {
		pl_printf("longcall: region [0x%llx, 0x%llx) is smaller than size 0x%llx\n",
			  (unsigned long long)start, (unsigned long long)end,
			  (unsigned long long)size);
		pl_test_exit(3);
	}
	pl_printf("longcall: filling 0x%llx bytes at 0x%llx, rounds %llu\n",
		  (unsigned long long)size, (unsigned long long)start, (unsigned long long)rounds);
	for (r = 0; rounds == 0 || r < rounds; r++) {
		const volatile uint64_t *q = (const volatile uint64_t *)(uintptr_t)start;
		uint64_t pattern = round_pattern(r), i, n = size / 8;
		long rax = pl_mem_fill(start, size, pattern);

		for (i = 0; rax == 0 && i < n && q[i] == pattern; i++)
			;
		if (rax != 0 || i < n) {
			pl_printf("long %llu BAD rax=0x%llx at 0x%llx\n", (unsigned long long)r,
				  (unsigned long long)rax, (unsigned long long)(start + 8 * i));
			pl_test_exit(2);
		}
		pl_printf("long %llu ok\n", (unsigned long long)r);
	}
	pl_printf("long: done %llu\n", (unsigned long long)rounds);
	pl_test_exit(0);
}

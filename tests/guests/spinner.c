/*
 * spinner: every vCPU spins in a tight loop that causes no exits and prints
 * "spin <vcpu> <k>" after each 2^shift iterations (k = 1, 2, ...).
 * cmdline: shift=N (default 26).  Never ends by itself.
 */
#include "pl.h"

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t shift = pl_cmdline_u64(si, "shift", 26), mask, i;

	if (shift > 62)
		shift = 62;
	mask = (1ull << shift) - 1;
	pl_printf("spinner: vcpu %u start\n", vcpu);
	for (i = 1;; i++) {
		/* Keeps the compiler from striding over the iterations. */
		__asm__ volatile("" : "+r"(i));
		if ((i & mask) == 0)
			pl_printf("spin %u %llu\n", vcpu, (unsigned long long)(i >> shift));
	}
}

/*
 * `bench floor`: the cost of a bare VMRUN -> #VMEXIT -> VMRUN round trip
 * with no handling at all, the baseline `make bench` divides by.  The floor
 * guest is one page holding VMMCALL, run on the console CPU without nested
 * paging (the guest sees host-physical memory, which holds only that page
 * of interest); the exit leaves RIP on the VMMCALL, so every VMRUN executes
 * it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include "console.h"
#include "frame.h"
#include "mm.h"
#include "svm.h"

#define FLOOR_ROUNDS 5

static int cmd_bench(int argc, char **argv)
{
	unsigned long n = 10000;
	uint64_t best = UINT64_MAX;

	if (argc < 2 || strcmp(argv[1], "floor") || argc > 3) {
		printf("bench: usage: bench floor [ROUND_TRIPS]\n");
		return 1;
	}
	if (argc == 3) {
		char *end;
		n = strtoul(argv[2], &end, 0);
		if (*end || n == 0 || n > 100000000) {
			printf("bench: ROUND_TRIPS must be 1..100000000\n");
			return 1;
		}
	}
	if (!svm_cpus[this_cpu()->cpu].ready) {
		printf("bench: SVM is not available on this CPU\n");
		return 1;
	}
	uint64_t vmcb_pa = frame_alloc(), code_pa = frame_alloc_contig(1, 1, 1ull << 32);
	if (vmcb_pa == FRAME_NONE || code_pa == FRAME_NONE) {
		printf("bench: out of memory\n");
		if (vmcb_pa != FRAME_NONE)
			frame_free(vmcb_pa);
		return 1;
	}
	struct vmcb *c = phys_to_virt(vmcb_pa);
	memcpy(phys_to_virt(code_pa), "\x0f\x01\xd9", 3);          /* vmmcall */
	c->ctl.icpt2 = ICPT2_VMRUN | ICPT2_VMMCALL;
	c->ctl.asid = 1;
	c->ctl.tlb_ctl = 1;
	c->save.cs = (struct vmcb_seg){ .sel = 8, .attr = SEG_CODE32, .limit = 0xffffffff };
	c->save.ss = c->save.ds = c->save.es =
		(struct vmcb_seg){ .sel = 0x10, .attr = SEG_DATA, .limit = 0xffffffff };
	c->save.cr0 = 0x11;                             /* PE, ET: flat 32-bit, no paging */
	c->save.efer = EFER_SVME;
	c->save.rflags = 2;
	c->save.rip = code_pa;
	c->save.g_pat = 0x0007040600070406ull;
	for (int r = 0; r < FLOOR_ROUNDS; r++) {
		uint64_t t0 = rdtsc();
		svm_floor_loop(vmcb_pa, n);
		uint64_t t = rdtsc() - t0;
		if (t < best)
			best = t;
	}
	frame_free(vmcb_pa);
	frame_free(code_pa);
	printf("bench floor: %lu round trips, best of %d: %lu ticks, %lu.%02lu ticks each\n",
	       n, FLOOR_ROUNDS, best, best / n, (best % n) * 100 / n);
	return 0;
}
CONSOLE_CMD(cmd_bench_def, "bench", "floor [N]", "time N bare VMRUN round trips (the floor)", cmd_bench);

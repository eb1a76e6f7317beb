/*
 * prober: touches a guest-physical address outside RAM, ram_size + 0x1000
 * unless cmdline addr=GPA says otherwise.  plinth is expected to mark the VM
 * crashed at the read; if the read and the write both survive, the guest
 * says so and shuts down with 0.  Only vCPU 0 probes; the others halt.
 */
#include "pl.h"

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t gpa = pl_cmdline_u64(si, "addr", si->ram_size + 0x1000);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)gpa;
	uint64_t v;

	if (vcpu != 0)
		pl_halt_forever();
	pl_printf("prober: ram=0x%llx, touching 0x%llx\n", si->ram_size, (unsigned long long)gpa);
	v = *p;
	pl_printf("prober: survived read 0x%llx\n", (unsigned long long)v);
	*p = v ^ 0x5a5a5a5a5a5a5a5aull;
	pl_printf("prober: survived write\n");
	return 0;
}

/*
 * hello: every vCPU prints one line.  vCPU 0 waits (a second at most) for
 * the others' lines, then shuts down with 0, or reboots if the cmdline has
 * `reboot` (the restarted image prints again, forever).
 */
#include "pl.h"

static unsigned printed;

int main(const struct pl_start_info *si, unsigned vcpu)
{
	uint64_t hz, deadline;

	pl_printf("hello from plinth guest: ram=%llu vcpu=%u cmdline=%s\n",
		  si->ram_size, vcpu, pl_cmdline(si));
	__atomic_add_fetch(&printed, 1, __ATOMIC_SEQ_CST);
	if (vcpu != 0)
		pl_halt_forever();

	hz = (uint64_t)pl_time_hz();
	deadline = rdtsc() + (hz > 1000000 ? hz : 1000000000);
	while (__atomic_load_n(&printed, __ATOMIC_SEQ_CST) < si->nvcpus && rdtsc() < deadline)
		pl_yield();
	if (pl_cmdline_has(si, "reboot"))
		pl_reboot();
	return 0;
}

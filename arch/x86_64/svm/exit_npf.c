/*
 * Nested page faults.  Guest RAM is always mapped, so a #NPF is an access
 * outside RAM: MMIO dispatch gets it first (the PC platform's devices, by
 * instruction emulation), and an unclaimed access stops the VM with the
 * address and the access kind.
 */
#include <stdio.h>
#include <arch/pc.h>
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

/* APM 15.25.6: EXITINFO1 is a page-fault error code; EXITINFO2 the GPA. */
#define NPF_WRITE (1ull << 1)
#define NPF_FETCH (1ull << 4)

void svm_exit_npf(struct vcpu *v)
{
	uint64_t info = v->arch.vmcb->ctl.exitinfo1;
	uint64_t gpa = v->arch.vmcb->ctl.exitinfo2;
	const char *kind = info & NPF_FETCH ? "fetch" : info & NPF_WRITE ? "write" : "read";
	char what[96];

	if (!(info & NPF_FETCH) && pc_mmio_claims(v, gpa)) {
		svm_emulate_mmio(v, gpa, info & NPF_WRITE);
		return;
	}
	if (vm_range_ok(v->vm, gpa, 1))
		snprintf(what, sizeof(what), "nested page fault inside RAM at GPA %#lx (%s)", gpa, kind);
	else
		snprintf(what, sizeof(what), "%s of GPA %#lx outside RAM (%lu MiB) and no device there",
			 kind, gpa, v->vm->ram_size >> 20);
	svm_crash(v, what);
}

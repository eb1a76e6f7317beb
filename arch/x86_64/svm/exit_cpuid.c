/*
 * CPUID under the VM's policy (invariant 5): the host's answer with features
 * plinth does not virtualise taken away, never added; the hypervisor bit
 * set; leaves 0x40000000.. belong to plinth (guest-abi/plinth_abi.h).
 */
#include <arch/cpu.h>
#include "plinth_abi.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define CPUID1_ECX_HIDE ((1u << 3) |   /* MONITOR/MWAIT: intercepted, #UD */ \
			 (1u << 5) |   /* VMX */ \
			 (1u << 21) |  /* x2APIC: no virtual LAPIC yet */ \
			 (1u << 24) |  /* TSC-deadline */ \
			 (1u << 26) |  /* XSAVE: XSETBV is not virtualised */ \
			 (1u << 27))   /* OSXSAVE */
#define CPUID1_ECX_HV   (1u << 31)
#define CPUID1_EDX_HIDE ((1u << 9) |   /* APIC */ \
			 (1u << 22))   /* ACPI thermal MSRs */
#define CPUID81_ECX_HIDE ((1u << 2) |  /* SVM */ \
			  (1u << 13))  /* WDT */

void vcpu_policy_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	if (leaf >= PL_CPUID_BASE && leaf <= PL_CPUID_BASE + 0xff) {
		r[0] = r[1] = r[2] = r[3] = 0;
		if (leaf == PL_CPUID_BASE) {
			r[0] = PL_CPUID_MAX;
			r[1] = PL_CPUID_SIG_EBX;
			r[2] = PL_CPUID_SIG_ECX;
			r[3] = PL_CPUID_SIG_EDX;
		} else if (leaf == PL_CPUID_FEATURES) {
			r[0] = PL_ABI_VERSION;
			r[1] = PL_FEAT_CONSOLE | PL_FEAT_TIME | PL_FEAT_MEM_FILL | PL_FEAT_POWER;
			r[2] = PL_HC_COUNT - 1;
		}
		return;
	}
	cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
	switch (leaf) {
	case 1:
		r[2] = (r[2] & ~CPUID1_ECX_HIDE) | CPUID1_ECX_HV;
		r[3] &= ~CPUID1_EDX_HIDE;
		/* Initial APIC id and logical count describe the VM, not the host. */
		r[1] = (r[1] & 0x0000ffffu) | (v->id << 24) | (v->vm->nvcpus << 16);
		break;
	case 0xd:                       /* XSAVE state: hidden with XSAVE */
	case 0x8000000a:                /* SVM features: hidden with SVM */
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case 0x80000001:
		r[2] &= ~CPUID81_ECX_HIDE;
		break;
	}
}

void svm_exit_cpuid(struct vcpu *v)
{
	struct vmcb_save *s = &v->arch.vmcb->save;
	uint32_t r[4];

	vcpu_policy_cpuid(v, (uint32_t)s->rax, (uint32_t)v->arch.gprs.rcx, r);
	s->rax = r[0];
	v->arch.gprs.rbx = r[1];
	v->arch.gprs.rcx = r[2];
	v->arch.gprs.rdx = r[3];
	vcpu_arch_skip(&v->arch, 2);                    /* 0f a2 */
}

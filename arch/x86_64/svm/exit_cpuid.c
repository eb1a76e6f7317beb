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

/*
 * A Linux VM's PC platform (arch/pc.h) emulates a local APIC with x2APIC
 * mode and the TSC-deadline timer, which always runs (ARAT): the policy
 * offers them, as emulated features.  It hides what the platform has no
 * MSRs for (machine check, performance counters, speculation controls,
 * RDTSCP/RDPID's TSC_AUX), and says the TSC is invariant, which it is
 * for a guest: plinth never scales or stops it.
 */
#define PC1_ECX_ADD   ((1u << 21) | (1u << 24))           /* x2APIC, TSC-deadline */
#define PC1_EDX_ADD   (1u << 9)                           /* APIC */
#define PC1_EDX_HIDE  ((1u << 7) | (1u << 14))            /* MCE, MCA */
#define PC6_EAX_ARAT  (1u << 2)
#define PC7_EDX_HIDE  (0xfcu << 24)                       /* IBRS..SSBD, L1D flush, arch caps */
#define PC7_ECX_HIDE  (1u << 22)                          /* RDPID */
#define PC81_ECX_HIDE ((1u << 10) | (1u << 23) | (1u << 24) | (1u << 28)) /* IBS, perf ctrs */
#define PC81_EDX_HIDE ((1u << 27) | (1u << 7) | (1u << 14))  /* RDTSCP, MCE, MCA */
#define PC88_EBX_HIDE 0xff0ff000u                         /* IBPB, IBRS, STIBP, SSBD... */
#define PC87_EDX_INVTSC (1u << 8)

static void pc_policy(struct vcpu *v, uint32_t leaf, uint32_t r[4])
{
	switch (leaf) {
	case 1:
		r[2] |= PC1_ECX_ADD;
		r[3] = (r[3] | PC1_EDX_ADD) & ~PC1_EDX_HIDE;
		break;
	case 6:
		r[0] |= PC6_EAX_ARAT;
		break;
	case 7:
		r[2] &= ~PC7_ECX_HIDE;
		r[3] &= ~PC7_EDX_HIDE;
		break;
	case 0xb:                       /* x2APIC topology: one thread per core, one package */
		r[3] = v->id;
		break;
	case 0x80000001:
		r[2] &= ~PC81_ECX_HIDE;
		r[3] &= ~PC81_EDX_HIDE;
		break;
	case 0x80000007:
		r[3] = PC87_EDX_INVTSC;
		break;
	case 0x80000008:
		r[1] &= ~PC88_EBX_HIDE;
		r[2] = (r[2] & ~0xffu) | (v->vm->nvcpus - 1);     /* cores per package - 1 */
		break;
	case 0x8000001e:                /* extended APIC id */
		r[0] = v->id;
		r[1] = v->id & 0xff;
		r[2] = 0;
		break;
	}
}

static inline void vcpu_policy_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
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
	if (v->vm->arch.pc)
		pc_policy(v, leaf, r);
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

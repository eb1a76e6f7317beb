/*
 * RDMSR/WRMSR that the permission map intercepts.  Only the MSRs below are
 * emulated; every other one (unknown, or plinth's own such as VM_HSAVE_PA)
 * gets #GP(0), as a CPU without it would give.
 */
#include <arch/cpu.h>
#include <arch/pc.h>
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define MSR_TSC 0x10u
#define MSR_SYSCFG 0xc0010010u         /* AMD system configuration */
#define MSR_HWCR 0xc0010015u
#define MSR_NB_CFG 0xc001001fu         /* AMD northbridge configuration */
#define HWCR_TSC_FREQ_SEL (1ull << 24)     /* the TSC counts at the P0 frequency */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

/* 0, or -1 for #GP. */
static int msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	int rc = pc_msr(v, msr, val, false);

	if (rc)
		return rc > 0 ? 0 : -1;
	switch (msr) {
	case MSR_EFER:
		*val = v->arch.vmcb->save.efer & ~EFER_SVME;
		return 0;
	case MSR_TSC:
		/* Emulated rather than passed through so that it always agrees with RDTSC. */
		*val = rdtsc() + v->arch.vmcb->ctl.tsc_offset;
		return 0;
	case MSR_SYSCFG:                /* no fixed-MTRR DRAM bits, no memory encryption */
	case MSR_NB_CFG:
		*val = 0;
		return 0;
	case MSR_HWCR:
		/* AMD's hardware configuration: only what a guest may rely on. */
		*val = HWCR_TSC_FREQ_SEL;
		return 0;
	default:
		return -1;
	}
}

static int msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vmcb_save *s = &v->arch.vmcb->save;
	int rc = pc_msr(v, msr, &val, true);

	if (rc)
		return rc > 0 ? 0 : -1;
	switch (msr) {
	case MSR_EFER:
		/* Reserved bits and SVME fault; LME may not change with paging on (APM 14.6.1). */
		if (val & ~EFER_GUEST_BITS)
			return -1;
		if ((s->cr0 & (1ull << 31)) && ((val ^ s->efer) & EFER_LME))
			return -1;
		s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
		v->arch.efer = s->efer & ~EFER_SVME;
		return 0;
	case MSR_TSC:
		v->arch.vmcb->ctl.tsc_offset = val - rdtsc();
		return 0;
	case MSR_SYSCFG:
	case MSR_HWCR:
	case MSR_NB_CFG:
		return 0;               /* their bits tune the host CPU: the write is dropped */
	default:
		return -1;
	}
}

void svm_exit_msr(struct vcpu *v)
{
	struct vmcb_save *s = &v->arch.vmcb->save;
	struct guest_gprs *g = &v->arch.gprs;
	uint32_t msr = (uint32_t)g->rcx;
	uint64_t val;

	if (v->arch.vmcb->ctl.exitinfo1 == 0) {
		if (msr_read(v, msr, &val)) {
			svm_inject_exception(v, 13, true, 0);
			return;
		}
		s->rax = (uint32_t)val;
		g->rdx = val >> 32;
	} else {
		val = ((g->rdx & 0xffffffffull) << 32) | (s->rax & 0xffffffffull);
		if (msr_write(v, msr, val)) {
			svm_inject_exception(v, 13, true, 0);
			return;
		}
	}
	vcpu_arch_skip(&v->arch, 2);                    /* 0f 32 / 0f 30 */
}

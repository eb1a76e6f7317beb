/*
 * A vCPU's MTRR and PAT MSRs (Intel SDM vol. 3 11.11 and 11.12, AMD APM
 * vol. 2 7.7 and 7.8): the values are kept and checked, nothing more.
 *
 * With nested paging the hardware combines the host's memory types (host
 * MTRRs and the nested page tables) with the guest's PAT from the VMCB's
 * G_PAT field, and it ignores the guest's MTRRs (APM vol. 2 15.25,
 * "Combining Memory Types, MTRRs").
 * plinth leaves memory types to the hardware: this model only answers
 * RDMSR and WRMSR the way a CPU would, so Linux finds MTRRs and PAT it can
 * use.  A caller that wants the guest's PAT to take effect copies the value
 * read from MSR 0x277 into G_PAT.
 *
 * MSRs and their rules (a failed check leaves the MSR unchanged):
 *   0x0fe MTRRcap      read-only 0x508: 8 variable ranges, fixed ranges, WC;
 *                      no SMRR.  A write is #GP.
 *   0x2ff MTRRdefType  type (7:0), FE (10), E (11); other bits reserved.
 *   0x250, 0x258, 0x259, 0x268-0x26f  fixed ranges: eight type bytes each
 *                      (the AMD RdMem/WrMem extension bits are not
 *                      modelled: they are reserved here).
 *   0x200-0x20f        PHYSBASE n (type 7:0, base MAXPHYADDR-1:12) and
 *                      PHYSMASK n (valid 11, mask MAXPHYADDR-1:12), n = 0-7.
 *   0x277 PAT          eight bytes of 0, 1, 4, 5, 6 or 7.
 * An MTRR type is 0 UC, 1 WC, 4 WT, 5 WP or 6 WB.  Writing a reserved bit
 * or a bad type is #GP.
 *
 * Reset state (vmtrr_init), what a firmware leaves for a VM: MTRRdefType
 * 0x806 (MTRRs enabled, default WB, fixed ranges off), every fixed range
 * WB (so turning FE on without programming them changes nothing), no
 * variable range valid, PAT 0x0007040600070406 (the power-up value).
 *
 * No locking inside: one vmtrr belongs to one vCPU, which serialises calls.
 */
#ifndef ARCH_VDEV_MTRR_H
#define ARCH_VDEV_MTRR_H

#include <stdbool.h>
#include <stdint.h>

#define VMTRR_GP          1             /* vmtrr_write: inject #GP */
#define VMTRR_VCNT        8
#define VMTRR_NFIXED      11

#define MSR_MTRRCAP       0x0fe
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_FIX64K   0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000  0x268
#define MSR_MTRR_FIX4K_F8000  0x26f
#define MSR_PAT           0x277
#define MSR_MTRR_DEF_TYPE 0x2ff

#define VMTRR_CAP         0x508ull      /* VCNT 8, FIX (bit 8), WC (bit 10) */
#define VMTRR_DEF_RESET   0x806ull      /* E, default type WB */
#define VMTRR_PAT_RESET   0x0007040600070406ull

struct vmtrr {
	uint64_t def_type;
	uint64_t fixed[VMTRR_NFIXED];       /* 0x250, 0x258, 0x259, 0x268-0x26f */
	uint64_t var[2 * VMTRR_VCNT];       /* PHYSBASE0, PHYSMASK0, PHYSBASE1, ... */
	uint64_t pat;
	uint64_t addr_mask;                 /* bits MAXPHYADDR-1:12 */
};

/* Reset state for a guest of maxphyaddr bits (clamped to 36-52). */
void vmtrr_init(struct vmtrr *m, uint8_t maxphyaddr);

/* Is msr one of the MSRs above? */
bool vmtrr_is_ours(uint32_t msr);

/* 0, or -1: msr is not an MTRR or PAT MSR (the caller decides). */
int vmtrr_read(struct vmtrr *m, uint32_t msr, uint64_t *val);
/* 0, VMTRR_GP (inject #GP, nothing changed), or -1: not ours. */
int vmtrr_write(struct vmtrr *m, uint32_t msr, uint64_t val);

#endif

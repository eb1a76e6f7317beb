/*
 * The VMCB (AMD APM vol.2 appendix B): a 4 KiB control block, the control
 * area at 0 and the state-save area at 0x400.  Offsets are checked at
 * compile time against the manual's table.
 */
#ifndef SVM_VMCB_H
#define SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

struct vmcb_seg {
	uint16_t sel;
	uint16_t attr;          /* APM 15.5.1: type, S, DPL, P, AVL, L, D/B, G packed into 12 bits */
	uint32_t limit;
	uint64_t base;
};

struct vmcb_control {
	uint32_t icpt_cr;               /* 0x000: reads in 15:0, writes in 31:16 */
	uint32_t icpt_dr;               /* 0x004 */
	uint32_t icpt_exc;              /* 0x008: one bit per exception vector */
	uint32_t icpt1;                 /* 0x00c: ICPT1_* */
	uint32_t icpt2;                 /* 0x010: ICPT2_* */
	uint32_t icpt3;                 /* 0x014 */
	uint8_t  rsvd0[0x3c - 0x18];
	uint16_t pause_thresh;          /* 0x03c */
	uint16_t pause_count;           /* 0x03e */
	uint64_t iopm_pa;               /* 0x040 */
	uint64_t msrpm_pa;              /* 0x048 */
	uint64_t tsc_offset;            /* 0x050 */
	uint32_t asid;                  /* 0x058 */
	uint8_t  tlb_ctl;               /* 0x05c */
	uint8_t  rsvd1[3];
	uint64_t vintr;                 /* 0x060: V_TPR, V_IRQ, V_INTR_PRIO, V_INTR_MASKING, vector */
	uint64_t int_state;             /* 0x068: bit 0 = interrupt shadow */
	uint64_t exitcode;              /* 0x070 */
	uint64_t exitinfo1;             /* 0x078 */
	uint64_t exitinfo2;             /* 0x080 */
	uint64_t exitintinfo;           /* 0x088 */
	uint64_t np_ctl;                /* 0x090: bit 0 = nested paging */
	uint64_t avic_bar;              /* 0x098 */
	uint64_t ghcb_pa;               /* 0x0a0 */
	uint64_t eventinj;              /* 0x0a8 */
	uint64_t n_cr3;                 /* 0x0b0 */
	uint64_t lbr_ctl;               /* 0x0b8 */
	uint32_t clean;                 /* 0x0c0 */
	uint32_t rsvd2;
	uint64_t nrip;                  /* 0x0c8 */
	uint8_t  insn_len;              /* 0x0d0 */
	uint8_t  insn_bytes[15];
	uint8_t  rsvd3[0x400 - 0xe0];
};

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;   /* 0x400 */
	uint8_t  rsvd0[0x4cb - 0x4a0];
	uint8_t  cpl;                   /* 0x4cb */
	uint32_t rsvd1;
	uint64_t efer;                  /* 0x4d0 */
	uint8_t  rsvd2[0x548 - 0x4d8];
	uint64_t cr4;                   /* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;                   /* 0x578 */
	uint8_t  rsvd3[0x5d8 - 0x580];
	uint64_t rsp;                   /* 0x5d8 */
	uint64_t s_cet, ssp, isst_addr;
	uint64_t rax;                   /* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2;                   /* 0x640 */
	uint8_t  rsvd4[0x668 - 0x648];
	uint64_t g_pat;                 /* 0x668 */
	uint64_t dbgctl, br_from, br_to, last_excp_from, last_excp_to;
};

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
	uint8_t rsvd[4096 - 0x400 - sizeof(struct vmcb_save)];
};

_Static_assert(offsetof(struct vmcb_control, iopm_pa) == 0x40, "vmcb iopm");
_Static_assert(offsetof(struct vmcb_control, exitcode) == 0x70, "vmcb exitcode");
_Static_assert(offsetof(struct vmcb_control, eventinj) == 0xa8, "vmcb eventinj");
_Static_assert(offsetof(struct vmcb_control, nrip) == 0xc8, "vmcb nrip");
_Static_assert(offsetof(struct vmcb, save) == 0x400, "vmcb save area");
_Static_assert(offsetof(struct vmcb, save.cpl) == 0x4cb, "vmcb cpl");
_Static_assert(offsetof(struct vmcb, save.efer) == 0x4d0, "vmcb efer");
_Static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "vmcb cr4");
_Static_assert(offsetof(struct vmcb, save.rip) == 0x578, "vmcb rip");
_Static_assert(offsetof(struct vmcb, save.rsp) == 0x5d8, "vmcb rsp");
_Static_assert(offsetof(struct vmcb, save.rax) == 0x5f8, "vmcb rax");
_Static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "vmcb cr2");
_Static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "vmcb g_pat");
_Static_assert(sizeof(struct vmcb) == 4096, "vmcb size");

/* Intercept vector 1 (offset 0x00c), APM table B-1. */
#define ICPT1_INTR      (1u << 0)
#define ICPT1_NMI       (1u << 1)
#define ICPT1_SMI       (1u << 2)
#define ICPT1_INIT      (1u << 3)
#define ICPT1_VINTR     (1u << 4)
#define ICPT1_CPUID     (1u << 18)
#define ICPT1_IRET      (1u << 20)
#define ICPT1_INVD      (1u << 22)
#define ICPT1_HLT       (1u << 24)
#define ICPT1_INVLPGA   (1u << 26)
#define ICPT1_IOIO      (1u << 27)
#define ICPT1_MSR       (1u << 28)
#define ICPT1_SHUTDOWN  (1u << 31)
/* Intercept vector 2 (offset 0x010). */
#define ICPT2_VMRUN     (1u << 0)
#define ICPT2_VMMCALL   (1u << 1)
#define ICPT2_VMLOAD    (1u << 2)
#define ICPT2_VMSAVE    (1u << 3)
#define ICPT2_STGI      (1u << 4)
#define ICPT2_CLGI      (1u << 5)
#define ICPT2_SKINIT    (1u << 6)
#define ICPT2_MONITOR   (1u << 10)
#define ICPT2_MWAIT     (1u << 11)
#define ICPT2_MWAIT_C   (1u << 12)
#define ICPT2_XSETBV    (1u << 13)

/* V_INTR fields (offset 0x060). */
#define VINTR_V_IRQ         (1ull << 8)
#define VINTR_IGN_TPR       (1ull << 20)
#define VINTR_MASKING       (1ull << 24)
#define VINTR_VECTOR_SHIFT  32

/* EVENTINJ and EXITINTINFO (APM 15.20). */
#define EVT_VALID       (1ull << 31)
#define EVT_ERR_VALID   (1ull << 11)
#define EVT_TYPE_INTR   (0ull << 8)
#define EVT_TYPE_NMI    (2ull << 8)
#define EVT_TYPE_EXC    (3ull << 8)
#define EVT_TYPE_SWINT  (4ull << 8)
#define EVT_TYPE_MASK   (7ull << 8)
#define EVT_VECTOR_MASK 0xffull

/* EXITINFO1 of an IOIO exit (APM 15.10.2); the port is in bits 31:16. */
#define IOIO_IN     (1ull << 0)
#define IOIO_STR    (1ull << 2)
#define IOIO_REP    (1ull << 3)
#define IOIO_SZ8    (1ull << 4)
#define IOIO_SZ16   (1ull << 5)
#define IOIO_A32    (1ull << 8)
#define IOIO_A64    (1ull << 9)

/* Exit codes (APM appendix C). */
#define VMEXIT_CR0_READ     0x000
#define VMEXIT_EXCP_BASE    0x040
#define VMEXIT_INTR         0x060
#define VMEXIT_NMI          0x061
#define VMEXIT_SMI          0x062
#define VMEXIT_INIT         0x063
#define VMEXIT_VINTR        0x064
#define VMEXIT_CPUID        0x072
#define VMEXIT_IRET         0x074
#define VMEXIT_INVD         0x076
#define VMEXIT_HLT          0x078
#define VMEXIT_INVLPGA      0x07a
#define VMEXIT_IOIO         0x07b
#define VMEXIT_MSR          0x07c
#define VMEXIT_SHUTDOWN     0x07f
#define VMEXIT_VMRUN        0x080
#define VMEXIT_VMMCALL      0x081
#define VMEXIT_VMLOAD       0x082
#define VMEXIT_VMSAVE       0x083
#define VMEXIT_STGI         0x084
#define VMEXIT_CLGI         0x085
#define VMEXIT_SKINIT       0x086
#define VMEXIT_MONITOR      0x08a
#define VMEXIT_MWAIT        0x08b
#define VMEXIT_MWAIT_C      0x08c
#define VMEXIT_XSETBV       0x08d
#define VMEXIT_LAST_PLAIN   0x0a4           /* highest code below the NPF group */
#define VMEXIT_NPF          0x400
#define VMEXIT_LAST         0x403           /* VMGEXIT */
#define VMEXIT_INVALID      0xffffffffffffffffull

/* Segment attributes for the start states (APM 15.5.1 packing). */
#define SEG_CODE64  0x0a9b      /* P, S, type 0xb, L, G */
#define SEG_CODE32  0x0c9b      /* P, S, type 0xb, D, G */
#define SEG_DATA    0x0c93      /* P, S, type 0x3, D/B, G */
#define SEG_TSS64   0x008b      /* P, busy 64-bit TSS */
#define SEG_LDT     0x0082      /* P, LDT */
#define SEG_REAL_CODE 0x009b    /* P, S, type 0xb: real mode (limit 0xffff) */
#define SEG_REAL_DATA 0x0093    /* P, S, type 0x3 */
#define SEG_TSS16   0x008b      /* P, busy TSS: what RESET/INIT leave in TR */

#endif

/* AMD SVM internals shared by the files of arch/x86_64/svm/. */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include <stdbool.h>
#include <stdint.h>
#include <arch/cpu.h>
#include <arch/insn.h>
#include <arch/percpu.h>
#include <arch/vcpu_arch.h>
#include "vmcb.h"

struct vcpu;
struct vm;

#define MSR_VM_CR       0xc0010114u
#define MSR_VM_HSAVE_PA 0xc0010117u
#define VM_CR_SVMDIS    (1ull << 4)

/* Per-pCPU SVM state. */
struct svm_cpu {
	bool ready;
	uint64_t hsave_pa;          /* MSR_VM_HSAVE_PA page */
	uint64_t host_vmcb_pa;      /* host FS/GS/TR/... kept by VMSAVE, restored by VMLOAD */
	uint32_t next_asid;
	uint64_t asid_gen;          /* bumps when ASIDs wrap: every TLB entry is stale */
};
extern struct svm_cpu svm_cpus[MAX_CPUS];

/* SVM, NPT and a usable VM_CR on this machine (checked on the BSP). */
bool svm_supported(const char **why);
/* EFER.SVME, host save area and host VMCB for the calling CPU; 0 or -1. */
int svm_cpu_init(void);

/* entry.S svm_vmrun: one guest entry, reached only through svm_enter_guest() in svm.c. */
/* entry.S: n bare VMRUN -> #VMEXIT -> VMRUN round trips, no handling at all. */
void svm_floor_loop(uint64_t vmcb_pa, uint64_t n);

/* Exceptions and interrupts into the guest (inject.c). */
enum inject_action { INJECT_NONE, INJECT_NOW, INJECT_WINDOW };
/* Pure: what to do with a pending interrupt given the guest's state. */
enum inject_action svm_inject_decide(bool event_busy, bool pending, bool guest_if, bool shadow);
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_err, uint32_t err);
void svm_inject_pending(struct vcpu *v);
void svm_inject_pc(struct vcpu *v);
/* Linux VMs, right before VMRUN with IRQs disabled: inject, arm the vCPU's timers. */
void svm_prepare_pc(struct vcpu *v);
void svm_requeue_exitintinfo(struct vcpu *v);
void svm_irq_window_close(struct vcpu *v);
void svm_irq_window_open(struct vcpu *v);
/* Linux VMs (inject_pc.c): EXITINTINFO back to the vlapic. */
void svm_requeue_pc(struct vcpu *v);
void svm_exit_iret(struct vcpu *v);

/* The guest misbehaved beyond repair: log the VMCB and stop only its VM. */
void svm_crash(struct vcpu *v, const char *what);
void svm_dump_vmcb(const struct vmcb *c);

/* Exit handlers by theme (exit.c dispatches). */
void svm_exit_cpuid(struct vcpu *v);
void svm_exit_msr(struct vcpu *v);
void svm_exit_io(struct vcpu *v);
void svm_exit_npf(struct vcpu *v);
/* Carry out the instruction that faulted on device address gpa (emulate.c): 1, 0 (a fault was injected), -1 (VM stopped). */
int svm_emulate_mmio(struct vcpu *v, uint64_t gpa, bool write);

/* Guest memory by linear address for the emulators (emulate.c). */
struct gwalk_env;
struct gwalk_result;
void svm_gwalk_env(struct vcpu *v, struct gwalk_env *e);
/* A failed walk becomes the fault the CPU would raise; false if the VM had to stop. */
bool svm_gwalk_fault(struct vcpu *v, int rc, const struct gwalk_result *r, const char *what);
/*
 * Fetch and decode the instruction at CS:RIP for an emulator: 1 with *in
 * decoded (bytes holds it); 0 if a fetch fault went to the guest, which
 * resumes; -1 if the VM was stopped (undecodable), `what` naming the access.
 */
int svm_fetch_decode(struct vcpu *v, const struct gwalk_env *e, struct insn *in,
		     uint8_t bytes[INSN_MAX_LEN], const char *what);
/* The guest's operating mode from CS and EFER. */
enum insn_mode svm_guest_mode(const struct vmcb_save *s);

/* Port I/O: one access through the VM's devices (exit_io.c); INS/OUTS (exit_io_str.c). */
void svm_io_port(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val);
void svm_exit_io_string(struct vcpu *v);
void svm_exit_dispatch(struct vcpu *v);
/* Handle a short exit with IRQs disabled; false if it needs the full path. */
bool svm_exit_fast(struct vcpu *v);

/* Default intercepts and the start state for a fresh or reset vCPU. */
void svm_vmcb_init(struct vcpu *v);

#endif

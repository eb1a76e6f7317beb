/*
 * The PC platform of a Linux VM: the device models of arch/x86_64/vdev/
 * bound to one VM, at the addresses of arch/guest_layout.h.  ELF and
 * Multiboot guests have none of it (vm->arch.pc is NULL).
 *
 * Locking, outermost first: pc->lock (the platform devices), pc->ioapic_lock,
 * then one vCPU's lapic lock.  A vlapic never calls out while its lock is
 * held: IPIs it sends are queued and delivered after the unlock, and a
 * level-triggered EOI reaches the IOAPIC after the unlock too.  So no two
 * vlapic locks are ever held at once.
 */
#ifndef ARCH_PC_H
#define ARCH_PC_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* Build (or, on a restart, reset) the platform of a Linux VM; 0 or -1 (no memory). */
int pc_setup(struct vm *vm);
void pc_free(struct vm *vm);

/* Port I/O: true if a device of the platform owns the port (val in/out). */
bool pc_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val);
/*
 * MMIO: does a device of the platform sit at gpa (the vCPU's APIC page, the
 * IOAPIC, ECAM)?  Then reads and writes of 1-8 bytes reach it; 0, or -1 if
 * nothing is there.
 */
bool pc_mmio_claims(struct vcpu *v, uint64_t gpa);
int pc_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t *val);
int pc_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val);
/*
 * RDMSR (*val out) or WRMSR (*val in) of the platform's MSRs (APIC, TSC
 * deadline, x2APIC, MTRRs): 1 handled, 0 not ours, -1 #GP.
 */
int pc_msr(struct vcpu *v, uint32_t msr, uint64_t *val, bool write);

/*
 * Interrupt acceptance for the injection code, IRQs disabled: advance the
 * vCPU's timers to now, then the highest deliverable vector (-1: none) and
 * whether an NMI waits.  ack/cancel follow invariant 3 (vdev/lapic.h).
 */
int pc_irq_pending(struct vcpu *v, uint64_t now, bool *nmi);
void pc_irq_ack(struct vcpu *v, int vector);
void pc_nmi_ack(struct vcpu *v);
/* The injection of vector did not happen: true if it must be injected again as it was. */
bool pc_irq_cancel(struct vcpu *v, int vector);
bool pc_nmi_cancel(struct vcpu *v);
/* The TSC at which this vCPU's devices next need it, or UINT64_MAX. */
uint64_t pc_deadline(struct vcpu *v);

/* Something for a halted vCPU to wake up for (an interrupt it would take, NMI, INIT, SIPI). */
bool pc_has_event(struct vcpu *v);
/*
 * INIT and SIPI for vCPU v (its own pCPU, IRQs enabled): reset it into
 * wait-for-SIPI, start it from a SIPI.  Returns true if v must not run
 * (an AP waiting for its SIPI).
 */
bool pc_vcpu_startup(struct vcpu *v);


#endif

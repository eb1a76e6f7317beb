/* What the files of arch/x86_64/pc/ share: the platform and per-vCPU state. */
#ifndef PC_PC_PRIV_H
#define PC_PC_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <arch/guest_layout.h>
#include <arch/pc.h>
#include "../vdev/acpi_pm.h"
#include "../vdev/i8042.h"
#include "../vdev/ioapic.h"
#include "../vdev/lapic.h"
#include "../vdev/mtrr.h"
#include "../vdev/pci_host.h"
#include "../vdev/pit.h"
#include "../vdev/pmtimer.h"
#include "../vdev/rtc.h"
#include "../vdev/uart16550.h"
#include "spinlock.h"
#include "vm.h"

#define PC_IPI_QUEUE 4

/* One vCPU's local APIC and MTRRs. */
struct pc_cpu {
	spinlock_t lock;                    /* lapic */
	struct vlapic lapic;
	struct vmtrr mtrr;
	struct vlapic_ipi ipi_out[PC_IPI_QUEUE];   /* sent under the lock, delivered after */
	unsigned nipi;
	uint64_t ipi_dropped;
	struct vcpu *vcpu;
};

struct vpc {
	struct vm *vm;
	spinlock_t lock;                    /* the devices below, but the IOAPIC */
	struct vuart com1;
	struct vrtc rtc;
	struct vi8042 kbd;
	struct vpmtimer pmtimer;
	struct vacpi_pm pm;
	struct vpit pit;
	struct vpci_host pci;
	spinlock_t ioapic_lock;
	struct vioapic ioapic;
	struct pc_cpu cpu[VM_VCPUS_MAX];
};

static inline struct pc_cpu *pc_cpu_of(struct vcpu *v) { return &v->vm->arch.pc->cpu[v->id]; }

/* Power-up state of one vCPU's vlapic and MTRRs (lapic.c); 0 or -1. */
int pc_cpu_setup(struct vm *vm, struct pc_cpu *c, struct vcpu *v);
/* Run the platform's timers to now; the TSC of their next event (platform.c). */
uint64_t pc_platform_deadline(struct vm *vm, uint64_t now);
/* Deliver the IPIs c queued while its lock was held (lapic.c). */
void pc_flush_ipis(struct pc_cpu *c);
/* An interrupt message from the IOAPIC or a vlapic reaches the VM's vlapics (lapic.c). */
void pc_deliver(struct vm *vm, const struct vlapic_ipi *ipi, uint32_t source_id);
/* A level-triggered vector was EOIed: tell the IOAPIC (platform.c). */
void pc_ioapic_eoi(struct vm *vm, uint8_t vector);

#endif

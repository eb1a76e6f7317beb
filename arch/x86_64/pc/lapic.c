/*
 * Each vCPU's local APIC (vdev/lapic.c) and MTRRs bound to the VM: MMIO and
 * MSR access, interrupt messages between vlapics, the timers, the interrupt
 * acceptance the injection code asks for, and INIT/SIPI.
 *
 * A vlapic is touched by its own vCPU and by whoever delivers to it (other
 * vCPUs' IPIs, the IOAPIC, from any pCPU), always under its lock.  After a
 * delivery the target gets VCPU_REQ_INJECT and a wake-up: a running vCPU
 * leaves guest mode at once (vcpu_request's IPI) and a halted one runs.
 */
#include <arch/cpu.h>
#include "sched.h"
#include "vcpu.h"
#include "pc_priv.h"

static uint64_t guest_tsc(struct vcpu *v, uint64_t host)
{
	return host + v->arch.vmcb->ctl.tsc_offset;
}

/* send_ipi runs under the sender's lock: queue the message for pc_flush_ipis. */
static void pc_queue_ipi(void *arg, const struct vlapic_ipi *ipi)
{
	struct pc_cpu *c = arg;

	if (c->nipi < PC_IPI_QUEUE)
		c->ipi_out[c->nipi++] = *ipi;
	else
		c->ipi_dropped++;
}

int pc_cpu_setup(struct vm *vm, struct pc_cpu *c, struct vcpu *v)
{
	uint8_t maxphy = (uint8_t)cpu_maxphyaddr();
	struct vlapic_config cfg = {
		.id = v->id, .bsp = v->id == 0, .tsc_hz = tsc_hz(), .maxphyaddr = maxphy,
		.send_ipi = pc_queue_ipi, .arg = c,
	};

	(void)vm;
	c->vcpu = v;
	vmtrr_init(&c->mtrr, maxphy);
	if (vlapic_init(&c->lapic, &cfg))
		return -1;
	/* The firmware's work: application processors wait for INIT-SIPI-SIPI. */
	c->lapic.wait_for_sipi = v->id != 0;
	return 0;
}

/* The target took a message: it leaves guest mode, or wakes, and looks at its vlapic. */
static void pc_kick(struct vcpu *v)
{
	vcpu_request(v, VCPU_REQ_INJECT);
}

void pc_deliver(struct vm *vm, const struct vlapic_ipi *ipi, uint32_t source_id)
{
	struct vpc *pc = vm->arch.pc;

	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct pc_cpu *c = &pc->cpu[i];
		bool took = false;
		uint64_t f = spin_lock_irqsave(&c->lock);

		if (vlapic_match_dest(&c->lapic, ipi, source_id))
			took = vlapic_deliver(&c->lapic, ipi);
		spin_unlock_irqrestore(&c->lock, f);
		if (took) {
			pc_kick(c->vcpu);
			/* Lowest priority goes to one APIC: the first that accepts it. */
			if (ipi->mode == VLAPIC_DM_LOWEST)
				break;
		}
	}
}

void pc_flush_ipis(struct pc_cpu *c)
{
	struct vlapic_ipi out[PC_IPI_QUEUE];
	unsigned n;
	uint64_t f = spin_lock_irqsave(&c->lock);

	n = c->nipi;
	for (unsigned i = 0; i < n; i++)
		out[i] = c->ipi_out[i];
	c->nipi = 0;
	spin_unlock_irqrestore(&c->lock, f);
	for (unsigned i = 0; i < n; i++)
		pc_deliver(c->vcpu->vm, &out[i], c->lapic.id);
}

/* After a register write: EOI of a level vector to the IOAPIC, queued IPIs out. */
static int pc_lapic_after_write(struct pc_cpu *c, int rc)
{
	if (rc > 0 && (rc & VLAPIC_EOI_LEVEL))
		pc_ioapic_eoi(c->vcpu->vm, (uint8_t)(rc & 0xff));
	pc_flush_ipis(c);
	return rc == VLAPIC_GP ? -1 : 0;
}

/* ---------------------------------------------------------------- MMIO and MSRs */

bool pc_mmio_claims(struct vcpu *v, uint64_t gpa)
{
	struct vpc *pc = v->vm->arch.pc;

	if (!pc)
		return false;
	return vlapic_mmio_claims(&pc_cpu_of(v)->lapic, gpa) ||
	       (gpa >= GL_IOAPIC && gpa < GL_IOAPIC + 0x1000) ||
	       (gpa >= GL_ECAM && gpa < GL_ECAM + GL_ECAM_SIZE);
}

int pc_mmio_read(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct vpc *pc = v->vm->arch.pc;
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f;

	if (vlapic_mmio_claims(&c->lapic, gpa)) {
		f = spin_lock_irqsave(&c->lock);
		*val = vlapic_mmio_read(&c->lapic, gpa & 0xfff, size, guest_tsc(v, rdtsc()));
		spin_unlock_irqrestore(&c->lock, f);
	} else if (gpa >= GL_IOAPIC && gpa < GL_IOAPIC + 0x1000) {
		f = spin_lock_irqsave(&pc->ioapic_lock);
		*val = vioapic_mmio_read(&pc->ioapic, gpa - GL_IOAPIC, size);
		spin_unlock_irqrestore(&pc->ioapic_lock, f);
	} else if (gpa >= GL_ECAM && gpa < GL_ECAM + GL_ECAM_SIZE) {
		f = spin_lock_irqsave(&pc->lock);
		*val = vpci_ecam_read(&pc->pci, gpa - GL_ECAM, size);
		spin_unlock_irqrestore(&pc->lock, f);
	} else {
		return -1;
	}
	return 0;
}

int pc_mmio_write(struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
	struct vpc *pc = v->vm->arch.pc;
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f;
	int rc;

	if (vlapic_mmio_claims(&c->lapic, gpa)) {
		f = spin_lock_irqsave(&c->lock);
		rc = vlapic_mmio_write(&c->lapic, gpa & 0xfff, size, val, guest_tsc(v, rdtsc()));
		spin_unlock_irqrestore(&c->lock, f);
		pc_lapic_after_write(c, rc);
	} else if (gpa >= GL_IOAPIC && gpa < GL_IOAPIC + 0x1000) {
		f = spin_lock_irqsave(&pc->ioapic_lock);
		vioapic_mmio_write(&pc->ioapic, gpa - GL_IOAPIC, size, val);
		spin_unlock_irqrestore(&pc->ioapic_lock, f);
	} else if (gpa >= GL_ECAM && gpa < GL_ECAM + GL_ECAM_SIZE) {
		f = spin_lock_irqsave(&pc->lock);
		vpci_ecam_write(&pc->pci, gpa - GL_ECAM, size, val);
		spin_unlock_irqrestore(&pc->lock, f);
	} else {
		return -1;
	}
	return 0;
}

int pc_msr(struct vcpu *v, uint32_t msr, uint64_t *val, bool write)
{
	struct pc_cpu *c;
	uint64_t f;
	int rc;

	if (!v->vm->arch.pc)
		return 0;
	c = pc_cpu_of(v);
	if (vlapic_msr_is_lapic(msr)) {
		uint64_t now = guest_tsc(v, rdtsc());

		f = spin_lock_irqsave(&c->lock);
		rc = write ? vlapic_msr_write(&c->lapic, msr, *val, now)
			   : vlapic_msr_read(&c->lapic, msr, val, now);
		spin_unlock_irqrestore(&c->lock, f);
		if (write)
			return pc_lapic_after_write(c, rc) ? -1 : 1;
		return rc == VLAPIC_GP ? -1 : 1;
	}
	if (vmtrr_is_ours(msr))
		return (write ? vmtrr_write(&c->mtrr, msr, *val) : vmtrr_read(&c->mtrr, msr, val)) ? -1 : 1;
	return 0;
}

/* ---------------------------------------------------------------- acceptance and timers */

int pc_irq_pending(struct vcpu *v, uint64_t now, bool *nmi)
{
	struct pc_cpu *c = pc_cpu_of(v);
	int vec;

	spin_lock(&c->lock);
	vlapic_advance(&c->lapic, guest_tsc(v, now));
	vec = vlapic_pending(&c->lapic);
	*nmi = vlapic_nmi_pending(&c->lapic);
	spin_unlock(&c->lock);
	return vec;
}

void pc_irq_ack(struct vcpu *v, int vector)
{
	struct pc_cpu *c = pc_cpu_of(v);

	spin_lock(&c->lock);
	vlapic_ack(&c->lapic, vector);
	spin_unlock(&c->lock);
}

void pc_nmi_ack(struct vcpu *v)
{
	struct pc_cpu *c = pc_cpu_of(v);

	spin_lock(&c->lock);
	vlapic_nmi_ack(&c->lapic);
	spin_unlock(&c->lock);
}

bool pc_irq_cancel(struct vcpu *v, int vector)
{
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f = spin_lock_irqsave(&c->lock);
	int rc = vlapic_cancel(&c->lapic, vector);

	spin_unlock_irqrestore(&c->lock, f);
	return rc == VLAPIC_CANCEL_REINJECT;
}

bool pc_nmi_cancel(struct vcpu *v)
{
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f = spin_lock_irqsave(&c->lock);
	int rc = vlapic_nmi_cancel(&c->lapic);

	spin_unlock_irqrestore(&c->lock, f);
	return rc == VLAPIC_CANCEL_REINJECT;
}

uint64_t pc_deadline(struct vcpu *v)
{
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t t, p;

	spin_lock(&c->lock);
	t = vlapic_next_event(&c->lapic);
	spin_unlock(&c->lock);
	if (t != UINT64_MAX)
		t -= v->arch.vmcb->ctl.tsc_offset;      /* the vCPU's TSC back to the host's */
	if (v->id == 0) {
		p = pc_platform_deadline(v->vm, rdtsc());
		if (p < t)
			t = p;
	}
	return t;
}

bool pc_has_event(struct vcpu *v)
{
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f = spin_lock_irqsave(&c->lock);
	bool intr_ok = v->arch.vmcb->save.rflags & RFLAGS_IF;
	bool r;

	vlapic_advance(&c->lapic, guest_tsc(v, rdtsc()));
	r = (intr_ok && vlapic_pending(&c->lapic) >= 0) || vlapic_nmi_pending(&c->lapic) ||
	    c->lapic.init_pending || c->lapic.sipi_ready;
	spin_unlock_irqrestore(&c->lock, f);
	return r;
}

bool pc_vcpu_startup(struct vcpu *v)
{
	struct pc_cpu *c = pc_cpu_of(v);
	uint64_t f = spin_lock_irqsave(&c->lock);
	int sipi;
	bool waiting;

	vlapic_take_init(&c->lapic);
	sipi = vlapic_take_sipi(&c->lapic);
	waiting = vlapic_init_received(&c->lapic);
	spin_unlock_irqrestore(&c->lock, f);
	if (sipi >= 0)
		vcpu_arch_sipi(v, (uint8_t)sipi);
	return waiting;
}

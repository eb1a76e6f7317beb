/*
 * MMIO by instruction emulation.  TCG gives no decode assists, so on a
 * #NPF at a device address plinth fetches the instruction at CS:RIP through
 * the guest's page tables (arch/gwalk.h), decodes it (arch/insn.h) and
 * carries it out against the device (arch/pc.h).  A fetch that faults gets
 * the guest its #PF or #GP; an instruction the decoder does not cover stops
 * this VM only, with the bytes in the log.
 */
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/gwalk.h>
#include <arch/insn.h>
#include <arch/pc.h>
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define SEG_ATTR_L  (1u << 9)
#define SEG_ATTR_DB (1u << 10)

static int gw_read_gpa(void *arg, uint64_t gpa, uint64_t *val, unsigned size)
{
	struct vcpu *v = arg;
	void *p = vm_gpa_ptr(v->vm, gpa, size);

	if (!p)
		return -1;
	switch (size) {
	case 1: *val = __atomic_load_n((uint8_t *)p, __ATOMIC_RELAXED); break;
	case 4: *val = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED); break;
	default: *val = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED); break;
	}
	return 0;
}

static int gw_read_bulk(void *arg, uint64_t gpa, void *buf, size_t len)
{
	struct vcpu *v = arg;

	return vm_copy_from(v->vm, buf, gpa, len);
}

static int gw_cmpxchg(void *arg, uint64_t gpa, uint64_t old, uint64_t val, unsigned size)
{
	struct vcpu *v = arg;
	void *p = vm_gpa_ptr(v->vm, gpa, size);

	if (!p)
		return -1;
	if (size == 4) {
		uint32_t o = (uint32_t)old;
		return __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)val, false,
						   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 0 : 1;
	}
	return __atomic_compare_exchange_n((uint64_t *)p, &old, val, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 0 : 1;
}

void svm_gwalk_env(struct vcpu *v, struct gwalk_env *e)
{
	const struct vmcb_save *s = &v->arch.vmcb->save;

	*e = (struct gwalk_env){
		.cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer & ~EFER_SVME,
		.rflags = s->rflags, .cpl = s->cpl, .maxphyaddr = cpu_maxphyaddr(),
		.features = GWALK_F_1G | GWALK_F_AMD | GWALK_F_PSE36,
		.read_gpa = gw_read_gpa, .read_bulk = gw_read_bulk, .cmpxchg_gpa = gw_cmpxchg,
		.arg = v,
	};
}

bool svm_gwalk_fault(struct vcpu *v, int rc, const struct gwalk_result *r, const char *what)
{
	char msg[96];

	switch (-rc) {
	case GWALK_EPF:
		v->arch.vmcb->save.cr2 = r->fault_gva;
		svm_inject_exception(v, 14, true, r->error_code);
		return true;
	case GWALK_EGP:
		svm_inject_exception(v, 13, true, 0);
		return true;
	case GWALK_ERETRY:
		return true;
	default:
		snprintf(msg, sizeof(msg), "%s: guest page walk failed (code %d, GPA %#lx)",
			 what, rc, r->gpa);
		svm_crash(v, msg);
		return false;
	}
}

enum insn_mode svm_guest_mode(const struct vmcb_save *s)
{
	if ((s->efer & EFER_LMA) && (s->cs.attr & SEG_ATTR_L))
		return INSN_MODE_64;
	if ((s->cr0 & CR0_PE) && (s->cs.attr & SEG_ATTR_DB))
		return INSN_MODE_32;
	return INSN_MODE_16;
}

static int em_mmio_read(void *arg, uint64_t gpa, unsigned size, uint64_t *val)
{
	return pc_mmio_read(arg, gpa, size, val);
}

static int em_mmio_write(void *arg, uint64_t gpa, unsigned size, uint64_t val)
{
	return pc_mmio_write(arg, gpa, size, val);
}

/* MOVS between RAM and MMIO: the RAM side, at a linear address. */
static int em_mem(struct vcpu *v, uint64_t gva, void *buf, unsigned size, bool write)
{
	struct gwalk_env e;
	struct gwalk_result r;
	int rc;

	svm_gwalk_env(v, &e);
	rc = gwalk(&e, gva, write ? GWALK_WRITE : 0, &r);
	if (rc || (r.gpa & 0xfff) + size > 0x1000)
		return -1;
	return write ? vm_copy_to(v->vm, r.gpa, buf, size) : vm_copy_from(v->vm, buf, r.gpa, size);
}

static int em_mem_read(void *arg, uint64_t gva, void *buf, unsigned size)
{
	return em_mem(arg, gva, buf, size, false);
}

static int em_mem_write(void *arg, uint64_t gva, const void *buf, unsigned size)
{
	return em_mem(arg, gva, (void *)buf, size, true);
}

int svm_fetch_decode(struct vcpu *v, const struct gwalk_env *e, struct insn *in,
		     uint8_t bytes[INSN_MAX_LEN], const char *what)
{
	const struct vmcb_save *s = &v->arch.vmcb->save;
	enum insn_mode mode = svm_guest_mode(s);
	uint64_t rip = mode == INSN_MODE_64 ? s->rip : (uint32_t)s->rip;
	uint64_t lin = s->cs.base + rip;
	size_t len = INSN_MAX_LEN;
	struct gwalk_result r;
	char hex[INSN_FORMAT_MAX], msg[VM_ERR_MAX];
	int rc;

	if (mode != INSN_MODE_64)
		lin = (uint32_t)lin;
	/* Fetch up to the page end first: the CPU faults only on bytes it fetches. */
	if ((lin & 0xfff) + len > 0x1000)
		len = 0x1000 - (lin & 0xfff);
	rc = gwalk_read(e, lin, bytes, len, GWALK_FETCH, &r);
	if (!rc) {
		rc = insn_decode(in, bytes, len, mode);
		if (rc == -INSN_ETRUNC && len < INSN_MAX_LEN) {
			rc = gwalk_read(e, lin + len, bytes + len, INSN_MAX_LEN - len, GWALK_FETCH, &r);
			if (rc)
				goto fault;
			len = INSN_MAX_LEN;
			rc = insn_decode(in, bytes, len, mode);
		}
		if (rc >= 0)
			return 1;
		snprintf(msg, sizeof(msg), "%s: %s: %s", what, insn_strerror(rc),
			 insn_format_bytes(hex, sizeof(hex), bytes, len));
		svm_crash(v, msg);
		return -1;
	}
fault:
	snprintf(msg, sizeof(msg), "%s: instruction fetch", what);
	return svm_gwalk_fault(v, rc, &r, msg) ? 0 : -1;
}

int svm_emulate_mmio(struct vcpu *v, uint64_t gpa, bool write)
{
	struct vmcb_save *s = &v->arch.vmcb->save;
	struct guest_gprs *g = &v->arch.gprs;
	uint64_t rip = svm_guest_mode(s) == INSN_MODE_64 ? s->rip : (uint32_t)s->rip;
	uint8_t bytes[INSN_MAX_LEN];
	struct gwalk_env e;
	struct insn in;
	char hex[INSN_FORMAT_MAX], msg[VM_ERR_MAX], what[48];
	int rc;

	snprintf(what, sizeof(what), "MMIO at GPA %#lx", gpa);
	svm_gwalk_env(v, &e);
	rc = svm_fetch_decode(v, &e, &in, bytes, what);
	if (rc <= 0)
		return rc;

	struct insn_ctx ctx = {
		.regs = { s->rax, g->rcx, g->rdx, g->rbx, s->rsp, g->rbp, g->rsi, g->rdi,
			  g->r8, g->r9, g->r10, g->r11, g->r12, g->r13, g->r14, g->r15 },
		.rflags = s->rflags, .rip = rip, .gpa = gpa, .write = write, .arg = v,
		.seg_base = { s->es.base, s->cs.base, s->ss.base, s->ds.base, s->fs.base, s->gs.base },
		.mmio_read = em_mmio_read, .mmio_write = em_mmio_write,
		.mem_read = em_mem_read, .mem_write = em_mem_write,
	};
	rc = insn_emulate(&in, &ctx);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "%s: %s: %s", what, insn_strerror(rc),
			 insn_format_bytes(hex, sizeof(hex), bytes, in.len));
		svm_crash(v, msg);
		return -1;
	}
	s->rax = ctx.regs[0];
	g->rcx = ctx.regs[1];
	g->rdx = ctx.regs[2];
	g->rbx = ctx.regs[3];
	s->rsp = ctx.regs[4];
	g->rbp = ctx.regs[5];
	g->rsi = ctx.regs[6];
	g->rdi = ctx.regs[7];
	g->r8 = ctx.regs[8];
	g->r9 = ctx.regs[9];
	g->r10 = ctx.regs[10];
	g->r11 = ctx.regs[11];
	g->r12 = ctx.regs[12];
	g->r13 = ctx.regs[13];
	g->r14 = ctx.regs[14];
	g->r15 = ctx.regs[15];
	s->rflags = ctx.rflags;
	if (rc > 0)
		vcpu_arch_skip(&v->arch, (uint64_t)rc);
	return 1;
}

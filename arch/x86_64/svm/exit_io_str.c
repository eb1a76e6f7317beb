/*
 * String port I/O: INS and OUTS, with or without REP, to any port.  TCG
 * gives no decode assists, so EXITINFO1 names the port, the element size
 * and REP but not the segment of OUTS (nor, under TCG, the address size):
 * plinth decodes the instruction with the MMIO emulator's decoder
 * (arch/insn.h) and forms addresses as it does (insn_linear).  Each
 * element goes through svm_io_port as one IN or OUT would, and its memory
 * side through the guest's page tables: the walk comes first, so a fault
 * is raised before the port is touched, with RSI/RDI and RCX counting the
 * elements already done, as the CPU leaves them.  Memory that is not guest
 * RAM (a string to or from MMIO) stops the VM with a log line.
 *
 * At most STR_BATCH elements per exit.  While RCX is not yet 0, RIP stays
 * on the instruction, which runs again and exits again: a long REP never
 * holds the pCPU, and a request (pause, kill) is taken between batches, or
 * at once after a device asked for one (the test-exit port).
 *
 * Segment limits and the I/O permission bitmap of the guest's TSS are not
 * checked (a guest at CPL 3 with IOPL below 3 would fault on real hardware
 * before the intercept, but that check is the guest CPU's, not plinth's).
 */
#include <arch/gwalk.h>
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define STR_BATCH       256
#define PAGE_SIZE_4K    0x1000ull
#define RFLAGS_DF       (1ull << 10)

/* Where one element lives: one or two pieces of guest RAM (it may cross a page). */
struct str_elem {
	uint64_t gpa[2];
	unsigned len[2], n;
};

/* Translate the element at lin for a store or a load; 0 or a gwalk code with r filled. */
static int str_translate(const struct gwalk_env *e, uint64_t lin, unsigned size, bool write,
			 struct str_elem *el, struct gwalk_result *r)
{
	el->n = 0;
	for (unsigned done = 0; done < size; done += el->len[el->n++]) {
		uint64_t at = lin + done;
		uint64_t room = PAGE_SIZE_4K - (at & (PAGE_SIZE_4K - 1));
		int rc = gwalk(e, at, write ? GWALK_WRITE : 0, r);

		if (rc)
			return rc;
		el->gpa[el->n] = r->gpa;
		el->len[el->n] = size - done < room ? size - done : (unsigned)room;
	}
	return 0;
}

/* Copy the element to or from buf; 0, or -GWALK_EDATA (not guest RAM) with r->gpa. */
static int str_copy(struct vcpu *v, const struct str_elem *el, void *buf, bool write,
		    struct gwalk_result *r)
{
	for (unsigned i = 0, off = 0; i < el->n; off += el->len[i++]) {
		int rc = write ? vm_copy_to(v->vm, el->gpa[i], (uint8_t *)buf + off, el->len[i])
			       : vm_copy_from(v->vm, (uint8_t *)buf + off, el->gpa[i], el->len[i]);

		if (rc) {
			r->gpa = el->gpa[i];
			return -GWALK_EDATA;
		}
	}
	return 0;
}

/* RSI, RDI or RCX moved by delta at the instruction's address size. */
static void str_reg_add(uint64_t *reg, uint64_t delta, uint64_t amask, uint8_t mode)
{
	uint64_t sum = (*reg + delta) & amask;

	/* A 32-bit register write in 64-bit mode clears the upper half. */
	*reg = mode == INSN_MODE_64 && amask == 0xffffffffull ? sum : (*reg & ~amask) | sum;
}

void svm_exit_io_string(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	struct vmcb_save *s = &c->save;
	struct guest_gprs *g = &v->arch.gprs;
	uint64_t info = c->ctl.exitinfo1;
	uint16_t port = (uint16_t)(info >> 16);
	bool in = info & IOIO_IN, rep = info & IOIO_REP;
	unsigned size = info & IOIO_SZ8 ? 1 : info & IOIO_SZ16 ? 2 : 4;
	uint64_t step = s->rflags & RFLAGS_DF ? -(uint64_t)size : size;
	uint64_t *reg = in ? &g->rdi : &g->rsi;
	uint8_t bytes[INSN_MAX_LEN];
	const struct insn_mem *m;
	uint64_t amask, count;
	struct gwalk_env e;
	struct gwalk_result r;
	struct str_elem el;
	struct insn insn;
	int rc = 0;

	svm_gwalk_env(v, &e);
	if (svm_fetch_decode(v, &e, &insn, bytes, "string I/O") <= 0)
		return;
	if (insn.kind != (in ? INSN_INS : INSN_OUTS)) {
		svm_crash(v, "string I/O exit, but RIP is at no INS/OUTS");
		return;
	}
	m = in ? &insn.mem : &insn.src;
	amask = m->addr_size == 8 ? ~0ull : (1ull << (8 * m->addr_size)) - 1;
	count = rep ? g->rcx & amask : 1;

	/* The segment bases, for insn_linear; only *reg changes between elements. */
	struct insn_ctx ctx = {
		.seg_base = { s->es.base, s->cs.base, s->ss.base, s->ds.base, s->fs.base, s->gs.base },
	};
	for (uint64_t n = 0; n < count && n < STR_BATCH; n++) {
		uint32_t val = 0;

		ctx.regs[in ? INSN_REG_RDI : INSN_REG_RSI] = *reg;
		/* Both pages are translated before the port: a fault leaves it untouched. */
		rc = str_translate(&e, insn_linear(&insn, m, &ctx), size, in, &el, &r);
		if (!rc && in) {
			svm_io_port(v, port, size, true, &val);
			rc = str_copy(v, &el, &val, true, &r);
		} else if (!rc) {
			rc = str_copy(v, &el, &val, false, &r);
			if (!rc)
				svm_io_port(v, port, size, false, &val);
		}
		if (rc) {
			svm_gwalk_fault(v, rc, &r, in ? "INS store" : "OUTS load");
			return;
		}
		str_reg_add(reg, step, amask, insn.mode);
		if (rep)
			str_reg_add(&g->rcx, ~0ull, amask, insn.mode);
		if (__atomic_load_n(&v->requests, __ATOMIC_RELAXED))
			break;
	}
	if (!rep || (g->rcx & amask) == 0) {
		s->rip = c->ctl.exitinfo2;      /* APM 15.10.2: the next RIP */
		c->ctl.int_state &= ~1ull;
	}
}

/*
 * String port I/O: INS and OUTS, with or without REP, to any port.  TCG
 * gives no decode assists, so EXITINFO1 names the port, the element size
 * and REP but not the segment of OUTS (nor, under TCG, the address size):
 * plinth reads the instruction's prefixes for them (INS always stores
 * through ES).  Each
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
#define INSN_MAX        15

/* The base of the segment a string access goes through. */
static uint64_t seg_base(const struct vmcb_save *s, uint8_t prefix, enum insn_mode mode)
{
	const struct vmcb_seg *seg;

	switch (prefix) {
	case 0x64: return s->fs.base;
	case 0x65: return s->gs.base;
	case 0x26: seg = &s->es; break;
	case 0x2e: seg = &s->cs; break;
	case 0x36: seg = &s->ss; break;
	default:   seg = &s->ds; break;
	}
	return mode == INSN_MODE_64 ? 0 : seg->base;    /* long mode: flat but for FS and GS */
}

/* What the instruction's prefixes say: the segment override and the address size. */
struct str_prefixes {
	uint8_t seg;            /* the last segment override byte, 0 for none */
	bool addr_override;     /* 0x67 */
};

/* Read the prefixes of the INS/OUTS at RIP; false if the fetch faulted or stopped the VM. */
static bool str_prefixes(struct vcpu *v, const struct gwalk_env *e, enum insn_mode mode,
			 struct str_prefixes *p)
{
	const struct vmcb *c = v->arch.vmcb;
	uint64_t rip = c->save.rip, len = c->ctl.exitinfo2 - rip;
	uint64_t lin = c->save.cs.base + rip;
	uint8_t bytes[INSN_MAX];
	struct gwalk_result r;
	int rc;

	*p = (struct str_prefixes){ 0 };
	if (mode != INSN_MODE_64)
		lin = (uint32_t)lin;
	if (len == 0 || len > INSN_MAX)
		len = INSN_MAX;
	rc = gwalk_read(e, lin, bytes, len, GWALK_FETCH, &r);
	if (rc) {
		svm_gwalk_fault(v, rc, &r, "INS/OUTS instruction fetch");
		return false;
	}
	for (uint64_t i = 0; i < len; i++) {
		uint8_t b = bytes[i];

		if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65)
			p->seg = b;
		else if (b == 0x67)
			p->addr_override = true;
		else if (!(b == 0x66 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
			   (mode == INSN_MODE_64 && (b & 0xf0) == 0x40)))
			break;                  /* the opcode (6c-6f) */
	}
	return true;
}

/*
 * The address size: EXITINFO1's A16/A32/A64 where the CPU reports it (APM
 * 15.10.2); QEMU's TCG leaves those bits clear, and then the mode and a
 * 0x67 prefix decide, as they decide for the CPU.
 */
static uint64_t str_addr_mask(uint64_t info, enum insn_mode mode, bool addr_override)
{
	if (info & IOIO_A64)
		return ~0ull;
	if (info & IOIO_A32)
		return 0xffffffffull;
	if (info & IOIO_A16)
		return 0xffffull;
	switch (mode) {
	case INSN_MODE_64: return addr_override ? 0xffffffffull : ~0ull;
	case INSN_MODE_32: return addr_override ? 0xffffull : 0xffffffffull;
	default:           return addr_override ? 0xffffffffull : 0xffffull;
	}
}

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
static void str_reg_add(uint64_t *reg, uint64_t delta, uint64_t amask, enum insn_mode mode)
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
	enum insn_mode mode = svm_guest_mode(s);
	uint64_t amask, count, base;
	struct gwalk_env e;
	struct gwalk_result r;
	struct str_elem el;
	struct str_prefixes p;

	svm_gwalk_env(v, &e);
	if (!str_prefixes(v, &e, mode, &p))
		return;
	amask = str_addr_mask(info, mode, p.addr_override);
	count = rep ? g->rcx & amask : 1;
	base = seg_base(s, in ? 0x26 : p.seg, mode);       /* INS: always ES */
	for (uint64_t n = 0; n < count && n < STR_BATCH; n++) {
		uint64_t lin = base + (*reg & amask);
		uint32_t val = 0;
		int rc;

		if (mode != INSN_MODE_64)
			lin = (uint32_t)lin;
		/* Both pages are translated before the port: a fault leaves it untouched. */
		rc = str_translate(&e, lin, size, in, &el, &r);
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
		str_reg_add(reg, step, amask, mode);
		if (rep)
			str_reg_add(&g->rcx, ~0ull, amask, mode);
		if (__atomic_load_n(&v->requests, __ATOMIC_RELAXED))
			break;
	}
	if (!rep || (g->rcx & amask) == 0) {
		s->rip = c->ctl.exitinfo2;      /* APM 15.10.2: the next RIP */
		c->ctl.int_state &= ~1ull;
	}
}

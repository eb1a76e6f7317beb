/*
 * MMIO emulation of decoded instructions.  See arch/insn.h.
 *
 * Each instruction is done as decode, then invoke: every value is read and
 * every result computed before the first write, and registers and RFLAGS
 * change only after the device accepted the write, so a failed callback
 * leaves the guest's registers as they were.
 */
#include <arch/insn.h>

/* SDM vol.1 3.4.3: RFLAGS bits. */
#define FL_CF (1ull << 0)
#define FL_PF (1ull << 2)
#define FL_AF (1ull << 4)
#define FL_ZF (1ull << 6)
#define FL_SF (1ull << 7)
#define FL_DF (1ull << 10)
#define FL_OF (1ull << 11)
#define FL_STATUS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* The MMIO side of a string op stays in the faulting 4 KiB guest page. */
#define EMUL_PAGE_MASK (~0xfffull)

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return size >= 8 ? v : (uint64_t)((int64_t)(v << shift) >> shift);
}

static uint64_t reg_get(const struct insn_ctx *c, int reg, unsigned size)
{
	if (reg >= INSN_REG_AH)
		return (c->regs[reg - INSN_REG_AH] >> 8) & 0xff;
	return c->regs[reg] & size_mask(size);
}

/* SDM vol.1 3.4.1.1: 32-bit results zero-extend, 8- and 16-bit ones merge. */
static void reg_set(struct insn_ctx *c, int reg, unsigned size, uint64_t v)
{
	uint64_t m = size_mask(size);

	if (reg >= INSN_REG_AH) {
		uint64_t *r = &c->regs[reg - INSN_REG_AH];

		*r = (*r & ~0xff00ull) | ((v & 0xff) << 8);
	} else if (size == 4 || size == 8) {
		c->regs[reg] = v & m;
	} else {
		c->regs[reg] = (c->regs[reg] & ~m) | (v & m);
	}
}

/* ZF, SF and PF of a result; PF looks at the low byte only. */
static uint64_t flags_zsp(uint64_t res, unsigned size)
{
	uint64_t f = 0;
	uint8_t p = (uint8_t)res;

	if (!(res & size_mask(size)))
		f |= FL_ZF;
	if ((res >> (8 * size - 1)) & 1)
		f |= FL_SF;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		f |= FL_PF;
	return f;
}

/*
 * a OP b at size bytes.  Returns the result and puts the new RFLAGS in
 * *flags.  AND, OR, XOR and TEST clear AF: the SDM leaves it undefined and
 * CPUs clear it.
 */
static uint64_t alu(enum insn_kind kind, uint64_t a, uint64_t b, unsigned size, uint64_t *flags)
{
	uint64_t m = size_mask(size);
	uint64_t sign = 1ull << (8 * size - 1);
	uint64_t cin = (*flags & FL_CF) ? 1 : 0;
	uint64_t res, f = 0;

	a &= m;
	b &= m;
	switch (kind) {
	case INSN_ADD:
	case INSN_ADC:
		if (kind == INSN_ADD)
			cin = 0;
		res = (a + b + cin) & m;
		if (res < a || (cin && res == a))
			f |= FL_CF;
		if ((a ^ res) & (b ^ res) & sign)
			f |= FL_OF;
		f |= (a ^ b ^ res) & FL_AF;
		break;
	case INSN_SUB:
	case INSN_SBB:
	case INSN_CMP:
		if (kind != INSN_SBB)
			cin = 0;
		res = (a - b - cin) & m;
		if (a < b || (cin && a == b))
			f |= FL_CF;
		if ((a ^ b) & (a ^ res) & sign)
			f |= FL_OF;
		f |= (a ^ b ^ res) & FL_AF;
		break;
	case INSN_OR:
		res = a | b;
		break;
	case INSN_XOR:
		res = a ^ b;
		break;
	default:                /* AND, TEST */
		res = a & b;
		break;
	}
	*flags = (*flags & ~FL_STATUS) | f | flags_zsp(res, size);
	return res;
}

uint64_t insn_linear(const struct insn *in, const struct insn_mem *m, const struct insn_ctx *ctx)
{
	uint64_t ea = (uint64_t)m->disp;

	if (m->base >= 0 && m->base < 16)
		ea += ctx->regs[m->base];
	if (m->index >= 0 && m->index < 16)
		ea += ctx->regs[m->index] * m->scale;
	if (m->rip_rel)
		ea += ctx->rip + in->len;
	ea &= size_mask(m->addr_size);
	/* SDM vol.1 3.3.7.1: 64-bit mode ignores every segment base but FS and GS. */
	if (in->mode == INSN_MODE_64) {
		if (m->seg == INSN_SEG_FS || m->seg == INSN_SEG_GS)
			ea += ctx->seg_base[m->seg];
		return ea;
	}
	if (m->seg < INSN_SEG_COUNT)
		ea += ctx->seg_base[m->seg];
	return ea & 0xffffffffull;
}

static int mmio_read(struct insn_ctx *c, uint64_t gpa, unsigned size, uint64_t *v)
{
	*v = 0;
	if (c->mmio_read(c->arg, gpa, size, v))
		return -INSN_EIO;
	*v &= size_mask(size);
	return 0;
}

static int mmio_write(struct insn_ctx *c, uint64_t gpa, unsigned size, uint64_t v)
{
	return c->mmio_write(c->arg, gpa, size, v & size_mask(size)) ? -INSN_EIO : 0;
}

/* The second operand: the immediate, or the register that is not r/m.  Users mask it. */
static uint64_t src_value(const struct insn *in, const struct insn_ctx *c)
{
	if (in->has_imm)
		return (uint64_t)in->imm;
	return reg_get(c, in->reg, in->op_size);
}

static int emul_mov(const struct insn *in, struct insn_ctx *c)
{
	uint64_t v;
	int r;

	if (in->rm_dst)
		return mmio_write(c, c->gpa, in->op_size, src_value(in, c));
	r = mmio_read(c, c->gpa, in->src_size, &v);
	if (r)
		return r;
	if (in->kind == INSN_MOVSX)
		v = sign_extend(v, in->src_size);
	reg_set(c, in->reg, in->op_size, v);
	return 0;
}

/* ADD OR ADC SBB AND SUB XOR CMP TEST: read, compute, then write memory or a register. */
static int emul_alu(const struct insn *in, struct insn_ctx *c)
{
	uint64_t mem, res, flags = c->rflags;
	unsigned size = in->op_size;
	bool writes = in->kind != INSN_CMP && in->kind != INSN_TEST;
	int r = mmio_read(c, c->gpa, size, &mem);

	if (r)
		return r;
	if (in->rm_dst) {
		res = alu(in->kind, mem, src_value(in, c), size, &flags);
		if (writes) {
			r = mmio_write(c, c->gpa, size, res);
			if (r)
				return r;
		}
	} else {
		res = alu(in->kind, reg_get(c, in->reg, size), mem, size, &flags);
		if (writes)
			reg_set(c, in->reg, size, res);
	}
	c->rflags = flags;
	return 0;
}

static int emul_xchg(const struct insn *in, struct insn_ctx *c)
{
	uint64_t mem;
	int r = mmio_read(c, c->gpa, in->op_size, &mem);

	if (r)
		return r;
	r = mmio_write(c, c->gpa, in->op_size, reg_get(c, in->reg, in->op_size));
	if (r)
		return r;
	reg_set(c, in->reg, in->op_size, mem);
	return 0;
}

/*
 * BT with a register offset reaches beyond the operand (SDM vol.2 "BT"),
 * but the CPU faulted on the word it actually read: ctx->gpa.  Within it
 * the bit is the offset modulo the operand width.
 */
static int emul_bt(const struct insn *in, struct insn_ctx *c)
{
	uint64_t mem, bit = reg_get(c, in->reg, in->op_size) & (8u * in->op_size - 1);
	int r = mmio_read(c, c->gpa, in->op_size, &mem);

	if (r)
		return r;
	c->rflags = (c->rflags & ~FL_CF) | ((mem >> bit) & 1);
	return 0;
}

/* One STOS or MOVS element; the MMIO side is at gpa. */
static int emul_element(const struct insn *in, struct insn_ctx *c, bool mmio_dst, uint64_t gpa)
{
	unsigned size = in->op_size;
	uint64_t v = 0;
	int r;

	if (in->kind == INSN_STOS) {
		v = reg_get(c, INSN_REG_RAX, size);
	} else if (mmio_dst) {
		if (c->mem_read(c->arg, insn_linear(in, &in->src, c), &v, size))
			return -INSN_EIO;
	} else {
		r = mmio_read(c, gpa, size, &v);
		if (r)
			return r;
	}
	if (mmio_dst)
		return mmio_write(c, gpa, size, v);
	return c->mem_write(c->arg, insn_linear(in, &in->mem, c), &v, size) ? -INSN_EIO : 0;
}

static void string_advance(const struct insn *in, struct insn_ctx *c, int reg, int64_t step)
{
	unsigned as = in->mem.addr_size;

	reg_set(c, reg, as, reg_get(c, reg, as) + (uint64_t)step);
}

static bool string_callbacks_ok(const struct insn *in, const struct insn_ctx *c, bool mmio_dst)
{
	if (in->kind == INSN_STOS)
		return c->mmio_write;
	if (mmio_dst)
		return c->mem_read && c->mmio_write;
	return c->mmio_read && c->mem_write;
}

static int emul_string(const struct insn *in, struct insn_ctx *c)
{
	unsigned size = in->op_size, as = in->mem.addr_size;
	int64_t step = (c->rflags & FL_DF) ? -(int64_t)size : (int64_t)size;
	bool mmio_dst = in->kind == INSN_STOS || c->write;
	uint64_t count = in->rep ? reg_get(c, INSN_REG_RCX, as) : 1;
	uint64_t gpa = c->gpa;
	uint64_t page = gpa & EMUL_PAGE_MASK;

	if (!string_callbacks_ok(in, c, mmio_dst))
		return -INSN_EINVAL;
	while (count) {
		int r = emul_element(in, c, mmio_dst, gpa);

		if (r)
			return r;
		string_advance(in, c, INSN_REG_RDI, step);
		if (in->kind == INSN_MOVS)
			string_advance(in, c, INSN_REG_RSI, step);
		count--;
		if (in->rep)
			reg_set(c, INSN_REG_RCX, as, count);
		gpa += (uint64_t)step;
		if ((gpa & EMUL_PAGE_MASK) != page || ((gpa + size - 1) & EMUL_PAGE_MASK) != page)
			break;
	}
	return count ? 0 : in->len;
}

static bool size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Checks that make a hand-built struct insn as safe as a decoded one. */
static bool operands_ok(const struct insn *in)
{
	bool string = in->kind == INSN_STOS || in->kind == INSN_MOVS;
	bool reg_used = !string && (!in->has_imm || !in->rm_dst);

	if (!size_ok(in->op_size) || !size_ok(in->src_size) || !size_ok(in->mem.addr_size))
		return false;
	return !reg_used || (in->reg >= 0 && in->reg < INSN_REG_AH + 4);
}

static bool callbacks_ok(const struct insn *in, const struct insn_ctx *c)
{
	bool reads = !(in->kind == INSN_MOV && in->rm_dst);
	bool writes = in->rm_dst && in->kind != INSN_CMP && in->kind != INSN_TEST &&
		      in->kind != INSN_BT;

	return (!reads || c->mmio_read) && (!writes || c->mmio_write);
}

int insn_emulate(const struct insn *in, struct insn_ctx *ctx)
{
	int r;

	if (in->kind == INSN_NONE || in->kind == INSN_INS || in->kind == INSN_OUTS || !in->len)
		return -INSN_EUNSUPPORTED;          /* port I/O: svm/exit_io_str.c */
	if (!in->has_mem)
		return -INSN_ENOMEM;
	if (!operands_ok(in))
		return -INSN_EINVAL;
	if (in->kind == INSN_STOS || in->kind == INSN_MOVS)
		return emul_string(in, ctx);
	if (!callbacks_ok(in, ctx))
		return -INSN_EINVAL;
	switch (in->kind) {
	case INSN_MOV:
	case INSN_MOVZX:
	case INSN_MOVSX:
		r = emul_mov(in, ctx);
		break;
	case INSN_XCHG:
		r = emul_xchg(in, ctx);
		break;
	case INSN_BT:
		r = emul_bt(in, ctx);
		break;
	default:
		r = emul_alu(in, ctx);
		break;
	}
	return r ? r : in->len;
}

/*
 * x86 instruction decoder for MMIO emulation.  See arch/insn.h.
 *
 * The bytes come from the guest, so every fetch is bounds-checked against
 * both the buffer and the architectural 15-byte limit (invariant 10).
 */
#include <string.h>

#include <arch/insn.h>

/* How an opcode's operands are encoded. */
#define F_MODRM   0x0001
#define F_BYTE    0x0002        /* operand size is 1 */
#define F_IMM8    0x0004        /* imm8, sign-extended */
#define F_IMMZ    0x0008        /* imm16, or imm32 for 32- and 64-bit operands */
#define F_RMDST   0x0010        /* r/m is the first operand */
#define F_GRP1    0x0020        /* ModRM.reg picks ADD OR ADC SBB AND SUB XOR CMP */
#define F_REG0    0x0040        /* only ModRM.reg == 0 is this instruction */
#define F_MOFFS   0x0080        /* A0-A3: accumulator and an absolute offset */
#define F_STRING  0x0100        /* STOS, MOVS: implicit rDI (and rSI) */
#define F_LONG    0x0200        /* valid in 64-bit mode only */

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

struct op_desc {
	uint8_t kind;           /* enum insn_kind, 0 for an opcode not covered */
	uint8_t src_size;       /* MOVZX/MOVSX source size; 0 = the operand size */
	uint16_t flags;
};

#define ALU_ROW(op, k) \
	[(op) + 0] = { k, 0, F_MODRM | F_BYTE | F_RMDST }, \
	[(op) + 1] = { k, 0, F_MODRM | F_RMDST }, \
	[(op) + 2] = { k, 0, F_MODRM | F_BYTE }, \
	[(op) + 3] = { k, 0, F_MODRM }

static const struct op_desc op_one[256] = {
	ALU_ROW(0x00, INSN_ADD),
	ALU_ROW(0x08, INSN_OR),
	ALU_ROW(0x10, INSN_ADC),
	ALU_ROW(0x18, INSN_SBB),
	ALU_ROW(0x20, INSN_AND),
	ALU_ROW(0x28, INSN_SUB),
	ALU_ROW(0x30, INSN_XOR),
	ALU_ROW(0x38, INSN_CMP),
	[0x63] = { INSN_MOVSX, 4, F_MODRM | F_LONG },
	[0x80] = { INSN_NONE, 0, F_MODRM | F_BYTE | F_RMDST | F_GRP1 | F_IMM8 },
	[0x81] = { INSN_NONE, 0, F_MODRM | F_RMDST | F_GRP1 | F_IMMZ },
	[0x83] = { INSN_NONE, 0, F_MODRM | F_RMDST | F_GRP1 | F_IMM8 },
	[0x84] = { INSN_TEST, 0, F_MODRM | F_BYTE | F_RMDST },
	[0x85] = { INSN_TEST, 0, F_MODRM | F_RMDST },
	[0x86] = { INSN_XCHG, 0, F_MODRM | F_BYTE | F_RMDST },
	[0x87] = { INSN_XCHG, 0, F_MODRM | F_RMDST },
	[0x88] = { INSN_MOV, 0, F_MODRM | F_BYTE | F_RMDST },
	[0x89] = { INSN_MOV, 0, F_MODRM | F_RMDST },
	[0x8a] = { INSN_MOV, 0, F_MODRM | F_BYTE },
	[0x8b] = { INSN_MOV, 0, F_MODRM },
	[0xa0] = { INSN_MOV, 0, F_MOFFS | F_BYTE },
	[0xa1] = { INSN_MOV, 0, F_MOFFS },
	[0xa2] = { INSN_MOV, 0, F_MOFFS | F_BYTE | F_RMDST },
	[0xa3] = { INSN_MOV, 0, F_MOFFS | F_RMDST },
	[0x6c] = { INSN_INS, 0, F_STRING | F_BYTE },
	[0x6d] = { INSN_INS, 0, F_STRING },
	[0x6e] = { INSN_OUTS, 0, F_STRING | F_BYTE },
	[0x6f] = { INSN_OUTS, 0, F_STRING },
	[0xa4] = { INSN_MOVS, 0, F_STRING | F_BYTE },
	[0xa5] = { INSN_MOVS, 0, F_STRING },
	[0xaa] = { INSN_STOS, 0, F_STRING | F_BYTE },
	[0xab] = { INSN_STOS, 0, F_STRING },
	[0xc6] = { INSN_MOV, 0, F_MODRM | F_BYTE | F_RMDST | F_REG0 | F_IMM8 },
	[0xc7] = { INSN_MOV, 0, F_MODRM | F_RMDST | F_REG0 | F_IMMZ },
	[0xf6] = { INSN_TEST, 0, F_MODRM | F_BYTE | F_RMDST | F_REG0 | F_IMM8 },
	[0xf7] = { INSN_TEST, 0, F_MODRM | F_RMDST | F_REG0 | F_IMMZ },
};

static const uint8_t grp1_kind[8] = {
	INSN_ADD, INSN_OR, INSN_ADC, INSN_SBB, INSN_AND, INSN_SUB, INSN_XOR, INSN_CMP,
};

/* The two-byte (0F xx) opcodes covered. */
static struct op_desc op_two(uint8_t op)
{
	struct op_desc none = { INSN_NONE, 0, 0 };

	switch (op) {
	case 0xa3: return (struct op_desc){ INSN_BT, 0, F_MODRM | F_RMDST };
	case 0xb6: return (struct op_desc){ INSN_MOVZX, 1, F_MODRM };
	case 0xb7: return (struct op_desc){ INSN_MOVZX, 2, F_MODRM };
	case 0xbe: return (struct op_desc){ INSN_MOVSX, 1, F_MODRM };
	case 0xbf: return (struct op_desc){ INSN_MOVSX, 2, F_MODRM };
	default:   return none;
	}
}

struct dec {
	const uint8_t *bytes;
	size_t len;
	size_t pos;
	enum insn_mode mode;
	uint8_t rex;
	uint8_t addr_size;
};

/* Take n little-endian bytes; the 15-byte limit is checked before the buffer's end. */
static int dec_take(struct dec *d, unsigned n, uint64_t *v)
{
	uint64_t x = 0;

	if (d->pos + n > INSN_MAX_LEN)
		return -INSN_ETOOLONG;
	if (d->pos + n > d->len)
		return -INSN_ETRUNC;
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)d->bytes[d->pos + i] << (8 * i);
	d->pos += n;
	*v = x;
	return 0;
}

static int64_t sext(uint64_t v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;

	return bytes >= 8 ? (int64_t)v : (int64_t)(v << shift) >> shift;
}

/* A signed displacement or immediate of n bytes. */
static int dec_signed(struct dec *d, unsigned n, int64_t *v)
{
	uint64_t raw;
	int r = dec_take(d, n, &raw);

	if (r)
		return r;
	*v = sext(raw, n);
	return 0;
}

static void mem_init(struct insn_mem *m, uint8_t addr_size)
{
	m->base = INSN_REG_NONE;
	m->index = INSN_REG_NONE;
	m->scale = 1;
	m->seg = INSN_SEG_DS;
	m->addr_size = addr_size;
	m->rip_rel = false;
	m->disp = 0;
}

/* SDM vol.2 table 2-1: the eight 16-bit forms; mod 0 rm 6 is disp16 alone. */
static int dec_mem16(struct dec *d, struct insn_mem *m, unsigned mod, unsigned rm)
{
	static const int8_t base16[8] = {
		INSN_REG_RBX, INSN_REG_RBX, INSN_REG_RBP, INSN_REG_RBP,
		INSN_REG_NONE, INSN_REG_NONE, INSN_REG_RBP, INSN_REG_RBX,
	};
	static const int8_t index16[8] = {
		INSN_REG_RSI, INSN_REG_RDI, INSN_REG_RSI, INSN_REG_RDI,
		INSN_REG_RSI, INSN_REG_RDI, INSN_REG_NONE, INSN_REG_NONE,
	};

	if (mod == 0 && rm == 6)
		return dec_signed(d, 2, &m->disp);
	/* [SI] and [DI] alone are reported as a base, like [BX]. */
	if (base16[rm] == INSN_REG_NONE) {
		m->base = index16[rm];
	} else {
		m->base = base16[rm];
		m->index = index16[rm];
	}
	if (m->base == INSN_REG_RBP)
		m->seg = INSN_SEG_SS;
	if (mod == 1)
		return dec_signed(d, 1, &m->disp);
	if (mod == 2)
		return dec_signed(d, 2, &m->disp);
	return 0;
}

/* SDM vol.2 tables 2-2 and 2-3, with REX.X/B extending index and base. */
static int dec_mem32(struct dec *d, struct insn_mem *m, unsigned mod, unsigned rm)
{
	bool disp32 = mod == 2;
	int r;

	if (rm == 4) {
		uint64_t sib;
		unsigned index, base;

		r = dec_take(d, 1, &sib);
		if (r)
			return r;
		index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
		base = sib & 7;
		if (index != INSN_REG_RSP) {
			m->index = (int8_t)index;
			m->scale = (uint8_t)(1u << (sib >> 6));
		}
		if (base == 5 && mod == 0)
			disp32 = true;
		else
			m->base = (int8_t)(base | (d->rex & REX_B ? 8 : 0));
	} else if (rm == 5 && mod == 0) {
		disp32 = true;
		m->rip_rel = d->mode == INSN_MODE_64;
	} else {
		m->base = (int8_t)(rm | (d->rex & REX_B ? 8 : 0));
	}
	if (m->base == INSN_REG_RSP || m->base == INSN_REG_RBP)
		m->seg = INSN_SEG_SS;
	if (mod == 1)
		return dec_signed(d, 1, &m->disp);
	if (disp32)
		return dec_signed(d, 4, &m->disp);
	return 0;
}

static int dec_modrm(struct dec *d, struct insn *in)
{
	uint64_t b;
	unsigned mod, rm;
	int r = dec_take(d, 1, &b);

	if (r)
		return r;
	in->has_modrm = true;
	in->modrm = (uint8_t)b;
	mod = (unsigned)b >> 6;
	rm = (unsigned)b & 7;
	in->reg = (int8_t)(((b >> 3) & 7) | (d->rex & REX_R ? 8 : 0));
	if (mod == 3) {
		in->rm_reg = (int8_t)(rm | (d->rex & REX_B ? 8 : 0));
		return 0;
	}
	in->has_mem = true;
	mem_init(&in->mem, d->addr_size);
	if (d->addr_size == 2)
		return dec_mem16(d, &in->mem, mod, rm);
	return dec_mem32(d, &in->mem, mod, rm);
}

/* Byte registers 4..7 name AH CH DH BH unless any REX prefix is present. */
static int8_t byte_reg(int8_t reg, unsigned size, uint8_t rex)
{
	if (size == 1 && !rex && reg >= 4 && reg <= 7)
		return (int8_t)(INSN_REG_AH + reg - 4);
	return reg;
}

static bool seg_prefix(uint8_t b, uint8_t *seg)
{
	switch (b) {
	case 0x26: *seg = INSN_SEG_ES; return true;
	case 0x2e: *seg = INSN_SEG_CS; return true;
	case 0x36: *seg = INSN_SEG_SS; return true;
	case 0x3e: *seg = INSN_SEG_DS; return true;
	case 0x64: *seg = INSN_SEG_FS; return true;
	case 0x65: *seg = INSN_SEG_GS; return true;
	default:   return false;
	}
}

/*
 * AMD APM vol.3 1.2.4: 64-bit mode ignores the ES, CS, SS and DS overrides,
 * so one of them after FS or GS leaves FS or GS in effect.  Elsewhere the
 * last override wins.
 */
static bool seg_is_null(enum insn_mode mode, uint8_t seg)
{
	return mode == INSN_MODE_64 && seg != INSN_SEG_FS && seg != INSN_SEG_GS;
}

struct prefixes {
	bool opsz;              /* 66 */
	bool adsz;              /* 67 */
	uint8_t seg;            /* the segment override in effect, else DS */
};

/*
 * Legacy prefixes in any order and number, then REX in 64-bit mode.  A REX
 * followed by another prefix is ignored (SDM vol.2 2.2.1).  Leaves the
 * opcode's first byte in *op.
 */
static int dec_prefixes(struct dec *d, struct insn *in, struct prefixes *p, uint8_t *op)
{
	for (;;) {
		uint64_t b;
		uint8_t seg;
		int r = dec_take(d, 1, &b);

		if (r)
			return r;
		if (d->mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
			d->rex = (uint8_t)b;
			continue;
		}
		if (b == 0x66) {
			p->opsz = true;
		} else if (b == 0x67) {
			p->adsz = true;
		} else if (b == 0xf0) {
			in->lock = true;
		} else if (b == 0xf2 || b == 0xf3) {
			in->rep = (uint8_t)b;
		} else if (seg_prefix((uint8_t)b, &seg)) {
			in->seg_override = true;
			if (!seg_is_null(d->mode, seg) || seg_is_null(d->mode, p->seg))
				p->seg = seg;
		} else {
			*op = (uint8_t)b;
			return 0;
		}
		d->rex = 0;
	}
}

static uint8_t op_size_for(enum insn_mode mode, uint8_t rex, bool opsz)
{
	if (mode == INSN_MODE_64 && (rex & REX_W))
		return 8;
	if (mode == INSN_MODE_16)
		return opsz ? 4 : 2;
	return opsz ? 2 : 4;
}

static uint8_t addr_size_for(enum insn_mode mode, bool adsz)
{
	if (mode == INSN_MODE_64)
		return adsz ? 4 : 8;
	if (mode == INSN_MODE_32)
		return adsz ? 2 : 4;
	return adsz ? 4 : 2;
}

/*
 * STOS, MOVS, INS: ES:[rDI] (no override); MOVS and OUTS: seg:[rSI].  INS
 * and OUTS move 1, 2 or 4 bytes (REX.W changes nothing) between memory and
 * the port in DX.
 */
static void dec_string(struct dec *d, struct insn *in, uint8_t seg)
{
	if (in->kind != INSN_OUTS) {
		in->has_mem = true;
		mem_init(&in->mem, d->addr_size);
		in->mem.base = INSN_REG_RDI;
		in->mem.seg = INSN_SEG_ES;
	}
	if (in->kind == INSN_MOVS || in->kind == INSN_OUTS) {
		mem_init(&in->src, d->addr_size);
		in->src.base = INSN_REG_RSI;
		in->src.seg = seg;
	}
	if (in->kind == INSN_STOS)
		in->reg = INSN_REG_RAX;
	if (in->kind == INSN_INS || in->kind == INSN_OUTS) {
		in->reg = INSN_REG_RDX;
		if (in->op_size == 8)
			in->op_size = in->src_size = 4;
	}
}

/* SDM vol.2 "LOCK": only read-modify-write instructions with a memory destination. */
static bool lock_ok(const struct insn *in)
{
	if (!in->has_mem || !in->rm_dst)
		return false;
	return in->kind == INSN_XCHG || (in->kind >= INSN_ADD && in->kind <= INSN_XOR);
}

static int dec_operands(struct dec *d, struct insn *in, struct op_desc desc, uint8_t seg)
{
	uint64_t moffs;
	int r;

	if (desc.flags & F_MODRM) {
		r = dec_modrm(d, in);
		if (r)
			return r;
		if (in->has_mem && in->seg_override)
			in->mem.seg = seg;
		if (desc.flags & F_GRP1)
			in->kind = grp1_kind[(in->modrm >> 3) & 7];
		if ((desc.flags & F_REG0) && (in->modrm & 0x38))
			return -INSN_EUNSUPPORTED;
		if (desc.flags & (F_GRP1 | F_REG0))
			in->reg = INSN_REG_NONE;
	} else if (desc.flags & F_MOFFS) {
		r = dec_take(d, d->addr_size, &moffs);
		if (r)
			return r;
		in->has_mem = true;
		mem_init(&in->mem, d->addr_size);
		in->mem.disp = (int64_t)moffs;
		in->mem.seg = seg;
		in->reg = INSN_REG_RAX;
	} else if (desc.flags & F_STRING) {
		dec_string(d, in, seg);
	}
	if (desc.flags & (F_IMM8 | F_IMMZ)) {
		in->has_imm = true;
		in->imm_size = (desc.flags & F_IMM8) ? 1 : in->op_size == 2 ? 2 : 4;
		return dec_signed(d, in->imm_size, &in->imm);
	}
	return 0;
}

int insn_decode(struct insn *in, const uint8_t *bytes, size_t len, enum insn_mode mode)
{
	struct dec d = { bytes, len, 0, mode, 0, 0 };
	struct op_desc desc;
	struct prefixes p = { false, false, INSN_SEG_DS };
	uint8_t op;
	uint64_t op2;
	int r;

	memset(in, 0, sizeof(*in));
	in->reg = INSN_REG_NONE;
	in->rm_reg = INSN_REG_NONE;
	if (mode != INSN_MODE_16 && mode != INSN_MODE_32 && mode != INSN_MODE_64)
		return -INSN_EINVAL;
	r = dec_prefixes(&d, in, &p, &op);
	if (r)
		return r;
	d.addr_size = addr_size_for(mode, p.adsz);
	in->mode = (uint8_t)mode;
	in->rex = d.rex;
	if (op == 0x0f) {
		r = dec_take(&d, 1, &op2);
		if (r)
			return r;
		in->opcode = (uint16_t)(0x0f00 | op2);
		desc = op_two((uint8_t)op2);
	} else {
		in->opcode = op;
		desc = op_one[op];
	}
	if (!desc.kind && !(desc.flags & F_GRP1))
		return -INSN_EUNSUPPORTED;
	if ((desc.flags & F_LONG) && mode != INSN_MODE_64)
		return -INSN_EUNSUPPORTED;     /* 63 is ARPL outside 64-bit mode */
	in->kind = (enum insn_kind)desc.kind;
	in->rm_dst = desc.flags & F_RMDST;
	in->op_size = desc.flags & F_BYTE ? 1 : op_size_for(mode, d.rex, p.opsz);
	in->src_size = desc.src_size ? desc.src_size : in->op_size;
	if (in->src_size > in->op_size)
		in->src_size = in->op_size;    /* MOVSXD r16, r/m16 */
	r = dec_operands(&d, in, desc, p.seg);
	if (r)
		return r;
	if (in->lock && !lock_ok(in))
		return -INSN_EUD;
	in->reg = byte_reg(in->reg, in->op_size, d.rex);
	in->rm_reg = byte_reg(in->rm_reg, in->src_size, d.rex);
	in->len = (uint8_t)d.pos;
	return in->len;
}

char *insn_format_bytes(char *out, size_t size, const uint8_t *bytes, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!size)
		return out;
	for (size_t i = 0; i < len && i < INSN_MAX_LEN; i++) {
		if (o + (i ? 3 : 2) >= size)
			break;
		if (i)
			out[o++] = ' ';
		out[o++] = hex[bytes[i] >> 4];
		out[o++] = hex[bytes[i] & 15];
	}
	out[o] = '\0';
	return out;
}

const char *insn_strerror(int err)
{
	switch (err < 0 ? -(long)err : err) {
	case INSN_ETRUNC:       return "instruction bytes end early";
	case INSN_ETOOLONG:     return "instruction longer than 15 bytes";
	case INSN_EUNSUPPORTED: return "instruction not supported for MMIO";
	case INSN_EUD:          return "invalid encoding (#UD)";
	case INSN_ENOMEM:       return "instruction has no memory operand";
	case INSN_EIO:          return "memory or device access failed";
	case INSN_EINVAL:       return "invalid argument";
	default:                return "unknown error";
	}
}

/*
 * Host tests of the MMIO instruction decoder (arch/x86_64/insn.c) and
 * emulator (arch/x86_64/insn_emul.c).  Instruction bytes are copied into a
 * heap buffer of exactly their length, so ASan catches any read past len.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arch/insn.h>

#define N    INSN_REG_NONE
#define RAX  0
#define RCX  1
#define RDX  2
#define RBX  3
#define RSP  4
#define RBP  5
#define RSI  6
#define RDI  7
#define AH   (INSN_REG_AH + 0)
#define BH   (INSN_REG_AH + 3)

#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define DF 0x400
#define OF 0x800
#define FL_FIXED 0x202          /* reserved bit 1 and IF: must survive every op */

static int decode_exact(struct insn *in, const char *bytes, size_t n, enum insn_mode mode)
{
	uint8_t *buf = malloc(n ? n : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, bytes, n);
	r = insn_decode(in, buf, n, mode);
	free(buf);
	return r;
}

/* ---------------------------------------------------------------- decoder table */

struct mem_exp {
	int8_t base, index;
	uint8_t scale;
	int64_t disp;
	uint8_t seg, addr_size;
	bool rip_rel;
};

struct dec_case {
	const char *bytes;
	size_t n;
	enum insn_mode mode;
	int ret;                /* length, or -INSN_E* */
	enum insn_kind kind;
	uint8_t size;
	int8_t reg, rm_reg;
	bool has_mem;
	struct mem_exp m;
	int64_t imm;
};

#define B(s)    s, sizeof(s) - 1
#define M64     INSN_MODE_64
#define M32     INSN_MODE_32
#define M16     INSN_MODE_16
#define MEM(b, i, sc, d, sg, as) true, { b, i, sc, d, INSN_SEG_##sg, as, false }
#define RIPREL(d, as)            true, { N, N, 1, d, INSN_SEG_DS, as, true }
#define NOMEM                    false, { N, N, 1, 0, INSN_SEG_DS, 0, false }
#define ERR(e)  -INSN_##e, INSN_NONE, 0, N, N, NOMEM, 0
#define K(k)    INSN_##k

static const struct dec_case dec_cases[] = {
	/* MOV in every addressing form */
	{ B("\x8b\x07"), M64, 2, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x48\x8b\x07"), M64, 3, K(MOV), 8, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x89\x0e"), M64, 2, K(MOV), 4, RCX, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x66\x89\x0e"), M64, 3, K(MOV), 2, RCX, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x88\x0e"), M64, 2, K(MOV), 1, RCX, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x88\x26"), M64, 2, K(MOV), 1, AH, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x40\x88\x26"), M64, 3, K(MOV), 1, RSP, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x8a\x3e"), M64, 2, K(MOV), 1, BH, N, MEM(RSI, N, 1, 0, DS, 8), 0 },
	{ B("\x44\x8b\x07"), M64, 3, K(MOV), 4, 8, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x41\x8b\x07"), M64, 3, K(MOV), 4, RAX, N, MEM(15, N, 1, 0, DS, 8), 0 },
	{ B("\x42\x8b\x04\x07"), M64, 4, K(MOV), 4, RAX, N, MEM(RDI, 8, 1, 0, DS, 8), 0 },
	{ B("\x8b\x04\x8d\x00\x10\x00\x00"), M64, 7, K(MOV), 4, RAX, N, MEM(N, RCX, 4, 0x1000, DS, 8), 0 },
	{ B("\x8b\x04\x24"), M64, 3, K(MOV), 4, RAX, N, MEM(RSP, N, 1, 0, SS, 8), 0 },
	{ B("\x42\x8b\x04\x24"), M64, 4, K(MOV), 4, RAX, N, MEM(RSP, 12, 1, 0, SS, 8), 0 },
	{ B("\x41\x8b\x04\x24"), M64, 4, K(MOV), 4, RAX, N, MEM(12, N, 1, 0, DS, 8), 0 },
	{ B("\x41\x8b\x45\x00"), M64, 4, K(MOV), 4, RAX, N, MEM(13, N, 1, 0, DS, 8), 0 },
	{ B("\x8b\x44\x25\xf8"), M64, 4, K(MOV), 4, RAX, N, MEM(RBP, N, 1, -8, SS, 8), 0 },
	{ B("\x41\x8b\x04\x25\x00\x10\x00\x00"), M64, 8, K(MOV), 4, RAX, N, MEM(N, N, 1, 0x1000, DS, 8), 0 },
	{ B("\x8b\x45\xf8"), M64, 3, K(MOV), 4, RAX, N, MEM(RBP, N, 1, -8, SS, 8), 0 },
	{ B("\x8b\x87\x00\x01\x00\x00"), M64, 6, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0x100, DS, 8), 0 },
	{ B("\x8b\x05\x10\x00\x00\x00"), M64, 6, K(MOV), 4, RAX, N, RIPREL(0x10, 8), 0 },
	{ B("\x41\x8b\x05\xf0\xff\xff\xff"), M64, 7, K(MOV), 4, RAX, N, RIPREL(-0x10, 8), 0 },
	{ B("\x67\x8b\x07"), M64, 3, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 4), 0 },
	{ B("\x67\x8b\x05\x10\x00\x00\x00"), M64, 7, K(MOV), 4, RAX, N, RIPREL(0x10, 4), 0 },
	{ B("\x4c\x8b\x24\xc5\x00\x00\x00\x80"), M64, 8, K(MOV), 8, 12, N, MEM(N, RAX, 8, -0x80000000ll, DS, 8), 0 },
	{ B("\x4b\x8b\x04\xf8"), M64, 4, K(MOV), 8, RAX, N, MEM(8, 15, 8, 0, DS, 8), 0 },
	{ B("\x65\x48\x8b\x04\x25\x28\x00\x00\x00"), M64, 9, K(MOV), 8, RAX, N, MEM(N, N, 1, 0x28, GS, 8), 0 },
	{ B("\x64\x8b\x07"), M64, 3, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, FS, 8), 0 },
	{ B("\x2e\x8b\x07"), M64, 3, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, CS, 8), 0 },
	{ B("\x26\x36\x8b\x07"), M64, 4, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, SS, 8), 0 },
	{ B("\x64\x36\x8b\x07"), M64, 4, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, FS, 8), 0 },
	{ B("\x64\x36\x8b\x07"), M32, 4, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, SS, 4), 0 },
	{ B("\x3e\x8b\x45\x00"), M64, 4, K(MOV), 4, RAX, N, MEM(RBP, N, 1, 0, DS, 8), 0 },
	{ B("\x48\x66\x8b\x07"), M64, 4, K(MOV), 2, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x66\x48\x8b\x07"), M64, 4, K(MOV), 8, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x40\x8b\x07"), M64, 3, K(MOV), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x8b\xc1"), M64, 2, K(MOV), 4, RAX, RCX, NOMEM, 0 },
	{ B("\x2e\x3e\x26\x64\x48\xc7\x87\x00\x01\x00\x00\x78\x56\x34\x12"), M64, 15, K(MOV), 8, N, N,
	  MEM(RDI, N, 1, 0x100, FS, 8), 0x12345678 },
	/* moffs */
	{ B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), M64, 10, K(MOV), 8, RAX, N,
	  MEM(N, N, 1, 0x1122334455667788ll, DS, 8), 0 },
	{ B("\xa0\x00\x00\x0b\xfe\x00\x00\x00\x00"), M64, 9, K(MOV), 1, RAX, N, MEM(N, N, 1, 0xfe0b0000, DS, 8), 0 },
	{ B("\x67\xa3\x44\x33\x22\x11"), M64, 6, K(MOV), 4, RAX, N, MEM(N, N, 1, 0x11223344, DS, 4), 0 },
	{ B("\x64\xa2\xf0\xff\xff\xff\xff\xff\xff\xff"), M64, 10, K(MOV), 1, RAX, N, MEM(N, N, 1, -16, FS, 8), 0 },
	/* MOV immediate */
	{ B("\xc7\x07\x78\x56\x34\x12"), M64, 6, K(MOV), 4, N, N, MEM(RDI, N, 1, 0, DS, 8), 0x12345678 },
	{ B("\x48\xc7\x07\xff\xff\xff\xff"), M64, 7, K(MOV), 8, N, N, MEM(RDI, N, 1, 0, DS, 8), -1 },
	{ B("\x66\xc7\x07\x34\x12"), M64, 5, K(MOV), 2, N, N, MEM(RDI, N, 1, 0, DS, 8), 0x1234 },
	{ B("\xc6\x07\x80"), M64, 3, K(MOV), 1, N, N, MEM(RDI, N, 1, 0, DS, 8), -128 },
	{ B("\xc6\x44\x24\x08\xab"), M64, 5, K(MOV), 1, N, N, MEM(RSP, N, 1, 8, SS, 8), -85 },
	/* MOVZX, MOVSX, MOVSXD */
	{ B("\x0f\xb6\x07"), M64, 3, K(MOVZX), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x48\x0f\xb7\x07"), M64, 4, K(MOVZX), 8, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x66\x0f\xb6\x07"), M64, 4, K(MOVZX), 2, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x0f\xb6\xc4"), M64, 3, K(MOVZX), 4, RAX, AH, NOMEM, 0 },
	{ B("\x0f\xbe\x07"), M64, 3, K(MOVSX), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x4c\x0f\xbf\x47\x02"), M64, 5, K(MOVSX), 8, 8, N, MEM(RDI, N, 1, 2, DS, 8), 0 },
	{ B("\x48\x63\x07"), M64, 3, K(MOVSX), 8, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	/* ALU, group 1, TEST, XCHG, BT */
	{ B("\x01\x07"), M64, 2, K(ADD), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x03\x07"), M64, 2, K(ADD), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x08\x27"), M64, 2, K(OR), 1, AH, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x13\x07"), M64, 2, K(ADC), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x19\x07"), M64, 2, K(SBB), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x45\x21\x3e"), M64, 3, K(AND), 4, 15, N, MEM(14, N, 1, 0, DS, 8), 0 },
	{ B("\x2b\x07"), M64, 2, K(SUB), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x32\x07"), M64, 2, K(XOR), 1, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x39\x07"), M64, 2, K(CMP), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x83\x0f\x01"), M64, 3, K(OR), 4, N, N, MEM(RDI, N, 1, 0, DS, 8), 1 },
	{ B("\x81\x27\xff\xff\xfe\xff"), M64, 6, K(AND), 4, N, N, MEM(RDI, N, 1, 0, DS, 8), -65537 },
	{ B("\x80\x3f\x00"), M64, 3, K(CMP), 1, N, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x48\x83\x67\x08\xf0"), M64, 5, K(AND), 8, N, N, MEM(RDI, N, 1, 8, DS, 8), -16 },
	{ B("\x66\x81\x47\x02\x00\x80"), M64, 6, K(ADD), 2, N, N, MEM(RDI, N, 1, 2, DS, 8), -32768 },
	{ B("\x80\x57\x01\x05"), M64, 4, K(ADC), 1, N, N, MEM(RDI, N, 1, 1, DS, 8), 5 },
	{ B("\x85\x07"), M64, 2, K(TEST), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\xf6\x07\x01"), M64, 3, K(TEST), 1, N, N, MEM(RDI, N, 1, 0, DS, 8), 1 },
	{ B("\xf7\x07\x00\x00\x00\x80"), M64, 6, K(TEST), 4, N, N, MEM(RDI, N, 1, 0, DS, 8), -0x80000000ll },
	{ B("\x66\xf7\x07\xff\x00"), M64, 5, K(TEST), 2, N, N, MEM(RDI, N, 1, 0, DS, 8), 0xff },
	{ B("\x87\x07"), M64, 2, K(XCHG), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x86\x27"), M64, 2, K(XCHG), 1, AH, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\xf0\x87\x07"), M64, 3, K(XCHG), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\xf0\x01\x07"), M64, 3, K(ADD), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	{ B("\x0f\xa3\x07"), M64, 3, K(BT), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 8), 0 },
	/* string ops: mem is ES:[rDI] whatever the override */
	{ B("\xf3\xab"), M64, 2, K(STOS), 4, RAX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\xf3\x48\xab"), M64, 3, K(STOS), 8, RAX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\xaa"), M64, 1, K(STOS), 1, RAX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\xf3\xa4"), M64, 2, K(MOVS), 1, N, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\x66\xf3\xa5"), M64, 3, K(MOVS), 2, N, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\xf3\x67\x64\xa5"), M64, 4, K(MOVS), 4, N, N, MEM(RDI, N, 1, 0, ES, 4), 0 },
	/* INS: ES:[rDI] whatever the override; the port is DX; REX.W leaves 4 bytes */
	{ B("\xf3\x6c"), M64, 2, K(INS), 1, RDX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\x66\xf3\x6d"), M64, 3, K(INS), 2, RDX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\xf3\x48\x6d"), M64, 3, K(INS), 4, RDX, N, MEM(RDI, N, 1, 0, ES, 8), 0 },
	{ B("\x67\x64\x6c"), M64, 3, K(INS), 1, RDX, N, MEM(RDI, N, 1, 0, ES, 4), 0 },
	{ B("\x6d"), M16, 1, K(INS), 2, RDX, N, MEM(RDI, N, 1, 0, ES, 2), 0 },
	/* 32-bit mode */
	{ B("\x8b\x05\x00\x10\x00\x00"), M32, 6, K(MOV), 4, RAX, N, MEM(N, N, 1, 0x1000, DS, 4), 0 },
	{ B("\x66\xa1\x00\x10\x00\x00"), M32, 6, K(MOV), 2, RAX, N, MEM(N, N, 1, 0x1000, DS, 4), 0 },
	{ B("\x67\x8b\x07"), M32, 3, K(MOV), 4, RAX, N, MEM(RBX, N, 1, 0, DS, 2), 0 },
	{ B("\x8b\x44\x24\xfc"), M32, 4, K(MOV), 4, RAX, N, MEM(RSP, N, 1, -4, SS, 4), 0 },
	{ B("\x0f\xb6\x07"), M32, 3, K(MOVZX), 4, RAX, N, MEM(RDI, N, 1, 0, DS, 4), 0 },
	{ B("\xf3\xab"), M32, 2, K(STOS), 4, RAX, N, MEM(RDI, N, 1, 0, ES, 4), 0 },
	/* 16-bit mode and 16-bit addressing */
	{ B("\x8b\x07"), M16, 2, K(MOV), 2, RAX, N, MEM(RBX, N, 1, 0, DS, 2), 0 },
	{ B("\x8b\x00"), M16, 2, K(MOV), 2, RAX, N, MEM(RBX, RSI, 1, 0, DS, 2), 0 },
	{ B("\x8b\x42\x10"), M16, 3, K(MOV), 2, RAX, N, MEM(RBP, RSI, 1, 0x10, SS, 2), 0 },
	{ B("\x8b\x06\x34\x12"), M16, 4, K(MOV), 2, RAX, N, MEM(N, N, 1, 0x1234, DS, 2), 0 },
	{ B("\x8b\x86\x00\x80"), M16, 4, K(MOV), 2, RAX, N, MEM(RBP, N, 1, -32768, SS, 2), 0 },
	{ B("\x8b\x44\xfe"), M16, 3, K(MOV), 2, RAX, N, MEM(RSI, N, 1, -2, DS, 2), 0 },
	{ B("\x26\x89\x19"), M16, 3, K(MOV), 2, RBX, N, MEM(RBX, RDI, 1, 0, ES, 2), 0 },
	{ B("\x66\x8b\x07"), M16, 3, K(MOV), 4, RAX, N, MEM(RBX, N, 1, 0, DS, 2), 0 },
	{ B("\x67\x8b\x07"), M16, 3, K(MOV), 2, RAX, N, MEM(RDI, N, 1, 0, DS, 4), 0 },
	{ B("\xa1\x34\x12"), M16, 3, K(MOV), 2, RAX, N, MEM(N, N, 1, 0x1234, DS, 2), 0 },
	{ B("\xc7\x47\x02\xcd\xab"), M16, 5, K(MOV), 2, N, N, MEM(RBX, N, 1, 2, DS, 2), -0x5433 },
	/* errors */
	{ B(""), M64, ERR(ETRUNC) },
	{ B("\x8b"), M64, ERR(ETRUNC) },
	{ B("\x0f"), M64, ERR(ETRUNC) },
	{ B("\x48"), M64, ERR(ETRUNC) },
	{ B("\x8b\x87\x00\x01\x00"), M64, ERR(ETRUNC) },
	{ B("\x8b\x04"), M64, ERR(ETRUNC) },
	{ B("\xc7\x07\x78\x56\x34"), M64, ERR(ETRUNC) },
	{ B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22"), M64, ERR(ETRUNC) },
	{ B("\x2e\x3e\x26\x64\x66\x48\xc7\x87\x00\x01\x00\x00\x78\x56\x34\x12"), M64, ERR(ETOOLONG) },
	{ B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"), M64, ERR(ETOOLONG) },
	{ B("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"), M64, ERR(ETRUNC) },
	{ B("\xf4"), M64, ERR(EUNSUPPORTED) },
	{ B("\x0f\x0b"), M64, ERR(EUNSUPPORTED) },
	{ B("\xc7\x0f\x00\x00\x00\x00"), M64, ERR(EUNSUPPORTED) },
	{ B("\xf7\x17"), M64, ERR(EUNSUPPORTED) },
	{ B("\x48\x8b\x07"), M32, ERR(EUNSUPPORTED) },
	{ B("\x63\x07"), M32, ERR(EUNSUPPORTED) },
	{ B("\xf0\x01\xc0"), M64, ERR(EUD) },
	{ B("\xf0\x8b\x07"), M64, ERR(EUD) },
	{ B("\xf0\x39\x07"), M64, ERR(EUD) },
	{ B("\xf0\xf3\xab"), M64, ERR(EUD) },
	{ B("\x8b\x07"), (enum insn_mode)48, ERR(EINVAL) },
};

static bool dec_row_ok(const struct insn *in, int r, const struct dec_case *c)
{
	const struct insn_mem *m = &in->mem;
	const struct mem_exp *e = &c->m;

	if (r != c->ret || r < 0)
		return r == c->ret;
	if (in->len != r || in->mode != c->mode || in->kind != c->kind || in->op_size != c->size ||
	    in->reg != c->reg || in->rm_reg != c->rm_reg || in->has_mem != c->has_mem || in->imm != c->imm)
		return false;
	return !c->has_mem || (m->base == e->base && m->index == e->index && m->scale == e->scale &&
			       m->disp == e->disp && m->seg == e->seg &&
			       m->addr_size == e->addr_size && m->rip_rel == e->rip_rel);
}

static void test_decode_table(void **state)
{
	size_t rows = sizeof(dec_cases) / sizeof(dec_cases[0]);

	(void)state;
	assert_true(rows >= 60);
	for (size_t i = 0; i < rows; i++) {
		const struct dec_case *c = &dec_cases[i];
		struct insn in;
		char hex[INSN_FORMAT_MAX];
		int r = decode_exact(&in, c->bytes, c->n, c->mode);

		if (dec_row_ok(&in, r, c))
			continue;
		insn_format_bytes(hex, sizeof(hex), (const uint8_t *)c->bytes, c->n);
		print_error("row %zu [%s] mode %d: got %d kind %d size %d reg %d rm %d mem %d "
			    "base %d index %d scale %d disp %lld seg %d as %d rip %d imm %lld\n",
			    i, hex, c->mode, r, in.kind, in.op_size, in.reg, in.rm_reg, in.has_mem,
			    in.mem.base, in.mem.index, in.mem.scale, (long long)in.mem.disp, in.mem.seg,
			    in.mem.addr_size, in.mem.rip_rel, (long long)in.imm);
		fail();
	}
}

/* OUTS has no destination memory: its operand is the source, seg:[rSI]. */
static void test_decode_outs(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		enum insn_mode mode;
		uint8_t size, seg, addr_size;
	} cases[] = {
		{ B("\xf3\x6e"), M64, 1, INSN_SEG_DS, 8 },
		{ B("\x64\xf3\x6e"), M64, 1, INSN_SEG_FS, 8 },
		{ B("\x67\x66\x6f"), M64, 2, INSN_SEG_DS, 4 },
		{ B("\x48\x6f"), M64, 4, INSN_SEG_DS, 8 },
		{ B("\x2e\x6f"), M32, 4, INSN_SEG_CS, 4 },
		{ B("\x26\x67\x6e"), M16, 1, INSN_SEG_ES, 4 },
	};
	struct insn in;
	struct insn_ctx c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(decode_exact(&in, cases[i].bytes, cases[i].n, cases[i].mode),
				 (int)cases[i].n);
		assert_int_equal(in.kind, INSN_OUTS);
		assert_int_equal(in.op_size, cases[i].size);
		assert_int_equal(in.reg, RDX);
		assert_false(in.has_mem);
		assert_int_equal(in.src.base, RSI);
		assert_int_equal(in.src.seg, cases[i].seg);
		assert_int_equal(in.src.addr_size, cases[i].addr_size);
		/* Port I/O is never MMIO: the emulator refuses both. */
		memset(&c, 0, sizeof(c));
		assert_int_equal(insn_emulate(&in, &c), -INSN_EUNSUPPORTED);
	}
	assert_int_equal(decode_exact(&in, B("\xf3\x6c"), M64), 2);
	memset(&c, 0, sizeof(c));
	assert_int_equal(insn_emulate(&in, &c), -INSN_EUNSUPPORTED);
}

/* Fields the table does not show. */
static void test_decode_details(void **state)
{
	struct insn in;

	(void)state;
	assert_int_equal(decode_exact(&in, B("\x66\x0f\xbe\x07"), M64), 4);
	assert_int_equal(in.src_size, 1);
	assert_int_equal(in.opcode, 0x0fbe);
	assert_int_equal(decode_exact(&in, B("\x48\x63\x07"), M64), 3);
	assert_int_equal(in.src_size, 4);
	assert_int_equal(decode_exact(&in, B("\x66\x63\x07"), M64), 3);
	assert_int_equal(in.op_size, 2);
	assert_int_equal(in.src_size, 2);
	assert_int_equal(decode_exact(&in, B("\x8b\x07"), M64), 2);
	assert_int_equal(in.src_size, 4);
	assert_false(in.rm_dst);
	assert_false(in.has_imm);
	assert_int_equal(in.rex, 0);
	assert_int_equal(decode_exact(&in, B("\xf3\x64\x67\xa5"), M64), 4);
	assert_true(in.seg_override);
	assert_int_equal(in.rep, 0xf3);
	assert_int_equal(in.src.base, RSI);
	assert_int_equal(in.src.seg, INSN_SEG_FS);
	assert_int_equal(in.src.addr_size, 4);
	assert_int_equal(decode_exact(&in, B("\xf2\xaa"), M64), 2);
	assert_int_equal(in.rep, 0xf2);
	assert_int_equal(decode_exact(&in, B("\xf0\x48\x83\x07\x01"), M64), 5);
	assert_true(in.lock);
	assert_true(in.rm_dst);
	assert_int_equal(in.rex, 0x48);
	assert_int_equal(in.imm_size, 1);
	assert_int_equal(decode_exact(&in, B("\x48\x81\x07\x00\x00\x00\x80"), M64), 7);
	assert_int_equal(in.imm_size, 4);
	assert_int_equal((uint64_t)in.imm, 0xffffffff80000000ull);
	assert_int_equal(decode_exact(&in, B("\x41\x8a\xe0"), M64), 3);
	assert_int_equal(in.reg, RSP);          /* REX: 4 is SPL, not AH */
	assert_int_equal(in.rm_reg, 8);
}

static void test_format_and_errors(void **state)
{
	static const uint8_t bytes[16] = { 0x0f, 0xb6, 0x07, 0xff, [15] = 0xee };
	char out[INSN_FORMAT_MAX];
	char small[6];

	(void)state;
	assert_string_equal(insn_format_bytes(out, sizeof(out), bytes, 3), "0f b6 07");
	assert_string_equal(insn_format_bytes(out, sizeof(out), bytes, 0), "");
	insn_format_bytes(out, sizeof(out), bytes, 16);
	assert_int_equal(strlen(out), 3 * 15 - 1);
	assert_string_equal(out + 39, "00 00");
	assert_string_equal(insn_format_bytes(small, sizeof(small), bytes, 3), "0f b6");
	memset(small, 'x', sizeof(small));
	assert_string_equal(insn_format_bytes(small, 2, bytes, 3), "");
	assert_string_equal(insn_strerror(-INSN_EUNSUPPORTED), "instruction not supported for MMIO");
	assert_string_equal(insn_strerror(-INSN_ETOOLONG), "instruction longer than 15 bytes");
	assert_string_equal(insn_strerror(12345), "unknown error");
}

/* ---------------------------------------------------------------- emulator */

#define GPA       0xfebf0010ull
#define RAM_GVA   0x7000ull
#define RAM_SIZE  0x2000u

struct access {
	char what;              /* r w: MMIO read/write; R W: guest memory read/write */
	uint64_t addr;
	unsigned size;
	uint64_t val;
};

struct fake {
	struct access log[32];
	unsigned n;
	uint64_t rd[8];         /* successive MMIO read values; the last one repeats */
	unsigned nrd;
	bool fail_read, fail_write;
	uint8_t ram[RAM_SIZE];
};

static void log_access(struct fake *f, char what, uint64_t addr, unsigned size, uint64_t val)
{
	if (f->n < 32)
		f->log[f->n] = (struct access){ what, addr, size, val };
	f->n++;
}

static int fake_mmio_read(void *arg, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct fake *f = arg;

	*val = f->rd[f->nrd < 8 ? f->nrd : 7];
	f->nrd++;
	log_access(f, 'r', gpa, size, *val);
	return f->fail_read ? -1 : 0;
}

static int fake_mmio_write(void *arg, uint64_t gpa, unsigned size, uint64_t val)
{
	struct fake *f = arg;

	log_access(f, 'w', gpa, size, val);
	return f->fail_write ? -1 : 0;
}

/* Guest memory: RAM_SIZE bytes at RAM_GVA; anything else fails like an unmapped page. */
static int fake_mem(struct fake *f, char what, uint64_t gva, void *buf, unsigned size)
{
	uint8_t *ram;
	uint64_t v = 0;

	if (gva < RAM_GVA || gva + size > RAM_GVA + RAM_SIZE)
		return -1;
	ram = f->ram + (gva - RAM_GVA);
	memcpy(what == 'R' ? buf : ram, what == 'R' ? ram : buf, size);
	memcpy(&v, ram, size);
	log_access(f, what, gva, size, v);
	return 0;
}

static int fake_mem_read(void *arg, uint64_t gva, void *buf, unsigned size)
{
	return fake_mem(arg, 'R', gva, buf, size);
}

static int fake_mem_write(void *arg, uint64_t gva, const void *buf, unsigned size)
{
	return fake_mem(arg, 'W', gva, (void *)buf, size);
}

static struct fake fk;

static void ctx_init(struct insn_ctx *c)
{
	memset(&fk, 0, sizeof(fk));
	memset(c, 0, sizeof(*c));
	c->rflags = FL_FIXED;
	c->gpa = GPA;
	c->arg = &fk;
	c->mmio_read = fake_mmio_read;
	c->mmio_write = fake_mmio_write;
	c->mem_read = fake_mem_read;
	c->mem_write = fake_mem_write;
}

static int emu_mode(const char *bytes, size_t n, enum insn_mode mode, struct insn_ctx *c)
{
	struct insn in;
	int len = decode_exact(&in, bytes, n, mode);

	assert_int_equal(len, (int)n);
	return insn_emulate(&in, c);
}

#define EMU(s, c)  emu_mode(s, sizeof(s) - 1, INSN_MODE_64, c)

static void expect_access(unsigned i, char what, uint64_t addr, unsigned size, uint64_t val)
{
	assert_true(i < fk.n);
	assert_int_equal(fk.log[i].what, what);
	assert_int_equal(fk.log[i].addr, addr);
	assert_int_equal(fk.log[i].size, size);
	assert_int_equal(fk.log[i].val, val);
}

/* Exactly one MMIO access, and the register a load wrote. */
static void expect_load(const char *bytes, size_t n, uint64_t before, uint64_t dev,
			unsigned size, int reg, uint64_t after)
{
	struct insn_ctx c;

	ctx_init(&c);
	c.regs[reg] = before;
	fk.rd[0] = dev;
	assert_int_equal(emu_mode(bytes, n, INSN_MODE_64, &c), (int)n);
	assert_int_equal(fk.n, 1);
	expect_access(0, 'r', GPA, size, dev);
	assert_int_equal(c.regs[reg], after);
	assert_int_equal(c.rflags, FL_FIXED);
}

#define LOAD(s, before, dev, size, reg, after) expect_load(B(s), before, dev, size, reg, after)

static void test_emul_loads(void **state)
{
	(void)state;
	LOAD("\x8b\x07", ~0ull, 0x89abcdef, 4, RAX, 0x89abcdefull);          /* zero-extends */
	LOAD("\x48\x8b\x07", 0, 0x1122334455667788ull, 8, RAX, 0x1122334455667788ull);
	LOAD("\x66\x8b\x0f", 0x1111111111111111ull, 0xbeef, 2, RCX, 0x111111111111beefull);
	LOAD("\x8a\x17", 0x1111111111111111ull, 0xab, 1, RDX, 0x11111111111111abull);
	LOAD("\x8a\x27", 0x1111111111111111ull, 0xab, 1, RAX, 0x111111111111ab11ull);  /* AH */
	LOAD("\x8a\x3f", 0x1111111111111111ull, 0xab, 1, RBX, 0x111111111111ab11ull);  /* BH */
	LOAD("\x40\x8a\x27", 0x1111111111111111ull, 0xab, 1, RSP, 0x11111111111111abull);
	LOAD("\x44\x8b\x3f", ~0ull, 0xfffffffe, 4, 15, 0xfffffffeull);
	LOAD("\x8b\x07", 0, 0xffffffff12345678ull, 4, RAX, 0x12345678);     /* device junk masked */
	LOAD("\x0f\xb6\x07", ~0ull, 0x80, 1, RAX, 0x80);
	LOAD("\x0f\xbe\x07", ~0ull, 0x80, 1, RAX, 0xffffff80ull);
	LOAD("\x48\x0f\xbe\x07", 0, 0x80, 1, RAX, 0xffffffffffffff80ull);
	LOAD("\x66\x0f\xbe\x07", 0x1111111111111111ull, 0x80, 1, RAX, 0x111111111111ff80ull);
	LOAD("\x0f\xb7\x07", ~0ull, 0x8001, 2, RAX, 0x8001);
	LOAD("\x48\x0f\xbf\x07", 0, 0x8001, 2, RAX, 0xffffffffffff8001ull);
	LOAD("\x48\x63\x07", 0, 0x80000000, 4, RAX, 0xffffffff80000000ull);
	LOAD("\x63\x07", ~0ull, 0x80000000, 4, RAX, 0x80000000ull);
	LOAD("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11", 0, 0xcafe, 8, RAX, 0xcafe);
	LOAD("\xa0\x00\x00\x0b\xfe\x00\x00\x00\x00", ~0ull, 0x5a, 1, RAX, 0xffffffffffffff5aull);
}

static void expect_store(const char *bytes, size_t n, int reg, uint64_t val, unsigned size, uint64_t dev)
{
	struct insn_ctx c;
	uint64_t regs[16];

	ctx_init(&c);
	c.regs[reg] = val;
	memcpy(regs, c.regs, sizeof(regs));
	assert_int_equal(emu_mode(bytes, n, INSN_MODE_64, &c), (int)n);
	assert_int_equal(fk.n, 1);
	expect_access(0, 'w', GPA, size, dev);
	assert_memory_equal(regs, c.regs, sizeof(regs));
	assert_int_equal(c.rflags, FL_FIXED);
}

#define STORE(s, reg, val, size, dev) expect_store(B(s), reg, val, size, dev)

static void test_emul_stores(void **state)
{
	(void)state;
	STORE("\x89\x07", RAX, 0x1122334455667788ull, 4, 0x55667788);
	STORE("\x48\x89\x07", RAX, 0x1122334455667788ull, 8, 0x1122334455667788ull);
	STORE("\x66\x89\x0f", RCX, 0x1122334455667788ull, 2, 0x7788);
	STORE("\x88\x27", RAX, 0x1122334455667788ull, 1, 0x77);             /* AH */
	STORE("\x40\x88\x27", RSP, 0x1122334455667788ull, 1, 0x88);         /* SPL */
	STORE("\x4c\x89\x3f", 15, 0x8877665544332211ull, 8, 0x8877665544332211ull);
	STORE("\x48\xc7\x07\xff\xff\xff\xff", RAX, 0, 8, ~0ull);
	STORE("\xc7\x07\x78\x56\x34\x12", RAX, 0, 4, 0x12345678);
	STORE("\x66\xc7\x07\x34\x12", RAX, 0, 2, 0x1234);
	STORE("\xc6\x07\x80", RAX, 0, 1, 0x80);
	STORE("\x67\xa3\x44\x33\x22\x11", RAX, 0xdeadbeefcafef00dull, 4, 0xcafef00d);
}

/* Flags exactly as the CPU sets them (each row was checked on real hardware). */
struct alu_case {
	const char *bytes;
	size_t n;
	uint64_t mem, rax, fl_in;
	uint64_t res, fl_out;
	unsigned size;
	char dst;               /* 'm': MMIO written, 'r': RAX written, '-': flags only */
};

static const struct alu_case alu_cases[] = {
	{ B("\x01\x07"), 0x7fffffff, 1, 0, 0x80000000, OF | SF | AF | PF, 4, 'm' },
	{ B("\x01\x07"), 0xffffffff, 1, 0, 0, CF | ZF | AF | PF, 4, 'm' },
	{ B("\x00\x07"), 0x80, 0x80, 0, 0, CF | OF | ZF | PF, 1, 'm' },
	{ B("\x48\x01\x07"), 1ull << 63, 1ull << 63, 0, 0, CF | OF | ZF | PF, 8, 'm' },
	{ B("\x66\x01\x07"), 0x1234, 0xffff0001, CF, 0x1235, PF, 2, 'm' },
	{ B("\x29\x07"), 0, 1, 0, 0xffffffff, CF | SF | AF | PF, 4, 'm' },
	{ B("\x29\x07"), 0x80000000, 1, 0, 0x7fffffff, OF | AF | PF, 4, 'm' },
	{ B("\x28\x07"), 0x10, 1, 0, 0x0f, AF | PF, 1, 'm' },
	{ B("\x39\x07"), 5, 5, CF, 0, ZF | PF, 4, '-' },
	{ B("\x66\x39\x07"), 1, 2, 0, 0xffff, CF | SF | AF | PF, 2, '-' },
	{ B("\x38\x07"), 0x7f, 0x80, 0, 0xff, CF | OF | SF | PF, 1, '-' },
	{ B("\x21\x07"), 0xf0f0f0f0, 0x0f0f0f0f, CF | OF | AF | SF, 0, ZF | PF, 4, 'm' },
	{ B("\x09\x07"), 0, 3, 0, 3, PF, 4, 'm' },
	{ B("\x31\x07"), 0x80000000, 0, 0, 0x80000000, SF | PF, 4, 'm' },
	{ B("\x85\x07"), 0x80000001, 0x80000000, OF, 0x80000000, SF | PF, 4, '-' },
	{ B("\x84\x07"), 0x80, 0xff, ZF, 0x80, SF, 1, '-' },
	{ B("\x11\x07"), 0xffffffff, 0, CF, 0, CF | ZF | AF | PF, 4, 'm' },
	{ B("\x11\x07"), 0xffffffff, 0, 0, 0xffffffff, SF | PF, 4, 'm' },
	{ B("\x11\x07"), 5, 0xffffffff, CF, 5, CF | AF | PF, 4, 'm' },
	{ B("\x19\x07"), 0, 0, CF, 0xffffffff, CF | SF | AF | PF, 4, 'm' },
	{ B("\x18\x07"), 0x80, 0, CF, 0x7f, OF | AF, 1, 'm' },
	{ B("\x19\x07"), 5, 3, 0, 2, 0, 4, 'm' },
	{ B("\x66\x11\x07"), 0x7fff, 0, CF, 0x8000, OF | SF | AF | PF, 2, 'm' },
	{ B("\x83\x07\xff"), 1, 0, 0, 0, CF | ZF | AF | PF, 4, 'm' },
	{ B("\x80\x3f\x00"), 0x80, 0, 0, 0x80, SF, 1, '-' },
	{ B("\x48\x83\x2f\x01"), 0, 0, 0, ~0ull, CF | SF | AF | PF, 8, 'm' },
	{ B("\x81\x27\xff\xff\xfe\xff"), 0xffffffff, 0, 0, 0xfffeffff, SF | PF, 4, 'm' },
	{ B("\x80\x4f\x01\x80"), 0x01, 0, 0, 0x81, SF | PF, 1, 'm' },
	{ B("\x80\x57\x01\x05"), 0xfa, 0, CF, 0, CF | ZF | AF | PF, 1, 'm' },
	{ B("\x80\x5f\x01\x05"), 0x05, 0, CF, 0xff, CF | SF | AF | PF, 1, 'm' },
	{ B("\x83\x77\x01\xff"), 0x0f, 0, 0, 0xfffffff0, SF | PF, 4, 'm' },
	{ B("\xf6\x07\x01"), 0x02, 0, 0, 0, ZF | PF, 1, '-' },
	{ B("\x48\xf7\x07\x00\x00\x00\x80"), 0xffffffff00000000ull, 0, 0, 0xffffffff00000000ull,
	  SF | PF, 8, '-' },
	{ B("\x66\x81\x07\x00\x80"), 0x8000, 0, 0, 0, CF | OF | ZF | PF, 2, 'm' },
	{ B("\x03\x07"), 0x7fffffff, 0xffffffff00000001ull, 0, 0x80000000, OF | SF | AF | PF, 4, 'r' },
	{ B("\x2b\x07"), 2, 1, 0, 0xffffffff, CF | SF | AF | PF, 4, 'r' },
	{ B("\x3b\x07"), 1, 2, ZF | CF, 2, 0, 4, '-' },
	{ B("\x66\x0b\x07"), 0x8000, 0x1111111111110001ull, 0, 0x1111111111118001ull, SF, 2, 'r' },
	{ B("\x22\x27"), 0x0f, 0x1111111111ff11ull, 0, 0x11111111110f11ull, PF, 1, 'r' },
	{ B("\x48\x33\x07"), ~0ull, 0x00ff00ff00ff00ffull, 0, 0xff00ff00ff00ff00ull, SF | PF, 8, 'r' },
};

static void test_emul_alu(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(alu_cases) / sizeof(alu_cases[0]); i++) {
		const struct alu_case *a = &alu_cases[i];
		uint64_t fl_in = a->fl_in | FL_FIXED | DF;
		struct insn_ctx c;
		int r;

		ctx_init(&c);
		c.regs[RAX] = a->rax;
		c.rflags = fl_in;
		fk.rd[0] = a->mem;
		r = emu_mode(a->bytes, a->n, INSN_MODE_64, &c);
		if (r != (int)a->n || c.rflags != (a->fl_out | FL_FIXED | DF))
			print_error("alu row %zu: ret %d flags %#llx\n", i, r, (unsigned long long)c.rflags);
		assert_int_equal(r, a->n);
		assert_int_equal(c.rflags, a->fl_out | FL_FIXED | DF);
		expect_access(0, 'r', GPA, a->size, a->mem);
		if (a->dst == 'm') {
			assert_int_equal(fk.n, 2);
			expect_access(1, 'w', GPA, a->size, a->res);
			assert_int_equal(c.regs[RAX], a->rax);
		} else if (a->dst == 'r') {
			assert_int_equal(fk.n, 1);
			assert_int_equal(c.regs[RAX], a->res);
		} else {
			assert_int_equal(fk.n, 1);
			assert_int_equal(c.regs[RAX], a->rax);
		}
	}
}

static void test_emul_xchg_bt(void **state)
{
	struct insn_ctx c;

	(void)state;
	ctx_init(&c);
	c.regs[RAX] = 0xffffffff00000011ull;
	fk.rd[0] = 0x22;
	assert_int_equal(EMU("\x87\x07", &c), 2);
	assert_int_equal(fk.n, 2);
	expect_access(0, 'r', GPA, 4, 0x22);
	expect_access(1, 'w', GPA, 4, 0x11);
	assert_int_equal(c.regs[RAX], 0x22);
	assert_int_equal(c.rflags, FL_FIXED);

	ctx_init(&c);
	c.regs[RAX] = 0x1111111111113311ull;
	fk.rd[0] = 0x44;
	assert_int_equal(EMU("\xf0\x86\x27", &c), 3);   /* lock xchg [rdi], ah */
	expect_access(1, 'w', GPA, 1, 0x33);
	assert_int_equal(c.regs[RAX], 0x1111111111114411ull);

	/* BT: the bit offset is taken modulo the width; only CF changes. */
	ctx_init(&c);
	c.rflags = FL_FIXED | ZF | SF;
	c.regs[RAX] = 33;
	fk.rd[0] = 0x2;
	assert_int_equal(EMU("\x0f\xa3\x07", &c), 3);
	assert_int_equal(fk.n, 1);
	expect_access(0, 'r', GPA, 4, 0x2);
	assert_int_equal(c.rflags, FL_FIXED | ZF | SF | CF);
	c.regs[RAX] = (uint64_t)-64;        /* bit 0 of the qword below */
	fk.rd[1] = 0x2;
	assert_int_equal(EMU("\x48\x0f\xa3\x07", &c), 4);
	assert_int_equal(c.rflags, FL_FIXED | ZF | SF);
	assert_int_equal(fk.n, 2);
	expect_access(1, 'r', GPA, 8, 0x2);
}

static void test_emul_failures(void **state)
{
	struct insn_ctx c, before;
	struct insn in;

	(void)state;
	ctx_init(&c);
	c.regs[RAX] = 0xffffffff;
	fk.rd[0] = 1;
	fk.fail_write = true;
	before = c;
	assert_int_equal(EMU("\x01\x07", &c), -INSN_EIO);   /* add [rdi], eax: write refused */
	assert_memory_equal(before.regs, c.regs, sizeof(c.regs));
	assert_int_equal(c.rflags, before.rflags);
	fk.fail_write = false;
	fk.fail_read = true;
	assert_int_equal(EMU("\x8b\x07", &c), -INSN_EIO);
	assert_int_equal(EMU("\x0f\xa3\x07", &c), -INSN_EIO);
	assert_memory_equal(before.regs, c.regs, sizeof(c.regs));
	assert_int_equal(c.rflags, before.rflags);

	assert_int_equal(EMU("\x87\x07", &c), -INSN_EIO);
	assert_int_equal(fk.log[fk.n - 1].what, 'r');              /* no write after a failed read */
	assert_memory_equal(before.regs, c.regs, sizeof(c.regs));
	assert_int_equal(EMU("\x8b\xc1", &c), -INSN_ENOMEM);       /* mov eax, ecx */
	c.mmio_write = NULL;
	assert_int_equal(EMU("\x89\x07", &c), -INSN_EINVAL);
	assert_int_equal(EMU("\xf3\xab", &c), -INSN_EINVAL);
	ctx_init(&c);
	c.mem_read = NULL;
	c.write = true;
	assert_int_equal(EMU("\xa4", &c), -INSN_EINVAL);
	assert_int_equal(fk.n, 0);

	memset(&in, 0, sizeof(in));
	assert_int_equal(insn_emulate(&in, &c), -INSN_EUNSUPPORTED);
	assert_int_equal(decode_exact(&in, B("\x89\x07"), M64), 2);
	in.reg = 40;
	assert_int_equal(insn_emulate(&in, &c), -INSN_EINVAL);
	in.reg = RAX;
	in.op_size = 3;
	assert_int_equal(insn_emulate(&in, &c), -INSN_EINVAL);
	assert_int_equal(fk.n, 0);
}

/* ---------------------------------------------------------------- string ops */

static void str_init(struct insn_ctx *c, uint64_t fl, uint64_t rcx, uint64_t rsi, uint64_t rdi)
{
	ctx_init(c);
	c->rflags = FL_FIXED | fl;
	c->regs[RCX] = rcx;
	c->regs[RSI] = rsi;
	c->regs[RDI] = rdi;
}

static void str_expect(const struct insn_ctx *c, uint64_t rcx, uint64_t rsi, uint64_t rdi)
{
	assert_int_equal(c->regs[RCX], rcx);
	assert_int_equal(c->regs[RSI], rsi);
	assert_int_equal(c->regs[RDI], rdi);
}

static void test_emul_stos(void **state)
{
	struct insn_ctx c;

	(void)state;
	str_init(&c, 0, 4, 0, 0x5000);
	c.regs[RAX] = 0x1122334455667788ull;
	assert_int_equal(EMU("\xf3\xab", &c), 2);
	assert_int_equal(fk.n, 4);
	for (unsigned i = 0; i < 4; i++)
		expect_access(i, 'w', GPA + 4 * i, 4, 0x55667788);
	str_expect(&c, 0, 0, 0x5010);
	assert_int_equal(c.rflags, FL_FIXED);

	/* DF=1 walks down. */
	str_init(&c, DF, 3, 0, 0x5000);
	c.regs[RAX] = 0xab;
	assert_int_equal(EMU("\xf3\xaa", &c), 2);
	assert_int_equal(fk.n, 3);
	for (unsigned i = 0; i < 3; i++)
		expect_access(i, 'w', GPA - i, 1, 0xab);
	str_expect(&c, 0, 0, 0x4ffd);

	/* Without REP: one element, RCX untouched. */
	str_init(&c, 0, 9, 0, 0x5000);
	c.regs[RAX] = ~0ull;
	assert_int_equal(EMU("\x48\xab", &c), 2);
	assert_int_equal(fk.n, 1);
	expect_access(0, 'w', GPA, 8, ~0ull);
	str_expect(&c, 9, 0, 0x5008);

	/* REP with RCX = 0: nothing at all. */
	str_init(&c, 0, 0, 0, 0x5000);
	assert_int_equal(EMU("\xf3\xab", &c), 2);
	assert_int_equal(fk.n, 0);
	str_expect(&c, 0, 0, 0x5000);
}

/* REP stops at the end of the faulting page and asks to be re-run (returns 0). */
static void test_emul_rep_page_end(void **state)
{
	struct insn_ctx c;

	(void)state;
	str_init(&c, 0, 5, 0, 0x6ff8);
	c.gpa = 0xfebf0ff8;
	assert_int_equal(EMU("\xf3\xab", &c), 0);
	assert_int_equal(fk.n, 2);
	expect_access(0, 'w', 0xfebf0ff8, 4, 0);
	expect_access(1, 'w', 0xfebf0ffc, 4, 0);
	str_expect(&c, 3, 0, 0x7000);

	/* Downwards, the page's start is the limit. */
	str_init(&c, DF, 100, 0, 0x9004);
	c.gpa = 0xfebf0004;
	assert_int_equal(EMU("\xf3\x66\xab", &c), 0);
	assert_int_equal(fk.n, 3);
	expect_access(2, 'w', 0xfebf0000, 2, 0);
	str_expect(&c, 97, 0, 0x8ffe);

	/* A full page of bytes: 4096 elements, no more. */
	str_init(&c, 0, 5000, 0, 0);
	c.gpa = 0xfebf0000;
	assert_int_equal(EMU("\xf3\xaa", &c), 0);
	assert_int_equal(fk.n, 4096);
	str_expect(&c, 5000 - 4096, 0, 4096);
}

static void test_emul_movs(void **state)
{
	static const uint32_t src[3] = { 0x11111111, 0x22222222, 0x33333333 };
	const uint64_t io = 0xffffc90000001000ull;       /* the guest's ioremap address */
	struct insn_ctx c;

	(void)state;
	/* memcpy_toio: guest memory to the device. */
	str_init(&c, 0, 3, RAM_GVA + 0x100, io);
	memcpy(fk.ram + 0x100, src, sizeof(src));
	c.write = true;
	assert_int_equal(EMU("\xf3\xa5", &c), 2);
	assert_int_equal(fk.n, 6);
	for (unsigned i = 0; i < 3; i++) {
		expect_access(2 * i, 'R', RAM_GVA + 0x100 + 4 * i, 4, src[i]);
		expect_access(2 * i + 1, 'w', GPA + 4 * i, 4, src[i]);
	}
	str_expect(&c, 0, RAM_GVA + 0x10c, io + 12);

	/* memcpy_fromio with DF=1 and bytes: the device to guest memory, downwards. */
	str_init(&c, DF, 2, io, RAM_GVA + 0x201);
	fk.rd[0] = 0xa1;
	fk.rd[1] = 0xa2;
	assert_int_equal(EMU("\xf3\xa4", &c), 2);
	assert_int_equal(fk.n, 4);
	expect_access(0, 'r', GPA, 1, 0xa1);
	expect_access(1, 'W', RAM_GVA + 0x201, 1, 0xa1);
	expect_access(2, 'r', GPA - 1, 1, 0xa2);
	expect_access(3, 'W', RAM_GVA + 0x200, 1, 0xa2);
	assert_int_equal(fk.ram[0x200], 0xa2);
	str_expect(&c, 0, io - 2, RAM_GVA + 0x1ff);

	/* A guest-memory failure mid-string leaves the completed element counted. */
	str_init(&c, 0, 3, 0, RAM_GVA + RAM_SIZE - 8);
	assert_int_equal(EMU("\xf3\x48\xa5", &c), -INSN_EIO);
	str_expect(&c, 2, 8, RAM_GVA + RAM_SIZE);

	/* With the FS override the source is fs:rsi. */
	str_init(&c, 0, 0, 0x40, 0);
	c.write = true;
	c.seg_base[INSN_SEG_FS] = RAM_GVA;
	c.seg_base[INSN_SEG_DS] = 0x100000;    /* ignored in 64-bit mode */
	fk.ram[0x40] = 0x5c;
	assert_int_equal(EMU("\x64\xa4", &c), 2);
	expect_access(0, 'R', RAM_GVA + 0x40, 1, 0x5c);
	expect_access(1, 'w', GPA, 1, 0x5c);
}

/* Address-size rCX, rSI and rDI: 32-bit ones zero-extend, 16-bit ones wrap and merge. */
static void test_emul_string_addr_size(void **state)
{
	struct insn_ctx c;

	(void)state;
	str_init(&c, 0, 0xffffffff00000002ull, 0, 0xffffffff00001000ull);
	assert_int_equal(EMU("\xf3\x67\xab", &c), 3);
	assert_int_equal(fk.n, 2);
	str_expect(&c, 0, 0, 0x1008);

	/* 16-bit: SI wraps from ffff to 0 and keeps bits 16..63; the DS base applies. */
	str_init(&c, 0, 0x1234000000010001ull, 0xabcd0000ffffull, 0x5555000000000000ull);
	c.write = true;
	c.seg_base[INSN_SEG_DS] = RAM_GVA + 0x10 - 0xffff;
	fk.ram[0x10] = 0x77;
	assert_int_equal(emu_mode(B("\xf3\xa4"), INSN_MODE_16, &c), 2);
	expect_access(0, 'R', RAM_GVA + 0x10, 1, 0x77);
	expect_access(1, 'w', GPA, 1, 0x77);
	str_expect(&c, 0x1234000000010000ull, 0xabcd00000000ull, 0x5555000000000001ull);
}

static uint64_t linear_of(const char *bytes, size_t n, enum insn_mode mode, const struct insn_ctx *c)
{
	struct insn in;

	assert_int_equal(decode_exact(&in, bytes, n, mode), (int)n);
	return insn_linear(&in, &in.mem, c);
}

static void test_linear(void **state)
{
	struct insn_ctx c;

	(void)state;
	ctx_init(&c);
	c.seg_base[INSN_SEG_DS] = 0x5000;
	c.seg_base[INSN_SEG_FS] = 0x7f0000000000ull;
	c.seg_base[INSN_SEG_GS] = 0xffff888000000000ull;
	c.regs[RDI] = 0x1000;
	c.regs[RCX] = 3;
	c.rip = 0xffffffff81000000ull;
	assert_int_equal(linear_of(B("\x8b\x44\x8f\x10"), M64, &c), 0x101c);
	assert_int_equal(linear_of(B("\x64\x8b\x07"), M64, &c), 0x7f0000001000ull);
	assert_int_equal(linear_of(B("\x65\x48\x8b\x04\x25\x28\x00\x00\x00"), M64, &c), 0xffff888000000028ull);
	assert_int_equal(linear_of(B("\x8b\x05\x10\x00\x00\x00"), M64, &c), 0xffffffff81000016ull);
	assert_int_equal(linear_of(B("\x41\x8b\x05\xf0\xff\xff\xff"), M64, &c), 0xffffffff80fffff7ull);
	assert_int_equal(linear_of(B("\x48\xa1\x88\x77\x66\x55\x44\x33\x22\x11"), M64, &c), 0x1122334455667788ull);
	c.regs[RDI] = 0xffffffff00000002ull;
	assert_int_equal(linear_of(B("\x67\x8b\x47\xfc"), M64, &c), 0xfffffffe);
	c.rip = 0xfffffff0;
	assert_int_equal(linear_of(B("\x67\x8b\x05\x10\x00\x00\x00"), M64, &c), 0x7);

	c.seg_base[INSN_SEG_DS] = 0xf0000000;
	c.regs[RDI] = 0x20000000;
	assert_int_equal(linear_of(B("\x8b\x07"), M32, &c), 0x10000000);
	assert_int_equal(linear_of(B("\x64\x8b\x07"), M32, &c), 0x20000000);   /* base bits 32+ fall off */

	c.seg_base[INSN_SEG_SS] = 0x20000;
	c.regs[RBP] = 0x1234fff0;
	c.regs[RSI] = 0x10;
	assert_int_equal(linear_of(B("\x8b\x42\x10"), M16, &c), 0x20010);
	c.seg_base[INSN_SEG_DS] = 0xb8000;
	assert_int_equal(linear_of(B("\xa1\x34\x12"), M16, &c), 0xb9234);
}

/* ---------------------------------------------------------------- fuzz */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Prefixes, opcodes and ModRM bytes the decoder cares about, to get past the first byte. */
static const uint8_t fuzz_bytes[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x40, 0x41, 0x44, 0x48,
	0x4c, 0x4f, 0x0f, 0xb6, 0xb7, 0xbe, 0xbf, 0xa3, 0x00, 0x01, 0x02, 0x03, 0x09, 0x11, 0x1b,
	0x21, 0x29, 0x31, 0x39, 0x3b, 0x63, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
	0x8a, 0x8b, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xc6, 0xc7, 0xf6, 0xf7, 0x04,
	0x05, 0x07, 0x24, 0x25, 0x44, 0x45, 0x84, 0x85, 0xc0, 0x06, 0x46, 0x86,
};

static void fuzz_emulate(const struct insn *in)
{
	struct insn_ctx c;
	int r;

	memset(&c, 0, sizeof(c));
	for (unsigned i = 0; i < 16; i++)
		c.regs[i] = rng();
	c.regs[RCX] &= 0x3f;
	c.rflags = FL_FIXED | (rng() & (CF | DF | ZF));
	c.rip = rng();
	c.gpa = rng();
	c.write = rng() & 1;
	c.arg = &fk;
	c.mmio_read = fake_mmio_read;
	c.mmio_write = fake_mmio_write;
	c.mem_read = fake_mem_read;
	c.mem_write = fake_mem_write;
	fk.n = 0;
	fk.nrd = 0;
	r = insn_emulate(in, &c);
	if (in->kind == INSN_INS || in->kind == INSN_OUTS) {   /* decoded for port I/O only */
		assert_int_equal(r, -INSN_EUNSUPPORTED);
		return;
	}
	assert_true(r == in->len || r == -INSN_ENOMEM || r == -INSN_EIO || (r == 0 && in->rep));
	if (!in->rep)
		assert_true(fk.n <= 2);
}

static void test_fuzz(void **state)
{
	unsigned decoded = 0, with_mem = 0;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	for (unsigned iter = 0; iter < 100000; iter++) {
		static const enum insn_mode modes[3] = { M16, M32, M64 };
		char bytes[20];
		size_t len = rng() % sizeof(bytes);
		enum insn_mode mode = modes[rng() % 3];
		struct insn in;
		int r;

		for (size_t i = 0; i < len; i++) {
			uint64_t x = rng();

			bytes[i] = (char)((x & 1) ? fuzz_bytes[(x >> 8) % sizeof(fuzz_bytes)] : x >> 16);
		}
		r = decode_exact(&in, bytes, len, mode);
		if (r < 0) {
			assert_true(r >= -INSN_EUD);
			continue;
		}
		assert_true(r >= 1 && r <= INSN_MAX_LEN && (size_t)r <= len);
		assert_int_equal(in.len, r);
		assert_true(in.op_size == 1 || in.op_size == 2 || in.op_size == 4 || in.op_size == 8);
		/* Any instruction cut short is truncated, never something else. */
		assert_int_equal(decode_exact(&in, bytes, (size_t)r - 1, mode), -INSN_ETRUNC);
		assert_int_equal(decode_exact(&in, bytes, (size_t)r, mode), r);
		decoded++;
		with_mem += in.has_mem;
		fuzz_emulate(&in);
	}
	print_message("fuzz: %u of 100000 decoded, %u with memory operands\n", decoded, with_mem);
	assert_true(decoded > 10000);
	assert_true(with_mem > 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_outs),
		cmocka_unit_test(test_decode_details),
		cmocka_unit_test(test_format_and_errors),
		cmocka_unit_test(test_emul_loads),
		cmocka_unit_test(test_emul_stores),
		cmocka_unit_test(test_emul_alu),
		cmocka_unit_test(test_emul_xchg_bt),
		cmocka_unit_test(test_emul_failures),
		cmocka_unit_test(test_emul_stos),
		cmocka_unit_test(test_emul_rep_page_end),
		cmocka_unit_test(test_emul_movs),
		cmocka_unit_test(test_emul_string_addr_size),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

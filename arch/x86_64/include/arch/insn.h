/*
 * x86 instruction decoder and MMIO emulator.
 *
 * TCG's SVM has no decode assists: a #NPF on an MMIO page gives plinth only
 * the GPA, so plinth fetches the guest's instruction bytes, decodes them with
 * insn_decode and carries the access out with insn_emulate against a device
 * model.  Both are pure functions of their arguments (no hardware, no
 * allocation), so host unit tests link them as they are.
 *
 * Covered: the instructions a Linux guest uses on MMIO (readX/writeX,
 * memcpy_toio/memcpy_fromio, memset_io, read-modify-write of registers):
 *   MOV 88/89/8A/8B, C6/C7 /0, A0-A3 (moffs)   MOVZX 0F B6/B7   MOVSX 0F BE/BF
 *   MOVSXD 63 (64-bit mode)   ADD/OR/ADC/SBB/AND/SUB/XOR/CMP 00-3B (r/m,r and r,r/m)
 *   group 1 80/81/83   TEST 84/85, F6/F7 /0   XCHG 86/87   BT 0F A3
 *   STOS AA/AB   MOVS A4/A5   (both with REP; F2 repeats these like F3)
 * with every prefix (66 67 F0 F2 F3, segment overrides, REX in 64-bit mode).
 * Everything else is -INSN_EUNSUPPORTED; insn_format_bytes shows the bytes.
 */
#ifndef ARCH_INSN_H
#define ARCH_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INSN_MAX_LEN 15                 /* SDM vol.2 2.3.11: longer is #GP */

/* Errors, returned negated (-INSN_ETRUNC), like the guest ABI's PL_E* codes. */
enum insn_err {
	INSN_ETRUNC = 1,        /* the bytes end before the instruction does */
	INSN_ETOOLONG,          /* the instruction would be longer than 15 bytes */
	INSN_EUNSUPPORTED,      /* a valid instruction this decoder does not cover */
	INSN_EUD,               /* an encoding the CPU rejects with #UD (LOCK misuse) */
	INSN_ENOMEM,            /* emulate: the instruction has no memory operand */
	INSN_EIO,               /* emulate: an MMIO or guest-memory callback failed */
	INSN_EINVAL,            /* a bad argument: unknown mode, NULL callback */
};

/*
 * The CPU mode the bytes run in.  With SVM: 64 when EFER.LMA and CS.L are
 * set, else 32 when CS.D (the "db" attribute) is set, else 16 (real mode,
 * VM86 and 16-bit protected mode).
 */
enum insn_mode {
	INSN_MODE_16 = 16,
	INSN_MODE_32 = 32,
	INSN_MODE_64 = 64,
};

enum insn_kind {
	INSN_NONE = 0,
	INSN_MOV,               /* 88-8B, C6/C7, A0-A3 */
	INSN_MOVZX,             /* 0F B6/B7 */
	INSN_MOVSX,             /* 0F BE/BF, and 63 (MOVSXD, src_size 4 or 2) */
	INSN_ADD,
	INSN_OR,
	INSN_ADC,
	INSN_SBB,
	INSN_AND,
	INSN_SUB,
	INSN_XOR,
	INSN_CMP,
	INSN_TEST,
	INSN_XCHG,
	INSN_BT,
	INSN_STOS,
	INSN_MOVS,
	INSN_INS,               /* 6C/6D: decoded for string port I/O, never emulated as MMIO */
	INSN_OUTS,              /* 6E/6F: likewise */
};

/*
 * Register numbers: 0..15 are RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 in
 * encoding order, used at the operand's size.  A byte operand encoded 4..7 without any REX
 * prefix is AH CH DH BH: INSN_REG_AH + 0..3.
 */
#define INSN_REG_NONE  (-1)
#define INSN_REG_RAX   0
#define INSN_REG_RCX   1
#define INSN_REG_RDX   2
#define INSN_REG_RBX   3
#define INSN_REG_RSP   4
#define INSN_REG_RBP   5
#define INSN_REG_RSI   6
#define INSN_REG_RDI   7
#define INSN_REG_AH    16       /* 16 AH, 17 CH, 18 DH, 19 BH */

/* Segment registers in encoding order (SDM vol.2 3.1.1.3 "Sreg"). */
enum insn_seg {
	INSN_SEG_ES,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
	INSN_SEG_COUNT,
};

/* A memory operand: seg:[base + index * scale + disp], or [rIP + len + disp]. */
struct insn_mem {
	int8_t base;            /* register number or INSN_REG_NONE */
	int8_t index;           /* register number or INSN_REG_NONE */
	uint8_t scale;          /* 1, 2, 4 or 8 */
	uint8_t seg;            /* enum insn_seg: the override in effect, else the default */
	uint8_t addr_size;      /* 2, 4 or 8: the effective address wraps at this width */
	bool rip_rel;           /* relative to the next instruction (64-bit mode) */
	int64_t disp;           /* sign-extended; a moffs is zero-extended */
};

/*
 * A decoded instruction.  Operand order follows the SDM: the first operand
 * is r/m when rm_dst is set (88, 89, the 00/01-style ALU forms, group 1,
 * C6/C7, F6/F7, 84/85, 86/87, 0F A3, A2/A3), else the ModRM.reg (or
 * implicit) register.  The second operand is the immediate when has_imm,
 * else the other one of reg and r/m.
 */
struct insn {
	uint8_t len;            /* total bytes, prefixes included */
	uint8_t mode;           /* enum insn_mode it was decoded for */
	enum insn_kind kind;
	uint16_t opcode;        /* 0x89, or 0x0fb6 for two-byte opcodes */
	uint8_t op_size;        /* 1, 2, 4 or 8: the first operand's size */
	uint8_t src_size;       /* MOVZX/MOVSX: the memory/r/m size; else op_size */
	uint8_t rex;            /* the REX byte that took effect, or 0 */
	uint8_t rep;            /* 0, 0xf3 or 0xf2: the last of them */
	bool lock;
	bool seg_override;
	bool rm_dst;
	bool has_modrm;
	uint8_t modrm;
	int8_t reg;             /* ModRM.reg or implicit register, or INSN_REG_NONE */
	int8_t rm_reg;          /* r/m when it is a register (mod 3), or INSN_REG_NONE */
	bool has_mem;
	struct insn_mem mem;    /* r/m memory; STOS/MOVS/INS: the destination ES:[rDI] */
	struct insn_mem src;    /* MOVS and OUTS: the source seg:[rSI] */
	bool has_imm;
	uint8_t imm_size;       /* bytes of immediate in the encoding */
	int64_t imm;            /* sign-extended to 64 bits */
};

/*
 * Decode one instruction from bytes[0..len) for mode: the caller fetches up
 * to 15 bytes at CS:RIP (fewer where the mapping ends).  Register-only
 * forms decode too (has_mem false); only insn_emulate refuses them.
 * Returns the length (1..15), or -INSN_ETRUNC (len too short: fetch more
 * and retry), -INSN_ETOOLONG, -INSN_EUNSUPPORTED, -INSN_EUD or
 * -INSN_EINVAL (mode).  Never reads past bytes[len - 1] nor past 15 bytes.
 * *in is filled on success and left zeroed or partial on error.
 */
int insn_decode(struct insn *in, const uint8_t *bytes, size_t len, enum insn_mode mode);

/* Bytes as "0f b6 07" (at most 15 shown) into out[size]; always terminated.  Returns out. */
#define INSN_FORMAT_MAX (3 * INSN_MAX_LEN + 1)
char *insn_format_bytes(char *out, size_t size, const uint8_t *bytes, size_t len);

/* A short text for an -INSN_E* code (or any other int). */
const char *insn_strerror(int err);

/*
 * What insn_emulate works on.  The caller copies the guest's state in,
 * calls insn_emulate, and on success copies regs and rflags back.
 *
 * Callbacks return 0 on success, anything else on failure.  mmio_read and
 * mmio_write reach the device at a guest-physical address; mem_read and
 * mem_write reach guest memory at a linear (guest-virtual) address, which
 * the caller translates through the guest's page tables.  arg is passed to
 * each of them.  Only the callbacks an instruction needs are called: a
 * caller that never emulates MOVS may leave mem_read/mem_write NULL.
 *
 * Segment limits and access rights are not checked: the CPU checks them
 * before the nested page walk, so an access that reached #NPF passed them.
 */
struct insn_ctx {
	uint64_t regs[16];      /* RAX RCX RDX RBX RSP RBP RSI RDI R8..R15 */
	uint64_t rflags;
	uint64_t rip;           /* of the instruction itself: RIP-relative addresses */
	uint64_t seg_base[INSN_SEG_COUNT];  /* in 64-bit mode only FS and GS are used */
	uint64_t gpa;           /* the faulting GPA (VMCB EXITINFO2) */
	bool write;             /* the faulting access was a write (EXITINFO1 bit 1) */
	void *arg;
	int (*mmio_read)(void *arg, uint64_t gpa, unsigned size, uint64_t *val);
	int (*mmio_write)(void *arg, uint64_t gpa, unsigned size, uint64_t val);
	int (*mem_read)(void *arg, uint64_t gva, void *buf, unsigned size);
	int (*mem_write)(void *arg, uint64_t gva, const void *buf, unsigned size);
};

/*
 * Carry out a decoded instruction whose memory operand is the MMIO access
 * at ctx->gpa.  Per element, the device sees what the instruction does to
 * memory, each at ctx->gpa with the memory operand's size: a load, CMP,
 * TEST or BT one mmio_read; a MOV store or STOS one mmio_write; ALU ops and
 * XCHG with memory first one mmio_read, then one mmio_write (a LOCK prefix
 * changes nothing: the vCPU is stopped, and a device model serialises its
 * own accesses).  Registers and RFLAGS change as on the CPU: 32-bit writes
 * zero-extend, 8/16-bit writes merge, AH..BH are bits 8..15; arithmetic
 * sets CF PF AF ZF SF OF; AND/OR/XOR/TEST clear CF OF AF; BT sets CF only.
 * When a callback fails, no register or RFLAGS bit changes (though an
 * ALU op's read has reached the device by then).
 *
 * String ops (STOS, MOVS) move one element per step, advancing rDI/rSI by
 * the element size (down when RFLAGS.DF is set) at the address size.  For
 * MOVS the MMIO side is the destination when ctx->write, else the source;
 * the other side goes through mem_read/mem_write at its linear address
 * (when that side is MMIO too, those callbacks meet it and decide).
 * The MMIO side of element k is ctx->gpa + k * size (minus when DF).  With
 * REP, rCX counts down and elements continue while they stay inside the
 * faulting GPA's 4 KiB page, since the next page may map elsewhere.  If rCX
 * is not 0 then, insn_emulate returns 0: RIP stays and the guest re-runs
 * the instruction, which faults again at the next page.  This also bounds
 * the time of one call.  If a callback fails mid-string, the registers show
 * the elements completed.
 *
 * Returns the number of bytes to advance RIP: in->len when done, 0 when a
 * REP string op has elements left, or -INSN_ENOMEM (no memory operand),
 * -INSN_EUNSUPPORTED, -INSN_EINVAL (missing callback) or -INSN_EIO.
 */
int insn_emulate(const struct insn *in, struct insn_ctx *ctx);

/*
 * The linear address of memory operand m of in (in->mem or in->src) with
 * ctx's registers and segment bases.  64-bit mode adds only the FS and GS
 * bases; the other modes add the base and wrap at 32 bits.
 */
uint64_t insn_linear(const struct insn *in, const struct insn_mem *m, const struct insn_ctx *ctx);

#endif

/*
 * Every way into the core: the boot entry from the loader, the 64-bit AP
 * entry from the trampoline, and the interrupt/exception stubs.
 */
#include "asm_offsets.h"

/* Save and restore the general registers in struct trap_frame order. */
.macro SAVE_GPR
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro LOAD_GPR
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.section .text.entry, "ax"
	.globl _start
/* From the loader: %rdi = physical address of struct boot_info, IRQs off. */
_start:
	mov $(cpu_stacks + KSTACK_SIZE_ASM), %rsp
	xor %ebp, %ebp
	call core_main
1:	cli
	hlt
	jmp 1b

	.text
	.globl ap_entry64
/* From the trampoline: %rsp = this AP's stack, %rdi = its struct percpu. */
ap_entry64:
	xor %ebp, %ebp
	call ap_main
1:	cli
	hlt
	jmp 1b

/*
 * Vector stubs, 16 bytes apart (the IDT points at vector_stubs + 16 * n): make
 * every frame look alike (error code slot), then go to trap_common.
 */
.macro VECTOR n
	.balign 16
vector_\n:
	.if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
	.else
	push $0
	.endif
	push $\n
	jmp trap_common
.endm

	.balign 16
	.globl vector_stubs
vector_stubs:
.altmacro
.set i, 0
.rept 256
	VECTOR %i
	.set i, i + 1
.endr
.noaltmacro

	.text
trap_common:
	cld
	SAVE_GPR
	mov %rsp, %rdi
	/* Keep the C call 16-byte aligned whatever the interrupted stack was. */
	mov %rsp, %rbx
	and $-16, %rsp
	call trap_dispatch
	mov %rbx, %rsp
	LOAD_GPR
	add $16, %rsp           /* vector and error code */
	iretq

/*
 * Guest GPRs to and from struct guest_gprs at \base (RAX and RSP live in the
 * VMCB).  \base itself is moved last on load and saved by the caller.
 */
.macro LOAD_GUEST_GPR base
	mov G_RBX(\base), %rbx
	mov G_RCX(\base), %rcx
	mov G_RDX(\base), %rdx
	mov G_RSI(\base), %rsi
	mov G_RBP(\base), %rbp
	mov G_R8(\base), %r8
	mov G_R9(\base), %r9
	mov G_R10(\base), %r10
	mov G_R11(\base), %r11
	mov G_R12(\base), %r12
	mov G_R13(\base), %r13
	mov G_R14(\base), %r14
	mov G_R15(\base), %r15
	mov G_RDI(\base), %rdi
.endm

.macro SAVE_GUEST_GPR base
	mov %rbx, G_RBX(\base)
	mov %rcx, G_RCX(\base)
	mov %rdx, G_RDX(\base)
	mov %rsi, G_RSI(\base)
	mov %rbp, G_RBP(\base)
	mov %r8, G_R8(\base)
	mov %r9, G_R9(\base)
	mov %r10, G_R10(\base)
	mov %r11, G_R11(\base)
	mov %r12, G_R12(\base)
	mov %r13, G_R13(\base)
	mov %r14, G_R14(\base)
	mov %r15, G_R15(\base)
.endm

/*
 * svm_vmrun(%rdi = struct guest_gprs *g, %rsi = VMCB, %rdx = host VMCB)
 * Called with IF=0 after the last request check; returns with IF=0 and
 * GIF=1, the exit state in the VMCB and *g.  It keeps only RBP and RSP: the
 * caller (svm_enter_guest in svm/svm.c) declares every other GPR clobbered,
 * so the C code saves its callee-saved registers once, not on every entry.
 */
	.text
	.globl svm_vmrun
svm_vmrun:
	push %rbp
	push %rdx                   /* host VMCB, for VMLOAD after the exit */
	push %rdi                   /* the GPR block, for SAVE_GUEST_GPR */
	mov %rsi, %rax
	/* GIF=0 holds every interrupt and NMI from here to STGI... */
	clgi
	/* ...so IF=1 is safe, and with V_INTR_MASKING a physical IRQ now exits the guest. */
	sti
	vmload %rax
	LOAD_GUEST_GPR %rdi
	vmrun %rax
	/* #VMEXIT: host RSP, RAX (= the guest VMCB) and GIF=0 are back. */
	vmsave %rax
	push %rdi
	mov 8(%rsp), %rdi
	SAVE_GUEST_GPR %rdi
	popq G_RDI(%rdi)
	add $8, %rsp
	pop %rax
	vmload %rax                 /* host FS/GS (per-CPU data), TR, LDTR, syscall MSRs */
	/* IF=0 before GIF=1: a pending IRQ waits for the caller's sti, after the exit is saved. */
	cli
	stgi
	pop %rbp
	ret

/*
 * void svm_floor_loop(uint64_t vmcb_pa, uint64_t n): the benchmark floor,
 * n round trips with no handling, no VMLOAD/VMSAVE and no GPR switch.  The
 * floor guest only executes intercepted instructions that need no state.
 */
	.globl svm_floor_loop
svm_floor_loop:
	push %rbx
	mov %rsi, %rcx
	mov %rdi, %rax
	clgi
1:	vmrun %rax
	dec %rcx
	jnz 1b
	stgi
	pop %rbx
	ret

	.section .note.GNU-stack, "", @progbits

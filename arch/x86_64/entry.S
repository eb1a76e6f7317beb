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

	.section .note.GNU-stack, "", @progbits

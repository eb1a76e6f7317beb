/*
 * Guest entry and exception entry points.  plinth starts every vCPU here with
 * RDI = struct pl_start_info, RSI = vCPU id and RSP = the top of this vCPU's
 * stack (docs/guests.md).  vCPU 0 zeroes BSS and builds the IDT; the others
 * wait for it, because BSS holds state they are about to use.
 */
	.section .text.start, "ax"
	.globl	_start
	.type	_start, @function
_start:
	cld
	xor	%ebp, %ebp
	mov	%rdi, %r12
	mov	%rsi, %r13
	mov	%rsp, %r14
	and	$-16, %rsp
	test	%rsi, %rsi
	jnz	2f

	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	mov	%r12, %rdi
	call	pl_rt_setup
	/* x86 keeps stores in order, so the others see BSS and IDT before the flag. */
	movl	$1, rt_ready(%rip)
	jmp	3f

2:	pause
	cmpl	$0, rt_ready(%rip)
	je	2b

3:	mov	%r12, %rdi
	mov	%r13, %rsi
	mov	%r14, %rdx
	call	pl_rt_run
	ud2
	.size	_start, . - _start

/*
 * One entry point per vector; pl_trap_entries[] lists their addresses.
 * Vectors without a CPU error code push a zero, so every frame has the
 * layout of struct pl_trap_frame (trap.c).
 */
	.pushsection .rodata
	.balign	8
	.globl	pl_trap_entries
pl_trap_entries:
	.popsection

	.text
	.set	.Lvec, 0
	.rept	256
1:	.if !(.Lvec == 8 || (.Lvec >= 10 && .Lvec <= 14) || .Lvec == 17 || .Lvec == 21 || .Lvec == 29 || .Lvec == 30)
	pushq	$0
	.endif
	pushq	$.Lvec
	jmp	trap_common
	.pushsection .rodata
	.quad	1b
	.popsection
	.set	.Lvec, .Lvec + 1
	.endr

trap_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	/* The CPU aligned RSP to 16 before its 5-qword frame; 17 more keep it so. */
	mov	%rsp, %rdi
	cld
	call	pl_trap
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq

	.data
	.balign	4
rt_ready:
	.long	0

	.section .note.GNU-stack, "", @progbits

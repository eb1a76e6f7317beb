/*
 * AP start-up code, copied to a page below 1 MiB; a SIPI starts it in real
 * mode at CS = page << 8, IP = 0.  It climbs to long mode on the hand-over
 * tables in tramp_data and jumps to ap_entry64.  Everything is addressed
 * relative to the page base, kept in %ebx.
 */
#include "asm_offsets.h"

#define OFF(x) ((x) - tramp_start)

	.section .rodata
	.balign 16
	.globl tramp_start, tramp_end, tramp_data
	.code16
tramp_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	xor %ebx, %ebx
	mov %ax, %bx
	shl $4, %ebx                        /* page base */
	lgdtl OFF(tramp_data) + TD_GDT_LIMIT
	mov %cr0, %eax
	or $1, %eax                          /* PE */
	mov %eax, %cr0
	ljmpl *OFF(tramp_data) + TD_PM32_OFF

	.code32
	.globl tramp_pm32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	lea 4096(%ebx), %esp                 /* top of the trampoline page, for the lret */
	mov %cr4, %eax
	or $(1 << 5), %eax                   /* PAE */
	mov %eax, %cr4
	mov OFF(tramp_data) + TD_CR3(%ebx), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $((1 << 8) | (1 << 11)), %eax     /* EFER.LME | EFER.NXE */
	wrmsr
	mov %cr0, %eax
	or $((1 << 31) | (1 << 16)), %eax    /* PG | WP */
	mov %eax, %cr0
	lea OFF(tramp_lm64)(%ebx), %eax
	push $0x18
	push %eax
	lret

	.code64
tramp_lm64:
	mov OFF(tramp_data) + TD_STACK(%rbx), %rsp
	mov OFF(tramp_data) + TD_PERCPU(%rbx), %rdi
	mov OFF(tramp_data) + TD_ENTRY(%rbx), %rax
	jmp *%rax

	.balign 16
tramp_data:
	.fill TD_SIZE, 1, 0
tramp_end:

	.section .note.GNU-stack, "", @progbits

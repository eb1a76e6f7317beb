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
 * svm_vmrun(%rdi = struct guest_gprs *g, %rsi = host VMCB physical address)
 *
 * g is &v->arch.gprs of a struct vcpu (core/vcpu.h); the other fields of the
 * vCPU are reached relative to it (GV_* in asm_offsets.h).  Called with IF=0
 * after the entry loop's request check, with v->arch.need_resched pointing at
 * this pCPU's flag; returns with IF=0 and GIF=1, the exit state in the VMCB
 * and *g.  It keeps only RBP and RSP: the caller (svm_enter_guest in
 * svm/svm.c) declares every other GPR clobbered, so the C code saves its
 * callee-saved registers once, not on every entry.
 *
 * Hypercall answers.  A VMMCALL at CPL 0 whose call number has a bit in
 * v->hc_answers.mask (VERSION, FEATURES and TIME: constants of the vCPU) is
 * answered right here, before the guest GPRs are saved and with no
 * VMSAVE/VMLOAD: the guest's FS/GS/TR/LDTR/KernelGSBase/syscall MSRs are
 * still loaded in the CPU, and the next VMRUN leaves them as they are.  The
 * stub writes value[nr] to the VMCB's RAX, steps RIP over VMMCALL (3 bytes,
 * ending an interrupt shadow), counts the exit as the C path would (exits,
 * exit_count[EXIT_STAT_HYPERCALL], hypercalls) and re-enters the guest.  It
 * borrows the guest's RDI and RSI, pushed on the host stack and popped back
 * before that VMRUN.  Anything else takes the full exit: VMSAVE, guest GPRs
 * to *g, host VMLOAD, back to C, where svm_exit_fast() and the C loop's
 * check run as before (a constant call left to C gets the same value from
 * hypercall_dispatch, which fills the table).
 *
 * Invariant 1 (DESIGN.md) holds for the stub's VMRUN as for the C loop's:
 * v->requests and *need_resched are read from memory with GIF=0 (no
 * interrupt, NMI or IPI can be taken), after the exit and before the next
 * VMRUN, every time, and any bit set sends the exit to C.  A request set by
 * another CPU after that read is still seen in time: v->in_guest stays true
 * from the C loop's check through every stub round trip (only C clears it,
 * after svm_vmrun returns), so vcpu_request() sees it and sends this pCPU an
 * IPI.  With GIF=0 the IPI stays pending, and the VMRUN sets GIF=1 with the
 * INTR intercept on, so it forces a #VMEXIT(INTR) at once; that exit takes
 * the full path.  need_resched is set only by this pCPU's own timer and
 * yield handlers, which run in C after a full exit, never during the stub.
 * The stub also leaves to C whenever an interrupt is pending in
 * v->arch.pending_irqs: injection (and the interrupt window) is the C
 * loop's job, and a guest that only makes constant calls must still get it.
 * Any other source of events that the C loop injects before VMRUN must be
 * covered the same way (or be left with a VINTR window open, which exits).
 */

/* svm_vmrun's stack once the guest's RDI is pushed after an exit. */
#define VR_G     8          /* g */

	.text
	.globl svm_vmrun
svm_vmrun:
	push %rbp
	push %rsi                   /* host VMCB, for VMLOAD after the exit */
	push %rdi                   /* the GPR block: g */
	mov GV_VMCB_PA(%rdi), %rax
	/* GIF=0 holds every interrupt and NMI from here to STGI... */
	clgi
	/* ...so IF=1 is safe, and with V_INTR_MASKING a physical IRQ now exits the guest. */
	sti
	vmload %rax
	LOAD_GUEST_GPR %rdi
.Lvmrun:
	vmrun %rax
	/* #VMEXIT: host RSP, RAX (= the guest VMCB) and GIF=0 are back; the rest is the guest's. */
	push %rdi
	mov VR_G(%rsp), %rdi
	mov GV_VMCB(%rdi), %rax     /* the VMCB's virtual address */
	cmpq $VMCB_EXIT_VMMCALL, VMCB_EXITCODE(%rax)
	jne .Lexit_full
	/* An exit in the middle of an event delivery needs the C path's requeue. */
	testl $(1 << VMCB_EVT_VALID_BIT), VMCB_EXITINTINFO(%rax)
	jnz .Lexit_full
	cmpb $0, VMCB_CPL(%rax)     /* CPL 3 gets -PL_EPERM from C */
	jne .Lexit_full
	mov VMCB_RAX(%rax), %rax    /* the call number, all 64 bits */
	cmpq $HC_ANSWERS, %rax
	jae .Lexit_full
	bt %rax, GV_HC_MASK(%rdi)
	jnc .Lexit_full
	push %rsi
	mov GV_HC_VALUE(%rdi,%rax,8), %rsi
	/* An interrupt waits for injection: the C loop delivers it. */
	mov GV_PENDING_IRQS(%rdi), %rax
	or GV_PENDING_IRQS+8(%rdi), %rax
	or GV_PENDING_IRQS+16(%rdi), %rax
	or GV_PENDING_IRQS+24(%rdi), %rax
	jnz .Lexit_rsi
	/* Invariant 1: requests and resched, from memory, with GIF=0 (see above). */
	cmpl $0, GV_REQUESTS(%rdi)
	jne .Lexit_rsi
	mov GV_NEED_RESCHED(%rdi), %rax
	cmpb $0, (%rax)
	jne .Lexit_rsi
	/* Answer: RAX, RIP past 0f 01 d9, no interrupt shadow; count it for `vm info`. */
	incq GV_EXITS(%rdi)
	incq GV_EXITS_HC(%rdi)
	incq GV_HYPERCALLS(%rdi)
	mov GV_VMCB(%rdi), %rax
	mov %rsi, VMCB_RAX(%rax)
	addq $3, VMCB_RIP(%rax)
	andq $~1, VMCB_INT_STATE(%rax)
	mov GV_VMCB_PA(%rdi), %rax
	pop %rsi
	pop %rdi
	jmp .Lvmrun
.Lexit_rsi:
	pop %rsi
.Lexit_full:
	mov GV_VMCB_PA(%rdi), %rax
	vmsave %rax
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

/* Interrupt and exception entry: the frame entry.S builds and the handlers. */
#ifndef ARCH_TRAPS_H
#define ARCH_TRAPS_H

#include <stdint.h>

/* Pushed by entry.S (r15 first in memory), then the CPU's frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

#define GDT_CODE 0x08
#define GDT_DATA 0x10
#define GDT_TSS  0x18

#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3

typedef void (*irq_handler_t)(struct trap_frame *f);

void idt_init(void);
void idt_load(void);
/* Handlers for vectors 32..255; the dispatcher sends the EOI. */
int irq_register(uint8_t vector, irq_handler_t fn);
void trap_dispatch(struct trap_frame *f);

#endif

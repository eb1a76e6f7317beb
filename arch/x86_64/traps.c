/*
 * Trap dispatch.  A CPU exception in plinth itself is a broken invariant of
 * plinth: dump the registers and a backtrace straight to the UART (no locks,
 * no heap) and halt that CPU.  Interrupt vectors go through a handler table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/traps.h>
#include "drivers/uart.h"

static irq_handler_t irq_table[256];
extern const char __text_start[], __text_end[];
extern uint8_t cpu_stacks[MAX_CPUS][KSTACK_SIZE];

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD error",
	"#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

int irq_register(uint8_t vector, irq_handler_t fn)
{
	if (vector < 32 || irq_table[vector])
		return -1;
	irq_table[vector] = fn;
	return 0;
}

static void raw_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void raw_print(const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	uart_write_raw(buf, n > 0 ? (size_t)n : 0);
}

/* Follow the frame-pointer chain while it stays on this CPU's stack. */
static void backtrace(uint64_t rbp, uint64_t rip)
{
	uint64_t lo = (uint64_t)cpu_stacks, hi = lo + sizeof(uint8_t[MAX_CPUS][KSTACK_SIZE]);
	raw_print("backtrace (resolve with: addr2line -e build/core.elf ADDR):\n  %016lx\n", rip);
	for (int depth = 0; depth < 16; depth++) {
		if (rbp < lo || rbp + 16 > hi || (rbp & 7))
			break;
		uint64_t ret = ((uint64_t *)rbp)[1];
		if (ret < (uint64_t)__text_start || ret >= (uint64_t)__text_end)
			break;
		raw_print("  %016lx\n", ret);
		rbp = ((uint64_t *)rbp)[0];
	}
}

static void exception(struct trap_frame *f)
{
	struct percpu *p = this_cpu();
	raw_print("\n*** plinth: CPU exception %s (vector %lu, error %#lx) on cpu%u ***\n",
		  exc_names[f->vector], f->vector, f->error, p ? p->cpu : 0);
	raw_print("rip %016lx  cs  %04lx  rflags %016lx\n", f->rip, f->cs, f->rflags);
	raw_print("rsp %016lx  ss  %04lx  cr2 %016lx  cr3 %016lx\n", f->rsp, f->ss, read_cr2(), read_cr3());
	raw_print("rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	raw_print("rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	raw_print("r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	raw_print("r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14, f->r15);
	backtrace(f->rbp, f->rip);
	raw_print("cpu%u halted\n", p ? p->cpu : 0);
	if (p)
		p->state = CPU_HALTED;
	cpu_halt_forever();
}

void trap_dispatch(struct trap_frame *f)
{
	uint64_t v = f->vector;
	if (v == 2) {
		raw_print("plinth: NMI on cpu%u at %016lx\n", this_cpu()->cpu, f->rip);
		return;
	}
	if (v < 32) {
		exception(f);
		return;
	}
	if (v == VEC_SPURIOUS)
		return;
	if (v < 256 && irq_table[v])
		irq_table[v](f);
	/* 0x20..0x2f are the masked 8259s' spurious IRQs: no LAPIC EOI for those. */
	if (v >= 0x30)
		apic_eoi();
}

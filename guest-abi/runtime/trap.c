/*
 * Runtime start-up, exceptions, MSR probing and the ways a guest ends.
 *
 * Exceptions are fatal (a line on the console, then test exit 0x7f) except
 * the one #GP an rdmsr_safe/wrmsr_safe asked for: the handler skips the
 * two-byte RDMSR/WRMSR and lets the caller see the fault.
 */
#include "pl.h"

/* Pushed by the vector entries and trap_common in start.S, lowest address first. */
struct pl_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;      /* SDM vol.3 6.14.2: the CPU's frame */
};

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, attr;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

struct __attribute__((packed)) idt_ptr {
	uint16_t limit;
	uint64_t base;
};

#define IDT_ENTRIES 256
#define GATE_INTR 0x8e          /* present, DPL 0, 64-bit interrupt gate */
#define VEC_GP 13

extern const uint64_t pl_trap_entries[IDT_ENTRIES];

uint64_t pl_ram_size;
static struct pl_cpu cpus[PL_RT_MAX_VCPUS];
static struct idt_gate idt[IDT_ENTRIES];

/* Called from start.S only. */
void pl_rt_setup(const struct pl_start_info *si);
__attribute__((noreturn)) void pl_rt_run(const struct pl_start_info *si, uint64_t vcpu,
					 uint64_t entry_rsp);
void pl_trap(struct pl_trap_frame *f);

struct pl_cpu *pl_cpu_of(unsigned id)
{
	return id < PL_RT_MAX_VCPUS ? &cpus[id] : NULL;
}

static struct pl_cpu *cpu_at(uint64_t rsp)
{
	if (rsp >= pl_ram_size)
		return NULL;
	return pl_cpu_of((unsigned)((pl_ram_size - 1 - rsp) / PL_STACK_PER_VCPU));
}

struct pl_cpu *pl_cpu_self(void)
{
	uint64_t rsp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	return cpu_at(rsp);
}

void pl_rt_setup(const struct pl_start_info *si)
{
	uint16_t cs;
	unsigned i;

	pl_ram_size = si->ram_size;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (i = 0; i < IDT_ENTRIES; i++) {
		uint64_t a = pl_trap_entries[i];

		idt[i] = (struct idt_gate){
			.off_lo = (uint16_t)a, .sel = cs, .attr = GATE_INTR,
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
		};
	}
}

void pl_rt_run(const struct pl_start_info *si, uint64_t vcpu, uint64_t entry_rsp)
{
	struct idt_ptr old, p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	struct pl_cpu *c = pl_cpu_of((unsigned)vcpu);
	uint64_t rflags;

	__asm__ volatile("pushfq; pop %0" : "=r"(rflags));
	__asm__ volatile("sidt %0" : "=m"(old));
	__asm__ volatile("lidt %0" : : "m"(p));
	if (vcpu >= PL_RT_MAX_VCPUS) {
		pl_printf("guest: vcpu %llu beyond the runtime's %u, parked\n",
			  (unsigned long long)vcpu, PL_RT_MAX_VCPUS);
		pl_halt_forever();
	}
	c->id = (unsigned)vcpu;
	c->entry_rsp = entry_rsp;
	c->entry_rflags = rflags;
	c->entry_idt_limit = old.limit;
	pl_shutdown(main(si, (unsigned)vcpu));
}

static int is_msr_insn(uint64_t rip)
{
	const volatile uint8_t *ip = (const volatile uint8_t *)(uintptr_t)rip;

	return ip[0] == 0x0f && (ip[1] == 0x30 || ip[1] == 0x32);
}

void pl_trap(struct pl_trap_frame *f)
{
	struct pl_cpu *c = cpu_at(f->rsp);

	if (c) {
		c->last_vector = f->vector;
		c->last_error = f->error;
		if (f->vector == VEC_GP && c->expect_gp && is_msr_insn(f->rip)) {
			c->expect_gp = 0;
			c->gp_taken = 1;
			f->rip += 2;
			return;
		}
	}
	pl_printf("guest: exception %llu err 0x%llx rip 0x%llx\n",
		  (unsigned long long)f->vector, (unsigned long long)f->error,
		  (unsigned long long)f->rip);
	pl_test_exit(0x7f);
}

static struct pl_cpu *cpu_expect_gp(void)
{
	struct pl_cpu *c = pl_cpu_self();

	if (!c) {
		pl_printf("guest: MSR access with no per-vCPU state\n");
		pl_test_exit(0x7f);
	}
	c->gp_taken = 0;
	c->expect_gp = 1;
	return c;
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	struct pl_cpu *c = cpu_expect_gp();
	uint32_t lo = 0, hi = 0;

	__asm__ volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	c->expect_gp = 0;
	if (c->gp_taken)
		return -1;
	*val = ((uint64_t)hi << 32) | lo;
	return 0;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
	struct pl_cpu *c = cpu_expect_gp();

	__asm__ volatile("wrmsr"
			 : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "memory");
	c->expect_gp = 0;
	return c->gp_taken ? -1 : 0;
}

void pl_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void pl_test_exit(uint8_t v)
{
	outb(v, PL_TEST_EXIT_PORT);
	pl_halt_forever();
}

void pl_shutdown(int status)
{
	pl_hc1(PL_HC_SHUTDOWN, (uint64_t)(int64_t)status);
	pl_halt_forever();
}

void pl_reboot(void)
{
	pl_hc0(PL_HC_REBOOT);
	pl_halt_forever();
}

/* Per-CPU descriptor tables: GDT with a TSS (IST stacks for NMI, #DF, #MC), one shared IDT. */
#include <string.h>
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <arch/traps.h>

struct percpu percpu[MAX_CPUS];
uint32_t ncpus = 1;

uint8_t cpu_stacks[MAX_CPUS][KSTACK_SIZE] __attribute__((aligned(4096)));
static uint8_t ist_stacks[MAX_CPUS][3][IST_SIZE] __attribute__((aligned(4096)));

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_entry idt[256] __attribute__((aligned(16)));
extern const char vector_stubs[];

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t a = (uint64_t)(vector_stubs + 16 * v);
		idt[v] = (struct idt_entry){
			.off_lo = (uint16_t)a, .sel = GDT_CODE, .type = 0x8e,   /* present, interrupt gate */
			.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32),
		};
	}
	idt[2].ist = IST_NMI;
	idt[8].ist = IST_DF;
	idt[18].ist = IST_MC;
}

void idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(p));
}

void cpu_init(struct percpu *p)
{
	uint32_t i = p->cpu;
	p->self = p;
	p->kstack_top = (uint64_t)cpu_stacks[i] + KSTACK_SIZE;
	memset(&p->tss, 0, sizeof(p->tss));
	for (int s = 0; s < 3; s++)
		p->tss.ist[s] = (uint64_t)ist_stacks[i][s] + IST_SIZE;
	p->tss.rsp[0] = p->kstack_top;
	p->tss.iomap_base = sizeof(p->tss);

	uint64_t t = (uint64_t)&p->tss, lim = sizeof(p->tss) - 1;
	p->gdt[0] = 0;
	p->gdt[1] = 0x00af9a000000ffffull;      /* 64-bit code */
	p->gdt[2] = 0x00cf92000000ffffull;      /* data */
	p->gdt[3] = (lim & 0xffff) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
		    (((lim >> 16) & 0xf) << 48) | (((t >> 24) & 0xff) << 56);
	p->gdt[4] = t >> 32;

	struct desc_ptr g = { 5 * 8 - 1, (uint64_t)p->gdt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%ss\n\t"
		"xor %%eax, %%eax\n\tmov %%eax, %%fs\n\tmov %%eax, %%gs\n\t"
		"pushq %2\n\t"
		"lea 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"ltr %w3"
		: : "m"(g), "r"(GDT_DATA), "i"(GDT_CODE), "r"(GDT_TSS) : "rax", "memory");
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	idt_load();
	/* Supervisor writes honour read-only pages (W^X holds for the core too). */
	__asm__ volatile("mov %%cr0, %%rax; or $(1 << 16), %%rax; mov %%rax, %%cr0" ::: "rax");
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

const char *cpu_state_name(uint32_t state)
{
	static const char *const names[] = {
		[CPU_ABSENT] = "absent", [CPU_STARTING] = "starting", [CPU_ONLINE] = "online",
		[CPU_FAILED] = "failed", [CPU_HALTED] = "halted",
	};
	return state < sizeof(names) / sizeof(names[0]) && names[state] ? names[state] : "?";
}

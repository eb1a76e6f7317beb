/*
 * SMP bring-up: every enabled CPU in the MADT gets INIT, then one at a time
 * a SIPI (twice if needed) into the trampoline, and reports in by setting its
 * state to online from its own C entry.
 */
#include "sched.h"
#include "vcpu.h"
#include <stdio.h>
#include <string.h>
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/pagetable.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/traps.h>
#include "drivers/acpi.h"
#include "console.h"
#include "frame.h"
#include "log.h"
#include "mm.h"
#include "spinlock.h"

extern const char tramp_start[], tramp_end[], tramp_data[], tramp_pm32[];
extern const char ap_entry64[];
extern uint8_t cpu_stacks[MAX_CPUS][KSTACK_SIZE];

void ap_main(struct percpu *p);

static uint64_t low_alloc(void *arg)
{
	(void)arg;
	uint64_t pa = frame_alloc_contig(1, 1, 4ull << 30);
	return pa == FRAME_NONE ? 0 : pa;
}

static void *low_ptr(uint64_t pa, void *arg)
{
	(void)arg;
	return phys_to_virt(pa);
}

/*
 * Hand-over tables for the trampoline: the core's upper half plus an
 * identity map of the trampoline page, with the PML4 below 4 GiB because
 * CR3 is loaded in 32-bit mode.
 */
static uint64_t smp_tramp_tables(uint64_t tramp, struct pt *pt)
{
	*pt = (struct pt){ .alloc = low_alloc, .ptr = low_ptr, .max_page = PT_SIZE_4K };
	if (pt_init(pt) || pt_map(pt, tramp, tramp, PAGE_SIZE, PTE_W))
		return 0;
	uint64_t *dst = phys_to_virt(pt->root), *src = phys_to_virt(paging_root());
	for (int i = 256; i < 512; i++)
		dst[i] = src[i];
	return pt->root;
}

static void smp_free_tables(uint64_t root)
{
	/* PML4 -> PDPT -> PD -> PT for one page: four frames, lower half only. */
	uint64_t *t = phys_to_virt(root);
	uint64_t frames[4] = { root };
	for (int l = 1; l < 4; l++) {
		uint64_t e = 0;
		for (int i = 0; i < 256 && !e; i++)
			e = t[i] & PTE_P ? t[i] : 0;
		frames[l] = e & PTE_ADDR;
		if (!frames[l])
			break;
		t = phys_to_virt(frames[l]);
	}
	for (int l = 0; l < 4 && frames[l]; l++)
		frame_free(frames[l]);
}

/*
 * The MP spec's 10 ms between INIT and SIPI is for 486-era local APICs.
 * CPUs with an integrated APIC (Intel family 6 and later, AMD family 0Fh and
 * later) accept the SIPI right away; 10 us is ample.  Older ones keep 10 ms.
 */
static uint64_t smp_init_delay_us(void)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	int intel = b == 0x756e6547, amd = b == 0x68747541;   /* "Genu", "Auth" */
	cpuid(1, 0, &a, &b, &c, &d);
	uint32_t family = (a >> 8) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	return (intel && family >= 6) || (amd && family >= 0xf) ? 10 : 10000;
}

static int smp_wait_online(struct percpu *p, uint64_t us)
{
	for (uint64_t t = 0; t < us; t += 10) {
		if (p->state == CPU_ONLINE)
			return 1;
		udelay(10);
	}
	return p->state == CPU_ONLINE;
}

/*
 * One call slot per CPU: senders take smp_call_lock, fill arg then fn; the
 * target reads both and frees the slot last, so a new call never overwrites
 * the argument of one not yet taken.
 */
static spinlock_t smp_call_lock;

static void smp_call_irq(struct trap_frame *f)
{
	(void)f;
	struct percpu *p = this_cpu();
	void (*fn)(void *) = __atomic_load_n(&p->call_fn, __ATOMIC_ACQUIRE);
	if (!fn)
		return;
	void *arg = p->call_arg;
	__atomic_store_n(&p->call_fn, NULL, __ATOMIC_RELEASE);
	fn(arg);
}

int smp_call(uint32_t cpu, void (*fn)(void *), void *arg)
{
	if (cpu >= ncpus || percpu[cpu].state != CPU_ONLINE || !fn)
		return -1;
	struct percpu *p = &percpu[cpu];
	uint64_t flags = spin_lock_irqsave(&smp_call_lock);
	int busy = __atomic_load_n(&p->call_fn, __ATOMIC_ACQUIRE) != NULL;
	if (!busy) {
		p->call_arg = arg;
		__atomic_store_n(&p->call_fn, fn, __ATOMIC_RELEASE);
	}
	spin_unlock_irqrestore(&smp_call_lock, flags);
	if (busy)
		return -1;
	apic_send_ipi(p->apic_id, VEC_IPI_CALL);
	return 0;
}

uint32_t smp_init(uint64_t tramp)
{
	irq_register(VEC_IPI_CALL, smp_call_irq);
	if (!tramp || !acpi.have_madt) {
		log_warn("smp: %s: only the BSP runs", tramp ? "no MADT" : "no trampoline page");
		return 1;
	}
	struct pt pt;
	uint64_t cr3 = smp_tramp_tables(tramp, &pt);
	if (!cr3) {
		log_err("smp: no memory below 4 GiB for the trampoline tables");
		return 1;
	}
	uint8_t *page = phys_to_virt(tramp);
	memcpy(page, tramp_start, (size_t)(tramp_end - tramp_start));
	struct tramp_data *td = (struct tramp_data *)(page + (tramp_data - tramp_start));
	td->gdt[0] = 0;
	td->gdt[1] = 0x00cf9a000000ffffull;     /* 32-bit code */
	td->gdt[2] = 0x00cf92000000ffffull;     /* data */
	td->gdt[3] = 0x00af9a000000ffffull;     /* 64-bit code */
	td->gdt_limit = sizeof(td->gdt) - 1;
	td->gdt_base = (uint32_t)(tramp + (uint64_t)((uint8_t *)td->gdt - page));
	td->pm32_off = (uint32_t)(tramp + (uint64_t)(tramp_pm32 - tramp_start));
	td->pm32_sel = 0x08;
	td->cr3 = (uint32_t)cr3;
	td->entry = (uint64_t)ap_entry64;

	uint32_t bsp = percpu[0].apic_id, want = 0;
	for (uint32_t i = 0; i < acpi.ncpus; i++) {
		if (!acpi.cpus[i].enabled || acpi.cpus[i].apic_id == bsp)
			continue;
		if (ncpus + want >= MAX_CPUS) {
			log_warn("smp: more than %d CPUs; the rest stay off", MAX_CPUS);
			break;
		}
		apic_send_init(acpi.cpus[i].apic_id);
		want++;
	}
	udelay(smp_init_delay_us());

	uint32_t online = 1;
	for (uint32_t i = 0, n = 0; i < acpi.ncpus && n < want; i++) {
		if (!acpi.cpus[i].enabled || acpi.cpus[i].apic_id == bsp)
			continue;
		n++;
		struct percpu *p = &percpu[ncpus];
		p->cpu = ncpus;
		p->apic_id = acpi.cpus[i].apic_id;
		p->acpi_uid = acpi.cpus[i].acpi_uid;
		p->state = CPU_STARTING;
		td->stack = (uint64_t)cpu_stacks[ncpus] + KSTACK_SIZE;
		td->percpu = (uint64_t)p;
		ncpus++;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		apic_send_sipi(p->apic_id, (uint8_t)(tramp >> 12));
		if (!smp_wait_online(p, 1000)) {
			apic_send_sipi(p->apic_id, (uint8_t)(tramp >> 12));
			smp_wait_online(p, 200000);
		}
		if (p->state == CPU_ONLINE) {
			online++;
		} else {
			p->state = CPU_FAILED;
			log_err("smp: cpu%u (apic %u) did not start", p->cpu, p->apic_id);
		}
	}
	smp_free_tables(cr3);
	log_info("smp: %u of %u CPUs online", online, want + 1);
	return online;
}

void ap_main(struct percpu *p)
{
	write_cr3(paging_root());
	cpu_init(p);
	apic_init_ap();
	if (apic_id() != p->apic_id)
		log_warn("smp: cpu%u reports apic %u, MADT said %u", p->cpu, apic_id(), p->apic_id);
	if (vcpu_arch_cpu_init())
		log_warn("svm: cpu%u cannot run guests", p->cpu);
	__atomic_store_n(&p->state, CPU_ONLINE, __ATOMIC_RELEASE);
	sched_cpu_loop();
}

static int cmd_cpus(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (uint32_t i = 0; i < ncpus; i++)
		printf("cpu%-3u apic %-4u %-8s%s\n", percpu[i].cpu, percpu[i].apic_id,
		       cpu_state_name(percpu[i].state), i == 0 ? " (bsp)" : "");
	return 0;
}
CONSOLE_CMD(cmd_cpus_def, "cpus", "", "list the CPUs with their APIC id and state", cmd_cpus);

/*
 * The core's C entry on the BSP: take over the machine in dependency order,
 * then give the operator the console.
 */
#include "sched.h"
#include "vcpu.h"
#include "vm.h"
#include <stdio.h>
#include <string.h>
#include <arch/apic.h>
#include <arch/calib.h>
#include <arch/cpu.h>
#include <arch/paging.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <arch/traps.h>
#include "drivers/acpi.h"
#include "drivers/hpet.h"
#include "drivers/pci.h"
#include "drivers/uart.h"
#include "boot_info.h"
#include "console.h"
#include "version.h"
#include "frame.h"
#include "log.h"
#include "mm.h"

const struct boot_info *boot_info;

void core_main(uint64_t bi_phys);

static void die(const char *msg)
{
	uart_write_raw(msg, strlen(msg));
	cpu_halt_forever();
}

/* The loader's messages go into the ring; the firmware console showed them already. */
static void replay_loader_log(const struct boot_info *bi)
{
	enum log_level saved = log_console_level();
	log_set_console_level(LOG_ERR + 1);
	uint32_t len = bi->log_len < BOOT_LOG_MAX ? bi->log_len : BOOT_LOG_MAX;
	for (uint32_t start = 0, i = 0; i < len; i++)
		if (bi->log[i] == '\n') {
			log_info("loader: %.*s", (int)(i - start), bi->log + start);
			start = i + 1;
		}
	log_set_console_level(saved);
}

static void apply_config(const struct boot_info *bi)
{
	static const char *const status[] = { "ok", "missing, using defaults", "with errors" };
	const char *lvl = config_get(&bi->config, 0, "log_level");
	enum log_level l;
	if (lvl && log_level_parse(lvl, &l) == 0)
		log_set_console_level(l);
	else if (lvl)
		log_warn("config: log_level '%s' is not debug, info, warn or err", lvl);
	log_info("config: %s (%s)", bi->cfg_path, bi->cfg_status < 3 ? status[bi->cfg_status] : "?");
	for (uint32_t i = 0; i < bi->config.nerrors && i < CFG_MAX_ERRORS; i++)
		log_warn("config: %s", bi->config.errors[i]);
}

/* "12.345 ms" for a TSC delta, integer arithmetic only. */
static void fmt_ms(char *buf, size_t n, uint64_t ticks, uint64_t hz)
{
	uint64_t us = calib_us_for_ticks(ticks, hz);
	snprintf(buf, n, "%lu.%03lu ms", us / 1000, us % 1000);
}

/*
 * From efi_main to a ready console, split into the loader, the firmware's
 * own ExitBootServices (not plinth's code) and the core.  Autostarted VMs
 * load after this point, and vm_autostart reports their time itself.
 */
static void log_boot_time(const struct boot_info *bi)
{
	char total[32], loader[32], ebs[32], core[32];
	uint64_t now = rdtsc(), hz = tsc_hz();
	fmt_ms(total, sizeof(total), now - bi->tsc_efi_main, hz);
	fmt_ms(loader, sizeof(loader), bi->tsc_handoff - bi->tsc_efi_main - bi->tsc_exit_bs, hz);
	fmt_ms(ebs, sizeof(ebs), bi->tsc_exit_bs, hz);
	fmt_ms(core, sizeof(core), now - bi->tsc_handoff, hz);
	log_info("boot: %lu TSC ticks from efi_main to the console (%s: loader %s, firmware "
		 "ExitBootServices %s, core %s)", now - bi->tsc_efi_main, total, loader, ebs, core);
}

static void *direct_ptr(uint64_t pa)
{
	return phys_to_virt(pa);
}

void core_main(uint64_t bi_phys)
{
	uart_init(UART_COM1, 115200);
	const struct boot_info *bi = phys_to_virt(bi_phys);
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION || bi->size != sizeof(*bi))
		die("plinth: boot_info from a different loader version; halting\n");
	boot_info = bi;

	struct percpu *bsp = &percpu[0];
	bsp->cpu = 0;
	idt_init();
	cpu_init(bsp);
	if (frame_init(bi->mem, bi->nmem, 1ull << 20, direct_ptr))
		die("plinth: no usable memory in the boot map; halting\n");
	mem_set_map(bi->mem, bi->nmem);
	if (paging_init(bi))
		die("plinth: cannot build page tables; halting\n");

	printf("\nplinth %s (build %s) - x86-64 microhypervisor\n", PLINTH_VERSION, plinth_build_id);
	fflush(stdout);
	replay_loader_log(bi);
	apply_config(bi);
	if (bi->cmdline[0])
		log_info("load options: %s", bi->cmdline);

	if (acpi_init(bi->rsdp_phys))
		log_err("acpi: no usable RSDP: one CPU, no timers from ACPI");
	if (acpi.hpet_phys && hpet_init(acpi.hpet_phys))
		log_warn("hpet: unusable; calibrating against the PM timer");
	apic_init();
	bsp->apic_id = apic_id();
	bsp->state = CPU_ONLINE;
	/* APs first: the firmware leaves them spinning, and under -icount their
	 * spinning is charged to the one virtual clock every CPU shares. */
	smp_init(bi->trampoline_phys);
	apic_timer_calibrate();
	ioapic_init();
	uart_enable_rx_irq();
	irq_enable();
	pci_init();
	sched_init();
	if (vcpu_arch_cpu_init())
		log_warn("svm: not available on cpu0: no guests (bench floor unavailable)");
	log_info("svm: %d pCPU(s) run guests", __builtin_popcountll(sched_guest_cpus()));
	log_boot_time(bi);
	vm_autostart(&bi->config);

	struct frame_stats fs = frame_stats();
	log_info("memory: %lu MiB free of %lu MiB managed", fs.free >> 8, fs.total >> 8);
	console_main();
}

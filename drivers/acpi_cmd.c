/*
 * The `acpi` console command: every table found, whether it was used, and a
 * summary of what plinth took from them.  Apart from acpi.c so the parser's
 * unit test needs no console.
 */
#include <stdio.h>
#include "console.h"
#include "drivers/acpi.h"

static const char *gas_space_name(uint8_t space)
{
	switch (space) {
	case ACPI_GAS_MEM: return "memory";
	case ACPI_GAS_IO:  return "I/O";
	case ACPI_GAS_PCI: return "PCI config";
	default:           return "unknown space";
	}
}

static void acpi_print_tables(void)
{
	printf("RSDP at 0x%llx, revision %u, %u tables\n",
	       (unsigned long long)acpi.rsdp_phys, acpi.revision, acpi.ntables);
	printf("  sig   address             length  oem     rev  status\n");
	for (uint32_t i = 0; i < acpi.ntables && i < ACPI_MAX_TABLES; i++) {
		const struct acpi_table_info *t = &acpi.tables[i];

		printf("  %-4s  0x%016llx  %8u  %-6s  %3u  %s\n", t->sig,
		       (unsigned long long)t->phys, t->length, t->oem_id, t->revision,
		       t->valid ? "ok" : "BAD (skipped)");
	}
}

static void acpi_print_summary(void)
{
	uint32_t enabled = 0;

	for (uint32_t i = 0; i < acpi.ncpus; i++)
		enabled += acpi.cpus[i].enabled;
	if (acpi.have_madt)
		printf("CPUs:      %u in MADT, %u enabled; LAPIC 0x%llx%s\n", acpi.ncpus, enabled,
		       (unsigned long long)acpi.lapic_phys, acpi.pcat_compat ? "; 8259s present" : "");
	else
		printf("CPUs:      no usable MADT\n");
	printf("IOAPICs:   %u", acpi.nioapics);
	for (uint32_t i = 0; i < acpi.nioapics; i++)
		printf("%s id %u at 0x%llx gsi %u", i ? "," : ":", acpi.ioapics[i].id,
		       (unsigned long long)acpi.ioapics[i].phys, acpi.ioapics[i].gsi_base);
	printf("; %u interrupt overrides\n", acpi.nisos);
	if (acpi.hpet_phys)
		printf("HPET:      0x%llx\n", (unsigned long long)acpi.hpet_phys);
	else
		printf("HPET:      none\n");
	printf("MCFG:      %u segment%s", acpi.nmcfg, acpi.nmcfg == 1 ? "" : "s");
	for (uint32_t i = 0; i < acpi.nmcfg; i++)
		printf("%s seg %u bus %02x-%02x at 0x%llx", i ? "," : ":", acpi.mcfg[i].segment,
		       acpi.mcfg[i].bus_start, acpi.mcfg[i].bus_end,
		       (unsigned long long)acpi.mcfg[i].base);
	printf("\n");
	if (acpi.pm_tmr_port)
		printf("PM timer:  port 0x%x (%s)\n", acpi.pm_tmr_port,
		       acpi.pm_tmr_32bit ? "32-bit" : "24-bit");
	else
		printf("PM timer:  none\n");
	if (acpi.have_reset)
		printf("reset:     %s 0x%llx <- 0x%02x\n", gas_space_name(acpi.reset_reg.space),
		       (unsigned long long)acpi.reset_reg.addr, acpi.reset_value);
	else
		printf("reset:     no ACPI reset register\n");
	if (acpi.have_s5)
		printf("S5:        SLP_TYPa %u, SLP_TYPb %u; PM1a_CNT 0x%x, PM1b_CNT 0x%x\n",
		       acpi.slp_typa, acpi.slp_typb, acpi.pm1a_cnt_port, acpi.pm1b_cnt_port);
	else
		printf("S5:        not available\n");
	if (acpi.have_dmar)
		printf("DMAR:      at 0x%llx, %u bytes\n", (unsigned long long)acpi.dmar_phys,
		       acpi.dmar_length);
	else
		printf("DMAR:      not present\n");
}

static int acpi_run(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("acpi: takes no arguments\n");
		return 1;
	}
	if (acpi.rsdp_phys == 0) {
		printf("acpi: no usable RSDP was found at boot\n");
		return 1;
	}
	acpi_print_tables();
	acpi_print_summary();
	return 0;
}

CONSOLE_CMD(acpi_cmd, "acpi", "", "ACPI tables found and what plinth uses from them", acpi_run);

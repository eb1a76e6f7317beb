/*
 * Machine reset and soft-off through the FADT, and the `reboot` and
 * `poweroff` console commands with their legacy fallbacks.  Kept apart from
 * acpi.c so the parser's unit test needs no port I/O or console.
 */
#include <stdio.h>
#include <arch/cpu.h>
#include "console.h"
#include "drivers/acpi.h"
#include "mm.h"

/* Legacy reset paths: PCI reset control (ICH9 datasheet 13.7.5) and the 8042. */
#define PORT_RST_CNT       0xcf9
#define RST_CNT_SYS_RST    0x02
#define RST_CNT_RST_CPU    0x04
#define PORT_KBC_STATUS    0x64
#define KBC_INPUT_FULL     0x02
#define KBC_CMD_RESET      0xfe
#define PORT_PCI_ADDR      0xcf8
#define PORT_PCI_DATA      0xcfc

#define RESET_WAIT_US      500000     /* how long a reset gets before the next method */
#define ACPI_MODE_WAIT_MS  3000       /* SMI handler switching to ACPI mode */
#define SLEEP_WAIT_US      1000000

/* ACPI 6.x 5.2.3.2: a PCI config GAS names bus 0, device in bits 47:32,
 * function in 31:16 and the register offset in 15:0. */
static void reset_write_pci(uint64_t addr, uint8_t v)
{
	uint32_t dev = (uint32_t)(addr >> 32) & 0x1f;
	uint32_t fn = (uint32_t)(addr >> 16) & 0x07;
	uint32_t off = (uint32_t)addr & 0xff;

	outl(PORT_PCI_ADDR, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
	outb((uint16_t)(PORT_PCI_DATA + (off & 3)), v);
}

void acpi_reset(void)
{
	const struct acpi_gas *r = &acpi.reset_reg;
	volatile uint8_t *mem;

	if (!acpi.have_reset)
		return;
	switch (r->space) {
	case ACPI_GAS_IO:
		outb((uint16_t)r->addr, acpi.reset_value);
		break;
	case ACPI_GAS_MEM:
		mem = (volatile uint8_t *)mmio_map(r->addr, 1);
		if (!mem)
			return;
		*mem = acpi.reset_value;
		break;
	case ACPI_GAS_PCI:
		reset_write_pci(r->addr, acpi.reset_value);
		break;
	default:
		return;
	}
	udelay(RESET_WAIT_US);
}

/*
 * ACPI 6.x 16.3.1: with SCI_EN clear the firmware still owns power
 * management; writing ACPI_ENABLE to SMI_CMD hands it over.
 */
static void acpi_mode_enter(void)
{
	uint16_t port = (uint16_t)acpi.pm1a_cnt_port;

	if ((inw(port) & ACPI_PM1_SCI_EN) || !acpi.smi_cmd_port || !acpi.acpi_enable_value)
		return;
	outb((uint16_t)acpi.smi_cmd_port, acpi.acpi_enable_value);
	for (int ms = 0; ms < ACPI_MODE_WAIT_MS && !(inw(port) & ACPI_PM1_SCI_EN); ms++)
		udelay(1000);
}

void acpi_poweroff(void)
{
	uint16_t a, b = 0;

	if (!acpi.have_s5 || !acpi.pm1a_cnt_port)
		return;
	acpi_mode_enter();
	a = acpi_pm1_sleep_value(inw((uint16_t)acpi.pm1a_cnt_port), acpi.slp_typa);
	if (acpi.pm1b_cnt_port)
		b = acpi_pm1_sleep_value(inw((uint16_t)acpi.pm1b_cnt_port), acpi.slp_typb);
	/* ACPI 6.x 7.4.2: SLP_TYP first, then SLP_EN, to both blocks. */
	irq_disable();
	outw((uint16_t)acpi.pm1a_cnt_port, (uint16_t)(a & ~ACPI_PM1_SLP_EN));
	if (acpi.pm1b_cnt_port)
		outw((uint16_t)acpi.pm1b_cnt_port, (uint16_t)(b & ~ACPI_PM1_SLP_EN));
	outw((uint16_t)acpi.pm1a_cnt_port, a);
	if (acpi.pm1b_cnt_port)
		outw((uint16_t)acpi.pm1b_cnt_port, b);
	udelay(SLEEP_WAIT_US);
}

static void kbc_reset(void)
{
	for (int i = 0; i < 10000 && (inb(PORT_KBC_STATUS) & KBC_INPUT_FULL); i++)
		udelay(10);
	outb(PORT_KBC_STATUS, KBC_CMD_RESET);
	udelay(RESET_WAIT_US);
}

static int reboot_run(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("reboot: takes no arguments\n");
		return 1;
	}
	printf("plinth: rebooting\n");
	fflush(stdout);
	udelay(10000);                   /* let the UART drain */
	acpi_reset();
	outb(PORT_RST_CNT, RST_CNT_SYS_RST);
	udelay(10);
	outb(PORT_RST_CNT, RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	udelay(RESET_WAIT_US);
	kbc_reset();
	printf("reboot: ACPI reset register, port 0xcf9 and the 8042 all failed\n");
	return 1;
}

static int poweroff_run(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		printf("poweroff: takes no arguments\n");
		return 1;
	}
	printf("plinth: powering off\n");
	fflush(stdout);
	udelay(10000);
	acpi_poweroff();
	if (!acpi.have_s5 || !acpi.pm1a_cnt_port)
		printf("poweroff: ACPI S5 not available\n");
	else
		printf("poweroff: S5 written to PM1a_CNT 0x%x but the machine is still on\n",
		       acpi.pm1a_cnt_port);
	return 1;
}

CONSOLE_CMD(reboot_cmd, "reboot", "", "reset the machine (ACPI reset register, then 0xcf9, then 8042)",
	    reboot_run);
CONSOLE_CMD(poweroff_cmd, "poweroff", "", "power the machine off (ACPI S5)", poweroff_run);

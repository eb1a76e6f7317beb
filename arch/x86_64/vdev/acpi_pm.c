/*
 * Guest ACPI PM1a status, enable and control registers: byte decoding, the
 * write-1-to-clear status, the fixed SCI_EN and the SLP_EN trigger.  See
 * acpi_pm.h.
 */
#include <arch/guest_layout.h>
#include "acpi_pm.h"

enum { REG_STS, REG_EN, REG_CNT, NREGS };

#define EN_KEPT  (VACPI_PM1_TMR_EN | VACPI_PM1_GBL_EN | VACPI_PM1_PWRBTN_EN | \
		  VACPI_PM1_SLPBTN_EN | VACPI_PM1_RTC_EN | VACPI_PM1_PCIEXP_WAKE_DIS)
#define CNT_KEPT (VACPI_PM1_BM_RLD | VACPI_PM1_SLP_TYP)

void vacpi_pm_init(struct vacpi_pm *pm, void (*sleep)(void *arg, unsigned slp_typ), void *arg)
{
	pm->sts = 0;
	pm->en = 0;
	pm->cnt = VACPI_PM1_SCI_EN;
	pm->sleep = sleep;
	pm->arg = arg;
}

static int size_ok(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}

/*
 * The register holding the byte at port, and that byte's shift within it;
 * -1 for a port outside both blocks.  port is 32-bit so port + i of an
 * access near 0xffff cannot wrap into the blocks.
 */
static int reg_of(uint32_t port, unsigned *shift)
{
	uint32_t off;

	if (port >= GL_PORT_PM1A_EVT && port < GL_PORT_PM1A_EVT + VACPI_PM1_EVT_LEN) {
		off = port - GL_PORT_PM1A_EVT;
		*shift = 8 * (off & 1);
		return off < 2 ? REG_STS : REG_EN;
	}
	if (port >= GL_PORT_PM1A_CNT && port < GL_PORT_PM1A_CNT + VACPI_PM1_CNT_LEN) {
		*shift = 8 * (port - GL_PORT_PM1A_CNT);
		return REG_CNT;
	}
	return -1;
}

uint32_t vacpi_pm_read(struct vacpi_pm *pm, uint16_t port, unsigned size)
{
	uint16_t regs[NREGS] = { pm->sts, pm->en, pm->cnt };
	uint32_t val = 0;

	if (!size_ok(size))
		return 0xffffffffu;
	for (unsigned i = 0; i < size; i++) {
		unsigned shift = 0;
		int reg = reg_of((uint32_t)port + i, &shift);
		uint32_t byte = reg < 0 ? 0xffu : (uint32_t)(regs[reg] >> shift) & 0xffu;

		val |= byte << (8 * i);
	}
	return val;
}

void vacpi_pm_write(struct vacpi_pm *pm, uint16_t port, unsigned size, uint32_t val)
{
	uint16_t mask[NREGS] = { 0 }, v[NREGS] = { 0 };

	if (!size_ok(size))
		return;
	/* Gather the bytes per register first, so each register acts once. */
	for (unsigned i = 0; i < size; i++) {
		unsigned shift = 0;
		int reg = reg_of((uint32_t)port + i, &shift);

		if (reg < 0)
			continue;
		mask[reg] |= (uint16_t)(0xffu << shift);
		v[reg] |= (uint16_t)(((val >> (8 * i)) & 0xffu) << shift);
	}

	pm->sts &= (uint16_t)~v[REG_STS];
	pm->en = (uint16_t)(((pm->en & ~mask[REG_EN]) | v[REG_EN]) & EN_KEPT);
	if (!mask[REG_CNT])
		return;
	pm->cnt = (uint16_t)((((pm->cnt & ~mask[REG_CNT]) | v[REG_CNT]) & CNT_KEPT) |
			     VACPI_PM1_SCI_EN);
	/* ACPI 6.x 4.8.3.2.1: SLP_EN enters the sleep type SLP_TYP says. */
	if ((v[REG_CNT] & VACPI_PM1_SLP_EN) && pm->sleep)
		pm->sleep(pm->arg, (pm->cnt & VACPI_PM1_SLP_TYP) >> VACPI_PM1_SLP_TYP_SHIFT);
}

/*
 * Guest PCI host bridge: one configuration function for bus 0 and its two
 * front ends, mechanism #1 ports and ECAM.  See pci_host.h.
 */
#include <stdbool.h>
#include <string.h>
#include <arch/guest_layout.h>
#include "pci_host.h"
#include "le.h"

#define CF8_ENABLE      0x80000000u
#define CF8_KEPT        0x80fffffcu     /* enable, bus, device, function, register */

#define REG_VENDOR      0x00
#define REG_DEVICE      0x02
#define REG_COMMAND     0x04
#define REG_REVISION    0x08
#define REG_CACHE_LINE  0x0c
#define REG_HEADER_TYPE 0x0e

/* Writable bits of 00.0's header (PCI 3.0 6.2.2): command and cache line size. */
static uint8_t cfg_wmask(uint16_t reg)
{
	switch (reg) {
	case REG_COMMAND:
		return 0x47;            /* I/O, memory, bus master, parity error response */
	case REG_COMMAND + 1:
		return 0x01;            /* SERR# enable */
	case REG_CACHE_LINE:
		return 0xff;
	default:
		return 0;
	}
}

static uint32_t ones(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static bool cfg_access_ok(uint16_t reg, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && (reg & (size - 1)) == 0 &&
	       reg < VPCI_CFG_SIZE;
}

void vpci_host_init(struct vpci_host *h)
{
	memset(h, 0, sizeof(*h));
	le_put16(h->cfg + REG_VENDOR, VPCI_VENDOR);
	le_put16(h->cfg + REG_DEVICE, VPCI_DEVICE);
	h->cfg[REG_REVISION + 1] = VPCI_CLASS & 0xff;
	h->cfg[REG_REVISION + 2] = VPCI_CLASS >> 8 & 0xff;
	h->cfg[REG_REVISION + 3] = VPCI_CLASS >> 16;
	h->cfg[REG_HEADER_TYPE] = 0x00;     /* type 0, single function */
}

uint32_t vpci_cfg_read(struct vpci_host *h, uint8_t bus, uint8_t devfn, uint16_t reg,
		       unsigned size)
{
	uint32_t v = 0;

	if (!cfg_access_ok(reg, size) || bus != 0 || devfn != 0)
		return ones(size);
	if (reg >= VPCI_HDR_SIZE)
		return 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)h->cfg[reg + i] << (8 * i);
	return v;
}

void vpci_cfg_write(struct vpci_host *h, uint8_t bus, uint8_t devfn, uint16_t reg, unsigned size,
		    uint32_t val)
{
	if (!cfg_access_ok(reg, size) || bus != 0 || devfn != 0 || reg >= VPCI_HDR_SIZE)
		return;
	for (unsigned i = 0; i < size; i++) {
		uint16_t r = (uint16_t)(reg + i);
		uint8_t m = cfg_wmask(r), b = (uint8_t)(val >> (8 * i));

		h->cfg[r] = (uint8_t)((h->cfg[r] & ~m) | (b & m));
	}
}

/* ---------------------------------------------------------------- mechanism #1 */

/*
 * The register a data port access reaches, or -1 when it is not a config
 * access.  Size and alignment are vpci_cfg_*'s to check: an access that does
 * not fit its offset in the dword lands on a misaligned register.
 */
static int cf8_target(const struct vpci_host *h, uint16_t port,
		      uint8_t *bus, uint8_t *devfn, uint16_t *reg)
{
	unsigned off = (unsigned)port - GL_PORT_PCI_DATA;

	if (port < GL_PORT_PCI_DATA || off > 3 || !(h->cf8 & CF8_ENABLE))
		return -1;
	*bus = (uint8_t)(h->cf8 >> 16);
	*devfn = (uint8_t)(h->cf8 >> 8);
	*reg = (uint16_t)((h->cf8 & 0xfc) + off);
	return 0;
}

uint32_t vpci_io_read(struct vpci_host *h, uint16_t port, unsigned size)
{
	uint8_t bus, devfn;
	uint16_t reg;

	if (port == GL_PORT_PCI_ADDR && size == 4)
		return h->cf8;
	if (cf8_target(h, port, &bus, &devfn, &reg))
		return ones(size);
	return vpci_cfg_read(h, bus, devfn, reg, size);
}

void vpci_io_write(struct vpci_host *h, uint16_t port, unsigned size, uint32_t val)
{
	uint8_t bus, devfn;
	uint16_t reg;

	if (port == GL_PORT_PCI_ADDR && size == 4) {
		h->cf8 = val & CF8_KEPT;
		return;
	}
	if (cf8_target(h, port, &bus, &devfn, &reg))
		return;
	vpci_cfg_write(h, bus, devfn, reg, size, val);
}

/* ---------------------------------------------------------------- ECAM */

static bool ecam_ok(uint64_t offset, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) && (offset & (size - 1)) == 0 &&
	       offset < GL_ECAM_SIZE;
}

static uint32_t ecam_rd32(struct vpci_host *h, uint64_t offset, unsigned size)
{
	return vpci_cfg_read(h, (uint8_t)(offset >> 20), (uint8_t)(offset >> 12),
			     (uint16_t)(offset & 0xfff), size);
}

static void ecam_wr32(struct vpci_host *h, uint64_t offset, unsigned size, uint32_t val)
{
	vpci_cfg_write(h, (uint8_t)(offset >> 20), (uint8_t)(offset >> 12),
		       (uint16_t)(offset & 0xfff), size, val);
}

uint64_t vpci_ecam_read(struct vpci_host *h, uint64_t offset, unsigned size)
{
	if (!ecam_ok(offset, size))
		return size >= 8 ? UINT64_MAX : ones(size);
	if (size == 8)
		return ecam_rd32(h, offset, 4) | (uint64_t)ecam_rd32(h, offset + 4, 4) << 32;
	return ecam_rd32(h, offset, size);
}

void vpci_ecam_write(struct vpci_host *h, uint64_t offset, unsigned size, uint64_t val)
{
	if (!ecam_ok(offset, size))
		return;
	if (size == 8) {
		ecam_wr32(h, offset, 4, (uint32_t)val);
		ecam_wr32(h, offset + 4, 4, (uint32_t)(val >> 32));
		return;
	}
	ecam_wr32(h, offset, size, (uint32_t)val);
}

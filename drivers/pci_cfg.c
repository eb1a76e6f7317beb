/*
 * PCI configuration access: ECAM from the ACPI MCFG (PCI Firmware 3.2 4.1),
 * or the legacy 0xCF8/0xCFC mechanism (PCI 3.0 3.2.2.3.2) when the firmware
 * gives no MCFG.  Each segment's bus range is mapped once, as one mapping:
 * the walk touches every bus anyway, and one mapping keeps mmio_map()'s
 * table small.
 */
#include "drivers/acpi.h"
#include "drivers/pci.h"
#include <arch/cpu.h>
#include "log.h"
#include "mm.h"
#include "spinlock.h"

#define ECAM_BUS_SHIFT 20
#define PCI_CF8        0xcf8
#define PCI_CFC        0xcfc

struct ecam_seg {
	uint64_t base;                  /* the MCFG base: address of bus 0 */
	uint16_t seg;
	uint8_t  bus_start, bus_end;
	volatile uint8_t *va;           /* bus_start's window */
};

static struct ecam_seg ecam[ACPI_MAX_MCFG];
static uint32_t necam;
static bool legacy_cfg;
static spinlock_t cf8_lock;

static struct ecam_seg *ecam_find(uint16_t seg, uint8_t bus)
{
	for (uint32_t i = 0; i < necam; i++)
		if (ecam[i].seg == seg && bus >= ecam[i].bus_start && bus <= ecam[i].bus_end)
			return &ecam[i];
	return NULL;
}

static volatile uint32_t *ecam_addr(const struct ecam_seg *s, uint8_t bus, uint8_t dev,
				    uint8_t fn, uint16_t off)
{
	uint64_t o = (uint64_t)(bus - s->bus_start) << ECAM_BUS_SHIFT |
		     (uint32_t)dev << 15 | (uint32_t)fn << 12 | off;
	return (volatile uint32_t *)(s->va + o);
}

static uint32_t ecam_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	const struct ecam_seg *s = ctx;
	if (bus < s->bus_start || bus > s->bus_end)
		return 0xffffffffu;
	return *ecam_addr(s, bus, dev, fn, off);
}

static uint32_t cf8_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
	       (off & 0xfc);
}

static uint32_t cf8_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	(void)ctx;
	uint64_t f = spin_lock_irqsave(&cf8_lock);
	outl(PCI_CF8, cf8_addr(bus, dev, fn, off));
	uint32_t v = inl(PCI_CFC);
	spin_unlock_irqrestore(&cf8_lock, f);
	return v;
}

/* Offsets are dword aligned, below 4 KiB for ECAM and 256 bytes for 0xCF8. */
static bool cfg_off_ok(uint16_t off)
{
	return (off & 3) == 0 && off < (legacy_cfg ? 0x100 : 0x1000);
}

uint32_t pci_cfg_read32(const struct pci_dev *d, uint16_t off)
{
	if (!d || d->dev >= 32 || d->fn >= 8 || !cfg_off_ok(off))
		return 0xffffffffu;
	if (legacy_cfg)
		return d->seg == 0 ? cf8_read(NULL, d->bus, d->dev, d->fn, off) : 0xffffffffu;
	struct ecam_seg *s = ecam_find(d->seg, d->bus);
	return s ? ecam_read(s, d->bus, d->dev, d->fn, off) : 0xffffffffu;
}

void pci_cfg_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	if (!d || d->dev >= 32 || d->fn >= 8 || !cfg_off_ok(off))
		return;
	if (legacy_cfg) {
		if (d->seg != 0)
			return;
		uint64_t f = spin_lock_irqsave(&cf8_lock);
		outl(PCI_CF8, cf8_addr(d->bus, d->dev, d->fn, off));
		outl(PCI_CFC, v);
		spin_unlock_irqrestore(&cf8_lock, f);
		return;
	}
	struct ecam_seg *s = ecam_find(d->seg, d->bus);
	if (s)
		*ecam_addr(s, d->bus, d->dev, d->fn, off) = v;
}

static uint32_t pci_scan_all(void)
{
	uint32_t found = 0;

	if (legacy_cfg)
		return pci_scan(0, 0, 255, cf8_read, NULL, pci_devs, PCI_MAX_DEVS, &pci_ndevs);
	for (uint32_t i = 0; i < necam; i++)
		found += pci_scan(ecam[i].seg, ecam[i].bus_start, ecam[i].bus_end, ecam_read,
				  &ecam[i], pci_devs, PCI_MAX_DEVS, &pci_ndevs);
	return found;
}

int pci_init(void)
{
	for (uint32_t i = 0; i < acpi.nmcfg && i < ACPI_MAX_MCFG; i++) {
		const struct acpi_mcfg *m = &acpi.mcfg[i];
		if (m->base == 0 || m->bus_end < m->bus_start) {
			log_err("pci: MCFG entry %u (segment %u, buses %u-%u, base %#llx) is "
				"invalid, skipped", i, m->segment, m->bus_start, m->bus_end,
				(unsigned long long)m->base);
			continue;
		}
		uint64_t size = (uint64_t)(m->bus_end - m->bus_start + 1) << ECAM_BUS_SHIFT;
		uint64_t pa = m->base + ((uint64_t)m->bus_start << ECAM_BUS_SHIFT);
		volatile uint8_t *va = (volatile uint8_t *)mmio_map(pa, size);
		if (!va) {
			log_err("pci: cannot map ECAM segment %u at %#llx, skipped", m->segment,
				(unsigned long long)pa);
			continue;
		}
		struct ecam_seg *s = &ecam[necam++];
		s->base = m->base;
		s->seg = m->segment;
		s->bus_start = m->bus_start;
		s->bus_end = m->bus_end;
		s->va = va;
		log_info("pci: ECAM segment %u buses %02x-%02x at %#llx", s->seg, s->bus_start,
			 s->bus_end, (unsigned long long)s->base);
	}
	if (necam == 0) {
		log_warn("pci: no usable MCFG; using the legacy 0xCF8 mechanism");
		legacy_cfg = true;
	}

	pci_ndevs = 0;
	uint32_t found = pci_scan_all();
	if (found > PCI_MAX_DEVS)
		log_warn("pci: %u functions found, only the first %u are kept", found,
			 PCI_MAX_DEVS);
	log_info("pci: %u functions", found);
	return (int)pci_ndevs;
}

/*
 * PCI enumeration walk, class names and the `pci` console command.  The
 * config access mechanisms (ECAM, legacy 0xCF8) are in pci_cfg.c; the walk
 * only sees a read callback, so the host tests run it over a fake space.
 */
#include <stdio.h>
#include <string.h>
#include "drivers/pci.h"
#include "console.h"

#define PCI_ID          0x00
#define PCI_CLASS_REV   0x08
#define PCI_HDR         0x0c        /* header type is bits 16-23 */
#define PCI_BAR0        0x10
#define PCI_INTR        0x3c
#define PCI_HDR_MULTIFN 0x80
#define PCI_DEVS_PER_BUS 32
#define PCI_FNS_PER_DEV  8

struct pci_dev pci_devs[PCI_MAX_DEVS];
uint32_t pci_ndevs;

/* PCI 3.0 6.2.5.1: bit 0 = I/O, bits 2:1 = memory type, bit 3 = prefetchable. */
static void pci_decode_bars(struct pci_dev *d, unsigned nbars, pci_read_fn read, void *ctx)
{
	for (unsigned i = 0; i < nbars; i++) {
		uint32_t v = read(ctx, d->bus, d->dev, d->fn, (uint16_t)(PCI_BAR0 + 4 * i));
		if (v == 0)
			continue;
		if (v & 1) {
			d->bar[i] = v & ~3u;
			d->bar_type[i] = PCI_BAR_IO;
			continue;
		}
		uint8_t pref = (v & 8) ? PCI_BAR_PREFETCH : 0;
		d->bar[i] = v & ~0xfu;
		if (((v >> 1) & 3) == 2 && i + 1 < nbars) {
			uint32_t hi = read(ctx, d->bus, d->dev, d->fn,
					   (uint16_t)(PCI_BAR0 + 4 * (i + 1)));
			d->bar[i] |= (uint64_t)hi << 32;
			d->bar_type[i] = PCI_BAR_MEM64 | pref;
			d->bar_type[++i] = PCI_BAR_MEM64_HI;
		} else {
			d->bar_type[i] = PCI_BAR_MEM32 | pref;
		}
	}
}

static void pci_fill(struct pci_dev *d, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
		     uint32_t id, pci_read_fn read, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->seg = seg;
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	uint32_t cr = read(ctx, bus, dev, fn, PCI_CLASS_REV);
	d->rev = (uint8_t)cr;
	d->prog_if = (uint8_t)(cr >> 8);
	d->subclass = (uint8_t)(cr >> 16);
	d->class = (uint8_t)(cr >> 24);
	d->header_type = (uint8_t)(read(ctx, bus, dev, fn, PCI_HDR) >> 16);
	uint32_t intr = read(ctx, bus, dev, fn, PCI_INTR);
	d->irq_line = (uint8_t)intr;
	d->irq_pin = (uint8_t)(intr >> 8);
	/* Type 0 has six BARs, a PCI-to-PCI bridge (type 1) two, others none here. */
	switch (d->header_type & 0x7f) {
	case 0: pci_decode_bars(d, 6, read, ctx); break;
	case 1: pci_decode_bars(d, 2, read, ctx); break;
	default: break;
	}
}

uint32_t pci_scan(uint16_t seg, uint8_t bus_start, uint8_t bus_end, pci_read_fn read,
		  void *ctx, struct pci_dev *out, uint32_t max, uint32_t *n)
{
	uint32_t found = 0;

	for (unsigned bus = bus_start; bus <= bus_end; bus++) {
		for (uint8_t dev = 0; dev < PCI_DEVS_PER_BUS; dev++) {
			uint32_t id = read(ctx, (uint8_t)bus, dev, 0, PCI_ID);
			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
				continue;
			/* Functions 1-7 exist only behind a multifunction bit: single
			 * function devices may decode them as aliases of function 0. */
			uint8_t hdr = (uint8_t)(read(ctx, (uint8_t)bus, dev, 0, PCI_HDR) >> 16);
			uint8_t nfn = (hdr & PCI_HDR_MULTIFN) ? PCI_FNS_PER_DEV : 1;
			for (uint8_t fn = 0; fn < nfn; fn++) {
				if (fn > 0)
					id = read(ctx, (uint8_t)bus, dev, fn, PCI_ID);
				if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
					continue;
				found++;
				if (*n < max)
					pci_fill(&out[(*n)++], seg, (uint8_t)bus, dev, fn, id, read, ctx);
			}
		}
	}
	return found;
}

static const struct {
	uint8_t class, subclass;
	const char *name;
} pci_classes[] = {
	{ 0x00, 0x01, "VGA-compatible device" },
	{ 0x01, 0x00, "SCSI controller" },
	{ 0x01, 0x01, "IDE controller" },
	{ 0x01, 0x05, "ATA controller" },
	{ 0x01, 0x06, "SATA controller" },
	{ 0x01, 0x07, "SAS controller" },
	{ 0x01, 0x08, "NVM controller" },
	{ 0x02, 0x00, "Ethernet controller" },
	{ 0x03, 0x00, "VGA controller" },
	{ 0x04, 0x01, "Audio controller" },
	{ 0x04, 0x03, "Audio device" },
	{ 0x05, 0x00, "RAM controller" },
	{ 0x06, 0x00, "Host bridge" },
	{ 0x06, 0x01, "ISA bridge" },
	{ 0x06, 0x04, "PCI bridge" },
	{ 0x06, 0x09, "PCI bridge" },
	{ 0x07, 0x00, "Serial controller" },
	{ 0x08, 0x05, "SD host controller" },
	{ 0x08, 0x06, "IOMMU" },
	{ 0x0c, 0x03, "USB controller" },
	{ 0x0c, 0x05, "SMBus controller" },
};

/* Fallback by class alone (PCI Code and ID Assignment 1.x, base classes). */
static const char *const pci_base_classes[] = {
	[0x00] = "Unclassified device",  [0x01] = "Mass storage controller",
	[0x02] = "Network controller",   [0x03] = "Display controller",
	[0x04] = "Multimedia controller", [0x05] = "Memory controller",
	[0x06] = "Bridge",               [0x07] = "Communication controller",
	[0x08] = "System peripheral",    [0x09] = "Input device controller",
	[0x0a] = "Docking station",      [0x0b] = "Processor",
	[0x0c] = "Serial bus controller", [0x0d] = "Wireless controller",
	[0x0e] = "Intelligent controller", [0x0f] = "Satellite controller",
	[0x10] = "Encryption controller", [0x11] = "Signal processing controller",
	[0x12] = "Processing accelerator",
};

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
	for (size_t i = 0; i < sizeof(pci_classes) / sizeof(pci_classes[0]); i++)
		if (pci_classes[i].class == class && pci_classes[i].subclass == subclass)
			return pci_classes[i].name;
	if (class < sizeof(pci_base_classes) / sizeof(pci_base_classes[0]) &&
	    pci_base_classes[class])
		return pci_base_classes[class];
	return "Unknown device";
}

/* The programming interfaces worth naming beside the class. */
static const char *pci_progif_name(const struct pci_dev *d)
{
	if (d->class == 0x01 && d->subclass == 0x06 && d->prog_if == 0x01) return "AHCI";
	if (d->class == 0x01 && d->subclass == 0x08 && d->prog_if == 0x02) return "NVMe";
	if (d->class == 0x0c && d->subclass == 0x03) {
		switch (d->prog_if) {
		case 0x00: return "UHCI";
		case 0x10: return "OHCI";
		case 0x20: return "EHCI";
		case 0x30: return "xHCI";
		default: break;
		}
	}
	return NULL;
}

static void pci_print_bars(const struct pci_dev *d)
{
	static const char *const kinds[] = {
		[PCI_BAR_IO] = "io", [PCI_BAR_MEM32] = "mem32", [PCI_BAR_MEM64] = "mem64",
	};
	for (unsigned i = 0; i < 6; i++) {
		unsigned kind = d->bar_type[i] & PCI_BAR_KIND_MASK;
		if (kind == PCI_BAR_NONE || kind >= sizeof(kinds) / sizeof(kinds[0]))
			continue;
		printf("    BAR%u %-5s %#llx%s\n", i, kinds[kind], (unsigned long long)d->bar[i],
		       (d->bar_type[i] & PCI_BAR_PREFETCH) ? " prefetchable" : "");
	}
	if (d->irq_pin >= 1 && d->irq_pin <= 4)
		printf("    INT%c, IRQ line %u\n", 'A' + d->irq_pin - 1, d->irq_line);
}

static int pci_cmd(int argc, char **argv)
{
	int verbose = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") != 0) {
			printf("pci: unknown option '%s' (usage: pci [-v])\n", argv[i]);
			return 1;
		}
		verbose = 1;
	}
	if (pci_ndevs == 0)
		printf("no PCI functions found\n");
	for (uint32_t i = 0; i < pci_ndevs && i < PCI_MAX_DEVS; i++) {
		const struct pci_dev *d = &pci_devs[i];
		const char *pi = pci_progif_name(d);
		printf("%04x:%02x:%02x.%u %04x:%04x %s%s%s%s\n", d->seg, d->bus, d->dev, d->fn,
		       d->vendor, d->device, pci_class_name(d->class, d->subclass),
		       pi ? " (" : "", pi ? pi : "", pi ? ")" : "");
		if (verbose) {
			printf("    class %02x.%02x.%02x rev %02x header %02x\n", d->class,
			       d->subclass, d->prog_if, d->rev, d->header_type);
			pci_print_bars(d);
		}
	}
	return 0;
}

CONSOLE_CMD(cmd_pci, "pci", "[-v]", "list PCI functions (-v: class codes, BARs, IRQ)",
	    pci_cmd);

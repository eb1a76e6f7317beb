/* PCI: enumeration through ECAM (MCFG), one entry per function found. */
#ifndef PLINTH_PCI_H
#define PLINTH_PCI_H

#include <stdint.h>

#define PCI_MAX_DEVS 256

struct pci_dev {
	uint16_t seg;
	uint8_t  bus, dev, fn;
	uint16_t vendor, device;
	uint8_t  class, subclass, prog_if, rev;
	uint8_t  header_type;
	uint8_t  irq_line, irq_pin;
	uint64_t bar[6];          /* decoded base addresses (64-bit BARs take two slots) */
	uint8_t  bar_type[6];     /* PCI_BAR_* for each slot, | PCI_BAR_PREFETCH */
};

/* BAR kinds (PCI 3.0 6.2.5.1).  A 64-bit BAR's upper slot is PCI_BAR_MEM64_HI. */
#define PCI_BAR_NONE      0       /* reads as zero: unimplemented or unassigned */
#define PCI_BAR_IO        1
#define PCI_BAR_MEM32     2
#define PCI_BAR_MEM64     3
#define PCI_BAR_MEM64_HI  4
#define PCI_BAR_KIND_MASK 0x7f
#define PCI_BAR_PREFETCH  0x80

extern struct pci_dev pci_devs[PCI_MAX_DEVS];
extern uint32_t pci_ndevs;

int pci_init(void);           /* enumerate every ECAM segment; returns functions found */
uint32_t pci_cfg_read32(const struct pci_dev *d, uint16_t off);
void pci_cfg_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
const char *pci_class_name(uint8_t class, uint8_t subclass);

/*
 * The enumeration walk, separate from the access mechanism so host tests can
 * run it over a fake config space.  read returns a config dword, all ones for
 * an absent function.  Every function on buses bus_start..bus_end is
 * appended to out[*n] while *n < max.  Returns the number of functions found,
 * stored or not.
 */
typedef uint32_t (*pci_read_fn)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn,
				uint16_t off);
uint32_t pci_scan(uint16_t seg, uint8_t bus_start, uint8_t bus_end, pci_read_fn read,
		  void *ctx, struct pci_dev *out, uint32_t max, uint32_t *n);

#endif

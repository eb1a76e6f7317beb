/*
 * A guest PCI host bridge: the configuration space of bus 0, reached through
 * configuration mechanism #1 (ports 0xcf8/0xcfc-0xcff) and through ECAM at
 * GL_ECAM (arch/guest_layout.h, bus 0 only), both ending in vpci_cfg_read
 * and vpci_cfg_write.
 *
 * Bus 0 holds one device, 00.0: a host bridge (class 06/00/00, header type
 * 0, single function) with vendor 0x1b36, device 0x0008, revision 0: the ID
 * registered for the generic PCIe host bridge of virtual machines, which
 * Linux knows by name and has no quirks for.  It has no BARs, no
 * capabilities (status bit 4 clear) and no interrupt.  Everything is
 * read-only except:
 *   - command bits 0-2, 6 and 8 (I/O, memory, bus master, parity error
 *     response, SERR# enable): stored and read back, they change nothing;
 *   - cache line size (0x0c): stored, no effect.
 * Status reads 0: its error bits are write-1-to-clear and never set.  Bytes
 * 0x40-0xff read 0, and so does the extended space 0x100-0xfff (no extended
 * capabilities).  Every other device and function of bus 0, and every other
 * bus, reads all ones (vendor 0xffff) and ignores writes.
 *
 * Access rules, the same for both front ends: a configuration access is 1,
 * 2 or 4 bytes, naturally aligned, at a register below 0x1000; anything
 * else reads all ones of its width and writes nothing.
 *   - 0xcf8 takes and gives 4-byte accesses only.  Bits 30:24 and 1:0 are
 *     reserved and read back 0, as on PC chipsets, so writing 0x80000000
 *     reads back 0x80000000; the rest reads back as written.  Narrower
 *     accesses at 0xcf8-0xcfb are not configuration accesses: they read all
 *     ones and writes are dropped (the caller routes the byte at 0xcf9,
 *     reset control, before calling here).
 *   - 0xcfc-0xcff reach the register (cf8 & 0xfc) + (port - 0xcfc) of the
 *     bus, device and function in 0xcf8 when its bit 31 is set; with bit 31
 *     clear they read all ones and writes are dropped.  An access that does
 *     not fit its offset (inl at 0xcfe) is misaligned.
 *   - ECAM: offset = bus << 20 | device << 15 | function << 12 | register;
 *     offsets at or past GL_ECAM_SIZE read all ones.  An 8-byte access at an
 *     8-byte aligned offset is split into two 4-byte ones (low dword first).
 *
 * No locking inside: the caller serialises all calls on one vpci_host.
 */
#ifndef ARCH_VDEV_PCI_HOST_H
#define ARCH_VDEV_PCI_HOST_H

#include <stdint.h>

#define VPCI_VENDOR      0x1b36
#define VPCI_DEVICE      0x0008
#define VPCI_CLASS       0x060000       /* bridge, host, no programming interface */
#define VPCI_HDR_SIZE    256
#define VPCI_CFG_SIZE    4096

struct vpci_host {
	uint32_t cf8;                       /* CONFIG_ADDRESS, reserved bits clear */
	uint8_t cfg[VPCI_HDR_SIZE];         /* 00.0's configuration header */
};

/* Power-up state: 0xcf8 reads 0, the command register 0. */
void vpci_host_init(struct vpci_host *h);

/* One configuration access; devfn = device << 3 | function. */
uint32_t vpci_cfg_read(struct vpci_host *h, uint8_t bus, uint8_t devfn, uint16_t reg,
		       unsigned size);
void vpci_cfg_write(struct vpci_host *h, uint8_t bus, uint8_t devfn, uint16_t reg, unsigned size,
		    uint32_t val);

/* Guest IN/OUT at port (0xcf8-0xcff) of size bytes. */
uint32_t vpci_io_read(struct vpci_host *h, uint16_t port, unsigned size);
void vpci_io_write(struct vpci_host *h, uint16_t port, unsigned size, uint32_t val);

/* Guest MMIO at offset into [GL_ECAM, GL_ECAM + GL_ECAM_SIZE) of 1, 2, 4 or 8 bytes. */
uint64_t vpci_ecam_read(struct vpci_host *h, uint64_t offset, unsigned size);
void vpci_ecam_write(struct vpci_host *h, uint64_t offset, unsigned size, uint64_t val);

#endif

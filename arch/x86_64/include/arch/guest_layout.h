/*
 * The guest-physical map of a PC-style VM (Linux guests), shared by the
 * e820 map, the ACPI tables and the MMIO and port dispatch.  One place, so
 * the tables a guest reads always describe the devices it reaches.
 *
 *   [0, 0x9fc00)              RAM
 *   [0x9fc00, 0x100000)       reserved: ACPI tables at 0xe0000 (RSDP first)
 *   [0x100000, ram_size)      RAM; ram_size <= GL_RAM_MAX
 *   [GL_PCI_MMIO, +512 MiB)   PCI memory window (the root bridge's _CRS), free
 *   [GL_ECAM, +1 MiB)         PCI ECAM, bus 0 only (reserved in e820)
 *   [GL_IOAPIC, +4 KiB)       IOAPIC
 *   [GL_LAPIC, +4 KiB)        local APIC (xAPIC page)
 *
 * Ports: 0x40-0x43 PIT, 0x60/0x64 i8042, 0x61 port B, 0x70/0x71 RTC,
 * 0x3f8-0x3ff COM1 (IRQ 4), 0x600 PM1a event (4 bytes), 0x604 PM1a control
 * (2), 0x608 PM timer (4), 0xcf8/0xcfc-0xcff PCI configuration, 0xcf9 reset
 * control (byte), 0xf4 test exit.
 */
#ifndef ARCH_GUEST_LAYOUT_H
#define ARCH_GUEST_LAYOUT_H

#define GL_LOW_RAM_END    0x9fc00ull
#define GL_ACPI           0xe0000ull
#define GL_ACPI_SIZE      0x10000ull
#define GL_HIGH_RAM       0x100000ull
#define GL_RAM_MAX        0xc0000000ull     /* 3 GiB: RAM ends below the MMIO hole */
#define GL_PCI_MMIO       0xc0000000ull     /* = GL_RAM_MAX: the window ends at the ECAM */
#define GL_PCI_MMIO_SIZE  0x20000000ull
#define GL_ECAM           0xe0000000ull
#define GL_ECAM_SIZE      0x100000ull
#define GL_IOAPIC         0xfec00000ull
#define GL_LAPIC          0xfee00000ull

#define GL_PORT_PIT       0x40
#define GL_PORT_PORTB     0x61
#define GL_PORT_RTC       0x70
#define GL_PORT_COM1      0x3f8
#define GL_PORT_PM1A_EVT  0x600
#define GL_PORT_PM1A_CNT  0x604
#define GL_PORT_PM_TMR    0x608
#define GL_PORT_PCI_ADDR  0xcf8
#define GL_PORT_RESET     0xcf9
#define GL_PORT_PCI_DATA  0xcfc
#define GL_RESET_VALUE    0x06              /* FADT RESET_VALUE: CPU reset, full */

#define GL_IRQ_COM1       4
#define GL_IRQ_SCI        9

#endif

/*
 * A guest i8042 keyboard controller at ports 0x60 (data) and 0x64 (status,
 * command), with a keyboard that answers commands but never has keys.
 *
 * Enough for Linux's i8042 and atkbd drivers and for reboot: the command
 * byte (0x20/0x60), self test (0xaa -> 0x55), interface tests (0xab, 0xa9 ->
 * 0x00), port enable and disable (0xad/0xae, 0xa7/0xa8), the output port
 * (0xd0 read, 0xd1 write) and the reset pulse (0xf0-0xff with bit 0 clear,
 * e.g. 0xfe).  Driving output port bit 0 low, or pulsing it, calls reset.
 * The A20 bit (1) is kept but gates nothing.  Other controller commands are
 * ignored.  There is no mouse: nothing ever comes from the AUX port, so the
 * status AUX bit and IRQ 12 stay low; tables given to the guest should not
 * list a PS/2 mouse.
 *
 * Bytes written to port 0x60 outside a controller command go to the
 * keyboard, which acks (0xfa) 0xed and 0xf3 (each with one parameter), 0xf0
 * (scan code set: parameter 0 reads it, 1-3 set it), 0xf2 (ID 0xab 0x83, or
 * 0xab 0x41 when the command byte asks for translation), 0xf4, 0xf5, 0xf6,
 * answers 0xee with 0xee, 0xff with 0xfa 0xaa, and anything else with 0xfe.
 *
 * Commands take effect at once, so the input-buffer-full status bit never
 * shows.  Controller replies go out before keyboard bytes, and keyboard
 * bytes wait while the keyboard port is disabled.  Reading port 0x60 with
 * nothing new returns the last byte again.  The IRQ 1 line is high while
 * the output buffer is full and the command byte enables it; irq(arg, level)
 * is called only when it changes, and it starts low.
 *
 * No locking inside: the caller serialises all calls on one vi8042, and the
 * callbacks run under that serialisation.
 */
#ifndef ARCH_VDEV_I8042_H
#define ARCH_VDEV_I8042_H

#include <stdbool.h>
#include <stdint.h>

#define VI8042_PORT_DATA 0x60
#define VI8042_PORT_CMD  0x64
#define VI8042_QUEUE     8

struct vi8042 {
	uint8_t ctr;                /* command byte */
	uint8_t outport;            /* output port, but bit 4 (OBF) which is live */
	uint8_t obuf;
	bool obf;
	bool cmd_last;              /* the last write went to port 0x64 */
	uint8_t pending;            /* controller command waiting for its data byte, or 0 */
	uint8_t kbd_pending;        /* keyboard command waiting for its parameter, or 0 */
	uint8_t scan_set;
	uint8_t ctl_q[VI8042_QUEUE], kbd_q[VI8042_QUEUE];
	unsigned ctl_n, kbd_n;
	bool irq_level;
	void (*reset)(void *arg);
	void (*irq)(void *arg, bool level);
	void *arg;
};

/* The state a firmware leaves: translation, system flag and IRQ 1 enabled. */
void vi8042_init(struct vi8042 *k, void (*reset)(void *arg),
		 void (*irq)(void *arg, bool level), void *arg);

/* Guest IN/OUT at port 0x60 or 0x64 (others read 0xff and ignore writes). */
uint8_t vi8042_read(struct vi8042 *k, uint16_t port);
void vi8042_write(struct vi8042 *k, uint16_t port, uint8_t val);

#endif

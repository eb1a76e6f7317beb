/*
 * The PC platform of a Linux VM: device models bound to the VM's ports,
 * interrupt lines routed to the IOAPIC, and the power events (ACPI S5, the
 * reset control register, the i8042 reset line) turned into VM state.
 * The models count time from the host TSC; the vlapics (lapic.c) from
 * their vCPU's TSC.
 */
#include <stdlib.h>
#include <string.h>
#include <arch/cpu.h>
#include "drivers/rtc.h"
#include "log.h"
#include "sched.h"
#include "vcpu.h"
#include "pc_priv.h"

#define PORT_DELAY 0x80         /* the POST port: I/O delays write here */

/*
 * Legacy ports a PC may have and this platform leaves empty, which Linux
 * probes on every boot: the POST port, the 8259 pair and its edge/level
 * registers (absent: the probe reads all ones), a DMA page register and
 * the Super I/O index ports.  They read all ones without a log line.
 */
static bool pc_io_empty(uint16_t port)
{
	return port == PORT_DELAY || port == 0x20 || port == 0x21 || port == 0xa0 ||
	       port == 0xa1 || port == 0x4d0 || port == 0x4d1 || port == 0x87 ||
	       port == 0x2e || port == 0x2f || port == 0x4e || port == 0x4f;
}
#define RESET_CPU  0x04         /* reset control register: do the reset */

/* ---------------------------------------------------------------- interrupt lines */

static void pc_set_gsi(struct vpc *pc, uint32_t gsi, bool level)
{
	spin_lock(&pc->ioapic_lock);
	vioapic_set_irq(&pc->ioapic, gsi, level);
	spin_unlock(&pc->ioapic_lock);
}

static void pc_ioapic_deliver(void *arg, uint8_t dest, bool logical, uint8_t mode,
			      uint8_t vector, bool level)
{
	struct vpc *pc = arg;
	struct vlapic_ipi m = { .dest = dest, .vector = vector, .mode = mode,
				.shorthand = VLAPIC_SH_NONE, .logical = logical, .level = level };

	/* Source id: the IOAPIC is no LAPIC, so no "self" or "others" can match it. */
	pc_deliver(pc->vm, &m, 0xffffffffu);
}

void pc_ioapic_eoi(struct vm *vm, uint8_t vector)
{
	struct vpc *pc = vm->arch.pc;

	spin_lock(&pc->ioapic_lock);
	vioapic_eoi(&pc->ioapic, vector);
	spin_unlock(&pc->ioapic_lock);
}

static void pc_com1_irq(void *arg, bool level) { pc_set_gsi(arg, GL_IRQ_COM1, level); }
static void pc_kbd_irq(void *arg, bool level) { pc_set_gsi(arg, 1, level); }

/* PIT channel 0 is an edge on ISA IRQ 0, which the MADT routes to GSI 2. */
static void pc_pit_irq(void *arg)
{
	pc_set_gsi(arg, 2, true);
	pc_set_gsi(arg, 2, false);
}

/* ---------------------------------------------------------------- power and console */

static bool pc_com1_tx(void *arg, uint8_t byte)
{
	struct vpc *pc = arg;

	vm_console_out(pc->vm, &byte, 1);
	return true;
}

static void pc_reset(void *arg)
{
	struct vpc *pc = arg;

	log_info("vm %s: reset from inside", pc->vm->name);
	vm_reboot_from_guest(pc->vm);
}

static void pc_sleep(void *arg, unsigned slp_typ)
{
	struct vpc *pc = arg;

	if (slp_typ == VACPI_SLP_TYP_S5)
		vm_exit_from_guest(pc->vm, VM_STOPPED, -1, "powered off from inside (ACPI S5)");
	else
		log_info("vm %s: sleep state type %u ignored (only S5 is offered)", pc->vm->name,
			 slp_typ);
}

/* Under pc->lock: give the UART what it takes of the operator's input. */
static void pc_com1_refill(struct vpc *pc)
{
	uint8_t buf[VUART_FIFO];
	size_t room, n;

	while ((room = vuart_rx_room(&pc->com1)) > 0) {
		n = ring_get(&pc->vm->in, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (!n)
			break;
		vuart_rx_push(&pc->com1, buf, n);
	}
}

void vm_arch_console_input(struct vm *vm)
{
	struct vpc *pc = vm->arch.pc;
	uint64_t f;

	if (!pc)
		return;
	f = spin_lock_irqsave(&pc->lock);
	pc_com1_refill(pc);
	spin_unlock_irqrestore(&pc->lock, f);
}

/* ---------------------------------------------------------------- set-up */

/*
 * Seconds since the epoch now, from the machine's CMOS RTC (0 if there is
 * none): the RTC a guest finds shows the machine's time.
 */
static uint64_t pc_wallclock(void)
{
	struct rtc_time t;
	struct vrtc_date d;
	int64_t secs;

	if (!rtc_read(&t))
		return 0;
	d = (struct vrtc_date){ .year = t.year, .mon = t.mon, .mday = t.mday,
				.hour = t.hour, .min = t.min, .sec = t.sec };
	secs = vrtc_epoch_of(&d);
	return secs < 0 ? 0 : (uint64_t)secs;
}

int pc_setup(struct vm *vm)
{
	struct vpc *pc = vm->arch.pc;
	uint64_t now = rdtsc(), hz = tsc_hz();

	if (!pc) {
		pc = calloc(1, sizeof(*pc));
		if (!pc)
			return -1;
		vm->arch.pc = pc;
	}
	memset(pc, 0, sizeof(*pc));
	pc->vm = vm;
	vuart_init(&pc->com1, pc_com1_tx, pc_com1_irq, pc);
	vrtc_init(&pc->rtc, pc_wallclock(), now, hz);
	vi8042_init(&pc->kbd, pc_reset, pc_kbd_irq, pc);
	vpmtimer_init(&pc->pmtimer, now, hz, false);
	vacpi_pm_init(&pc->pm, pc_sleep, pc);
	vpit_init(&pc->pit, now, hz, pc_pit_irq, pc);
	vpci_host_init(&pc->pci);
	vioapic_init(&pc->ioapic, (uint8_t)vm->nvcpus, pc_ioapic_deliver, pc);
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		if (pc_cpu_setup(vm, &pc->cpu[i], vm->vcpus[i]))
			return -1;
	return 0;
}

void pc_free(struct vm *vm)
{
	free(vm->arch.pc);
	vm->arch.pc = NULL;
}

/* ---------------------------------------------------------------- ports */

/* One byte of a byte-wide device; 0xff where nothing answers. */
static uint8_t pc_io_rd8(struct vpc *pc, uint16_t port, uint64_t now)
{
	if (port >= GL_PORT_PIT && port <= GL_PORT_PIT + 3)
		return vpit_read(&pc->pit, port, now);
	if (port == GL_PORT_PORTB)
		return vpit_read(&pc->pit, port, now);
	if (port == 0x60 || port == 0x64)
		return vi8042_read(&pc->kbd, port);
	if (port == GL_PORT_RTC || port == GL_PORT_RTC + 1)
		return vrtc_read(&pc->rtc, port, now);
	if (port >= GL_PORT_COM1 && port <= GL_PORT_COM1 + 7) {
		uint8_t b = vuart_read(&pc->com1, port - GL_PORT_COM1);
		pc_com1_refill(pc);
		return b;
	}
	return 0xff;
}

static void pc_io_wr8(struct vpc *pc, uint16_t port, uint8_t val, uint64_t now)
{
	if ((port >= GL_PORT_PIT && port <= GL_PORT_PIT + 3) || port == GL_PORT_PORTB)
		vpit_write(&pc->pit, port, val, now);
	else if (port == 0x60 || port == 0x64)
		vi8042_write(&pc->kbd, port, val);
	else if (port == GL_PORT_RTC || port == GL_PORT_RTC + 1)
		vrtc_write(&pc->rtc, port, val, now);
	else if (port >= GL_PORT_COM1 && port <= GL_PORT_COM1 + 7)
		vuart_write(&pc->com1, port - GL_PORT_COM1, val);
}

static bool pc_io_bytewide(uint16_t port)
{
	return (port >= GL_PORT_PIT && port <= GL_PORT_PIT + 3) || port == GL_PORT_PORTB ||
	       port == 0x60 || port == 0x64 || port == GL_PORT_RTC || port == GL_PORT_RTC + 1 ||
	       (port >= GL_PORT_COM1 && port <= GL_PORT_COM1 + 7);
}

bool pc_io(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct vpc *pc = v->vm->arch.pc;
	uint64_t now = rdtsc();
	bool ours = true;

	if (pc_io_empty(port)) {
		if (in)
			*val = 0xffffffff;
		return true;
	}
	spin_lock(&pc->lock);
	if (pc_io_bytewide(port)) {
		/* A wider access reaches consecutive byte registers, as on the ISA bus. */
		uint32_t r = 0;
		for (unsigned i = 0; i < size; i++) {
			uint16_t p = (uint16_t)(port + i);
			if (in)
				r |= (uint32_t)pc_io_rd8(pc, p, now) << (8 * i);
			else
				pc_io_wr8(pc, p, (uint8_t)(*val >> (8 * i)), now);
		}
		if (in)
			*val = r;
	} else if (port == GL_PORT_RESET && size == 1) {
		if (in)
			*val = 0;
		else if (*val & RESET_CPU)
			pc_reset(pc);
	} else if (port >= GL_PORT_PCI_ADDR && port <= GL_PORT_PCI_DATA + 3) {
		if (in)
			*val = vpci_io_read(&pc->pci, port, size);
		else
			vpci_io_write(&pc->pci, port, size, *val);
	} else if (port >= GL_PORT_PM_TMR && port < GL_PORT_PM_TMR + 4) {
		if (in)
			*val = vpmtimer_read(&pc->pmtimer, now) >> (8 * (port - GL_PORT_PM_TMR));
	} else if (port >= GL_PORT_PM1A_EVT && port < GL_PORT_PM1A_CNT + 2) {
		if (in)
			*val = vacpi_pm_read(&pc->pm, port, size);
		else
			vacpi_pm_write(&pc->pm, port, size, *val);
	} else {
		ours = false;
	}
	spin_unlock(&pc->lock);
	return ours;
}

/* ---------------------------------------------------------------- platform timers */

/* vCPU 0 runs the platform's timers (the PIT); IRQs disabled. */
uint64_t pc_platform_deadline(struct vm *vm, uint64_t now)
{
	struct vpc *pc = vm->arch.pc;
	uint64_t t;

	spin_lock(&pc->lock);
	vpit_advance(&pc->pit, now);
	t = vpit_next_event(&pc->pit);
	spin_unlock(&pc->lock);
	return t;
}

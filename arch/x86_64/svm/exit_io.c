/*
 * Port I/O.  The permission map intercepts every port.  Claimed: the
 * test-exit port (QEMU isa-debug-exit convention), the PC platform's devices
 * in a Linux VM (arch/pc.h), and in other VMs a transmit-only 16550 at
 * 0x3f8 that feeds the VM's console ring.  Everything else reads all ones
 * and drops writes, with a rate-limited log line.
 */
#include <arch/cpu.h>
#include <arch/pc.h>
#include "log.h"
#include "plinth_abi.h"
#include "vcpu.h"
#include "vm.h"
#include "svm.h"

#define COM1      0x3f8
#define UART_LSR_IDLE 0x60      /* THR empty, transmitter empty */
#define UNCLAIMED_LOG_BURST 4   /* lines per VM per second */

static void io_unclaimed_log(struct vcpu *v, uint16_t port, bool in)
{
	struct vm_arch *a = &v->vm->arch;
	uint64_t now = rdtsc();

	if ((int64_t)(now - a->unclaimed_io_tsc) >= 0) {   /* a new one-second window */
		a->unclaimed_io_tsc = now + tsc_hz();
		a->unclaimed_io_logged = 0;
	}
	if (a->unclaimed_io_logged++ < UNCLAIMED_LOG_BURST)
		log_info("vm %s: %s port %#x is unclaimed (%s)", v->vm->name,
			 in ? "read from" : "write to", port, in ? "all ones" : "dropped");
}

/*
 * The VM's 16550, transmit side only: THR to the console, idle status, and
 * LCR kept so that divisor-latch writes (DLAB=1) are not taken as output.
 */
static bool io_com1(struct vcpu *v, uint16_t port, bool in, uint32_t *val)
{
	uint8_t *lcr = &v->vm->arch.com1_lcr;

	if (port < COM1 || port > COM1 + 7)
		return false;
	if (in) {
		*val = port == COM1 + 5 ? UART_LSR_IDLE : port == COM1 + 2 ? 0x01 :
		       port == COM1 + 3 ? *lcr : 0;
		return true;
	}
	if (port == COM1 + 3)
		*lcr = (uint8_t)*val;
	if (port == COM1 && !(*lcr & 0x80)) {
		uint8_t c = (uint8_t)*val;
		vm_console_out(v->vm, &c, 1);
	}
	return true;
}

static bool io_test_exit(struct vcpu *v, uint16_t port, bool in, uint32_t *val)
{
	if (port != PL_TEST_EXIT_PORT)
		return false;
	if (in) {
		*val = 0xffffffff;
		return true;
	}
	vm_exit_from_guest(v->vm, VM_STOPPED, (int)(((*val & 0xff) << 1) | 1),
			   "test-exit port");
	return true;
}

/*
 * One port access of size 1, 2 or 4 through the VM's devices; an unclaimed
 * port reads all ones and drops writes.  IN and OUT, and each element of
 * INS and OUTS (svm/exit_io_str.c), come here.
 */
void svm_io_port(struct vcpu *v, uint16_t port, unsigned size, bool in, uint32_t *val)
{
	if (io_test_exit(v, port, in, val))
		return;
	if (v->vm->arch.pc ? pc_io(v, port, size, in, val) : io_com1(v, port, in, val))
		return;
	io_unclaimed_log(v, port, in);
	if (in)
		*val = 0xffffffff;
}

void svm_exit_io(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	uint64_t info = c->ctl.exitinfo1;
	uint16_t port = (uint16_t)(info >> 16);
	bool in = info & IOIO_IN;
	unsigned size = info & IOIO_SZ8 ? 1 : info & IOIO_SZ16 ? 2 : 4;
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint32_t val = (uint32_t)(c->save.rax & mask);

	if (info & IOIO_STR) {
		svm_exit_io_string(v);
		return;
	}
	svm_io_port(v, port, size, in, &val);
	if (in) {
		if (size == 4)
			c->save.rax = val;              /* a 32-bit IN zero-extends RAX */
		else
			c->save.rax = (c->save.rax & ~mask) | (val & mask);
	}
	/* IOIO exits always carry the next RIP in EXITINFO2 (APM 15.10.2). */
	c->save.rip = c->ctl.exitinfo2;
	c->ctl.int_state &= ~1ull;
}

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

void svm_exit_io(struct vcpu *v)
{
	struct vmcb *c = v->arch.vmcb;
	uint64_t info = c->ctl.exitinfo1;
	uint16_t port = (uint16_t)(info >> 16);
	bool in = info & IOIO_IN;
	uint64_t mask = info & IOIO_SZ8 ? 0xff : info & IOIO_SZ16 ? 0xffff : 0xffffffff;
	uint32_t val = (uint32_t)(c->save.rax & mask);

	if (info & IOIO_STR) {
		/* String I/O needs guest memory access through its page tables. */
		if (in || port == PL_TEST_EXIT_PORT || (port >= COM1 && port <= COM1 + 7) ||
		    v->vm->arch.pc) {
			svm_crash(v, "string I/O to a claimed port, or string input, is not emulated");
			return;
		}
		/* OUTS to an unclaimed port: the data goes nowhere; only RSI/RCX move. */
		uint64_t count = info & IOIO_REP ? v->arch.gprs.rcx : 1;
		uint64_t amask = info & IOIO_A64 ? ~0ull : info & IOIO_A32 ? 0xffffffffull : 0xffffull;
		uint64_t step = (mask == 0xff ? 1 : mask == 0xffff ? 2 : 4) * count;
		bool df = c->save.rflags & (1u << 10);

		v->arch.gprs.rsi = (v->arch.gprs.rsi & ~amask) |
				   ((df ? v->arch.gprs.rsi - step : v->arch.gprs.rsi + step) & amask);
		if (info & IOIO_REP)
			v->arch.gprs.rcx &= ~amask;
		io_unclaimed_log(v, port, false);
	} else if (!io_test_exit(v, port, in, &val) &&
		   !(v->vm->arch.pc ? pc_io(v, port, mask == 0xff ? 1 : mask == 0xffff ? 2 : 4, in, &val)
				    : io_com1(v, port, in, &val))) {
		io_unclaimed_log(v, port, in);
		val = 0xffffffff;
	}
	if (in && !(info & IOIO_STR)) {
		if (mask == 0xffffffff)
			c->save.rax = val;              /* a 32-bit IN zero-extends RAX */
		else
			c->save.rax = (c->save.rax & ~mask) | (val & mask);
	}
	/* IOIO exits always carry the next RIP in EXITINFO2 (APM 15.10.2). */
	c->save.rip = c->ctl.exitinfo2;
	c->ctl.int_state &= ~1ull;
}

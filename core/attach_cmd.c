/*
 * The `attach` console command: the operator's terminal becomes the guest's
 * console until Ctrl-] or until the VM stops.  Guest output waits in the
 * VM's out ring (kept while nobody is attached); typed bytes go to the VM
 * through vm_console_in().  Only the console CPU destroys VMs, and it is busy
 * here, so the VM outlives the loop.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "drivers/uart.h"
#include "console.h"
#include "vm.h"

#define ATTACH_DETACH 0x1d          /* Ctrl-] */
#define ATTACH_CHUNK  256           /* bytes per UART write */
#define ATTACH_SHOWN  32            /* longest operator word echoed back */

static bool attach_ended(const struct vm *vm)
{
	return vm->state == VM_STOPPED || vm->state == VM_CRASHED;
}

/* Copy what the guest wrote to the terminal; false if there was nothing. */
static bool attach_drain(struct vm *vm, char *last)
{
	char buf[ATTACH_CHUNK];
	size_t n = ring_get(&vm->out, buf, sizeof(buf));

	if (n) {
		uart_write(buf, n);
		*last = buf[n - 1];
	}
	return n != 0;
}

/* Say once how much output the ring refused since the operator last heard. */
static void attach_report_dropped(struct vm *vm, const char *why)
{
	uint64_t dropped = vm->out.dropped;

	if (dropped > vm->out_dropped_seen)
		printf("[%" PRIu64 " bytes dropped %s]\n", dropped - vm->out_dropped_seen, why);
	vm->out_dropped_seen = dropped;
}

/* Wake-up condition for console_getc_wait(): output to show, or the VM ended. */
static bool attach_has_work(void *arg)
{
	struct vm *vm = arg;

	return ring_used(&vm->out) || attach_ended(vm);
}

/*
 * Stream until the operator detaches (false) or the VM has ended (true).
 * *last is the last byte the guest's output put on the terminal.
 */
static bool attach_loop(struct vm *vm, char *last)
{
	for (;;) {
		while (attach_drain(vm, last))
			;
		if (attach_ended(vm)) {
			/* Its vCPUs are done: flush the last bytes they left. */
			while (attach_drain(vm, last))
				;
			return true;
		}
		int c = console_getc_wait(attach_has_work, vm);
		if (c == ATTACH_DETACH)
			return false;
		if (c >= 0) {
			uint8_t b = (uint8_t)c;

			vm_console_in(vm, &b, 1);
		}
	}
}

static int attach_run(int argc, char **argv)
{
	struct vm *vm;
	bool ended;
	char last = '\n';

	if (argc != 2) {
		printf("error: usage: attach NAME\n");
		return 1;
	}
	vm = vm_find(argv[1]);
	if (!vm) {
		fputs("attach: no VM named '", stdout);
		console_put_safe(argv[1], ATTACH_SHOWN);
		fputs("'\n", stdout);
		return 1;
	}
	printf("attached to %s (Ctrl-] detaches)\n", vm->name);
	attach_report_dropped(vm, "while detached");
	fflush(stdout);

	vm->attached = true;
	ended = attach_loop(vm, &last);
	vm->attached = false;

	/* Our lines start on a fresh line whatever the guest left behind. */
	if (last != '\n')
		fputs("\n", stdout);
	if (ended)
		printf("[vm %s %s%s%.*s]\n", vm->name, vm_state_name(vm->state),
		       vm->reason[0] ? ": " : "", VM_ERR_MAX, vm->reason);
	attach_report_dropped(vm, "while attached: the guest wrote faster than the serial line");
	printf("detached from %s\n", vm->name);
	return 0;
}

CONSOLE_CMD(attach_cmd_entry, "attach", "NAME",
	    "connect the terminal to a VM's console (Ctrl-] comes back)", attach_run);

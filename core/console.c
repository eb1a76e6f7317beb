/*
 * The console prompt loop: UART bytes into the line editor, finished lines
 * into console_execute().  Also the `version` command.
 */
#include <stdio.h>
#include <string.h>

#include <arch/cpu.h>
#include "drivers/uart.h"
#include "vm.h"
#include "console.h"
#include "version.h"
#include "lineedit.h"

#ifndef PLINTH_VERSION
#error "PLINTH_VERSION is defined by the Makefile"
#endif

_Static_assert(LINEEDIT_MAX == CONSOLE_LINE_MAX, "one line limit for editor and console");

/* Generated at link time by the Makefile (build/core/build_id.o). */

static struct lineedit console_le;
static int console_ready;

static void console_echo(void *ctx, const char *s, size_t len)
{
	(void)ctx;
	fwrite(s, 1, len, stdout);
}

void console_prompt(void)
{
	fputs(CONSOLE_PROMPT, stdout);
	fflush(stdout);
}

static void console_start(void)
{
	lineedit_init(&console_le, console_echo, NULL);
	console_ready = 1;
}

void console_feed(uint8_t byte)
{
	char line[CONSOLE_LINE_MAX + 1];

	if (!console_ready)
		console_start();

	switch (lineedit_feed(&console_le, byte)) {
	case LINEEDIT_NONE:
		return;
	case LINEEDIT_LINE_READY:
		/* console_execute() splits in place; the editor's copy stays intact. */
		strncpy(line, lineedit_line(&console_le), sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		console_execute(line);
		break;
	case LINEEDIT_CANCELLED:
		break;
	case LINEEDIT_ERROR_TOO_LONG:
		printf("error: line too long (max %d characters)\n", CONSOLE_LINE_MAX);
		break;
	case LINEEDIT_ERROR_BINARY:
		printf("error: line contains non-text bytes\n");
		break;
	}
	console_prompt();
}

int console_getc_wait(bool (*ready)(void *arg), void *arg)
{
	for (;;) {
		int c = uart_getc();

		if (c >= 0)
			return c;
		/* Echo of a pasted run goes out once the input pauses. */
		fflush(stdout);
		/* Whatever the console CPU waits in, it finishes what vCPUs asked of it. */
		vm_poll();
		if (ready && ready(arg))
			return -1;
		/*
		 * Check again with interrupts off: an RX interrupt or a kick
		 * between the check and hlt would otherwise be slept through.
		 * sti's shadow in cpu_idle() keeps "sti; hlt" atomic.
		 */
		irq_disable();
		c = uart_getc();
		if (c < 0 && !vm_poll_pending() && !(ready && ready(arg))) {
			cpu_idle();
			continue;
		}
		irq_enable();
		if (c >= 0)
			return c;
	}
}

void console_main(void)
{
	if (!console_ready)
		console_start();
	console_prompt();
	for (;;) {
		int c = console_getc_wait(NULL, NULL);
		if (c >= 0)
			console_feed((uint8_t)c);
	}
}

/* ---------------------------------------------------------------- version */

static int console_cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		printf("error: usage: version\n");
		return 1;
	}
	printf("plinth %s (build %s)\nbuilt %s %s\n", PLINTH_VERSION, plinth_build_id,
	       __DATE__, __TIME__);
	return 0;
}

CONSOLE_CMD(console_cmd_version_entry, "version", "", "show the version and build id",
	    console_cmd_version);

/*
 * Diagnostics for plinth's own developers, off unless plinth.cfg (or the load
 * options) say `debug = on`: an operator cannot crash a CPU by a typo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include "boot_info.h"
#include "console.h"

static int debug_enabled(void)
{
	const char *v = boot_info ? config_get(&boot_info->config, 0, "debug") : NULL;
	return v && !strcmp(v, "on");
}

/* An invalid opcode: the exception path must dump, backtrace and halt this CPU. */
static void debug_fault_here(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static int cmd_fault(int argc, char **argv)
{
	if (!debug_enabled()) {
		printf("error: fault: diagnostics are off (set 'debug = on' in plinth.cfg)\n");
		return 1;
	}
	char *end;
	unsigned long cpu = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || !*argv[1] || *end || cpu >= ncpus) {
		printf("error: fault: usage: fault CPU (0..%u)\n", ncpus - 1);
		return 1;
	}
	if (cpu == this_cpu()->cpu) {
		printf("fault: cpu%lu (this console's CPU) takes #UD now\n", cpu);
		fflush(stdout);
		debug_fault_here(NULL);
		return 0;
	}
	if (smp_call((uint32_t)cpu, debug_fault_here, NULL)) {
		printf("error: fault: cpu%lu is not online\n", cpu);
		return 1;
	}
	printf("fault: cpu%lu sent #UD\n", cpu);
	return 0;
}
CONSOLE_CMD(cmd_fault_def, "fault", "CPU", "diagnostics: make CPU take an exception (needs debug = on)", cmd_fault);

/*
 * The `vm` console command: the operator's front end to the management API
 * (core/vm.h).  Subcommands go through tables; each checks its own words and
 * every failure is one line, "vm SUB: why", so anything typed is answered
 * and nothing typed can reach the API unchecked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <arch/calib.h>
#include <arch/cpu.h>
#include "console.h"
#include "vm.h"

#define VM_CMD_SHOWN 32             /* longest operator word echoed back */
#define VM_CMD_USAGE "vm create NAME key=value... | vm list | " \
		     "vm info|start|pause|resume|stop|kill|destroy NAME"

static void vm_cmd_no_vm(const char *sub, const char *name)
{
	printf("vm %s: no VM named '", sub);
	console_put_safe(name, VM_CMD_SHOWN);
	fputs("'\n", stdout);
}

/* The VM that `vm SUB NAME` names, or NULL after one line of error. */
static struct vm *vm_cmd_find(int argc, char **argv)
{
	struct vm *vm;

	if (argc != 3) {
		printf("vm %s: usage: vm %s NAME\n", argv[1], argv[1]);
		return NULL;
	}
	vm = vm_find(argv[2]);
	if (!vm)
		vm_cmd_no_vm(argv[1], argv[2]);
	return vm;
}

/* "16 MiB", "2 GiB": guest RAM is whole MiB, often whole GiB. */
static void vm_cmd_fmt_mem(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= (1ull << 30) && !(bytes & ((1ull << 30) - 1)))
		snprintf(buf, n, "%" PRIu64 " GiB", bytes >> 30);
	else
		snprintf(buf, n, "%" PRIu64 " MiB", bytes >> 20);
}

/* A pCPU mask as the list the operator would type: "0,2-3". */
static void vm_cmd_fmt_cpus(char *buf, size_t n, uint64_t mask)
{
	size_t at = 0;

	snprintf(buf, n, "any (spread over the guest pCPUs)");
	for (unsigned c = 0; c < 64 && mask; c++) {
		unsigned e = c;

		if (!((mask >> c) & 1))
			continue;
		while (e < 63 && ((mask >> (e + 1)) & 1))
			e++;
		if (at >= n)
			break;
		if (e == c)
			at += (size_t)snprintf(buf + at, n - at, "%s%u", at ? "," : "", c);
		else
			at += (size_t)snprintf(buf + at, n - at, "%s%u-%u", at ? "," : "", c, e);
		c = e;
	}
}

/* ---------------------------------------------------------------- create */

static int vm_cmd_create(int argc, char **argv)
{
	static struct vm_params p;      /* ~3 KiB: kept off the console's stack */
	char err[VM_ERR_MAX], mem[24];
	struct vm *vm;

	if (argc < 3) {
		printf("vm create: usage: vm create NAME key=value...\n");
		return 1;
	}
	if (strlen(argv[2]) >= VM_NAME_MAX) {
		fputs("vm create: name '", stdout);
		console_put_safe(argv[2], VM_CMD_SHOWN);
		printf("' is longer than %u characters\n", VM_NAME_MAX - 1);
		return 1;
	}
	vm_params_init(&p, argv[2]);
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fputs("vm create: '", stdout);
			console_put_safe(argv[i], VM_CMD_SHOWN);
			fputs("' is not key=value\n", stdout);
			return 1;
		}
		*eq = '\0';
		if (vm_params_set(&p, argv[i], eq + 1, err, sizeof(err)) != 0) {
			printf("vm create: %s\n", err);
			return 1;
		}
	}
	vm = vm_create(&p, err, sizeof(err));
	if (!vm) {
		printf("vm create: %s\n", err);
		return 1;
	}
	vm_cmd_fmt_mem(mem, sizeof(mem), vm->params.mem);
	printf("vm %s created (mem %s, %u vcpu%s)\n", vm->name, mem, vm->params.vcpus,
	       vm->params.vcpus == 1 ? "" : "s");
	/* A VM made at the prompt has no boot to wait for: autostart means now. */
	if (p.autostart) {
		if (vm_start(vm, err, sizeof(err)) != 0) {
			printf("vm start: %s\n", err);
			return 1;
		}
		printf("vm %s started\n", vm->name);
	}
	return 0;
}

/* ---------------------------------------------------------------- list */

/* Exits per second since the previous `vm list`; "-" the first time. */
static void vm_cmd_rate(struct vm *vm, uint64_t exits, char *buf, size_t n)
{
	uint64_t now = rdtsc(), hz = tsc_hz();

	if (vm->rate_tsc && now > vm->rate_tsc && exits >= vm->rate_exits && hz)
		snprintf(buf, n, "%" PRIu64,
			 calib_hz(exits - vm->rate_exits, now - vm->rate_tsc, hz));
	else
		snprintf(buf, n, "-");
	vm->rate_tsc = now;
	vm->rate_exits = exits;
}

static int vm_cmd_list(int argc, char **argv)
{
	struct vm_stats s;
	char mem[24], rate[24], status[24];
	struct vm *vm = vm_next(NULL);

	(void)argv;
	if (argc != 2) {
		printf("vm list: usage: vm list\n");
		return 1;
	}
	if (!vm) {
		printf("no VMs\n");
		return 0;
	}
	printf("%-16s %-8s %5s %9s %12s %9s  %s\n", "NAME", "STATE", "VCPUS", "MEM", "EXITS",
	       "EXITS/S", "STATUS");
	for (; vm; vm = vm_next(vm)) {
		vm_get_stats(vm, &s);
		vm_cmd_fmt_mem(mem, sizeof(mem), vm->params.mem);
		vm_cmd_rate(vm, s.exits, rate, sizeof(rate));
		if (vm->exit_status >= 0)
			snprintf(status, sizeof(status), "exit=%d", vm->exit_status);
		else
			snprintf(status, sizeof(status), "-");
		printf("%-16s %-8s %5u %9s %12" PRIu64 " %9s  %s\n", vm->name,
		       vm_state_name(vm->state), vm->params.vcpus, mem, s.exits, rate, status);
	}
	return 0;
}

/* ---------------------------------------------------------------- info */

static const char *vm_cmd_vcpu_state(enum vcpu_state st)
{
	static const char *const names[] = {
		[VCPU_STOPPED] = "stopped", [VCPU_RUNNABLE] = "runnable",
		[VCPU_BLOCKED] = "blocked", [VCPU_PAUSED] = "paused",
	};

	if ((unsigned)st >= sizeof(names) / sizeof(names[0]) || !names[st])
		return "?";
	return names[st];
}

static void vm_cmd_info_vcpus(struct vm *vm)
{
	uint32_t n = vm->nvcpus < VM_VCPUS_MAX ? vm->nvcpus : VM_VCPUS_MAX;

	printf("  vcpus          %u\n", vm->params.vcpus);
	for (uint32_t i = 0; i < n; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (v)
			printf("    vcpu%-2u       pcpu %u, %s\n", i, v->pcpu,
			       vm_cmd_vcpu_state(v->state));
	}
}

static void vm_cmd_info_stats(struct vm *vm)
{
	struct vm_stats s;

	vm_get_stats(vm, &s);
	printf("  exits          %" PRIu64 "\n", s.exits);
	for (unsigned i = 0; i < VCPU_EXIT_STATS; i++)
		if (s.exit_count[i])
			printf("    exit %-9s %" PRIu64 "\n",
			       vcpu_exit_stat_names[i] ? vcpu_exit_stat_names[i] : "?",
			       s.exit_count[i]);
	printf("  hypercalls     %" PRIu64 "\n", s.hypercalls);
	printf("  hc_restarts    %" PRIu64 "\n", s.hc_restarts);
	printf("  restarts       %" PRIu64 "\n", s.restarts);
	printf("  console        %" PRIu64 " bytes dropped\n", s.out_dropped);
	printf("  overhead       %" PRIu64 " KiB (%" PRIu64 " NPT pages)\n",
	       (s.overhead + 1023) >> 10, s.npt_pages);
}

static int vm_cmd_info(int argc, char **argv)
{
	struct vm *vm = vm_cmd_find(argc, argv);
	const struct vm_params *p;
	char buf[200];

	if (!vm)
		return 1;
	p = &vm->params;
	printf("vm %s: %s\n", vm->name, vm_state_name(vm->state));
	if (vm->reason[0])
		printf("  reason         %.*s\n", VM_ERR_MAX, vm->reason);
	if (vm->exit_status >= 0)
		printf("  exit status    %d\n", vm->exit_status);
	else
		printf("  exit status    none\n");
	vm_cmd_fmt_mem(buf, sizeof(buf), p->mem);
	printf("  mem            %s\n", buf);
	vm_cmd_fmt_cpus(buf, sizeof(buf), p->cpus);
	printf("  cpus           %s\n", buf);
	vm_cmd_info_vcpus(vm);
	if (p->kernel[0]) {
		printf("  kernel         %s\n", p->kernel);
		printf("  initrd         %s\n", p->initrd[0] ? p->initrd : "(none)");
	} else {
		printf("  image          %s\n", p->image);
	}
	printf("  on_crash       %s\n", p->on_crash == VM_ON_CRASH_RESTART ? "restart" : "stop");
	if (vm->start_tsc)
		printf("  started at tsc %" PRIu64 "\n", vm->start_tsc);
	printf("  cmdline        %s\n", p->cmdline[0] ? p->cmdline : "(empty)");
	for (unsigned i = 0; i < p->nmodules && i < VM_MODULES_MAX; i++)
		printf("  module         %s\n", p->modules[i]);
	vm_cmd_info_stats(vm);
	return 0;
}

/* ---------------------------------------------------------------- actions */

struct vm_cmd_action {
	const char *name;
	const char *done;
	int (*act)(struct vm *vm, char *err, size_t errlen);
};

static const struct vm_cmd_action vm_cmd_actions[] = {
	{ "start", "started", vm_start },
	{ "pause", "paused", vm_pause },
	{ "resume", "resumed", vm_resume },
	{ "stop", "stopped", vm_stop },
	{ "kill", "killed", vm_kill },
	{ "destroy", "destroyed", vm_destroy },
};

static int vm_cmd_act(const struct vm_cmd_action *a, int argc, char **argv)
{
	struct vm *vm = vm_cmd_find(argc, argv);
	char err[VM_ERR_MAX], name[VM_NAME_MAX];

	if (!vm)
		return 1;
	/* destroy frees vm: keep the name for the reply. */
	snprintf(name, sizeof(name), "%s", vm->name);
	if (a->act(vm, err, sizeof(err)) != 0) {
		printf("vm %s: %s\n", a->name, err);
		return 1;
	}
	printf("vm %s %s\n", name, a->done);
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

struct vm_cmd_sub {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct vm_cmd_sub vm_cmd_subs[] = {
	{ "create", vm_cmd_create },
	{ "list", vm_cmd_list },
	{ "info", vm_cmd_info },
};

static int vm_cmd_run(int argc, char **argv)
{
	if (argc < 2) {
		printf("error: usage: " VM_CMD_USAGE "\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(vm_cmd_subs) / sizeof(vm_cmd_subs[0]); i++)
		if (strcmp(argv[1], vm_cmd_subs[i].name) == 0)
			return vm_cmd_subs[i].run(argc, argv);
	for (size_t i = 0; i < sizeof(vm_cmd_actions) / sizeof(vm_cmd_actions[0]); i++)
		if (strcmp(argv[1], vm_cmd_actions[i].name) == 0)
			return vm_cmd_act(&vm_cmd_actions[i], argc, argv);
	fputs("vm: unknown subcommand '", stdout);
	console_put_safe(argv[1], VM_CMD_SHOWN);
	fputs("' (usage: " VM_CMD_USAGE ")\n", stdout);
	return 1;
}

CONSOLE_CMD(vm_cmd_entry, "vm", "SUB ...",
	    "virtual machines: create, list, info, start, pause, resume, stop, kill, destroy",
	    vm_cmd_run);

/*
 * VM lifecycle: the management API of vm.h.  Management calls run on the
 * console CPU; vCPU contexts only end a VM (vm_exit_from_guest) or ask for
 * a restart, under vm->lock, and the console CPU finishes restarts in
 * vm_poll().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/calib.h>
#include <arch/percpu.h>
#include "frame.h"
#include "loader.h"
#include "log.h"
#include "mm.h"
#include "sched.h"
#include "vm.h"

#define VM_WAIT_US  5000000     /* how long management waits for vCPUs to act */

static struct vm *vms[VM_MAX];
static uint32_t next_spread;    /* round robin over the guest pCPUs */
static volatile bool poll_wanted;

/* ---------------------------------------------------------------- guest RAM */

bool vm_range_ok(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	return gpa <= vm->ram_size && len <= vm->ram_size - gpa;
}

void *vm_gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || !vm_range_ok(vm, gpa, len) ||
	    (len && ((gpa ^ (gpa + len - 1)) >> VM_CHUNK_SHIFT)))
		return NULL;
	return (uint8_t *)phys_to_virt(vm->ram_chunks[gpa >> VM_CHUNK_SHIFT]) + (gpa & (VM_CHUNK_SIZE - 1));
}

static int vm_copy(struct vm *vm, uint64_t gpa, void *buf, const void *src, uint64_t len)
{
	if (!vm_range_ok(vm, gpa, len))
		return -1;
	while (len) {
		uint64_t n = vm_chunk_span(gpa, len);
		uint8_t *p = vm_gpa_ptr(vm, gpa, n);
		if (buf)
			memcpy(buf, p, n), buf = (uint8_t *)buf + n;
		else if (src)
			memcpy(p, src, n), src = (const uint8_t *)src + n;
		else
			memset(p, 0, n);
		gpa += n;
		len -= n;
	}
	return 0;
}

int vm_copy_to(struct vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
	return vm_copy(vm, gpa, NULL, src, len);
}

int vm_copy_from(struct vm *vm, void *dst, uint64_t gpa, uint64_t len)
{
	return vm_copy(vm, gpa, dst, NULL, len);
}

static int vm_load_copy_in(void *arg, uint64_t gpa, const void *src, uint64_t len)
{
	return src ? vm_copy_to(arg, gpa, src, len) : vm_copy(arg, gpa, NULL, NULL, len);
}

/* ---------------------------------------------------------------- images */

static const struct boot_module *vm_file(const char *name)
{
	char first[CFG_VALUE_MAX];
	size_t n = strcspn(name, " \t");

	if (n >= sizeof(first))
		return NULL;
	memcpy(first, name, n);
	first[n] = 0;
	for (uint32_t i = 0; i < boot_info->nmod; i++)
		if (!strcmp(boot_info->mod[i].name, first))
			return &boot_info->mod[i];
	return NULL;
}

static int vm_file_check(const char *what, const char *name, char *err, size_t errlen)
{
	if (vm_file(name))
		return 0;
	snprintf(err, errlen, "%s '%.*s' was not loaded at boot (list it in plinth.cfg)",
		 what, (int)strcspn(name, " \t"), name);
	return -1;
}

/* The boot area and the vCPUs' start states for what a loader put in RAM. */
static int vm_load_finish(struct vm *vm, const struct load_result *r, char *err, size_t errlen)
{
	if (vm_arch_boot_setup(vm, (int)r->kind, r->entry, r->boot_gpa)) {
		snprintf(err, errlen, "cannot write the boot area");
		return -1;
	}
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		v->requests = 0;
		v->state = VCPU_STOPPED;
		vcpu_arch_reset(v);
	}
	return 0;
}

/* A Linux VM: bzImage, initrd and cmdline, with the platform's e820 map and ACPI tables. */
static int vm_load_linux(struct vm *vm, bool wipe, char *err, size_t errlen)
{
	const struct vm_params *p = &vm->params;
	const struct boot_module *k = vm_file(p->kernel), *rd = NULL;
	struct load_target t = { .ram_size = vm->ram_size, .copy_in = vm_load_copy_in, .arg = vm,
				 .nvcpus = vm->nvcpus };
	struct e820_entry map[LOADER_E820_MAX];
	struct load_result r;
	struct load_linux l;
	uint64_t rsdp;
	char cmdline[CFG_VALUE_MAX + 32];

	if (!k)
		return vm_file_check("kernel", p->kernel, err, errlen);
	if (p->initrd[0] && !(rd = vm_file(p->initrd)))
		return vm_file_check("initrd", p->initrd, err, errlen);
	if (wipe)
		vm_copy(vm, 0, NULL, NULL, vm->ram_size);
	rsdp = vm_arch_pc_setup(vm, err, errlen);
	if (!rsdp)
		return -1;
	/*
	 * The TSC rate, as a boot parameter Linux reads before it calibrates
	 * (docs/guests.md): unless the operator gave one, plinth adds it.
	 */
	if (strstr(p->cmdline, "tsc_early_khz="))
		snprintf(cmdline, sizeof(cmdline), "%s", p->cmdline);
	else
		snprintf(cmdline, sizeof(cmdline), "%s%stsc_early_khz=%" PRIu64, p->cmdline,
			 p->cmdline[0] ? " " : "", tsc_hz() / 1000);
	l = (struct load_linux){
		.kernel = phys_to_virt(k->phys), .kernel_size = k->size,
		.initrd = rd ? phys_to_virt(rd->phys) : NULL, .initrd_size = rd ? rd->size : 0,
		.cmdline = cmdline, .map = map,
		.nmap = vm_arch_e820(vm, map, LOADER_E820_MAX), .rsdp = rsdp,
	};
	if (loader_linux(&t, &l, &r, err, errlen))
		return -1;
	return vm_load_finish(vm, &r, err, errlen);
}

/*
 * RAM contents from the image, boot data and vCPU start states.  wipe: RAM
 * held a previous run (a new VM's chunks come zeroed from the allocator).
 */
static int vm_load(struct vm *vm, bool wipe, char *err, size_t errlen)
{
	const struct vm_params *p = &vm->params;
	const struct boot_module *img = vm_file(p->image);
	struct load_target t = { .ram_size = vm->ram_size, .copy_in = vm_load_copy_in, .arg = vm,
				 .nvcpus = vm->nvcpus };
	struct load_module mods[VM_MODULES_MAX];
	struct load_result r;
	int kind, rc;

	if (p->kernel[0])
		return vm_load_linux(vm, wipe, err, errlen);
	if (!img)
		return vm_file_check("image", p->image, err, errlen);
	for (unsigned i = 0; i < p->nmodules; i++) {
		const struct boot_module *m = vm_file(p->modules[i]);
		if (!m)
			return vm_file_check("module", p->modules[i], err, errlen);
		mods[i] = (struct load_module){ .data = phys_to_virt(m->phys), .size = m->size,
						.cmdline = p->modules[i] };
	}
	kind = loader_probe(phys_to_virt(img->phys), img->size, err, errlen);
	if (kind <= 0)
		return -1;
	if (wipe)
		vm_copy(vm, 0, NULL, NULL, vm->ram_size);
	if (kind == LOAD_ELF64)
		rc = loader_elf64(&t, phys_to_virt(img->phys), img->size, p->cmdline, &r, err, errlen);
	else
		rc = loader_multiboot(&t, phys_to_virt(img->phys), img->size, p->cmdline,
				      mods, p->nmodules, &r, err, errlen);
	if (rc)
		return -1;
	return vm_load_finish(vm, &r, err, errlen);
}

/* ---------------------------------------------------------------- create / destroy */

static void vm_free(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		vcpu_arch_free(vm->vcpus[i]);
		free(vm->vcpus[i]);
	}
	vm_arch_free(vm);
	for (uint32_t i = 0; i < vm->nchunks; i++)
		if (vm->ram_chunks[i])
			frame_free_contig(vm->ram_chunks[i], VM_CHUNK_SIZE / FRAME_SIZE);
	free(vm->ram_chunks);
	free(vm);
}

/* pCPU for vCPU i: the i-th of the allowed pCPUs, or round robin over the guest pCPUs. */
static uint32_t vm_pick_cpu(uint64_t mask, uint32_t i, bool spread)
{
	uint32_t n = (uint32_t)__builtin_popcountll(mask), k = (spread ? next_spread++ : i) % n;

	for (uint32_t c = 0; c < MAX_CPUS; c++)
		if ((mask >> c) & 1 && k-- == 0)
			return c;
	return 0;
}

static int vm_alloc(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_params *p = &vm->params;
	uint64_t guest_cpus = sched_guest_cpus();
	uint64_t mask = p->cpus ? p->cpus : guest_cpus;

	if (!guest_cpus) {
		snprintf(err, errlen, "no pCPU runs guests: cpu0 runs the console, boot with 2 or more CPUs");
		return -1;
	}
	if (mask & ~guest_cpus) {
		snprintf(err, errlen, "cpus: only the online pCPUs from 1 up run guests (cpu0 runs the console)");
		return -1;
	}
	vm->nchunks = (uint32_t)(p->mem >> VM_CHUNK_SHIFT);
	vm->ram_size = p->mem;
	vm->ram_chunks = calloc(vm->nchunks, sizeof(uint64_t));
	if (!vm->ram_chunks || vm_arch_init(vm))
		goto nomem;
	for (uint32_t i = 0; i < vm->nchunks; i++) {
		uint64_t pa = frame_alloc_contig(VM_CHUNK_SIZE / FRAME_SIZE, VM_CHUNK_SIZE / FRAME_SIZE, 0);
		if (pa == FRAME_NONE)
			goto nomem;
		vm->ram_chunks[i] = pa;
		if (vm_arch_map_ram(vm, (uint64_t)i << VM_CHUNK_SHIFT, pa, VM_CHUNK_SIZE))
			goto nomem;
	}
	for (uint32_t i = 0; i < p->vcpus; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));
		if (!v)
			goto nomem;
		vm->vcpus[vm->nvcpus++] = v;
		v->vm = vm;
		v->id = i;
		v->wake_tsc = UINT64_MAX;
		v->affinity = mask;
		v->pcpu = vm_pick_cpu(mask, i, !p->cpus);
		if (vcpu_arch_init(v))
			goto nomem;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for %lu MiB of guest RAM and its tables", p->mem >> 20);
	return -1;
}

struct vm *vm_create(const struct vm_params *p, char *err, size_t errlen)
{
	int slot = -1;
	struct vm *vm;

	if (vm_params_check(p, ncpus, err, errlen))
		return NULL;
	if (vm_find(p->name)) {
		snprintf(err, errlen, "a VM named '%s' exists", p->name);
		return NULL;
	}
	for (int i = VM_MAX - 1; i >= 0; i--)
		if (!vms[i])
			slot = i;
	if (slot < 0) {
		snprintf(err, errlen, "too many VMs (%d)", VM_MAX);
		return NULL;
	}
	if (p->kernel[0] ? vm_file_check("kernel", p->kernel, err, errlen)
			 : vm_file_check("image", p->image, err, errlen))
		return NULL;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->params = *p;
	memcpy(vm->name, p->name, sizeof(vm->name));
	vm->exit_status = -1;
	ring_init(&vm->out);
	ring_init(&vm->in);
	if (vm_alloc(vm, err, errlen) || vm_load(vm, false, err, errlen)) {
		vm_free(vm);
		return NULL;
	}
	vm->state = VM_CREATED;
	vms[slot] = vm;
	log_info("vm %s: created, %lu MiB, %u vcpu(s), %s %s", vm->name, vm->ram_size >> 20,
		 vm->nvcpus, p->kernel[0] ? "kernel" : "image", p->kernel[0] ? p->kernel : p->image);
	return vm;
}

/* ---------------------------------------------------------------- vCPU control */

static bool vcpu_quiet(struct vcpu *v, enum vcpu_state a, enum vcpu_state b)
{
	return (v->state == a || v->state == b) &&
	       !__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE);
}

/* Wait until every vCPU is in state a or b and off its pCPU; -1 on timeout. */
static int vm_wait_vcpus(struct vm *vm, enum vcpu_state a, enum vcpu_state b)
{
	uint64_t deadline = rdtsc() + calib_ticks_for_us(VM_WAIT_US, tsc_hz());

	for (;;) {
		uint32_t quiet = 0;
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			quiet += vcpu_quiet(vm->vcpus[i], a, b);
		if (quiet == vm->nvcpus)
			return 0;
		if ((int64_t)(rdtsc() - deadline) > 0)
			return -1;
		cpu_relax();
	}
}

static void vm_stop_vcpus(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		enum vcpu_state paused = VCPU_PAUSED;
		vcpu_request(v, VCPU_REQ_KILL);
		/* A parked vCPU has no pCPU to act on the request: stop it here. */
		__atomic_compare_exchange_n(&v->state, &paused, VCPU_STOPPED, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
}

static void vm_start_vcpus(struct vm *vm)
{
	/*
	 * A Multiboot kernel starts on its first vCPU only; so does Linux,
	 * whose other vCPUs wait (BLOCKED) for the INIT-SIPI that starts them.
	 */
	uint32_t n = vm->arch.boot_kind == LOAD_ELF64 ? vm->nvcpus : 1;

	vm->state = VM_RUNNING;
	vm->start_tsc = rdtsc();
	for (uint32_t i = n; i < vm->nvcpus && vm->arch.boot_kind == LOAD_LINUX; i++)
		vm->vcpus[i]->state = VCPU_BLOCKED;
	for (uint32_t i = 0; i < n; i++) {
		vm->vcpus[i]->state = VCPU_RUNNABLE;
		sched_enqueue(vm->vcpus[i]);
	}
}

/* ---------------------------------------------------------------- management API */

int vm_start(struct vm *vm, char *err, size_t errlen)
{
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED) {
		snprintf(err, errlen, "vm %s is %s", vm->name, vm_state_name(vm->state));
		return -1;
	}
	if (vm->state != VM_CREATED && vm_load(vm, true, err, errlen))
		return -1;
	vm->exit_status = -1;
	vm->reason[0] = 0;
	vm->restart_pending = false;
	vm_start_vcpus(vm);
	return 0;
}

int vm_pause(struct vm *vm, char *err, size_t errlen)
{
	if (vm->state != VM_RUNNING) {
		snprintf(err, errlen, "vm %s is %s, not running", vm->name, vm_state_name(vm->state));
		return -1;
	}
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_PAUSE);
	if (vm_wait_vcpus(vm, VCPU_PAUSED, VCPU_STOPPED)) {
		snprintf(err, errlen, "vm %s: a vCPU did not pause within %u s", vm->name,
			 VM_WAIT_US / 1000000);
		log_err("vm %s: pause request not acknowledged", vm->name);
		return -1;
	}
	uint64_t f = spin_lock_irqsave(&vm->lock);
	if (vm->state == VM_RUNNING)
		vm->state = VM_PAUSED;
	spin_unlock_irqrestore(&vm->lock, f);
	return 0;
}

int vm_resume(struct vm *vm, char *err, size_t errlen)
{
	if (vm->state != VM_PAUSED) {
		snprintf(err, errlen, "vm %s is %s, not paused", vm->name, vm_state_name(vm->state));
		return -1;
	}
	vm->state = VM_RUNNING;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		enum vcpu_state paused = VCPU_PAUSED;
		__atomic_and_fetch(&v->requests, ~VCPU_REQ_PAUSE, __ATOMIC_SEQ_CST);
		if (__atomic_compare_exchange_n(&v->state, &paused, VCPU_RUNNABLE, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			sched_enqueue(v);
	}
	return 0;
}

static int vm_halt(struct vm *vm, const char *reason, char *err, size_t errlen)
{
	if (vm->state != VM_RUNNING && vm->state != VM_PAUSED) {
		snprintf(err, errlen, "vm %s is %s", vm->name, vm_state_name(vm->state));
		return -1;
	}
	uint64_t f = spin_lock_irqsave(&vm->lock);
	vm->state = VM_STOPPED;
	vm->exit_status = -1;
	vm->restart_pending = false;
	snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
	spin_unlock_irqrestore(&vm->lock, f);
	vm_stop_vcpus(vm);
	if (vm_wait_vcpus(vm, VCPU_STOPPED, VCPU_STOPPED)) {
		snprintf(err, errlen, "vm %s: a vCPU did not stop within %u s", vm->name,
			 VM_WAIT_US / 1000000);
		return -1;
	}
	return 0;
}

int vm_stop(struct vm *vm, char *err, size_t errlen) { return vm_halt(vm, "stopped by the operator", err, errlen); }
int vm_kill(struct vm *vm, char *err, size_t errlen) { return vm_halt(vm, "killed by the operator", err, errlen); }

int vm_destroy(struct vm *vm, char *err, size_t errlen)
{
	if ((vm->state == VM_RUNNING || vm->state == VM_PAUSED) &&
	    vm_halt(vm, "destroyed", err, errlen))
		return -1;
	/* Every vCPU is off its pCPU, and only this CPU can reach the VM now. */
	for (int i = 0; i < VM_MAX; i++)
		if (vms[i] == vm)
			vms[i] = NULL;
	log_info("vm %s: destroyed", vm->name);
	vm_free(vm);
	return 0;
}

struct vm *vm_find(const char *name)
{
	for (int i = 0; i < VM_MAX; i++)
		if (vms[i] && !strcmp(vms[i]->name, name))
			return vms[i];
	return NULL;
}

struct vm *vm_next(struct vm *prev)
{
	int i = 0;

	if (prev)
		while (i < VM_MAX && vms[i++] != prev)
			;
	for (; i < VM_MAX; i++)
		if (vms[i])
			return vms[i];
	return NULL;
}

const char *vm_state_name(enum vm_state s)
{
	static const char *const names[] = {
		[VM_CREATED] = "created", [VM_RUNNING] = "running", [VM_PAUSED] = "paused",
		[VM_STOPPED] = "stopped", [VM_CRASHED] = "crashed",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

void vm_get_stats(struct vm *vm, struct vm_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = vm->vcpus[i];
		s->exits += v->exits;
		for (int k = 0; k < VCPU_EXIT_STATS; k++)
			s->exit_count[k] += v->exit_count[k];
		s->hypercalls += v->hypercalls;
		s->hc_restarts += v->hc_restarts;
	}
	s->out_dropped = vm->out.dropped;
	s->npt_pages = vm->arch.npt_pages;
	s->overhead = vm_arch_overhead(vm) + sizeof(*vm) + vm->nvcpus * sizeof(struct vcpu) +
		      vm->nchunks * sizeof(uint64_t);
	s->restarts = vm->restarts;
}

/* ---------------------------------------------------------------- from the guest */

void vm_console_out(struct vm *vm, const void *buf, size_t len)
{
	ring_put(&vm->out, buf, len);
	if (vm->attached)
		sched_kick_cpu(0);
}

void vm_console_in(struct vm *vm, const void *buf, size_t len)
{
	ring_put(&vm->in, buf, len);
	if (vm->console_uart)
		vm_arch_console_input(vm);
	else if (vm->nvcpus)
		sched_wake(vm->vcpus[0]);
}

void vm_exit_from_guest(struct vm *vm, enum vm_state state, int exit_status, const char *reason)
{
	uint64_t f = spin_lock_irqsave(&vm->lock);
	bool first = vm->state == VM_RUNNING;

	if (first) {
		vm->state = state;
		vm->exit_status = exit_status;
		snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
	}
	spin_unlock_irqrestore(&vm->lock, f);
	if (!first)
		return;
	if (exit_status >= 0)
		log_info("vm %s: %s (%s, exit status %d)", vm->name, vm_state_name(state), reason, exit_status);
	else
		log_info("vm %s: %s (%s)", vm->name, vm_state_name(state), reason);
	vm_stop_vcpus(vm);
	if (vm->attached)
		sched_kick_cpu(0);
}

void vm_reboot_from_guest(struct vm *vm)
{
	uint64_t f = spin_lock_irqsave(&vm->lock);
	bool ok = vm->state == VM_RUNNING;

	if (ok)
		vm->restart_pending = true;
	spin_unlock_irqrestore(&vm->lock, f);
	if (!ok)
		return;
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_KILL);
	__atomic_store_n(&poll_wanted, true, __ATOMIC_SEQ_CST);
	sched_kick_cpu(0);
}

/* A restart waits for every vCPU to be off its pCPU: the last one wakes the console CPU. */
void vm_vcpu_stopped(struct vcpu *v)
{
	if (v->vm->restart_pending) {
		__atomic_store_n(&poll_wanted, true, __ATOMIC_SEQ_CST);
		sched_kick_cpu(0);
	}
}

bool vm_poll_pending(void) { return __atomic_load_n(&poll_wanted, __ATOMIC_SEQ_CST); }

void vm_poll(void)
{
	char err[VM_ERR_MAX];

	__atomic_store_n(&poll_wanted, false, __ATOMIC_SEQ_CST);
	for (int i = 0; i < VM_MAX; i++) {
		struct vm *vm = vms[i];
		if (!vm || !vm->restart_pending || vm->state != VM_RUNNING)
			continue;
		for (uint32_t k = 0; k < vm->nvcpus; k++)
			if (!vcpu_quiet(vm->vcpus[k], VCPU_STOPPED, VCPU_STOPPED))
				goto next;
		vm->restart_pending = false;
		vm->restarts++;
		if (vm_load(vm, true, err, sizeof(err))) {
			vm_exit_from_guest(vm, VM_CRASHED, -1, err);
			continue;
		}
		log_debug("vm %s: restarted (reset from inside the guest)", vm->name);
		vm_start_vcpus(vm);
next:;
	}
}

/* ---------------------------------------------------------------- plinth.cfg */

/* Is name a word of the [plinth] autostart list? */
static bool vm_in_autostart_list(const struct config *c, const char *name)
{
	const char *list = config_get(c, 0, "autostart");
	size_t n = strlen(name);

	while (list && *list) {
		list += strspn(list, " \t");
		size_t w = strcspn(list, " \t");
		if (w == n && !strncmp(list, name, n))
			return true;
		list += w;
	}
	return false;
}

/* Every key of the section in file order, as `vm create` takes words: one parser for both. */
void vm_autostart(const struct config *c)
{
	char err[VM_ERR_MAX];
	uint64_t t0 = rdtsc();
	unsigned n = 0;

	for (uint32_t s = 1; s < c->nsections; s++) {
		const struct cfg_section *sec = &c->sections[s];
		struct vm_params p;
		int bad = 0;

		if (strcmp(sec->kind, "vm"))
			continue;
		vm_params_init(&p, sec->name);
		for (uint32_t e = 0; e < c->nentries && !bad; e++)
			if (c->entries[e].section == s)
				bad = vm_params_set(&p, c->entries[e].key, c->entries[e].value,
						    err, sizeof(err));
		struct vm *vm = bad ? NULL : vm_create(&p, err, sizeof(err));
		if (!vm) {
			log_err("vm %s (plinth.cfg): %s", sec->name, err);
			continue;
		}
		n++;
		if ((p.autostart || vm_in_autostart_list(c, sec->name)) &&
		    vm_start(vm, err, sizeof(err)))
			log_err("vm %s: %s", sec->name, err);
	}
	if (n)
		log_info("vm: %u VM(s) from plinth.cfg created in %lu ms", n,
			 (rdtsc() - t0) / (tsc_hz() / 1000 ? tsc_hz() / 1000 : 1));
}

/*
 * What a VM is made from: one key at a time from a [vm NAME] section or from
 * `vm create NAME key=value ...`.  Each key is decoded completely before p
 * is touched, so a rejected key leaves the set as it was; the whole set is
 * checked against the machine once, in vm_params_check.  Pure logic: the
 * host unit tests link this file with config.c only.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vm.h"

#define VM_CPU_BITS   64            /* width of the pCPU mask */
#define VM_MEM_ALIGN  (2ull << 20)  /* guest RAM comes in 2 MiB chunks */
#define VM_SHOWN      40            /* longest value echoed back in an error */

void vm_params_init(struct vm_params *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	/* A name that does not fit stays empty, which vm_params_check rejects. */
	if (name && strlen(name) < sizeof(p->name))
		strcpy(p->name, name);
	p->mem = VM_MEM_DEFAULT;
	p->vcpus = 1;
}

/* A decimal number of digits only; -1 if empty, not digits or above max. */
static int vm_parse_uint(const char *s, const char **end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = s;

	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		v = v * 10 + (uint64_t)(*q - '0');
		if (v > max)
			return -1;
	}
	*end = q;
	*out = v;
	return 0;
}

int vm_parse_cpus(const char *s, uint32_t ncpus, uint64_t *mask)
{
	uint64_t m = 0, lo, hi;
	uint32_t limit = ncpus < VM_CPU_BITS ? ncpus : VM_CPU_BITS;

	if (!s || limit == 0)
		return -1;
	for (;;) {
		if (vm_parse_uint(s, &s, limit - 1, &lo) != 0)
			return -1;
		hi = lo;
		if (*s == '-' && vm_parse_uint(s + 1, &s, limit - 1, &hi) != 0)
			return -1;
		if (hi < lo)
			return -1;
		for (uint64_t c = lo; c <= hi; c++)
			m |= 1ull << c;
		if (*s == '\0')
			break;
		if (*s != ',')
			return -1;
		s++;
	}
	*mask = m;
	return 0;
}

static int vm_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1" };
	static const char *const no[] = { "off", "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Every error is one line in err (which may be NULL); returns -1 for the caller to pass on. */
__attribute__((format(printf, 3, 4)))
static int vm_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "key: 'value' what", with a long value cut short. */
static int vm_err(char *err, size_t errlen, const char *key, const char *what, const char *value)
{
	return vm_errf(err, errlen, "%s: '%.*s%s' %s", key, VM_SHOWN, value,
		       strlen(value) > VM_SHOWN ? "..." : "", what);
}

static int vm_set_mem(struct vm_params *p, const char *value, char *err, size_t errlen)
{
	uint64_t mem;

	if (config_parse_size(value, &mem) != 0)
		return vm_err(err, errlen, "mem", "is not a size (such as 64M or 1G)", value);
	if (mem % VM_MEM_ALIGN)
		return vm_errf(err, errlen, "mem: %.*s is not a multiple of 2 MiB", VM_SHOWN, value);
	if (mem < VM_MEM_MIN || mem > VM_MEM_MAX)
		return vm_errf(err, errlen, "mem: %.*s is outside %llu MiB..%llu GiB", VM_SHOWN,
				value, VM_MEM_MIN >> 20, VM_MEM_MAX >> 30);
	p->mem = mem;
	return 0;
}

static int vm_set_string(char *dst, const char *key, const char *value, bool empty_ok,
			 char *err, size_t errlen)
{
	size_t n = strlen(value);

	if (n == 0 && !empty_ok)
		return vm_errf(err, errlen, "%s: empty (%s=FILE)", key, key);
	if (n >= CFG_VALUE_MAX)
		return vm_errf(err, errlen, "%s: longer than %u characters", key, CFG_VALUE_MAX - 1);
	memcpy(dst, value, n + 1);
	return 0;
}

static int vm_set_on_crash(struct vm_params *p, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "stop") == 0)
		p->on_crash = VM_ON_CRASH_STOP;
	else if (strcmp(value, "restart") == 0)
		p->on_crash = VM_ON_CRASH_RESTART;
	else
		return vm_err(err, errlen, "on_crash", "is not stop or restart", value);
	return 0;
}

int vm_params_set(struct vm_params *p, const char *key, const char *value,
		  char *err, size_t errlen)
{
	uint64_t v;
	const char *end;
	bool b;

	if (!key || !value)
		return vm_errf(err, errlen, "missing key or value");
	if (strcmp(key, "image") == 0)
		return vm_set_string(p->image, key, value, false, err, errlen);
	if (strcmp(key, "kernel") == 0)
		return vm_set_string(p->kernel, key, value, false, err, errlen);
	if (strcmp(key, "initrd") == 0)
		return vm_set_string(p->initrd, key, value, false, err, errlen);
	if (strcmp(key, "cmdline") == 0)
		return vm_set_string(p->cmdline, key, value, true, err, errlen);
	if (strcmp(key, "module") == 0) {
		if (p->nmodules >= VM_MODULES_MAX)
			return vm_errf(err, errlen, "module: at most %u modules", VM_MODULES_MAX);
		if (vm_set_string(p->modules[p->nmodules], key, value, false, err, errlen) != 0)
			return -1;
		p->nmodules++;
		return 0;
	}
	if (strcmp(key, "mem") == 0)
		return vm_set_mem(p, value, err, errlen);
	if (strcmp(key, "vcpus") == 0) {
		if (vm_parse_uint(value, &end, VM_VCPUS_MAX, &v) != 0 || *end || v == 0)
			return vm_errf(err, errlen, "vcpus: '%.*s' is not a number from 1 to %u",
					VM_SHOWN, value, VM_VCPUS_MAX);
		p->vcpus = (uint32_t)v;
		return 0;
	}
	if (strcmp(key, "cpus") == 0) {
		if (vm_parse_cpus(value, VM_CPU_BITS, &v) != 0)
			return vm_err(err, errlen, "cpus", "is not a CPU list (such as 1,3-5)", value);
		p->cpus = v;
		return 0;
	}
	if (strcmp(key, "autostart") == 0) {
		if (vm_parse_bool(value, &b) != 0)
			return vm_err(err, errlen, "autostart", "is not on or off", value);
		p->autostart = b;
		return 0;
	}
	if (strcmp(key, "on_crash") == 0)
		return vm_set_on_crash(p, value, err, errlen);
	return vm_errf(err, errlen, "unknown key '%.*s' (image, kernel, initrd, cmdline, module, "
			"mem, vcpus, cpus, autostart, on_crash)", CFG_KEY_MAX, key);
}

static bool vm_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int vm_check_name(const char *name, char *err, size_t errlen)
{
	size_t n = strnlen(name, VM_NAME_MAX);
	char shown[VM_NAME_MAX];

	if (n == 0 || n == VM_NAME_MAX) {
		/* vm_params_init leaves a name that does not fit empty. */
		return vm_errf(err, errlen, "name: must have 1 to %u characters", VM_NAME_MAX - 1);
	}
	for (size_t i = 0; i < n; i++) {
		if (vm_name_char(name[i]))
			continue;
		/* The name goes back to the operator's terminal: no control bytes. */
		for (size_t j = 0; j <= n; j++)
			shown[j] = j == n ? '\0' : (name[j] >= 0x20 && name[j] < 0x7f ? name[j] : '?');
		return vm_errf(err, errlen, "name '%s' may only have A-Z a-z 0-9 _ -", shown);
	}
	return 0;
}

/* A string field of a set built by hand may lack its terminator. */
static int vm_check_strings(const struct vm_params *p, char *err, size_t errlen)
{
	const struct { const char *key, *value; } f[] = {
		{ "image", p->image }, { "kernel", p->kernel }, { "initrd", p->initrd },
		{ "cmdline", p->cmdline },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!memchr(f[i].value, '\0', CFG_VALUE_MAX))
			return vm_errf(err, errlen, "%s: longer than %u characters", f[i].key,
					CFG_VALUE_MAX - 1);
	return 0;
}

int vm_params_check(const struct vm_params *p, uint32_t ncpus, char *err, size_t errlen)
{
	if (vm_check_name(p->name, err, errlen) != 0)
		return -1;
	if (vm_check_strings(p, err, errlen) != 0)
		return -1;
	if (!p->image[0] && !p->kernel[0])
		return vm_errf(err, errlen, "image: not given (image=FILE or kernel=FILE)");
	if (p->image[0] && p->kernel[0])
		return vm_errf(err, errlen, "kernel: a VM has image= or kernel=, not both");
	if (p->initrd[0] && !p->kernel[0])
		return vm_errf(err, errlen, "initrd: needs kernel= (it is the Linux kernel's "
				"initramfs)");
	if (p->nmodules && p->kernel[0])
		return vm_errf(err, errlen, "module: only for a Multiboot image=, not with kernel=");
	if (p->on_crash != VM_ON_CRASH_STOP && p->on_crash != VM_ON_CRASH_RESTART)
		return vm_errf(err, errlen, "on_crash: %u is not stop (0) or restart (1)",
				p->on_crash);
	if (p->vcpus == 0 || p->vcpus > VM_VCPUS_MAX)
		return vm_errf(err, errlen, "vcpus: %u is not from 1 to %u", p->vcpus, VM_VCPUS_MAX);
	if (p->mem % VM_MEM_ALIGN || p->mem < VM_MEM_MIN || p->mem > VM_MEM_MAX)
		return vm_errf(err, errlen, "mem: %llu bytes is not a multiple of 2 MiB in "
				"%llu MiB..%llu GiB", (unsigned long long)p->mem,
				VM_MEM_MIN >> 20, VM_MEM_MAX >> 30);
	if (p->nmodules > VM_MODULES_MAX)
		return vm_errf(err, errlen, "module: at most %u modules", VM_MODULES_MAX);
	if (ncpus < VM_CPU_BITS && (p->cpus >> ncpus)) {
		unsigned bad = (unsigned)__builtin_ctzll(p->cpus >> ncpus) + ncpus;

		return vm_errf(err, errlen, "cpus: CPU %u does not exist (this machine has %u)",
				bad, ncpus);
	}
	return 0;
}

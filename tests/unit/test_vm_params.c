/*
 * Host tests of VM parameters (core/vm_params.c): defaults, every key with
 * good and bad values, the exact error texts, "unchanged on error", the
 * pCPU list parser and the whole-set check against the machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"

static struct vm_params p;
static char err[VM_ERR_MAX];

static void fresh(void)
{
	vm_params_init(&p, "t1");
	memset(err, 0, sizeof(err));
}

/* A set that fails must leave p exactly as it was and say why. */
static void set_fails(const char *key, const char *value, const char *want_err)
{
	static struct vm_params before;

	memcpy(&before, &p, sizeof(p));
	memset(err, 0, sizeof(err));
	assert_int_equal(vm_params_set(&p, key, value, err, sizeof(err)), -1);
	assert_memory_equal(&before, &p, sizeof(p));
	assert_string_equal(err, want_err);
}

static void set_ok(const char *key, const char *value)
{
	memset(err, 0, sizeof(err));
	assert_int_equal(vm_params_set(&p, key, value, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_defaults(void **state)
{
	(void)state;
	memset(&p, 0x5a, sizeof(p));
	vm_params_init(&p, "linux");
	assert_string_equal(p.name, "linux");
	assert_int_equal(p.mem, 16ull << 20);
	assert_int_equal(p.vcpus, 1);
	assert_int_equal(p.cpus, 0);
	assert_false(p.autostart);
	assert_string_equal(p.image, "");
	assert_string_equal(p.kernel, "");
	assert_string_equal(p.initrd, "");
	assert_int_equal(p.on_crash, VM_ON_CRASH_STOP);
	assert_string_equal(p.cmdline, "");
	assert_int_equal(p.nmodules, 0);
	assert_string_equal(p.modules[0], "");
}

static void test_name_too_long_for_init(void **state)
{
	char *name = repeat('a', VM_NAME_MAX);

	(void)state;
	vm_params_init(&p, name);
	assert_string_equal(p.name, "");
	set_ok("image", "x.elf");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "name: must have 1 to 31 characters");

	name[VM_NAME_MAX - 1] = '\0';
	vm_params_init(&p, name);
	assert_string_equal(p.name, name);
	set_ok("image", "x.elf");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
	free(name);

	vm_params_init(&p, NULL);
	assert_string_equal(p.name, "");
}

static void test_image(void **state)
{
	char *v;

	(void)state;
	fresh();
	set_ok("image", "guest.elf");
	assert_string_equal(p.image, "guest.elf");
	set_fails("image", "", "image: empty (image=FILE)");
	assert_string_equal(p.image, "guest.elf");

	v = repeat('i', CFG_VALUE_MAX - 1);
	set_ok("image", v);
	assert_string_equal(p.image, v);
	free(v);
	v = repeat('j', CFG_VALUE_MAX);
	set_fails("image", v, "image: longer than 255 characters");
	free(v);
}

static void test_kernel_initrd(void **state)
{
	char *v;

	(void)state;
	fresh();
	set_ok("kernel", "vmlinuz");
	assert_string_equal(p.kernel, "vmlinuz");
	set_ok("initrd", "initrd.img");
	assert_string_equal(p.initrd, "initrd.img");
	assert_string_equal(p.image, "");
	set_fails("kernel", "", "kernel: empty (kernel=FILE)");
	set_fails("initrd", "", "initrd: empty (initrd=FILE)");
	assert_string_equal(p.kernel, "vmlinuz");
	assert_string_equal(p.initrd, "initrd.img");

	v = repeat('k', CFG_VALUE_MAX - 1);
	set_ok("kernel", v);
	set_ok("initrd", v);
	assert_string_equal(p.initrd, v);
	free(v);
	v = repeat('k', CFG_VALUE_MAX);
	set_fails("kernel", v, "kernel: longer than 255 characters");
	set_fails("initrd", v, "initrd: longer than 255 characters");
	free(v);
}

static void test_on_crash(void **state)
{
	static const char *const bad[] = { "", "Stop", "RESTART", "reboot", "stop ", "1", "restarts" };
	char want[VM_ERR_MAX];

	(void)state;
	fresh();
	set_ok("on_crash", "restart");
	assert_int_equal(p.on_crash, VM_ON_CRASH_RESTART);
	set_ok("on_crash", "stop");
	assert_int_equal(p.on_crash, VM_ON_CRASH_STOP);
	set_ok("on_crash", "restart");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "on_crash: '%s' is not stop or restart", bad[i]);
		set_fails("on_crash", bad[i], want);
		assert_int_equal(p.on_crash, VM_ON_CRASH_RESTART);
	}
}

static void test_mem(void **state)
{
	static const struct { const char *in; uint64_t bytes; } good[] = {
		{ "2M", 2ull << 20 }, { "16M", 16ull << 20 }, { "4MiB", 4ull << 20 },
		{ "2048K", 2ull << 20 }, { "1g", 1ull << 30 }, { "64G", 64ull << 30 },
		{ "2097152", 2ull << 20 }, { "1026M", 1026ull << 20 },
	};
	static const struct { const char *in, *err; } bad[] = {
		{ "3M", "mem: 3M is not a multiple of 2 MiB" },
		{ "1K", "mem: 1K is not a multiple of 2 MiB" },
		{ "2097153", "mem: 2097153 is not a multiple of 2 MiB" },
		{ "0", "mem: 0 is outside 2 MiB..64 GiB" },
		{ "66G", "mem: 66G is outside 2 MiB..64 GiB" },
		{ "1T", "mem: '1T' is not a size (such as 64M or 1G)" },
		{ "16MB", "mem: '16MB' is not a size (such as 64M or 1G)" },
		{ "", "mem: '' is not a size (such as 64M or 1G)" },
		{ "-2M", "mem: '-2M' is not a size (such as 64M or 1G)" },
		{ " 2M", "mem: ' 2M' is not a size (such as 64M or 1G)" },
		{ "99999999999999999999M", "mem: '99999999999999999999M' is not a size (such as 64M or 1G)" },
	};

	(void)state;
	fresh();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		set_ok("mem", good[i].in);
		assert_int_equal(p.mem, good[i].bytes);
	}
	set_ok("mem", "32M");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_fails("mem", bad[i].in, bad[i].err);
		assert_int_equal(p.mem, 32ull << 20);
	}
}

static void test_vcpus(void **state)
{
	static const char *const bad[] = { "0", "9", "", "x", "1a", "-1", "+1", " 1", "100000000000000000000" };
	char want[VM_ERR_MAX];

	(void)state;
	fresh();
	set_ok("vcpus", "8");
	assert_int_equal(p.vcpus, 8);
	set_ok("vcpus", "01");
	assert_int_equal(p.vcpus, 1);
	set_ok("vcpus", "3");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "vcpus: '%s' is not a number from 1 to 8", bad[i]);
		set_fails("vcpus", bad[i], want);
		assert_int_equal(p.vcpus, 3);
	}
}

static const struct { const char *in; uint64_t mask; } cpus_good[] = {
	{ "0", 0x1 }, { "1", 0x2 }, { "1,2", 0x6 }, { "1-3", 0xe }, { "0,2-3", 0xd },
	{ "3-3", 0x8 }, { "2,1", 0x6 }, { "1,1", 0x2 }, { "0-1,1-2", 0x7 }, { "007", 0x80 },
	{ "63", 1ull << 63 }, { "0-63", UINT64_MAX }, { "62-63,0", 0xc000000000000001ull },
};
static const char *const cpus_bad[] = {
	"", ",", "1,", ",1", "1,,2", "3-1", "a", "1a", "64", "0-64", "1-", "-1", "1--2",
	"1-2-3", " 1", "1 ", "1, 2", "+1", "99999999999999999999", "0x1",
};

static void test_parse_cpus(void **state)
{
	uint64_t mask;

	(void)state;
	for (size_t i = 0; i < sizeof(cpus_good) / sizeof(cpus_good[0]); i++) {
		mask = 0;
		assert_int_equal(vm_parse_cpus(cpus_good[i].in, 64, &mask), 0);
		assert_int_equal(mask, cpus_good[i].mask);
	}
	for (size_t i = 0; i < sizeof(cpus_bad) / sizeof(cpus_bad[0]); i++) {
		mask = 0x1234;
		assert_int_equal(vm_parse_cpus(cpus_bad[i], 64, &mask), -1);
		assert_int_equal(mask, 0x1234);
	}
	/* Against a machine: every CPU named must exist. */
	assert_int_equal(vm_parse_cpus("0-3", 4, &mask), 0);
	assert_int_equal(mask, 0xf);
	assert_int_equal(vm_parse_cpus("4", 4, &mask), -1);
	assert_int_equal(vm_parse_cpus("2-4", 4, &mask), -1);
	assert_int_equal(vm_parse_cpus("0", 1, &mask), 0);
	assert_int_equal(mask, 1);
	assert_int_equal(vm_parse_cpus("0", 0, &mask), -1);
	assert_int_equal(vm_parse_cpus("63", 1000, &mask), 0);
	assert_int_equal(mask, 1ull << 63);
	assert_int_equal(vm_parse_cpus("64", 1000, &mask), -1);
	assert_int_equal(vm_parse_cpus(NULL, 4, &mask), -1);
}

static void test_cpus_key(void **state)
{
	char want[VM_ERR_MAX];

	(void)state;
	fresh();
	for (size_t i = 0; i < sizeof(cpus_good) / sizeof(cpus_good[0]); i++) {
		set_ok("cpus", cpus_good[i].in);
		assert_int_equal(p.cpus, cpus_good[i].mask);
	}
	set_ok("cpus", "1-2");
	for (size_t i = 0; i < sizeof(cpus_bad) / sizeof(cpus_bad[0]); i++) {
		snprintf(want, sizeof(want), "cpus: '%s' is not a CPU list (such as 1,3-5)", cpus_bad[i]);
		set_fails("cpus", cpus_bad[i], want);
		assert_int_equal(p.cpus, 0x6);
	}
}

static void test_cmdline(void **state)
{
	char *v;

	(void)state;
	fresh();
	set_ok("cmdline", "console=ttyS0 quiet  root=/dev/ram0");
	assert_string_equal(p.cmdline, "console=ttyS0 quiet  root=/dev/ram0");
	set_ok("cmdline", "");
	assert_string_equal(p.cmdline, "");
	v = repeat('c', CFG_VALUE_MAX - 1);
	set_ok("cmdline", v);
	free(v);
	v = repeat('c', CFG_VALUE_MAX + 10);
	set_fails("cmdline", v, "cmdline: longer than 255 characters");
	free(v);
}

static void test_modules(void **state)
{
	char v[32];

	(void)state;
	fresh();
	for (unsigned i = 0; i < VM_MODULES_MAX; i++) {
		snprintf(v, sizeof(v), "m%u.bin arg%u", i, i);
		set_ok("module", v);
		assert_int_equal(p.nmodules, i + 1);
		assert_string_equal(p.modules[i], v);
	}
	set_fails("module", "extra.bin", "module: at most 8 modules");
	assert_int_equal(p.nmodules, VM_MODULES_MAX);

	fresh();
	set_fails("module", "", "module: empty (module=FILE)");
	assert_int_equal(p.nmodules, 0);
	char *big = repeat('m', CFG_VALUE_MAX);
	set_fails("module", big, "module: longer than 255 characters");
	free(big);
	assert_int_equal(p.nmodules, 0);
	set_ok("module", "a");
	assert_int_equal(p.nmodules, 1);
}

static void test_autostart(void **state)
{
	static const char *const on[] = { "on", "yes", "true", "1", "ON", "Yes", "TRUE" };
	static const char *const off[] = { "off", "no", "false", "0", "Off", "NO" };
	static const char *const bad[] = { "", "2", "maybe", "onn", "o", "y", " on" };
	char want[VM_ERR_MAX];

	(void)state;
	fresh();
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		p.autostart = false;
		set_ok("autostart", on[i]);
		assert_true(p.autostart);
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		p.autostart = true;
		set_ok("autostart", off[i]);
		assert_false(p.autostart);
	}
	p.autostart = true;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "autostart: '%s' is not on or off", bad[i]);
		set_fails("autostart", bad[i], want);
	}
}

static void test_unknown_and_missing(void **state)
{
	(void)state;
	fresh();
	set_fails("x", "1", "unknown key 'x' (image, kernel, initrd, cmdline, module, mem, vcpus, cpus, autostart, on_crash)");
	set_fails("Image", "a", "unknown key 'Image' (image, kernel, initrd, cmdline, module, mem, vcpus, cpus, autostart, on_crash)");
	set_fails("", "a", "unknown key '' (image, kernel, initrd, cmdline, module, mem, vcpus, cpus, autostart, on_crash)");
	/* The longest key shown still leaves the whole list of keys in VM_ERR_MAX. */
	char *key = repeat('k', 40);
	assert_int_equal(vm_params_set(&p, key, "1", err, sizeof(err)), -1);
	assert_int_equal(strlen(err), 126);
	assert_string_equal(err + strlen(err) - 9, "on_crash)");
	free(key);
	set_fails(NULL, "a", "missing key or value");
	set_fails("image", NULL, "missing key or value");

	/* err is optional, and a short one is truncated, never overrun. */
	assert_int_equal(vm_params_set(&p, "x", "1", NULL, 0), -1);
	char small[8];
	memset(small, 'z', sizeof(small));
	assert_int_equal(vm_params_set(&p, "mem", "3M", small, 5), -1);
	assert_string_equal(small, "mem:");
	assert_int_equal(small[5], 'z');
}

/* Long values are cut in the message, which still fits VM_ERR_MAX. */
static void test_long_value_in_error(void **state)
{
	char *v = repeat('q', 200);

	(void)state;
	fresh();
	assert_int_equal(vm_params_set(&p, "cpus", v, err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...' is not a CPU list (such as 1,3-5)");
	free(v);
}

static void test_check(void **state)
{
	(void)state;
	fresh();
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "image: not given (image=FILE or kernel=FILE)");

	set_ok("image", "g.elf");
	assert_int_equal(vm_params_check(&p, 1, err, sizeof(err)), 0);

	set_ok("cpus", "0-3");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
	assert_int_equal(vm_params_check(&p, 3, err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: CPU 3 does not exist (this machine has 3)");
	set_ok("cpus", "1,5");
	assert_int_equal(vm_params_check(&p, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: CPU 5 does not exist (this machine has 2)");
	set_ok("cpus", "63");
	assert_int_equal(vm_params_check(&p, 64, err, sizeof(err)), 0);
	assert_int_equal(vm_params_check(&p, 200, err, sizeof(err)), 0);
	assert_int_equal(vm_params_check(&p, 63, err, sizeof(err)), -1);
	assert_string_equal(err, "cpus: CPU 63 does not exist (this machine has 63)");

	/* A set built by hand is checked as thoroughly as one from keys. */
	fresh();
	set_ok("image", "g.elf");
	p.vcpus = 0;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "vcpus: 0 is not from 1 to 8");
	p.vcpus = 9;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	p.vcpus = 2;
	p.mem = (3ull << 20);
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "mem: 3145728 bytes is not a multiple of 2 MiB in 2 MiB..64 GiB");
	p.mem = VM_MEM_MAX + (2ull << 20);
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	p.mem = VM_MEM_MAX;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
	p.nmodules = VM_MODULES_MAX + 1;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "module: at most 8 modules");
	p.nmodules = 0;
	memset(p.image, 'i', sizeof(p.image));
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "image: longer than 255 characters");
	strcpy(p.image, "g.elf");
	p.on_crash = 2;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "on_crash: 2 is not stop (0) or restart (1)");
	p.on_crash = VM_ON_CRASH_RESTART;
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);

	/* Unterminated strings are refused, not read past, whichever is set. */
	static const size_t fields[] = {
		offsetof(struct vm_params, kernel), offsetof(struct vm_params, initrd),
		offsetof(struct vm_params, cmdline),
	};
	static const char *const names[] = { "kernel", "initrd", "cmdline" };
	for (size_t i = 0; i < 3; i++) {
		char want[VM_ERR_MAX];

		fresh();
		set_ok("kernel", "vmlinuz");
		memset((char *)&p + fields[i], 'x', CFG_VALUE_MAX);
		assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s: longer than 255 characters", names[i]);
		assert_string_equal(err, want);
	}
}

/* A VM boots an image or a Linux kernel; an initrd goes with the kernel, modules with the image. */
static void test_check_boot_files(void **state)
{
	(void)state;
	fresh();
	set_ok("kernel", "vmlinuz");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
	set_ok("initrd", "initrd.img");
	set_ok("cmdline", "console=ttyS0");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);

	set_ok("image", "g.elf");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "kernel: a VM has image= or kernel=, not both");

	fresh();
	set_ok("image", "g.elf");
	set_ok("initrd", "initrd.img");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "initrd: needs kernel= (it is the Linux kernel's initramfs)");

	fresh();
	set_ok("initrd", "initrd.img");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "image: not given (image=FILE or kernel=FILE)");

	fresh();
	set_ok("kernel", "vmlinuz");
	set_ok("module", "blob.bin");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "module: only for a Multiboot image=, not with kernel=");

	fresh();
	set_ok("image", "mb.elf");
	set_ok("module", "blob.bin");
	set_ok("on_crash", "restart");
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"a", "Z", "0", "linux", "vm-1", "tiny_guest", "A-b_C-9",
		"abcdefghijklmnopqrstuvwxyz01234",
	};
	static const struct { const char *name, *err; } bad[] = {
		{ "x y", "name 'x y' may only have A-Z a-z 0-9 _ -" },
		{ "a.b", "name 'a.b' may only have A-Z a-z 0-9 _ -" },
		{ "vm/1", "name 'vm/1' may only have A-Z a-z 0-9 _ -" },
		{ "caf\xc3\xa9s", "name 'caf??s' may only have A-Z a-z 0-9 _ -" },
		{ "tab\there", "name 'tab?here' may only have A-Z a-z 0-9 _ -" },
		{ "", "name: must have 1 to 31 characters" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		vm_params_init(&p, good[i]);
		set_ok("image", "g.elf");
		assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vm_params_init(&p, bad[i].name);
		set_ok("image", "g.elf");
		assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
		assert_string_equal(err, bad[i].err);
	}
	/* A name field with no terminator is refused, not read past. */
	vm_params_init(&p, "x");
	set_ok("image", "g.elf");
	memset(p.name, 'n', sizeof(p.name));
	assert_int_equal(vm_params_check(&p, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "name: must have 1 to 31 characters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_name_too_long_for_init),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_kernel_initrd),
		cmocka_unit_test(test_on_crash),
		cmocka_unit_test(test_mem),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_parse_cpus),
		cmocka_unit_test(test_cpus_key),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_autostart),
		cmocka_unit_test(test_unknown_and_missing),
		cmocka_unit_test(test_long_value_in_error),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_boot_files),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

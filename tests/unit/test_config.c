/*
 * Host tests of the plinth.cfg parser (core/config.c).  Every input is copied
 * into a heap buffer of exactly its length, so ASan catches any read past len.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static struct config cfg;       /* 75 KiB: too big for a comfortable stack frame */

static int parse_exact(struct config *c, const char *text, size_t len)
{
	char *buf = malloc(len ? len : 1);
	int r;

	assert_non_null(buf);
	memcpy(buf, text, len);
	r = config_parse(c, buf, len);
	free(buf);
	return r;
}

static int parse_str(struct config *c, const char *text)
{
	return parse_exact(c, text, strlen(text));
}

static int vm(const struct config *c, const char *name)
{
	return config_find_section(c, "vm", name);
}

/* Whatever the input, the result stays inside its arrays and is terminated. */
static void check_invariants(const struct config *c)
{
	uint32_t i;

	assert_true(c->nsections >= 1 && c->nsections <= CFG_MAX_SECTIONS);
	assert_true(c->nentries <= CFG_MAX_ENTRIES);
	assert_string_equal(c->sections[0].kind, "plinth");
	assert_string_equal(c->sections[0].name, "");
	for (i = 0; i < c->nsections; i++) {
		assert_non_null(memchr(c->sections[i].kind, 0, CFG_KIND_MAX));
		assert_non_null(memchr(c->sections[i].name, 0, CFG_NAME_MAX));
	}
	for (i = 0; i < c->nentries; i++) {
		assert_true(c->entries[i].section < c->nsections);
		assert_non_null(memchr(c->entries[i].key, 0, CFG_KEY_MAX));
		assert_non_null(memchr(c->entries[i].value, 0, CFG_VALUE_MAX));
		assert_true(c->entries[i].key[0] != '\0');
	}
	for (i = 0; i < c->nerrors && i < CFG_MAX_ERRORS; i++) {
		assert_non_null(memchr(c->errors[i], 0, CFG_ERROR_MAX));
		assert_true(c->errors[i][0] != '\0');
	}
}

/* ---------------------------------------------------------------- valid files */

static const char full_file[] =
	"\xef\xbb\xbf# plinth.cfg used by the tests\r\n"
	"log_level = warn\r\n"
	"; a semicolon comment\n"
	"\n"
	"   \t  \n"
	"[plinth]   # global again\n"
	"autostart=linux  tiny\n"
	"\tempty =\n"
	"[ vm   linux ]\n"
	"kernel   =   vmlinuz\n"
	"initrd\t=\tinitrd.img\n"
	"cmdline = \"console=ttyS0  quiet   \"\n"
	"module = a.bin arg1 arg2\n"
	"module = b.bin\n"
	"mem = 512M\n"
	"mem = 256M\n"
	"note = x=y # kept, no inline comments\n"
	"[vm tiny-2_X]\n"
	"image = tiny.elf\n"
	"[vm linux]\n"
	"vcpus = 2\n"
	"[plinth]\n"
	"log_level = debug";          /* no final newline */

static void test_valid_full(void **state)
{
	uint32_t pos = 0;
	int linux_vm, tiny;

	(void)state;
	assert_int_equal(parse_str(&cfg, full_file), 0);
	check_invariants(&cfg);
	assert_int_equal(cfg.nerrors, 0);
	assert_int_equal(cfg.nsections, 3);

	linux_vm = vm(&cfg, "linux");
	tiny = vm(&cfg, "tiny-2_X");
	assert_int_equal(linux_vm, 1);
	assert_int_equal(tiny, 2);
	assert_int_equal(config_find_section(&cfg, "plinth", ""), 0);
	assert_int_equal(config_find_section(&cfg, "plinth", NULL), 0);
	assert_int_equal(vm(&cfg, "tiny"), -1);
	assert_int_equal(vm(&cfg, "LINUX"), -1);

	assert_string_equal(config_get(&cfg, 0, "log_level"), "debug");
	assert_string_equal(config_get(&cfg, 0, "autostart"), "linux  tiny");
	assert_string_equal(config_get(&cfg, 0, "empty"), "");
	assert_null(config_get(&cfg, 0, "kernel"));

	assert_string_equal(config_get(&cfg, linux_vm, "kernel"), "vmlinuz");
	assert_string_equal(config_get(&cfg, linux_vm, "initrd"), "initrd.img");
	assert_string_equal(config_get(&cfg, linux_vm, "cmdline"), "console=ttyS0  quiet   ");
	assert_string_equal(config_get(&cfg, linux_vm, "mem"), "256M");
	assert_string_equal(config_get(&cfg, linux_vm, "note"), "x=y # kept, no inline comments");
	assert_string_equal(config_get(&cfg, linux_vm, "vcpus"), "2");
	assert_null(config_get(&cfg, linux_vm, "image"));
	assert_string_equal(config_get(&cfg, tiny, "image"), "tiny.elf");
	assert_null(config_get(&cfg, 7, "image"));

	assert_string_equal(config_next(&cfg, linux_vm, "module", &pos), "a.bin arg1 arg2");
	assert_string_equal(config_next(&cfg, linux_vm, "module", &pos), "b.bin");
	assert_null(config_next(&cfg, linux_vm, "module", &pos));
	assert_null(config_next(&cfg, linux_vm, "module", &pos));
	pos = 0;
	assert_string_equal(config_next(&cfg, 0, "log_level", &pos), "warn");
	assert_string_equal(config_next(&cfg, 0, "log_level", &pos), "debug");
	assert_null(config_next(&cfg, 0, "log_level", &pos));
}

static void test_empty_and_comments_only(void **state)
{
	(void)state;
	assert_int_equal(config_parse(&cfg, NULL, 0), 0);
	check_invariants(&cfg);
	assert_int_equal(cfg.nsections, 1);
	assert_int_equal(cfg.nentries, 0);
	assert_int_equal(parse_str(&cfg, "# only\r\n\r\n; comments\n\n"), 0);
	assert_int_equal(cfg.nentries, 0);
	assert_int_equal(config_parse(&cfg, "k = 1", 1), 1);   /* len cuts the line to "k" */
	assert_string_equal(cfg.errors[0], "line 1: expected 'key = value'");
	assert_int_equal(config_parse(NULL, "", 0), -1);
}

static void test_prefixes_never_overread(void **state)
{
	size_t len;

	(void)state;
	for (len = 0; len <= sizeof(full_file) - 1; len++) {
		parse_exact(&cfg, full_file, len);
		check_invariants(&cfg);
	}
}

/* ---------------------------------------------------------------- malformed lines */

struct bad_case {
	const char *line;
	const char *error;      /* full expected text; the bad line is line 2 */
};

static void test_malformed_lines(void **state)
{
	static const struct bad_case cases[] = {
		{ "justakey", "line 2: expected 'key = value'" },
		{ " = x", "line 2: missing key" },
		{ "Key = x", "line 2: bad key (a-z, 0-9, _ only): 'Key'" },
		{ "my-key = x", "line 2: bad key (a-z, 0-9, _ only): 'my-key'" },
		{ "a b = x", "line 2: bad key (a-z, 0-9, _ only): 'a b'" },
		{ "k = \"abc", "line 2: unterminated quote in value" },
		{ "k = \"", "line 2: unterminated quote in value" },
		{ "[vm a", "line 2: missing ']' in section header" },
		{ "[vm a] x", "line 2: text after ']' in section header" },
		{ "[]", "line 2: empty section header" },
		{ "[ \t ]", "line 2: empty section header" },
		{ "[plinth x]", "line 2: [plinth] takes no name" },
		{ "[vm]", "line 2: missing VM name" },
		{ "[vm a b]", "line 2: bad VM name (A-Z, a-z, 0-9, -, _ only): 'a b'" },
		{ "[vm a.b]", "line 2: bad VM name (A-Z, a-z, 0-9, -, _ only): 'a.b'" },
		{ "[VM a]", "line 2: unknown section kind 'VM'" },
		{ "[network]", "line 2: unknown section kind 'network'" },
		{ "k = a\rb", "line 2: bad byte 0x0d at column 6" },
		{ "k = \x7f", "line 2: bad byte 0x7f at column 5" },
		{ "# caf\xc3\xa9", "line 2: bad byte 0xc3 at column 6" },
		{ "\x1b[31m = red", "line 2: bad byte 0x1b at column 1" },
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "ok = 1\n%s\n[vm after]\nz = 2\n", cases[i].line);
		assert_int_equal(parse_str(&cfg, text), 1);
		check_invariants(&cfg);
		assert_string_equal(cfg.errors[0], cases[i].error);
		/* Parsing goes on around the bad line. */
		assert_string_equal(config_get(&cfg, 0, "ok"), "1");
		assert_true(vm(&cfg, "after") > 0);
		assert_string_equal(config_get(&cfg, vm(&cfg, "after"), "z"), "2");
		assert_null(config_get(&cfg, 0, "k"));
	}
}

static void test_nul_byte_rejects_line(void **state)
{
	static const char text[] = "a = 1\nk = x\0y\nb = 2\n";

	(void)state;
	assert_int_equal(parse_exact(&cfg, text, sizeof(text) - 1), 1);
	assert_string_equal(cfg.errors[0], "line 2: bad byte 0x00 at column 6");
	assert_null(config_get(&cfg, 0, "k"));
	assert_string_equal(config_get(&cfg, 0, "a"), "1");
	assert_string_equal(config_get(&cfg, 0, "b"), "2");
}

static void test_length_limits(void **state)
{
	char *text = malloc(4096);
	char key[40], val[300];

	(void)state;
	assert_non_null(text);
	/* 31-char key ok, 32 rejected. */
	memset(key, 'k', 31);
	key[31] = '\0';
	snprintf(text, 4096, "%s = 1\n%sx = 2\n", key, key);
	assert_int_equal(parse_str(&cfg, text), 1);
	assert_string_equal(config_get(&cfg, 0, key), "1");
	assert_string_equal(cfg.errors[0],
			    "line 2: key too long (max 31 chars): 'kkkkkkkkkkkkkkkkkkkkkkkk...'");

	/* 255-char value ok (also when quoted), 256 rejected. */
	memset(val, 'v', 255);
	val[255] = '\0';
	snprintf(text, 4096, "a = %s\nb = \"%s\"\nc = %sv\n", val, val, val);
	assert_int_equal(parse_str(&cfg, text), 1);
	assert_string_equal(config_get(&cfg, 0, "a"), val);
	assert_string_equal(config_get(&cfg, 0, "b"), val);
	assert_null(config_get(&cfg, 0, "c"));
	assert_string_equal(cfg.errors[0], "line 3: value too long (max 255 chars)");

	/* 31-char VM name ok, 32 rejected, and its keys dropped. */
	memset(key, 'n', 31);
	key[31] = '\0';
	snprintf(text, 4096, "[vm %s]\nx = 1\n[vm %sn]\ny = 2\n", key, key);
	assert_int_equal(parse_str(&cfg, text), 1);
	assert_int_equal(vm(&cfg, key), 1);
	assert_string_equal(config_get(&cfg, 1, "x"), "1");
	assert_int_equal(cfg.nentries, 1);
	assert_string_equal(cfg.errors[0],
			    "line 3: VM name too long (max 31 chars): 'nnnnnnnnnnnnnnnnnnnnnnnn...'");

	/* A 1024-byte line is fine, 1025 is not, even as a comment. */
	memset(text, ' ', 4096);
	memcpy(text, "a = 1", 5);
	text[1024] = '\n';
	text[1025] = '#';
	text[1025 + 1025] = '\n';
	memcpy(text + 2051, "b = 2\n", 6);
	assert_int_equal(parse_exact(&cfg, text, 2057), 1);
	assert_string_equal(config_get(&cfg, 0, "a"), "1");
	assert_string_equal(config_get(&cfg, 0, "b"), "2");
	assert_string_equal(cfg.errors[0], "line 2: line too long (max 1024 bytes)");
	free(text);
}

static void test_unknown_section_drops_its_keys(void **state)
{
	static const char text[] =
		"[net]\n"
		"a = 1\n"
		"Bad Line\n"            /* inside the dropped section: no second error */
		"b = 2\n"
		"[vm x]\n"
		"c = 3\n"
		"[vm bad name]\n"
		"d = 4\n"
		"[plinth]\n"
		"e = 5\n";

	(void)state;
	assert_int_equal(parse_str(&cfg, text), 2);
	assert_string_equal(cfg.errors[0], "line 1: unknown section kind 'net'");
	assert_string_equal(cfg.errors[1],
			    "line 7: bad VM name (A-Z, a-z, 0-9, -, _ only): 'bad name'");
	assert_int_equal(cfg.nentries, 2);
	assert_string_equal(config_get(&cfg, vm(&cfg, "x"), "c"), "3");
	assert_string_equal(config_get(&cfg, 0, "e"), "5");
	assert_null(config_get(&cfg, 0, "a"));
	assert_null(config_get(&cfg, 0, "d"));
	assert_null(config_get(&cfg, vm(&cfg, "x"), "d"));
}

static void test_bad_header_bytes_drop_keys(void **state)
{
	static const char text[] = "[vm \x01x]\nk = 1\n[vm y]\nk = 2\n";

	(void)state;
	assert_int_equal(parse_str(&cfg, text), 1);
	assert_string_equal(cfg.errors[0], "line 1: bad byte 0x01 at column 5");
	assert_int_equal(cfg.nentries, 1);
	assert_string_equal(config_get(&cfg, vm(&cfg, "y"), "k"), "2");
}

static void test_error_slots_overflow(void **state)
{
	char text[512] = "";
	int i;

	(void)state;
	for (i = 0; i < 20; i++)
		strcat(text, "bad\n");
	strcat(text, "good = yes\n");
	assert_int_equal(parse_str(&cfg, text), 20);
	assert_int_equal(cfg.nerrors, 20);
	assert_string_equal(cfg.errors[0], "line 1: expected 'key = value'");
	assert_string_equal(cfg.errors[CFG_MAX_ERRORS - 1], "line 8: expected 'key = value'");
	assert_string_equal(config_get(&cfg, 0, "good"), "yes");
}

/* ---------------------------------------------------------------- binary garbage */

static uint32_t rng_state;

static uint32_t rng_next(void)
{
	/* Numerical Recipes LCG: fixed seed, same bytes on every run. */
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

static void test_random_bytes(void **state)
{
	char buf[4096];
	size_t i;
	int seed;

	(void)state;
	for (seed = 1; seed <= 16; seed++) {
		rng_state = (uint32_t)seed;
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (char)rng_next();
		assert_true(parse_exact(&cfg, buf, sizeof(buf)) > 0);
		check_invariants(&cfg);
		assert_true(cfg.nerrors > 0);
	}
}

static void test_all_byte_values(void **state)
{
	char buf[256], line[8];
	int b, expect_ok;

	(void)state;
	for (b = 0; b < 256; b++)
		buf[b] = (char)b;
	assert_true(parse_exact(&cfg, buf, sizeof(buf)) > 0);
	check_invariants(&cfg);
	for (b = 255; b >= 0; b--)
		buf[255 - b] = (char)b;
	assert_true(parse_exact(&cfg, buf, sizeof(buf)) > 0);
	check_invariants(&cfg);

	/* Each byte value inside a value: printable ASCII and tab are kept. */
	for (b = 0; b < 256; b++) {
		memcpy(line, "k = a", 5);
		line[5] = (char)b;
		line[6] = 'b';
		parse_exact(&cfg, line, 7);
		check_invariants(&cfg);
		expect_ok = b == '\t' || (b >= 0x20 && b < 0x7f);
		if (expect_ok) {
			assert_int_equal(cfg.nerrors, 0);
			assert_int_equal(cfg.nentries, 1);
			assert_memory_equal(config_get(&cfg, 0, "k"), line + 4, 3);
		} else if (b == '\n') {
			assert_int_equal(cfg.nerrors, 1);
			assert_string_equal(config_get(&cfg, 0, "k"), "a");
			assert_string_equal(cfg.errors[0], "line 2: expected 'key = value'");
		} else {
			assert_int_equal(cfg.nerrors, 1);
			assert_int_equal(cfg.nentries, 0);
			assert_non_null(strstr(cfg.errors[0], "line 1: bad byte 0x"));
		}
	}
}

static void test_structured_garbage(void **state)
{
	static const char alphabet[] = "[]=#; \t\r\n\"vmplinthk_-aZ0.\0\xff";
	char buf[3000];
	size_t i;
	int round;

	(void)state;
	rng_state = 0x5eed;
	for (round = 0; round < 300; round++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = alphabet[rng_next() % (sizeof(alphabet) - 1)];
		parse_exact(&cfg, buf, sizeof(buf));
		check_invariants(&cfg);
	}
}

/* ---------------------------------------------------------------- capacity */

static void test_section_limit(void **state)
{
	static char text[8192];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i < CFG_MAX_SECTIONS; i++)          /* one more than fits with [plinth] */
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[vm v%d]\nid = %d\n", i, i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "[vm v3]\nlate = yes\n");
	assert_int_equal(parse_exact(&cfg, text, n), 1);
	check_invariants(&cfg);
	assert_int_equal(cfg.nsections, CFG_MAX_SECTIONS);
	assert_string_equal(cfg.errors[0], "line 63: too many sections (max 32), section dropped");
	assert_string_equal(config_get(&cfg, vm(&cfg, "v30"), "id"), "30");
	assert_int_equal(vm(&cfg, "v31"), -1);
	assert_int_equal(cfg.nentries, CFG_MAX_SECTIONS);       /* 31 ids + late */
	assert_string_equal(config_get(&cfg, vm(&cfg, "v3"), "late"), "yes");

	/* Overrides cannot add a section either, but can fill existing ones. */
	assert_int_equal(config_set(&cfg, "vm.new.mem=1G"), -1);
	assert_string_equal(cfg.errors[1], "option 'vm.new.mem=1G': too many sections (max 32)");
	assert_int_equal(config_set(&cfg, "vm.v0.mem=1G"), 0);
	assert_string_equal(config_get(&cfg, 1, "mem"), "1G");
}

static void test_entry_limit(void **state)
{
	static char text[16384];
	size_t n = 0;
	int i;

	(void)state;
	for (i = 0; i < CFG_MAX_ENTRIES + 2; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "module = m%d\n", i);
	assert_int_equal(parse_exact(&cfg, text, n), 2);
	check_invariants(&cfg);
	assert_int_equal(cfg.nentries, CFG_MAX_ENTRIES);
	assert_string_equal(cfg.errors[0], "line 257: too many entries (max 256), line dropped");
	assert_string_equal(cfg.errors[1], "line 258: too many entries (max 256), line dropped");
	assert_string_equal(config_get(&cfg, 0, "module"), "m255");

	/* Replacing an existing key needs no new slot; adding one fails. */
	assert_int_equal(config_set(&cfg, "module=last"), 0);
	assert_string_equal(config_get(&cfg, 0, "module"), "last");
	assert_int_equal(config_set(&cfg, "other=1"), -1);
	assert_int_equal(config_set(&cfg, "vm.a.k=1"), -1);
	assert_int_equal(vm(&cfg, "a"), -1);      /* nothing half-created */
	assert_int_equal(cfg.nsections, 1);
}

/* ---------------------------------------------------------------- overrides */

static void test_config_set(void **state)
{
	uint32_t pos = 0;
	int lin;

	(void)state;
	parse_str(&cfg, "log_level = info\n[vm linux]\nmodule = a\nmodule = b\nmem = 1G\n");
	lin = vm(&cfg, "linux");

	assert_int_equal(config_set(&cfg, "log_level=debug"), 0);
	assert_string_equal(config_get(&cfg, 0, "log_level"), "debug");
	assert_int_equal(config_set(&cfg, "autostart=linux"), 0);
	assert_string_equal(config_get(&cfg, 0, "autostart"), "linux");
	assert_int_equal(config_set(&cfg, "vm.linux.mem=2G"), 0);
	assert_string_equal(config_get(&cfg, lin, "mem"), "2G");
	assert_null(config_get(&cfg, 0, "mem"));

	/* Only the last of a repeated key is replaced. */
	assert_int_equal(config_set(&cfg, "vm.linux.module=c"), 0);
	assert_string_equal(config_next(&cfg, lin, "module", &pos), "a");
	assert_string_equal(config_next(&cfg, lin, "module", &pos), "c");
	assert_null(config_next(&cfg, lin, "module", &pos));

	/* A new VM section appears when missing. */
	assert_int_equal(config_set(&cfg, "vm.tiny-1.image=\"t i.elf\""), 0);
	assert_int_equal(vm(&cfg, "tiny-1"), 2);
	assert_string_equal(config_get(&cfg, 2, "image"), "t i.elf");
	assert_int_equal(config_set(&cfg, "vm.tiny-1.vcpus="), 0);
	assert_string_equal(config_get(&cfg, 2, "vcpus"), "");
	assert_int_equal(config_set(&cfg, "cmdline=a=b"), 0);
	assert_string_equal(config_get(&cfg, 0, "cmdline"), "a=b");
	assert_int_equal(cfg.nerrors, 0);
}

static void test_config_set_malformed(void **state)
{
	static const struct bad_case cases[] = {
		{ "noequals", "option 'noequals': expected key=value" },
		{ "=1", "option '=1': missing key" },
		{ "Key=1", "option 'Key=1': bad key (a-z, 0-9, _ only)" },
		{ "vm.a=1", "option 'vm.a=1': expected vm.NAME.key=value" },
		{ "vm..k=1", "option 'vm..k=1': missing VM name" },
		{ "vm.a.=1", "option 'vm.a.=1': missing key" },
		{ "vm.a!.k=1", "option 'vm.a!.k=1': bad VM name (A-Z, a-z, 0-9, -, _ only)" },
		{ "vm.a.b.c=1", "option 'vm.a.b.c=1': bad key (a-z, 0-9, _ only)" },
		{ "k=\"x", "option 'k=\"x': unterminated quote in value" },
		{ "k=a\x01", "option 'k=a?': control or non-ASCII byte in value" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&cfg);
		assert_int_equal(config_set(&cfg, cases[i].line), -1);
		assert_int_equal(cfg.nerrors, 1);
		assert_string_equal(cfg.errors[0], cases[i].error);
		assert_int_equal(cfg.nentries, 0);
		assert_int_equal(cfg.nsections, 1);
	}
	assert_int_equal(config_set(&cfg, NULL), -1);
	assert_int_equal(config_set(NULL, "a=1"), -1);
}

static void test_apply_options(void **state)
{
	int lin;

	(void)state;
	parse_str(&cfg, "log_level = info\n[vm linux]\ncmdline = quiet\n");
	lin = vm(&cfg, "linux");
	assert_int_equal(config_apply_options(&cfg,
		"\\EFI\\BOOT\\BOOTX64.EFI  log_level=debug\tvm.linux.cmdline=\"console=ttyS0 quiet\" "
		"stray vm.x.Bad=1 config=alt.cfg Bad=2 vm.linux.vcpus=4\r\n"), 2);
	assert_string_equal(config_get(&cfg, 0, "log_level"), "debug");
	assert_string_equal(config_get(&cfg, lin, "cmdline"), "console=ttyS0 quiet");
	assert_string_equal(config_get(&cfg, lin, "vcpus"), "4");
	assert_string_equal(config_get(&cfg, 0, "config"), "alt.cfg");
	assert_null(config_get(&cfg, 0, "stray"));
	assert_int_equal(vm(&cfg, "x"), -1);
	assert_int_equal(cfg.nerrors, 2);
	assert_string_equal(cfg.errors[0], "option 'vm.x.Bad=1': bad key (a-z, 0-9, _ only)");
	assert_string_equal(cfg.errors[1], "option 'Bad=2': bad key (a-z, 0-9, _ only)");

	assert_int_equal(config_apply_options(&cfg, ""), 0);
	assert_int_equal(config_apply_options(&cfg, " \t "), 0);
	assert_int_equal(config_apply_options(&cfg, NULL), 0);
	assert_int_equal(config_apply_options(&cfg, "plinth.efi"), 0);
	/* An unbalanced quote runs to the end of the string, and is one bad word. */
	assert_int_equal(config_apply_options(&cfg, "a=\"x y"), 1);
	assert_null(config_get(&cfg, 0, "a"));
}

/* ---------------------------------------------------------------- helpers */

static void test_key_is_file(void **state)
{
	(void)state;
	assert_true(config_key_is_file("image"));
	assert_true(config_key_is_file("kernel"));
	assert_true(config_key_is_file("initrd"));
	assert_true(config_key_is_file("module"));
	assert_false(config_key_is_file("cmdline"));
	assert_false(config_key_is_file("mem"));
	assert_false(config_key_is_file("images"));
	assert_false(config_key_is_file("imag"));
	assert_false(config_key_is_file(""));
	assert_false(config_key_is_file(NULL));
}

static void test_parse_size(void **state)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "0", 0 }, { "512", 512 }, { "007", 7 }, { "64K", 64ull << 10 },
		{ "64k", 64ull << 10 }, { "64KiB", 64ull << 10 }, { "64kib", 64ull << 10 },
		{ "16M", 16ull << 20 }, { "16MiB", 16ull << 20 }, { "16mIb", 16ull << 20 },
		{ "1G", 1ull << 30 }, { "3GiB", 3ull << 30 }, { "0G", 0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
	};
	static const char *const bad[] = {
		"", "K", "-1", "+1", " 1", "1 ", "1KB", "1T", "1Kx", "1GiBs", "1.5G", "0x10",
		"18446744073709551616", "99999999999999999999999", "17179869184G",
		"18014398509481984K", "1M1",
	};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		assert_int_equal(config_parse_size(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		assert_int_equal(config_parse_size(bad[i], &v), -1);
		assert_true(v == 12345);
	}
	assert_int_equal(config_parse_size(NULL, &v), -1);
	assert_int_equal(config_parse_size("1", NULL), -1);
}

static void test_queries_guard(void **state)
{
	uint32_t pos = 1000;

	(void)state;
	parse_str(&cfg, "a = 1\n");
	assert_null(config_get(NULL, 0, "a"));
	assert_null(config_get(&cfg, 0, NULL));
	assert_null(config_get(&cfg, 1, "a"));
	assert_null(config_next(&cfg, 0, "a", &pos));
	assert_null(config_next(&cfg, 0, "a", NULL));
	assert_int_equal(config_find_section(NULL, "vm", "x"), -1);
	assert_int_equal(config_find_section(&cfg, NULL, "x"), -1);
	/* Counts damaged in transit are clamped, never trusted. */
	cfg.nentries = 100000;
	cfg.nsections = 100000;
	assert_null(config_get(&cfg, 40, "zz"));
	assert_int_equal(config_find_section(&cfg, "vm", "nope"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_empty_and_comments_only),
		cmocka_unit_test(test_prefixes_never_overread),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_nul_byte_rejects_line),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_unknown_section_drops_its_keys),
		cmocka_unit_test(test_bad_header_bytes_drop_keys),
		cmocka_unit_test(test_error_slots_overflow),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_all_byte_values),
		cmocka_unit_test(test_structured_garbage),
		cmocka_unit_test(test_section_limit),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_config_set),
		cmocka_unit_test(test_config_set_malformed),
		cmocka_unit_test(test_apply_options),
		cmocka_unit_test(test_key_is_file),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_queries_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

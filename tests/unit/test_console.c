/*
 * Host unit tests for console dispatch (core/cmd.c), the prompt path
 * (core/console.c: console_feed, `version`) and the `log` command
 * (core/log_cmd.c).  Output is captured by pointing fd 1 at a temp file.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "console.h"
#include "log.h"
#include "drivers/uart.h"
#include <arch/cpu.h>

/* ---------------------------------------------------------------- fakes */

const char plinth_build_id[] = "testbuild42";

int uart_getc(void)
{
	return -1;
}

/* console_main's VM hooks: never reached by these tests. */
void vm_poll(void) {}
bool vm_poll_pending(void) { return false; }

static uint64_t fake_hz = 1000000000;
uint64_t tsc_hz(void)
{
	return fake_hz;
}

struct fake_line { enum log_level lvl; uint64_t tsc; const char *text; };
static const struct fake_line fake_ring[] = {
	{ LOG_INFO, 12345678901ull, "plinth starting" },
	{ LOG_WARN, 13000000000ull, "acpi: bad checksum in HPET, skipped" },
	{ LOG_DEBUG, 999ull, "early" },
	{ LOG_ERR, 123456000000000ull, "late" },
};
static size_t fake_lines = 4;
static uint64_t fake_dropped;

struct log_stats log_foreach(void (*fn)(enum log_level, uint64_t, const char *, void *), void *arg)
{
	for (size_t i = 0; i < fake_lines; i++)
		fn(fake_ring[i].lvl, fake_ring[i].tsc, fake_ring[i].text, arg);
	return (struct log_stats){ .lines = fake_lines, .dropped = fake_dropped };
}

static enum log_level fake_level = LOG_INFO;
void log_set_console_level(enum log_level lvl) { fake_level = lvl; }
enum log_level log_console_level(void) { return fake_level; }

static const char *const fake_names[] = { "debug", "info", "warn", "err" };
const char *log_level_name(enum log_level lvl)
{
	return (unsigned)lvl < 4 ? fake_names[lvl] : "?";
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, fake_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* ---------------------------------------------------------------- test commands */

static int echo_argc;
static char echo_argv[CONSOLE_MAX_ARGS][64];
static int echo_calls;

static int cmd_t_echo(int argc, char **argv)
{
	echo_calls++;
	echo_argc = argc;
	for (int i = 0; i < argc && i < CONSOLE_MAX_ARGS; i++)
		snprintf(echo_argv[i], sizeof(echo_argv[i]), "%s", argv[i]);
	printf("echoed %d\n", argc);
	return 0;
}

static int cmd_t_fail(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("error: t_fail always fails\n");
	return 3;
}

/* Registered out of order on purpose: help must sort. */
CONSOLE_CMD(t_fail_entry, "t_fail", "", "a command that fails", cmd_t_fail);
CONSOLE_CMD(t_echo_entry, "t_echo", "<args...>", "record its arguments", cmd_t_echo);
CONSOLE_CMD(t_aaa_entry, "aaa", "", "sorts first", cmd_t_fail);

/* ---------------------------------------------------------------- capture */

static FILE *cap_file;
static int cap_saved_fd = -1;
static char cap_buf[256 * 1024];

static void capture_begin(void)
{
	fflush(stdout);
	cap_file = tmpfile();
	assert_non_null(cap_file);
	cap_saved_fd = dup(STDOUT_FILENO);
	assert_true(cap_saved_fd >= 0);
	assert_true(dup2(fileno(cap_file), STDOUT_FILENO) >= 0);
}

/* Everything printed since capture_begin(), NUL-terminated. */
static const char *capture_end(void)
{
	fflush(stdout);
	assert_true(dup2(cap_saved_fd, STDOUT_FILENO) >= 0);
	close(cap_saved_fd);
	rewind(cap_file);
	size_t n = fread(cap_buf, 1, sizeof(cap_buf) - 1, cap_file);
	cap_buf[n] = '\0';
	fclose(cap_file);
	return cap_buf;
}

static int run(const char *line, const char **out)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", line);
	capture_begin();
	int rc = console_execute(buf);
	*out = capture_end();
	return rc;
}

static int setup(void **state)
{
	(void)state;
	echo_calls = 0;
	echo_argc = -1;
	fake_lines = 4;
	fake_dropped = 0;
	fake_hz = 1000000000;
	fake_level = LOG_INFO;
	return 0;
}

/* ---------------------------------------------------------------- tokeniser */

static void test_tokenise_spaces(void **state)
{
	(void)state;
	char line[] = "  cmd\t a   b\t\tc  ";
	char *argv[CONSOLE_MAX_ARGS + 1];
	assert_int_equal(console_tokenise(line, argv, CONSOLE_MAX_ARGS), 4);
	assert_string_equal(argv[0], "cmd");
	assert_string_equal(argv[1], "a");
	assert_string_equal(argv[2], "b");
	assert_string_equal(argv[3], "c");
	assert_null(argv[4]);

	char blank[] = " \t  ";
	assert_int_equal(console_tokenise(blank, argv, CONSOLE_MAX_ARGS), 0);
	char empty[] = "";
	assert_int_equal(console_tokenise(empty, argv, CONSOLE_MAX_ARGS), 0);
}

static void test_tokenise_quotes(void **state)
{
	(void)state;
	char line[] = "say \"hello  world\" a\"b c\"d \"\" \"q\\\"uo\\\\te\" x\\y";
	char *argv[CONSOLE_MAX_ARGS + 1];
	assert_int_equal(console_tokenise(line, argv, CONSOLE_MAX_ARGS), 6);
	assert_string_equal(argv[0], "say");
	assert_string_equal(argv[1], "hello  world");
	assert_string_equal(argv[2], "ab cd");
	assert_string_equal(argv[3], "");
	assert_string_equal(argv[4], "q\"uo\\te");
	assert_string_equal(argv[5], "x\\y");      /* backslash is literal outside quotes */

	char open[] = "say \"never closed";
	assert_int_equal(console_tokenise(open, argv, CONSOLE_MAX_ARGS), CONSOLE_EQUOTE);
	char esc_end[] = "say \"ends in escape\\\"";
	assert_int_equal(console_tokenise(esc_end, argv, CONSOLE_MAX_ARGS), CONSOLE_EQUOTE);
}

static void test_tokenise_limit(void **state)
{
	(void)state;
	char *argv[CONSOLE_MAX_ARGS + 1];
	char sixteen[] = "a b c d e f g h i j k l m n o p";
	assert_int_equal(console_tokenise(sixteen, argv, CONSOLE_MAX_ARGS), 16);
	assert_string_equal(argv[15], "p");
	char seventeen[] = "a b c d e f g h i j k l m n o p q";
	assert_int_equal(console_tokenise(seventeen, argv, CONSOLE_MAX_ARGS), CONSOLE_ETOOMANY);
	/* Trailing blanks after the 16th word are not a 17th. */
	char trailing[] = "a b c d e f g h i j k l m n o p   ";
	assert_int_equal(console_tokenise(trailing, argv, CONSOLE_MAX_ARGS), 16);
}

/* ---------------------------------------------------------------- dispatch */

static void test_execute_found(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("t_echo one \"two three\"", &out), 0);
	assert_int_equal(echo_calls, 1);
	assert_int_equal(echo_argc, 3);
	assert_string_equal(echo_argv[0], "t_echo");
	assert_string_equal(echo_argv[2], "two three");
	assert_string_equal(out, "echoed 3\n");

	assert_int_equal(run("t_fail", &out), 3);
	assert_string_equal(out, "error: t_fail always fails\n");

	assert_int_equal(run("   ", &out), 0);
	assert_string_equal(out, "");
	assert_int_equal(echo_calls, 1);
}

static void test_execute_too_many(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("t_echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", &out), 0);
	assert_int_equal(echo_argc, 16);
	assert_int_equal(run("t_echo 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", &out), -1);
	assert_string_equal(out, "error: too many arguments (max 16)\n");
	assert_int_equal(echo_calls, 1);
	assert_int_equal(run("t_echo \"x", &out), -1);
	assert_string_equal(out, "error: unterminated quote\n");
	assert_int_equal(echo_calls, 1);
}

static void test_execute_unknown(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("xyz 1 2", &out), -1);
	assert_string_equal(out, "error: unknown command 'xyz' (try 'help')\n");
	/* Prefixes and case variants are not commands. */
	assert_int_equal(run("t_ech", &out), -1);
	assert_int_equal(run("T_ECHO", &out), -1);
	assert_int_equal(echo_calls, 0);
	/* Names are shown safely even if a caller passes raw bytes. */
	assert_int_equal(run("\x01" "a\x7f\xc3", &out), -1);
	assert_string_equal(out, "error: unknown command '?a?" "?' (try 'help')\n");
	assert_int_equal(run("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &out), -1);
	assert_string_equal(out, "error: unknown command 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' "
			    "(try 'help')\n");
}

static void test_find(void **state)
{
	(void)state;
	const struct console_cmd *c = console_find("t_echo");
	assert_non_null(c);
	assert_ptr_equal(c->run, cmd_t_echo);
	assert_non_null(console_find("help"));
	assert_non_null(console_find("version"));
	assert_non_null(console_find("log"));
	assert_null(console_find(""));
	assert_null(console_find("nope"));
	/* help, version, log and the three test commands. */
	assert_int_equal(__stop_plinth_cmds - __start_plinth_cmds, 6);
}

/* ---------------------------------------------------------------- help, version */

static void test_help_lists_sorted(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("help", &out), 0);
	const char *names[] = { "  aaa ", "  help [command]", "  log [N]", "  t_echo <args...>",
				"  t_fail ", "  version " };
	const char *prev = out;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *at = strstr(out, names[i]);
		if (!at || at < prev)
			fail_msg("'%s' missing or out of order in:\n%s", names[i], out);
		prev = at;
	}
	assert_non_null(strstr(out, "record its arguments\n"));
	/* One line per command, help texts in one column. */
	int lines = 0;
	long column = -1;
	for (const char *l = out; *l; l = strchr(l, '\n') + 1) {
		lines++;
		const char *h = strstr(l, "  list the commands");
		if (h && h < strchr(l, '\n'))
			column = h - l;
		const char *r = strstr(l, "  record its");
		if (r && r < strchr(l, '\n'))
			assert_int_equal(r - l, column);
	}
	assert_int_equal(lines, 6);
	assert_true(column > 0);
}

static void test_help_one(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("help t_echo", &out), 0);
	assert_string_equal(out, "usage: t_echo <args...>\n  record its arguments\n");
	assert_int_equal(run("help version", &out), 0);
	assert_string_equal(out, "usage: version\n  show the version and build id\n");
	assert_int_equal(run("help nope", &out), 1);
	assert_string_equal(out, "error: unknown command 'nope' (try 'help')\n");
	assert_int_equal(run("help a b", &out), 1);
	assert_string_equal(out, "error: usage: help [command]\n");
}

static void test_version(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("version", &out), 0);
	const char *head = "plinth " PLINTH_VERSION " (build testbuild42)\nbuilt ";
	assert_true(strncmp(out, head, strlen(head)) == 0);
	assert_non_null(strstr(out, __DATE__));
	assert_int_equal(run("version x", &out), 1);
	assert_string_equal(out, "error: usage: version\n");
}

/* ---------------------------------------------------------------- log */

static void test_log_all(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("log", &out), 0);
	assert_string_equal(out,
		"[  12.345678] INFO  plinth starting\n"
		"[  13.000000] WARN  acpi: bad checksum in HPET, skipped\n"
		"[   0.000000] DEBUG early\n"
		"[123456.000000] ERR   late\n");

	fake_dropped = 17;
	fake_lines = 1;
	fake_hz = 3;   /* odd rate: 12345678901 ticks = 4115226300.333333 s */
	assert_int_equal(run("log", &out), 0);
	assert_string_equal(out,
		"[4115226300.333333] INFO  plinth starting\n"
		"-- 17 older lines were overwritten --\n");

	fake_hz = 0;   /* not calibrated yet: raw ticks */
	assert_int_equal(run("log", &out), 0);
	assert_string_equal(out, "[tsc 12345678901] INFO  plinth starting\n"
			    "-- 17 older lines were overwritten --\n");
}

static void test_log_last(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("log 2", &out), 0);
	assert_string_equal(out, "[   0.000000] DEBUG early\n[123456.000000] ERR   late\n");
	assert_int_equal(run("log 100", &out), 0);
	assert_non_null(strstr(out, "plinth starting"));
	for (const char *bad = "0\0-1\0abc\0" "12x\0" "9999999999\0"; *bad; bad += strlen(bad) + 1) {
		char line[32];
		snprintf(line, sizeof(line), "log %s", bad);
		assert_int_equal(run(line, &out), 1);
		assert_true(strncmp(out, "error: '", 8) == 0);
	}
	assert_int_equal(run("log 1 2", &out), 1);
	assert_true(strncmp(out, "error: usage: log", 17) == 0);
}

static void test_log_level(void **state)
{
	(void)state;
	const char *out;
	assert_int_equal(run("log level", &out), 0);
	assert_string_equal(out, "console log level: info\n");
	assert_int_equal(run("log level debug", &out), 0);
	assert_int_equal(fake_level, LOG_DEBUG);
	assert_string_equal(out, "console log level: debug\n");
	assert_int_equal(run("log level loud", &out), 1);
	assert_string_equal(out, "error: unknown log level 'loud' (debug, info, warn or err)\n");
	assert_int_equal(fake_level, LOG_DEBUG);
	assert_int_equal(run("log level err x", &out), 1);
	assert_int_equal(fake_level, LOG_DEBUG);
}

/* ---------------------------------------------------------------- the prompt path */

static const char *feed_all(const char *s, size_t len)
{
	capture_begin();
	for (size_t i = 0; i < len; i++)
		console_feed((uint8_t)s[i]);
	return capture_end();
}

static void test_feed_line(void **state)
{
	(void)state;
	const char *out = feed_all("t_echo hi\r\n", 11);
	assert_string_equal(out, "t_echo hi\r\nechoed 2\n" CONSOLE_PROMPT);
	out = feed_all("nope\r", 5);
	assert_string_equal(out, "nope\r\nerror: unknown command 'nope' (try 'help')\n"
			    CONSOLE_PROMPT);
	out = feed_all("abc\x03", 4);
	assert_string_equal(out, "abc^C\r\n" CONSOLE_PROMPT);
	out = feed_all("\r", 1);
	assert_string_equal(out, "\r\n" CONSOLE_PROMPT);
	/* Up recalls the last line that ran, and the console runs it again. */
	out = feed_all("\x1b[A\r", 4);
	assert_string_equal(out, "nope\r\nerror: unknown command 'nope' (try 'help')\n"
			    CONSOLE_PROMPT);
}

static void test_feed_garbage(void **state)
{
	(void)state;
	static char big[10001];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\r';
	const char *out = feed_all(big, sizeof(big));
	assert_non_null(strstr(out, "\r\nerror: line too long (max 255 characters)\n"
			       CONSOLE_PROMPT));

	static char junk[4096 + 9];
	uint32_t x = 0x9e3779b9;
	for (int i = 0; i < 4096; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)(x >> 23);
	}
	memcpy(junk + 4096, "\x03version\r", 9);
	out = feed_all(junk, sizeof(junk));
	const char *tail = "^C\r\n" CONSOLE_PROMPT "version\r\nplinth " PLINTH_VERSION
			   " (build testbuild42)\n";
	assert_non_null(strstr(out, tail));

	out = feed_all("a\xfe\r", 3);
	assert_string_equal(out, "a\r\nerror: line contains non-text bytes\n" CONSOLE_PROMPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tokenise_spaces, setup),
		cmocka_unit_test_setup(test_tokenise_quotes, setup),
		cmocka_unit_test_setup(test_tokenise_limit, setup),
		cmocka_unit_test_setup(test_execute_found, setup),
		cmocka_unit_test_setup(test_execute_too_many, setup),
		cmocka_unit_test_setup(test_execute_unknown, setup),
		cmocka_unit_test_setup(test_find, setup),
		cmocka_unit_test_setup(test_help_lists_sorted, setup),
		cmocka_unit_test_setup(test_help_one, setup),
		cmocka_unit_test_setup(test_version, setup),
		cmocka_unit_test_setup(test_log_all, setup),
		cmocka_unit_test_setup(test_log_last, setup),
		cmocka_unit_test_setup(test_log_level, setup),
		cmocka_unit_test_setup(test_feed_line, setup),
		cmocka_unit_test_setup(test_feed_garbage, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

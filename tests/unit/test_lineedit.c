/* Host unit tests for the console line editor (core/lineedit.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lineedit.h"

/* Everything the editor echoes, so each test can compare it byte for byte. */
static char echo[64 * 1024];
static size_t echo_len;

static void capture(void *ctx, const char *s, size_t len)
{
	assert_ptr_equal(ctx, echo);
	assert_true(echo_len + len <= sizeof(echo));
	memcpy(echo + echo_len, s, len);
	echo_len += len;
}

static struct lineedit le;

static int setup(void **state)
{
	(void)state;
	echo_len = 0;
	lineedit_init(&le, capture, echo);
	return 0;
}

static void echo_reset(void)
{
	echo_len = 0;
}

static void assert_echo(const char *want, size_t want_len)
{
	if (echo_len != want_len || memcmp(echo, want, want_len) != 0) {
		print_error("echo: got %zu bytes '%.*s', want %zu bytes '%.*s'\n", echo_len,
			    (int)echo_len, echo, want_len, (int)want_len, want);
		fail();
	}
	echo_reset();
}
#define ASSERT_ECHO(lit) assert_echo((lit), sizeof(lit) - 1)

/* Feed len bytes; every byte but possibly the last must give LINEEDIT_NONE. */
static enum lineedit_event feed_n(const char *s, size_t len)
{
	enum lineedit_event ev = LINEEDIT_NONE;
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(ev, LINEEDIT_NONE);
		ev = lineedit_feed(&le, (uint8_t)s[i]);
	}
	return ev;
}

static enum lineedit_event feed(const char *s)
{
	return feed_n(s, strlen(s));
}

static void enter_line(const char *s)
{
	assert_int_equal(feed(s), LINEEDIT_NONE);
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), s);
	echo_reset();
}

static void test_printable_echo(void **state)
{
	(void)state;
	assert_int_equal(feed("help me ~!"), LINEEDIT_NONE);
	ASSERT_ECHO("help me ~!");
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	ASSERT_ECHO("\r\n");
	assert_string_equal(lineedit_line(&le), "help me ~!");

	/* Other control characters are neither stored nor echoed. */
	assert_int_equal(feed("\x01\x02\x07\x09" "a\x0b\x0c\x1f"), LINEEDIT_NONE);
	ASSERT_ECHO("a");
	assert_int_equal(feed("\n"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "a");
}

static void test_backspace(void **state)
{
	(void)state;
	/* At an empty line backspace and DEL do nothing, and echo nothing. */
	assert_int_equal(feed("\x08\x7f\x08"), LINEEDIT_NONE);
	ASSERT_ECHO("");
	assert_int_equal(feed("abc\x7f\x08"), LINEEDIT_NONE);
	ASSERT_ECHO("abc\b \b\b \b");
	assert_int_equal(feed("\x08\x08z"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \bz");
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "z");
}

static void test_ctrl_u(void **state)
{
	(void)state;
	assert_int_equal(feed("abc\x15"), LINEEDIT_NONE);
	ASSERT_ECHO("abc\b \b\b \b\b \b");
	assert_int_equal(feed("\x15"), LINEEDIT_NONE);
	ASSERT_ECHO("");
	enter_line("xy");
}

static void test_ctrl_c(void **state)
{
	(void)state;
	assert_int_equal(feed("abc\x03"), LINEEDIT_CANCELLED);
	ASSERT_ECHO("abc^C\r\n");
	/* The cancelled text is gone and not in the history. */
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "");
	assert_int_equal(lineedit_history_count(&le), 0);
	assert_int_equal(feed("\x03"), LINEEDIT_CANCELLED);
	ASSERT_ECHO("\r\n^C\r\n");
}

static void test_history_walk(void **state)
{
	(void)state;
	enter_line("one");
	enter_line("two");
	enter_line("two");      /* duplicate of the newest: not stored */
	enter_line("");         /* empty: not stored */
	enter_line("   ");      /* blank: not stored */
	enter_line("three");
	assert_int_equal(lineedit_history_count(&le), 3);
	assert_string_equal(lineedit_history(&le, 0), "three");
	assert_string_equal(lineedit_history(&le, 2), "one");
	assert_null(lineedit_history(&le, 3));

	assert_int_equal(feed("dr"), LINEEDIT_NONE);
	echo_reset();
	assert_int_equal(feed("\x1b[A"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \b\b \bthree");
	assert_int_equal(feed("\x1bOA"), LINEEDIT_NONE);   /* application cursor mode */
	ASSERT_ECHO("\b \b\b \b\b \b\b \b\b \btwo");
	assert_int_equal(feed("\x1b[A"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \b\b \b\b \bone");
	/* Past the oldest entry nothing changes. */
	assert_int_equal(feed("\x1b[A\x1b[A"), LINEEDIT_NONE);
	ASSERT_ECHO("");
	assert_int_equal(feed("\x1b[B"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \b\b \b\b \btwo");
	assert_int_equal(feed("\x1bOB\x1b[B"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \b\b \b\b \bthree\b \b\b \b\b \b\b \b\b \bdr");
	/* Below the draft nothing changes either. */
	assert_int_equal(feed("\x1b[B"), LINEEDIT_NONE);
	ASSERT_ECHO("");
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "dr");

	/* A recalled line can be edited and run; the entry itself stays. */
	assert_int_equal(feed("\x1b[A\x1b[A\x7fx\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "threx");
	assert_string_equal(lineedit_history(&le, 0), "threx");
	assert_string_equal(lineedit_history(&le, 1), "dr");
	assert_string_equal(lineedit_history(&le, 2), "three");
}

static void test_history_bounds(void **state)
{
	(void)state;
	char line[16];

	/* Up and Down with no history at all. */
	assert_int_equal(feed("\x1b[A\x1b[B"), LINEEDIT_NONE);
	ASSERT_ECHO("");

	for (int i = 0; i < LINEEDIT_HISTORY + 4; i++) {
		snprintf(line, sizeof(line), "cmd%d", i);
		enter_line(line);
	}
	assert_int_equal(lineedit_history_count(&le), LINEEDIT_HISTORY);
	assert_string_equal(lineedit_history(&le, 0), "cmd19");
	assert_string_equal(lineedit_history(&le, LINEEDIT_HISTORY - 1), "cmd4");

	for (int i = 0; i < LINEEDIT_HISTORY + 5; i++)
		assert_int_equal(feed("\x1b[A"), LINEEDIT_NONE);
	echo_reset();
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "cmd4");
	assert_string_equal(lineedit_history(&le, 0), "cmd4");
	assert_string_equal(lineedit_history(&le, LINEEDIT_HISTORY - 1), "cmd5");
}

static void test_crlf(void **state)
{
	(void)state;
	assert_int_equal(feed("a\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "a");
	/* The LF of CRLF is swallowed: no second, empty line. */
	assert_int_equal(feed("\nb"), LINEEDIT_NONE);
	ASSERT_ECHO("a\r\nb");
	assert_int_equal(feed("\n"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "b");
	/* Only directly after CR: LF LF is two lines, CR CR too. */
	assert_int_equal(feed("\n"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "");
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_int_equal(feed("\n\n"), LINEEDIT_LINE_READY);
	echo_reset();
	/* CR, something else, LF: the LF is an Enter of its own. */
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_int_equal(feed("c\n"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "c");
}

static void test_line_limit(void **state)
{
	(void)state;
	char line[LINEEDIT_MAX + 2];

	memset(line, 'q', sizeof(line));
	line[LINEEDIT_MAX] = '\0';
	enter_line(line);                       /* exactly the maximum is fine */

	line[LINEEDIT_MAX] = 'q';
	line[LINEEDIT_MAX + 1] = '\0';
	assert_int_equal(feed(line), LINEEDIT_NONE);
	assert_int_equal(echo_len, LINEEDIT_MAX);   /* the extra char is not echoed */
	echo_reset();
	assert_int_equal(feed("\r"), LINEEDIT_ERROR_TOO_LONG);
	ASSERT_ECHO("\r\n");
}

static void test_overlong_line(void **state)
{
	(void)state;
	static char big[10000];

	memset(big, 'x', sizeof(big));
	assert_int_equal(feed_n(big, sizeof(big)), LINEEDIT_NONE);
	assert_int_equal(echo_len, LINEEDIT_MAX);
	for (size_t i = 0; i < echo_len; i++)
		assert_int_equal(echo[i], 'x');
	echo_reset();
	/* Backspacing does not make a truncated line runnable. */
	assert_int_equal(feed("\x7f" "y"), LINEEDIT_NONE);
	ASSERT_ECHO("\b \b");
	assert_int_equal(feed("\r"), LINEEDIT_ERROR_TOO_LONG);
	ASSERT_ECHO("\r\n");
	assert_int_equal(lineedit_history_count(&le), 0);

	enter_line("version");
	assert_int_equal(lineedit_history_count(&le), 1);

	/* Walking history and back restores the draft with its overflow mark. */
	assert_int_equal(feed_n(big, 300), LINEEDIT_NONE);
	assert_int_equal(feed("\x1b[A\x1b[B"), LINEEDIT_NONE);
	assert_int_equal(feed("\r"), LINEEDIT_ERROR_TOO_LONG);
	/* A recalled entry replaces the overflowed draft entirely. */
	assert_int_equal(feed_n(big, 300), LINEEDIT_NONE);
	assert_int_equal(feed("\x1b[A\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "version");

	/* Ctrl-U starts over on an overflowed line. */
	assert_int_equal(feed_n(big, 300), LINEEDIT_NONE);
	assert_int_equal(feed("\x15"), LINEEDIT_NONE);
	enter_line("help");
}

static void test_binary_line(void **state)
{
	(void)state;
	assert_int_equal(feed("ab\x80\xff" "c"), LINEEDIT_NONE);
	ASSERT_ECHO("abc");
	assert_int_equal(feed("\r"), LINEEDIT_ERROR_BINARY);
	ASSERT_ECHO("\r\n");
	assert_int_equal(lineedit_history_count(&le), 0);
	enter_line("ok");
}

static void test_binary_garbage(void **state)
{
	(void)state;
	uint32_t x = 0x2545f491;   /* fixed seed: the same garbage every run */
	unsigned events[LINEEDIT_ERROR_BINARY + 1] = { 0 };

	for (int i = 0; i < 4096; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		enum lineedit_event ev = lineedit_feed(&le, (uint8_t)x);
		assert_in_range(ev, LINEEDIT_NONE, LINEEDIT_ERROR_BINARY);
		events[ev]++;
		if (ev == LINEEDIT_LINE_READY) {
			const char *l = lineedit_line(&le);
			assert_true(strlen(l) <= LINEEDIT_MAX);
			for (; *l; l++)
				assert_in_range((unsigned char)*l, 0x20, 0x7e);
		}
		/* Everything echoed is text, BS, CR/LF or '^C'. */
		for (size_t j = 0; j < echo_len; j++) {
			unsigned char c = (unsigned char)echo[j];
			assert_true((c >= 0x20 && c < 0x7f) || c == '\b' || c == '\r' || c == '\n');
		}
		echo_reset();
	}
	/* The garbage held line ends, so the editor must have reported some. */
	assert_true(events[LINEEDIT_ERROR_BINARY] > 0);

	assert_int_equal(feed("\x03"), LINEEDIT_CANCELLED);
	echo_reset();
	assert_int_equal(feed("version\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "version");
	ASSERT_ECHO("version\r\n");
}

static void test_unknown_escapes(void **state)
{
	(void)state;
	/* Cursor right/left, F5, Delete, a CSI with parameters, ESC c: all swallowed. */
	assert_int_equal(feed("a\x1b[C\x1b[D\x1b[15~\x1b[3~\x1b[1;5A\x1b" "c" "b"), LINEEDIT_NONE);
	ASSERT_ECHO("ab");
	/* ESC ( B: an intermediate byte, then the final byte. */
	assert_int_equal(feed("\x1b(Bc"), LINEEDIT_NONE);
	ASSERT_ECHO("c");
	/* SS3 function keys (F1) are swallowed too. */
	assert_int_equal(feed("\x1bOPd"), LINEEDIT_NONE);
	ASSERT_ECHO("d");
	/* A sequence without a final byte is abandoned after 8 bytes. */
	assert_int_equal(feed("\x1b[123456"), LINEEDIT_NONE);
	ASSERT_ECHO("");
	assert_int_equal(feed("89"), LINEEDIT_NONE);
	ASSERT_ECHO("89");
	assert_int_equal(feed("\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "abcd89");
	echo_reset();

	/* A control byte inside a sequence ends it and acts normally. */
	assert_int_equal(feed("x\x1b[1\x03"), LINEEDIT_CANCELLED);
	ASSERT_ECHO("x^C\r\n");
	assert_int_equal(feed("y\x1b[\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "y");
	echo_reset();
	/* ESC ESC [ A: the second ESC starts over, and the Up arrow works. */
	assert_int_equal(feed("\x1b\x1b[A"), LINEEDIT_NONE);
	ASSERT_ECHO("y");
	/* A lone ESC then text: the text's first byte ends the sequence. */
	assert_int_equal(feed("\x15\x1bzk\r"), LINEEDIT_LINE_READY);
	assert_string_equal(lineedit_line(&le), "k");
	/* A high byte inside a sequence still marks the line binary. */
	assert_int_equal(feed("\x1b[\x90" "q\r"), LINEEDIT_ERROR_BINARY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_printable_echo, setup),
		cmocka_unit_test_setup(test_backspace, setup),
		cmocka_unit_test_setup(test_ctrl_u, setup),
		cmocka_unit_test_setup(test_ctrl_c, setup),
		cmocka_unit_test_setup(test_history_walk, setup),
		cmocka_unit_test_setup(test_history_bounds, setup),
		cmocka_unit_test_setup(test_crlf, setup),
		cmocka_unit_test_setup(test_line_limit, setup),
		cmocka_unit_test_setup(test_overlong_line, setup),
		cmocka_unit_test_setup(test_binary_line, setup),
		cmocka_unit_test_setup(test_binary_garbage, setup),
		cmocka_unit_test_setup(test_unknown_escapes, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

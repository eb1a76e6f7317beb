/*
 * The console line editor (see lineedit.h).  The terminal is assumed to be a
 * VT100-like serial terminal; only "\b \b" and plain text are ever sent, so a
 * dumb terminal shows the same thing.
 */
#include <string.h>

#include "lineedit.h"

#define CH_CTRL_C  0x03
#define CH_BS      0x08
#define CH_LF      0x0a
#define CH_CR      0x0d
#define CH_CTRL_U  0x15
#define CH_ESC     0x1b
#define CH_DEL     0x7f

static void lineedit_echo(struct lineedit *le, const char *s, size_t len)
{
	if (le->out && len)
		le->out(le->out_ctx, s, len);
}

/* Rub out every visible character, leaving the cursor where the line began. */
static void lineedit_erase_visible(struct lineedit *le)
{
	for (size_t i = 0; i < le->len; i++)
		lineedit_echo(le, "\b \b", 3);
}

static void lineedit_reset_line(struct lineedit *le)
{
	le->len = 0;
	le->buf[0] = '\0';
	le->overflow = false;
	le->binary = false;
	le->hist_pos = -1;
	le->esc = LINEEDIT_ESC_IDLE;
	le->esc_len = 0;
}

void lineedit_init(struct lineedit *le, lineedit_out_fn *out, void *out_ctx)
{
	memset(le, 0, sizeof(*le));
	le->out = out;
	le->out_ctx = out_ctx;
	lineedit_reset_line(le);
}

const char *lineedit_line(const struct lineedit *le)
{
	return le->done;
}

unsigned lineedit_history_count(const struct lineedit *le)
{
	return le->hist_count;
}

const char *lineedit_history(const struct lineedit *le, unsigned k)
{
	if (k >= le->hist_count)
		return NULL;
	unsigned slot = (le->hist_next + LINEEDIT_HISTORY - 1 - k) % LINEEDIT_HISTORY;
	return le->hist[slot];
}

static bool lineedit_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

static void lineedit_history_add(struct lineedit *le, const char *line)
{
	if (lineedit_blank(line))
		return;
	const char *newest = lineedit_history(le, 0);
	if (newest && strcmp(newest, line) == 0)
		return;
	/* line is at most LINEEDIT_MAX characters, so it always fits. */
	memcpy(le->hist[le->hist_next], line, strlen(line) + 1);
	le->hist_next = (le->hist_next + 1) % LINEEDIT_HISTORY;
	if (le->hist_count < LINEEDIT_HISTORY)
		le->hist_count++;
}

/* Replace the visible line with text (a history entry or the draft). */
static void lineedit_show(struct lineedit *le, const char *text, bool overflow, bool binary)
{
	lineedit_erase_visible(le);
	size_t n = strlen(text);
	memcpy(le->buf, text, n + 1);
	le->len = n;
	le->overflow = overflow;
	le->binary = binary;
	lineedit_echo(le, le->buf, le->len);
}

static void lineedit_history_up(struct lineedit *le)
{
	if (le->hist_pos + 1 >= (int)le->hist_count)
		return;
	if (le->hist_pos < 0) {
		memcpy(le->draft, le->buf, le->len + 1);
		le->draft_overflow = le->overflow;
		le->draft_binary = le->binary;
	}
	le->hist_pos++;
	lineedit_show(le, lineedit_history(le, (unsigned)le->hist_pos), false, false);
}

static void lineedit_history_down(struct lineedit *le)
{
	if (le->hist_pos < 0)
		return;
	le->hist_pos--;
	if (le->hist_pos < 0)
		lineedit_show(le, le->draft, le->draft_overflow, le->draft_binary);
	else
		lineedit_show(le, lineedit_history(le, (unsigned)le->hist_pos), false, false);
}

static enum lineedit_event lineedit_enter(struct lineedit *le)
{
	enum lineedit_event ev = LINEEDIT_LINE_READY;

	lineedit_echo(le, "\r\n", 2);
	if (le->overflow) {
		ev = LINEEDIT_ERROR_TOO_LONG;
	} else if (le->binary) {
		ev = LINEEDIT_ERROR_BINARY;
	} else {
		memcpy(le->done, le->buf, le->len + 1);
		lineedit_history_add(le, le->done);
	}
	lineedit_reset_line(le);
	return ev;
}

/*
 * One byte of an escape sequence (ECMA-48 5.3/5.4): after ESC, '[' starts a
 * CSI and 'O' an SS3 (the cursor keys in application mode); 0x20..0x2f are
 * intermediates, 0x30..0x3f parameters.  Returns true if the byte was consumed;
 * false means the sequence was abandoned and the byte is ordinary input.
 */
static bool lineedit_escape(struct lineedit *le, uint8_t b)
{
	/* A control or non-ASCII byte ends the sequence and is handled normally. */
	if (b < 0x20 || b >= 0x7f) {
		le->esc = LINEEDIT_ESC_IDLE;
		return false;
	}
	le->esc_len++;

	bool final = false;
	switch (le->esc) {
	case LINEEDIT_ESC_START:
		if (b == '[') {
			le->esc = LINEEDIT_ESC_CSI;
			le->esc_params = false;
		} else if (b == 'O') {
			le->esc = LINEEDIT_ESC_SS3;
			le->esc_params = false;
		} else if (b < 0x30) {
			le->esc = LINEEDIT_ESC_INTER;
		} else {
			final = true;
		}
		break;
	case LINEEDIT_ESC_INTER:
		final = b >= 0x30;
		break;
	case LINEEDIT_ESC_CSI:
	case LINEEDIT_ESC_SS3:
		if (b < 0x40) {
			le->esc_params = true;
			break;
		}
		final = true;
		if (!le->esc_params && b == 'A')
			lineedit_history_up(le);
		else if (!le->esc_params && b == 'B')
			lineedit_history_down(le);
		break;
	case LINEEDIT_ESC_IDLE:
		break;
	}
	if (final || le->esc_len >= LINEEDIT_ESC_MAX)
		le->esc = LINEEDIT_ESC_IDLE;
	return true;
}

enum lineedit_event lineedit_feed(struct lineedit *le, uint8_t b)
{
	bool after_cr = le->after_cr;

	le->after_cr = false;
	if (le->esc != LINEEDIT_ESC_IDLE && lineedit_escape(le, b))
		return LINEEDIT_NONE;

	if (b >= 0x20 && b < 0x7f) {
		if (le->overflow || le->len >= LINEEDIT_MAX) {
			le->overflow = true;
			return LINEEDIT_NONE;
		}
		le->buf[le->len++] = (char)b;
		le->buf[le->len] = '\0';
		lineedit_echo(le, (const char *)&b, 1);
		return LINEEDIT_NONE;
	}
	if (b >= 0x80) {
		le->binary = true;
		return LINEEDIT_NONE;
	}

	switch (b) {
	case CH_CR:
		le->after_cr = true;
		return lineedit_enter(le);
	case CH_LF:
		/* CRLF is one line end, not an Enter followed by an empty line. */
		if (after_cr)
			return LINEEDIT_NONE;
		return lineedit_enter(le);
	case CH_BS:
	case CH_DEL:
		if (le->len > 0) {
			le->buf[--le->len] = '\0';
			lineedit_echo(le, "\b \b", 3);
		}
		return LINEEDIT_NONE;
	case CH_CTRL_U:
		lineedit_erase_visible(le);
		lineedit_reset_line(le);
		return LINEEDIT_NONE;
	case CH_CTRL_C:
		lineedit_echo(le, "^C\r\n", 4);
		lineedit_reset_line(le);
		return LINEEDIT_CANCELLED;
	case CH_ESC:
		le->esc = LINEEDIT_ESC_START;
		le->esc_len = 1;
		return LINEEDIT_NONE;
	default:
		return LINEEDIT_NONE;
	}
}

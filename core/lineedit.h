/*
 * A pure line editor for the serial console: bytes in, events and echo out.
 * It knows nothing about UARTs or prompts, so the host unit tests drive it
 * byte by byte and compare the exact echo.
 *
 * Editing is at the end of the line only: printable ASCII appends, backspace
 * and Ctrl-U erase, Ctrl-C cancels, Up/Down walk the history.  Every other
 * escape sequence is swallowed, other control characters are ignored, and
 * bytes >= 0x80 mark the line as binary garbage.  After any event other than
 * LINEEDIT_NONE the editor is ready for a fresh line.
 */
#ifndef PLINTH_LINEEDIT_H
#define PLINTH_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINEEDIT_MAX      255   /* visible characters in one line */
#define LINEEDIT_HISTORY  16    /* lines kept for Up/Down */
#define LINEEDIT_ESC_MAX  8     /* an escape sequence longer than this is abandoned */

enum lineedit_event {
	LINEEDIT_NONE,            /* keep feeding */
	LINEEDIT_LINE_READY,      /* lineedit_line() holds the finished line */
	LINEEDIT_CANCELLED,       /* Ctrl-C */
	LINEEDIT_ERROR_TOO_LONG,  /* Enter on a line that overflowed LINEEDIT_MAX */
	LINEEDIT_ERROR_BINARY,    /* Enter on a line that held bytes >= 0x80 */
};

/* Where the echo goes; called with short runs of bytes. */
typedef void lineedit_out_fn(void *ctx, const char *s, size_t len);

enum lineedit_esc {
	LINEEDIT_ESC_IDLE,
	LINEEDIT_ESC_START,   /* after ESC */
	LINEEDIT_ESC_INTER,   /* ESC followed by intermediate bytes 0x20..0x2f */
	LINEEDIT_ESC_CSI,     /* ESC [ */
	LINEEDIT_ESC_SS3,     /* ESC O */
};

struct lineedit {
	lineedit_out_fn *out;
	void *out_ctx;

	char buf[LINEEDIT_MAX + 1];   /* the line being edited, NUL-terminated */
	size_t len;                   /* == characters shown on the terminal */
	bool overflow;                /* characters were dropped: refuse at Enter */
	bool binary;                  /* bytes >= 0x80 arrived: refuse at Enter */
	bool after_cr;                /* the previous byte was CR: swallow one LF */

	enum lineedit_esc esc;
	uint8_t esc_len;              /* bytes of the sequence so far, ESC included */
	bool esc_params;              /* CSI/SS3 had parameter or intermediate bytes */

	char hist[LINEEDIT_HISTORY][LINEEDIT_MAX + 1];
	unsigned hist_count;          /* valid entries, <= LINEEDIT_HISTORY */
	unsigned hist_next;           /* slot the next entry goes into */
	int hist_pos;                 /* -1: editing the draft; k: k-th newest entry */
	char draft[LINEEDIT_MAX + 1]; /* the line as typed before walking history */
	bool draft_overflow;          /* ...and its flags, restored with it */
	bool draft_binary;

	char done[LINEEDIT_MAX + 1];  /* the last finished line */
};

void lineedit_init(struct lineedit *le, lineedit_out_fn *out, void *out_ctx);
enum lineedit_event lineedit_feed(struct lineedit *le, uint8_t byte);

/* The line finished by the last LINEEDIT_LINE_READY; valid until the next one. */
const char *lineedit_line(const struct lineedit *le);

/* Number of history entries, and entry k (0 = newest), or NULL if out of range. */
unsigned lineedit_history_count(const struct lineedit *le);
const char *lineedit_history(const struct lineedit *le, unsigned k);

#endif

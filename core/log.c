/*
 * plinth's log: fixed-size records in a ring, each with a level and a TSC
 * stamp.  Lines at or above the console level are also written to the UART.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include "drivers/uart.h"
#include "log.h"
#include "spinlock.h"

struct log_rec {
	uint64_t tsc;
	uint8_t level;
	char text[LOG_LINE_MAX + 1];
};

#define LOG_RECS (LOG_RING_BYTES / sizeof(struct log_rec))

static struct log_rec ring[LOG_RECS];
static uint64_t log_next;             /* records ever written */
static spinlock_t log_lock;
static enum log_level console_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_DEBUG] = "DEBUG", [LOG_INFO] = "INFO", [LOG_WARN] = "WARN", [LOG_ERR] = "ERROR",
};

const char *log_level_name(enum log_level lvl)
{
	return (unsigned)lvl <= LOG_ERR ? level_names[lvl] : "?";
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const char *const words[] = { "debug", "info", "warn", "err" };
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(s, words[i]) || !strcasecmp(s, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_set_console_level(enum log_level lvl)
{
	console_level = lvl;
}

enum log_level log_console_level(void)
{
	return console_level;
}

static void log_store(enum log_level lvl, uint64_t tsc, const char *text)
{
	uint64_t f = spin_lock_irqsave(&log_lock);
	struct log_rec *r = &ring[log_next % LOG_RECS];
	r->tsc = tsc;
	r->level = (uint8_t)lvl;
	strncpy(r->text, text, LOG_LINE_MAX);
	r->text[LOG_LINE_MAX] = 0;
	log_next++;
	spin_unlock_irqrestore(&log_lock, f);
}

void log_write(enum log_level lvl, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 16];
	uint64_t tsc = rdtsc();
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, LOG_LINE_MAX + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_store(lvl, tsc, line);
	if (lvl < console_level)
		return;
	char out[LOG_LINE_MAX + 32];
	n = snprintf(out, sizeof(out), "%s%s\n",
		     lvl == LOG_ERR ? "error: " : lvl == LOG_WARN ? "warning: " : "", line);
	uart_write(out, n < (int)sizeof(out) ? (size_t)n : sizeof(out) - 1);
}

struct log_stats log_foreach(void (*fn)(enum log_level, uint64_t, const char *, void *), void *arg)
{
	struct log_stats st;
	uint64_t end = log_next;
	uint64_t start = end > LOG_RECS ? end - LOG_RECS : 0;
	st.lines = end - start;
	st.dropped = start;
	for (uint64_t i = start; i < end; i++) {
		struct log_rec r;
		uint64_t f = spin_lock_irqsave(&log_lock);
		if (i + LOG_RECS < log_next) {      /* overwritten while we printed */
			spin_unlock_irqrestore(&log_lock, f);
			continue;
		}
		r = ring[i % LOG_RECS];
		spin_unlock_irqrestore(&log_lock, f);
		fn((enum log_level)r.level, r.tsc, r.text, arg);
	}
	return st;
}

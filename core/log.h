/*
 * plinth's log: a ring buffer of lines with a level and a TSC timestamp.
 * Lines at or above the console level are also printed on the console.
 * Safe to call from any CPU; interrupt context must not log (it may spin).
 */
#ifndef PLINTH_LOG_H
#define PLINTH_LOG_H

#include <stdint.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERR };

#define LOG_RING_BYTES  (64 * 1024)
#define LOG_LINE_MAX    200

void log_write(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_err(...)   log_write(LOG_ERR, __VA_ARGS__)

/* Lines below this level go only to the ring (default LOG_INFO). */
void log_set_console_level(enum log_level lvl);
enum log_level log_console_level(void);
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level lvl);

/*
 * Visit the ring oldest first: fn gets each whole line (without newline),
 * its level and its TSC stamp.  Lines overwritten by wrap-around are gone and
 * counted in the return value's `dropped`.
 */
struct log_stats { uint64_t lines; uint64_t dropped; };
struct log_stats log_foreach(void (*fn)(enum log_level, uint64_t tsc, const char *line, void *arg),
			     void *arg);

#endif

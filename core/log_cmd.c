/*
 * The `log` console command: print the log ring with TSC stamps turned into
 * seconds since reset, and show or set the console log level.
 */
#include <stdio.h>
#include <arch/calib.h>
#include <string.h>

#include <arch/cpu.h>
#include "console.h"
#include "log.h"

struct log_cmd_walk {
	uint64_t skip;      /* lines still to pass over before printing */
	uint64_t hz;        /* tsc_hz(), 0 if not calibrated */
};

static const char *log_cmd_label(enum log_level lvl)
{
	static const char *const labels[] = {
		[LOG_DEBUG] = "DEBUG", [LOG_INFO] = "INFO", [LOG_WARN] = "WARN", [LOG_ERR] = "ERR",
	};
	if ((unsigned)lvl >= sizeof(labels) / sizeof(labels[0]) || !labels[lvl])
		return "?";
	return labels[lvl];
}

static void log_cmd_count(enum log_level lvl, uint64_t tsc, const char *line, void *arg)
{
	(void)lvl;
	(void)tsc;
	(void)line;
	(*(uint64_t *)arg)++;
}

static void log_cmd_print(enum log_level lvl, uint64_t tsc, const char *line, void *arg)
{
	struct log_cmd_walk *w = arg;

	if (w->skip) {
		w->skip--;
		return;
	}
	if (w->hz) {
		uint64_t us = calib_us_for_ticks(tsc, w->hz);
		printf("[%4llu.%06llu] ", (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
	} else {
		printf("[tsc %llu] ", (unsigned long long)tsc);
	}
	printf("%-5s %s\n", log_cmd_label(lvl), line);
}

/* A decimal number, digits only, at most 9 digits. */
static int log_cmd_parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int log_cmd_level(int argc, char **argv)
{
	enum log_level lvl;

	if (argc == 2) {
		printf("console log level: %s\n", log_level_name(log_console_level()));
		return 0;
	}
	if (argc != 3) {
		printf("error: usage: log level [debug|info|warn|err]\n");
		return 1;
	}
	if (log_level_parse(argv[2], &lvl) != 0) {
		fputs("error: unknown log level '", stdout);
		console_put_safe(argv[2], 16);
		fputs("' (debug, info, warn or err)\n", stdout);
		return 1;
	}
	log_set_console_level(lvl);
	printf("console log level: %s\n", log_level_name(log_console_level()));
	return 0;
}

static int log_cmd_run(int argc, char **argv)
{
	struct log_cmd_walk w = { .skip = 0, .hz = tsc_hz() };

	if (argc >= 2 && strcmp(argv[1], "level") == 0)
		return log_cmd_level(argc, argv);
	if (argc > 2) {
		printf("error: usage: log [N] | log level [debug|info|warn|err]\n");
		return 1;
	}
	if (argc == 2) {
		uint64_t want, total = 0;
		if (log_cmd_parse_count(argv[1], &want) != 0 || want == 0) {
			fputs("error: '", stdout);
			console_put_safe(argv[1], 16);
			fputs("' is not a line count (1..999999999)\n", stdout);
			return 1;
		}
		log_foreach(log_cmd_count, &total);
		w.skip = total > want ? total - want : 0;
	}
	struct log_stats st = log_foreach(log_cmd_print, &w);
	if (st.dropped)
		printf("-- %llu older lines were overwritten --\n", (unsigned long long)st.dropped);
	return 0;
}

CONSOLE_CMD(log_cmd_entry, "log", "[N] | level [L]",
	    "show the log (the last N lines), or show/set the console level L "
	    "(debug|info|warn|err)", log_cmd_run);

/*
 * Console command dispatch: split a line into words, find the command in the
 * plinth_cmds section table and run it.  Also the `help` command, which is the
 * one command that is about the table itself.
 */
#include <stdio.h>
#include <string.h>

#include "console.h"

#define CMD_NAME_SHOWN 32   /* longest unknown name echoed back */

static int cmd_is_space(char c)
{
	return c == ' ' || c == '\t';
}

int console_tokenise(char *line, char **argv, int max_args)
{
	int argc = 0;
	char *src = line;

	for (;;) {
		while (cmd_is_space(*src))
			src++;
		if (*src == '\0')
			break;
		if (argc >= max_args)
			return CONSOLE_ETOOMANY;

		/* Words are rebuilt in place: dst never runs ahead of src. */
		char *dst = src;
		argv[argc++] = dst;
		int quoted = 0;
		while (*src && (quoted || !cmd_is_space(*src))) {
			if (*src == '"') {
				quoted = !quoted;
				src++;
			} else if (quoted && *src == '\\' && (src[1] == '"' || src[1] == '\\')) {
				*dst++ = src[1];
				src += 2;
			} else {
				*dst++ = *src++;
			}
		}
		if (quoted)
			return CONSOLE_EQUOTE;
		int at_end = *src == '\0';
		*dst = '\0';
		if (at_end)
			break;
		src++;
	}
	if (argc < max_args)
		argv[argc] = NULL;
	return argc;
}

static int cmd_valid(const struct console_cmd *c)
{
	return c->name && c->run;
}

const struct console_cmd *console_find(const char *name)
{
	for (const struct console_cmd *c = __start_plinth_cmds; c < __stop_plinth_cmds; c++)
		if (cmd_valid(c) && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void console_put_safe(const char *s, unsigned max)
{
	unsigned i;

	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		putchar(ch >= 0x20 && ch < 0x7f ? ch : '?');
	}
	if (s[i])
		fputs("...", stdout);
}

static void cmd_unknown(const char *name)
{
	fputs("error: unknown command '", stdout);
	console_put_safe(name, CMD_NAME_SHOWN);
	fputs("' (try 'help')\n", stdout);
}

int console_execute(char *line)
{
	char *argv[CONSOLE_MAX_ARGS + 1];
	int argc = console_tokenise(line, argv, CONSOLE_MAX_ARGS);
	int rc = -1;

	if (argc == CONSOLE_ETOOMANY)
		printf("error: too many arguments (max %d)\n", CONSOLE_MAX_ARGS);
	else if (argc == CONSOLE_EQUOTE)
		printf("error: unterminated quote\n");
	else if (argc == 0)
		rc = 0;
	else {
		const struct console_cmd *c = console_find(argv[0]);
		if (c)
			rc = c->run(argc, argv);
		else
			cmd_unknown(argv[0]);
	}
	fflush(stdout);
	return rc;
}

/* ---------------------------------------------------------------- help */

/* Order commands by name, then by address so equal names still sort totally. */
static int cmd_before(const struct console_cmd *a, const struct console_cmd *b)
{
	int d = strcmp(a->name, b->name);
	return d < 0 || (d == 0 && a < b);
}

/* The first command after prev in cmd_before order (prev NULL: the first). */
static const struct console_cmd *cmd_next_sorted(const struct console_cmd *prev)
{
	const struct console_cmd *best = NULL;

	for (const struct console_cmd *c = __start_plinth_cmds; c < __stop_plinth_cmds; c++) {
		if (!cmd_valid(c) || (prev && !cmd_before(prev, c)))
			continue;
		if (!best || cmd_before(c, best))
			best = c;
	}
	return best;
}

static const char *cmd_usage(const struct console_cmd *c)
{
	return c->usage ? c->usage : "";
}

static const char *cmd_help_text(const struct console_cmd *c)
{
	return c->help ? c->help : "";
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		printf("error: usage: help [command]\n");
		return 1;
	}
	if (argc == 2) {
		const struct console_cmd *c = console_find(argv[1]);
		if (!c) {
			cmd_unknown(argv[1]);
			return 1;
		}
		const char *usage = cmd_usage(c);
		printf("usage: %s%s%s\n  %s\n", c->name, *usage ? " " : "", usage,
		       cmd_help_text(c));
		return 0;
	}

	/* Line the help texts up after the longest "name usage". */
	size_t width = 0;
	for (const struct console_cmd *c = cmd_next_sorted(NULL); c; c = cmd_next_sorted(c)) {
		size_t w = strlen(c->name) + 1 + strlen(cmd_usage(c));
		if (w > width)
			width = w;
	}
	for (const struct console_cmd *c = cmd_next_sorted(NULL); c; c = cmd_next_sorted(c)) {
		const char *usage = cmd_usage(c);
		int w = printf("  %s %s", c->name, usage) - 2;
		printf("%*s  %s\n", (int)width - w, "", cmd_help_text(c));
	}
	return 0;
}

CONSOLE_CMD(cmd_help_entry, "help", "[command]", "list the commands, or describe one", cmd_help);

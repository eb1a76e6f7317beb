/*
 * The operator's serial console: a line editor, a prompt and a command table.
 * Commands register themselves with CONSOLE_CMD() from the file that owns the
 * subject (acpi.c registers `acpi`, and so on); the table is a linker section.
 *
 * console.c runs the prompt loop; cmd.c splits lines and dispatches them (it
 * needs no hardware, so the host unit tests link it directly).
 */
#ifndef PLINTH_CONSOLE_H
#define PLINTH_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

struct console_cmd {
	const char *name;
	const char *usage;       /* arguments, e.g. "[level]"; "" for none */
	const char *help;        /* one line */
	int (*run)(int argc, char **argv);   /* 0 ok, else an error was printed */
};

#define CONSOLE_CMD(ident, name_, usage_, help_, run_)                        \
	static const struct console_cmd ident                                     \
	__attribute__((used, section("plinth_cmds"), aligned(8))) =               \
	{ .name = name_, .usage = usage_, .help = help_, .run = run_ }

/*
 * GNU ld defines these for any section whose name is a C identifier; the core
 * linker script PROVIDEs them as well.
 */
extern const struct console_cmd __start_plinth_cmds[];
extern const struct console_cmd __stop_plinth_cmds[];

#define CONSOLE_PROMPT    "plinth> "
#define CONSOLE_LINE_MAX  255    /* visible characters in one command line */
#define CONSOLE_MAX_ARGS  16     /* argv entries, the command name included */

/* console_tokenise() errors (negative, so they never look like an argc). */
#define CONSOLE_ETOOMANY  (-1)
#define CONSOLE_EQUOTE    (-2)

/* Run the console on this CPU forever: prompt, read, edit, dispatch. */
void console_main(void) __attribute__((noreturn));

/*
 * The next UART byte, sleeping in "sti; hlt" while there is none.  Every
 * wake-up runs vm_poll().  Returns -1 instead when ready(arg) (may be NULL)
 * says the caller has other work, checked race-free before each sleep.
 */
int console_getc_wait(bool (*ready)(void *arg), void *arg);

/* Print the prompt and flush stdout. */
void console_prompt(void);

/*
 * One input byte through the line editor; on a finished line runs it and
 * prints the next prompt.  console_main() calls it for every UART byte.
 */
void console_feed(uint8_t byte);

/*
 * Split line in place and run the matching command; prints one error line on
 * failure.  Returns 0 for an empty line or a command that succeeded, the
 * command's non-zero result, or -1 if no command ran.
 */
int console_execute(char *line);

/*
 * Split line in place into at most max_args words separated by spaces or
 * tabs.  "double quotes" group words; inside them \" and \\ stand for " and \.
 * Returns argc (0 for a blank line), CONSOLE_ETOOMANY or CONSOLE_EQUOTE.
 * argv[argc] is set to NULL when there is room for it.
 */
int console_tokenise(char *line, char **argv, int max_args);

/* The command called name, or NULL. */
const struct console_cmd *console_find(const char *name);

/* Print s for the operator: at most max characters, non-printables as '?'. */
void console_put_safe(const char *s, unsigned max);

#endif

/*
 * plinth.cfg: INI-like sections with key = value lines.
 *
 * The parser is pure C with no libc, so the same file serves the UEFI loader
 * (which parses the file and applies load-option overrides) and the core
 * (which reads the parsed form from boot_info, and parses `key=value` words
 * typed on the console).  The format is documented in docs/boot.md.
 */
#ifndef PLINTH_CONFIG_H
#define PLINTH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_SECTIONS 32
#define CFG_MAX_ENTRIES  256
#define CFG_MAX_ERRORS   8
#define CFG_KIND_MAX     16
#define CFG_NAME_MAX     32
#define CFG_KEY_MAX      32
#define CFG_VALUE_MAX    256
#define CFG_ERROR_MAX    128
#define CFG_LINE_MAX     1024   /* bytes per line, without the line ending */

/*
 * The *_MAX sizes above include the terminating NUL: a key, a VM name or a
 * value holds at most CFG_KEY_MAX - 1, CFG_NAME_MAX - 1, CFG_VALUE_MAX - 1
 * characters.  The text is printable ASCII plus tab; anything else rejects
 * its line.
 */

/* Section 0 is always the global section, kind "plinth", name "". */
struct cfg_section {
	char kind[CFG_KIND_MAX];        /* "plinth" or "vm" */
	char name[CFG_NAME_MAX];        /* "" for [plinth], the VM name for [vm NAME] */
};

struct cfg_entry {
	uint32_t section;               /* index into sections[] */
	char key[CFG_KEY_MAX];
	char value[CFG_VALUE_MAX];
};

struct config {
	uint32_t nsections;
	uint32_t nentries;
	uint32_t nerrors;               /* errors recorded (at most CFG_MAX_ERRORS kept) */
	struct cfg_section sections[CFG_MAX_SECTIONS];
	struct cfg_entry   entries[CFG_MAX_ENTRIES];
	char errors[CFG_MAX_ERRORS][CFG_ERROR_MAX];  /* "line 3: ..." one per rejected line */
};

/* Empty config: just the global section. */
void config_init(struct config *c);

/*
 * Parse text (not NUL terminated) into c, which config_parse initialises.
 * Bad lines are recorded in c->errors and skipped; everything else is kept.
 * Never reads past len.  text may be NULL when len is 0.
 * Returns the number of errors (0 = clean).
 */
int config_parse(struct config *c, const char *text, size_t len);

/*
 * Apply one override word: "key=value" sets a global key, "vm.NAME.key=value"
 * sets a key of VM NAME (creating the section if needed).  A later set of the
 * same key replaces the earlier value.  Returns 0, or -1 for a malformed word
 * (and records an error).
 */
int config_set(struct config *c, const char *word);

/*
 * Apply every word of a NUL-terminated load-option string.  Words are split
 * on spaces and tabs outside "..." quotes; words without '=' are ignored (UEFI
 * load options begin with the image path).  Returns the number of malformed
 * words.
 */
int config_apply_options(struct config *c, const char *options);

/* Index of the section of that kind and name, or -1. */
int config_find_section(const struct config *c, const char *kind, const char *name);

/* Value of key in section, or NULL.  The last occurrence wins. */
const char *config_get(const struct config *c, uint32_t section, const char *key);

/*
 * Iterate the values of a key that may repeat (e.g. "module"): pass *pos = 0
 * first; returns NULL when done.
 */
const char *config_next(const struct config *c, uint32_t section, const char *key,
			uint32_t *pos);

/* Keys whose values name files the loader must load (image, kernel, initrd, module). */
int config_key_is_file(const char *key);

/*
 * Parse a size such as "512", "64K", "16M", "1G" into bytes.  Returns 0 or -1
 * (malformed or overflow).
 */
int config_parse_size(const char *s, uint64_t *out);

#endif

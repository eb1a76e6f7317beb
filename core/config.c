/*
 * plinth.cfg parser and load-option overrides (format: docs/boot.md).
 *
 * This file is linked into the UEFI loader as well as the core, and the
 * loader has no libc, so it uses no library function at all: the few string
 * helpers it needs are the static ones below.  Every loop is bounded by a
 * length or by an array size, so any input terminates.
 */
#include "config.h"

/* The limits are spelled out in the messages below and in docs/boot.md. */
_Static_assert(CFG_MAX_SECTIONS == 32 && CFG_MAX_ENTRIES == 256 && CFG_KEY_MAX == 32 &&
	       CFG_NAME_MAX == 32 && CFG_VALUE_MAX == 256 && CFG_LINE_MAX == 1024,
	       "update the error messages and docs/boot.md with the limits");

/* ---------------------------------------------------------------- helpers */

static size_t cfg_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/*
 * The string s, read at most cap bytes far, is exactly p[0..n).  Callers pass
 * a p without NUL bytes, so the scan stops at s's NUL at the latest.
 */
static int cfg_eq(const char *s, size_t cap, const char *p, size_t n)
{
	size_t i;

	if (n >= cap)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] != p[i])
			return 0;
	return s[n] == '\0';
}

/* The caller guarantees n < cap. */
static void cfg_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = src[i];
	dst[n] = '\0';
}

static void cfg_zero(void *p, size_t n)
{
	unsigned char *b = p;

	while (n--)
		*b++ = 0;
}

static int cfg_is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int cfg_is_text(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch < 0x7f);
}

static char cfg_lower(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Drop spaces and tabs at both ends of p[0..*n). */
static const char *cfg_trim(const char *p, size_t *n)
{
	while (*n && cfg_is_space(p[0])) {
		p++;
		(*n)--;
	}
	while (*n && cfg_is_space(p[*n - 1]))
		(*n)--;
	return p;
}

static size_t cfg_find(const char *p, size_t n, char ch)
{
	size_t i;

	for (i = 0; i < n && p[i] != ch; i++)
		;
	return i;
}

/* ---------------------------------------------------------------- errors */

/* A bounded message builder; with cap 0 (error slots full) it writes nothing. */
struct cfg_msg {
	char  *buf;
	size_t cap;
	size_t len;
};

static void msg_mem(struct cfg_msg *m, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && m->len + 1 < m->cap; i++)
		m->buf[m->len++] = s[i];
	if (m->cap)
		m->buf[m->len] = '\0';
}

static void msg_str(struct cfg_msg *m, const char *s)
{
	msg_mem(m, s, cfg_strlen(s));
}

static void msg_u32(struct cfg_msg *m, uint32_t v)
{
	char d[10];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	msg_mem(m, d + i, sizeof(d) - i);
}

static void msg_byte(struct cfg_msg *m, unsigned char b)
{
	static const char hex[] = "0123456789abcdef";
	char s[4] = { '0', 'x', hex[b >> 4], hex[b & 15] };

	msg_mem(m, s, sizeof(s));
}

/* 'text' quoted, shortened, with anything unprintable shown as '?'. */
static void msg_snip(struct cfg_msg *m, const char *p, size_t n)
{
	size_t i;
	char ch;

	msg_str(m, "'");
	for (i = 0; i < n && i < 24; i++) {
		ch = cfg_is_text((unsigned char)p[i]) ? p[i] : '?';
		msg_mem(m, &ch, 1);
	}
	msg_str(m, i < n ? "...'" : "'");
}

/* Start a new error; line 0 means "not from a file line". */
static struct cfg_msg cfg_error(struct config *c, uint32_t line)
{
	struct cfg_msg m = { 0, 0, 0 };

	if (c->nerrors < CFG_MAX_ERRORS) {
		m.buf = c->errors[c->nerrors];
		m.cap = CFG_ERROR_MAX;
		m.buf[0] = '\0';
	}
	if (c->nerrors < UINT32_MAX)
		c->nerrors++;
	if (line) {
		msg_str(&m, "line ");
		msg_u32(&m, line);
		msg_str(&m, ": ");
	}
	return m;
}

static void cfg_line_error(struct config *c, uint32_t line, const char *why)
{
	struct cfg_msg m = cfg_error(c, line);

	msg_str(&m, why);
}

/* ---------------------------------------------------------------- validation */

static int cfg_is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

static int cfg_is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* NULL if p[0..n) is a valid key, else why not (the caller adds the key). */
static const char *cfg_key_problem(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return "missing key";
	if (n >= CFG_KEY_MAX)
		return "key too long (max 31 chars)";
	for (i = 0; i < n; i++)
		if (!cfg_is_key_char(p[i]))
			return "bad key (a-z, 0-9, _ only)";
	return NULL;
}

static const char *cfg_name_problem(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return "missing VM name";
	if (n >= CFG_NAME_MAX)
		return "VM name too long (max 31 chars)";
	for (i = 0; i < n; i++)
		if (!cfg_is_name_char(p[i]))
			return "bad VM name (A-Z, a-z, 0-9, -, _ only)";
	return NULL;
}

/* Strip one pair of surrounding quotes; NULL if the value is acceptable. */
static const char *cfg_value_problem(const char **p, size_t *n)
{
	size_t i;

	if (*n && (*p)[0] == '"') {
		if (*n < 2 || (*p)[*n - 1] != '"')
			return "unterminated quote in value";
		(*p)++;
		*n -= 2;
	}
	if (*n >= CFG_VALUE_MAX)
		return "value too long (max 255 chars)";
	for (i = 0; i < *n; i++)
		if (!cfg_is_text((unsigned char)(*p)[i]))
			return "control or non-ASCII byte in value";
	return NULL;
}

/* ---------------------------------------------------------------- tables */

static uint32_t cfg_nsections(const struct config *c)
{
	return c->nsections < CFG_MAX_SECTIONS ? c->nsections : CFG_MAX_SECTIONS;
}

static uint32_t cfg_nentries(const struct config *c)
{
	return c->nentries < CFG_MAX_ENTRIES ? c->nentries : CFG_MAX_ENTRIES;
}

/* Index of [vm name], -1 if absent. */
static int cfg_find_vm(const struct config *c, const char *name, size_t n)
{
	uint32_t i;

	for (i = 1; i < cfg_nsections(c); i++)
		if (cfg_eq(c->sections[i].kind, CFG_KIND_MAX, "vm", 2) &&
		    cfg_eq(c->sections[i].name, CFG_NAME_MAX, name, n))
			return (int)i;
	return -1;
}

/* The caller checked the name and that a slot is free. */
static int cfg_add_vm(struct config *c, const char *name, size_t n)
{
	struct cfg_section *s = &c->sections[c->nsections];

	cfg_copy(s->kind, "vm", 2);
	cfg_copy(s->name, name, n);
	return (int)c->nsections++;
}

/* The caller checked key and value and that a slot is free. */
static void cfg_add_entry(struct config *c, uint32_t section, const char *key, size_t kn,
			  const char *val, size_t vn)
{
	struct cfg_entry *e = &c->entries[c->nentries++];

	e->section = section;
	cfg_copy(e->key, key, kn);
	cfg_copy(e->value, val, vn);
}

/* Last entry of key in section, -1 if none. */
static int cfg_find_entry(const struct config *c, uint32_t section, const char *key, size_t kn)
{
	uint32_t i;

	for (i = cfg_nentries(c); i-- > 0;)
		if (c->entries[i].section == section &&
		    cfg_eq(c->entries[i].key, CFG_KEY_MAX, key, kn))
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------- parser */

/* "[plinth]" or "[vm NAME]": returns the section to fill, or -1 to skip its keys. */
static int cfg_parse_header(struct config *c, const char *p, size_t n, uint32_t line)
{
	size_t close = cfg_find(p, n, ']');
	size_t in_n, kind_n, rest_n;
	const char *in, *rest, *after, *why;
	struct cfg_msg m;
	int idx;

	if (close == n) {
		cfg_line_error(c, line, "missing ']' in section header");
		return -1;
	}
	rest_n = n - close - 1;
	after = cfg_trim(p + close + 1, &rest_n);
	if (rest_n && after[0] != '#' && after[0] != ';') {
		cfg_line_error(c, line, "text after ']' in section header");
		return -1;
	}
	in_n = close - 1;
	in = cfg_trim(p + 1, &in_n);
	if (in_n == 0) {
		cfg_line_error(c, line, "empty section header");
		return -1;
	}
	for (kind_n = 0; kind_n < in_n && !cfg_is_space(in[kind_n]); kind_n++)
		;
	rest_n = in_n - kind_n;
	rest = cfg_trim(in + kind_n, &rest_n);

	if (cfg_eq("plinth", kind_n + 1, in, kind_n)) {
		if (rest_n) {
			cfg_line_error(c, line, "[plinth] takes no name");
			return -1;
		}
		return 0;
	}
	if (!cfg_eq("vm", kind_n + 1, in, kind_n)) {
		m = cfg_error(c, line);
		msg_str(&m, "unknown section kind ");
		msg_snip(&m, in, kind_n);
		return -1;
	}
	why = cfg_name_problem(rest, rest_n);
	if (why) {
		m = cfg_error(c, line);
		msg_str(&m, why);
		if (rest_n) {
			msg_str(&m, ": ");
			msg_snip(&m, rest, rest_n);
		}
		return -1;
	}
	idx = cfg_find_vm(c, rest, rest_n);
	if (idx >= 0)
		return idx;
	if (c->nsections >= CFG_MAX_SECTIONS) {
		cfg_line_error(c, line, "too many sections (max 32), section dropped");
		return -1;
	}
	return cfg_add_vm(c, rest, rest_n);
}

static void cfg_parse_pair(struct config *c, const char *p, size_t n, uint32_t line,
			   uint32_t section)
{
	size_t eq = cfg_find(p, n, '=');
	size_t kn, vn;
	const char *key, *val, *why;
	struct cfg_msg m;

	if (eq == n) {
		cfg_line_error(c, line, "expected 'key = value'");
		return;
	}
	kn = eq;
	key = cfg_trim(p, &kn);
	vn = n - eq - 1;
	val = cfg_trim(p + eq + 1, &vn);
	why = cfg_key_problem(key, kn);
	if (why) {
		m = cfg_error(c, line);
		msg_str(&m, why);
		if (kn) {
			msg_str(&m, ": ");
			msg_snip(&m, key, kn);
		}
		return;
	}
	why = cfg_value_problem(&val, &vn);
	if (why) {
		cfg_line_error(c, line, why);
		return;
	}
	if (c->nentries >= CFG_MAX_ENTRIES) {
		cfg_line_error(c, line, "too many entries (max 256), line dropped");
		return;
	}
	cfg_add_entry(c, section, key, kn, val, vn);
}

/* One line without its ending; *cur is the section being filled, -1 = skipping. */
static void cfg_parse_line(struct config *c, const char *p, size_t n, uint32_t line, int *cur)
{
	size_t i, tn = n;
	const char *t = cfg_trim(p, &tn);
	int header = tn && t[0] == '[';
	struct cfg_msg m;

	if (*cur < 0 && !header)
		return;
	if (n > CFG_LINE_MAX) {
		cfg_line_error(c, line, "line too long (max 1024 bytes)");
		goto rejected;
	}
	for (i = 0; i < n; i++) {
		if (!cfg_is_text((unsigned char)p[i])) {
			m = cfg_error(c, line);
			msg_str(&m, "bad byte ");
			msg_byte(&m, (unsigned char)p[i]);
			msg_str(&m, " at column ");
			msg_u32(&m, (uint32_t)i + 1);
			goto rejected;
		}
	}
	if (tn == 0 || t[0] == '#' || t[0] == ';')
		return;
	if (header) {
		*cur = cfg_parse_header(c, t, tn, line);
		return;
	}
	cfg_parse_pair(c, t, tn, line, (uint32_t)*cur);
	return;
rejected:
	/* Keys under a header we could not read belong to no known section. */
	if (header)
		*cur = -1;
}

void config_init(struct config *c)
{
	if (!c)
		return;
	cfg_zero(c, sizeof(*c));
	cfg_copy(c->sections[0].kind, "plinth", 6);
	c->nsections = 1;
}

int config_parse(struct config *c, const char *text, size_t len)
{
	size_t pos = 0, start, end;
	uint32_t line = 0;
	int cur = 0;

	if (!c)
		return -1;
	config_init(c);
	if (!text)
		len = 0;
	/* Some editors start a file with a UTF-8 byte-order mark. */
	if (len >= 3 && (unsigned char)text[0] == 0xef && (unsigned char)text[1] == 0xbb &&
	    (unsigned char)text[2] == 0xbf)
		pos = 3;
	while (pos < len) {
		start = pos;
		while (pos < len && text[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++;
		if (end > start && text[end - 1] == '\r')
			end--;
		if (line < UINT32_MAX)
			line++;
		cfg_parse_line(c, text + start, end - start, line, &cur);
	}
	return c->nerrors > INT32_MAX ? INT32_MAX : (int)c->nerrors;
}

/* ---------------------------------------------------------------- overrides */

static int cfg_option_error(struct config *c, const char *w, size_t n, const char *why)
{
	struct cfg_msg m = cfg_error(c, 0);

	msg_str(&m, "option ");
	msg_snip(&m, w, n);
	msg_str(&m, ": ");
	msg_str(&m, why);
	return -1;
}

/* "key=value" or "vm.NAME.key=value"; decode everything before changing c. */
static int cfg_set_word(struct config *c, const char *w, size_t n)
{
	size_t eq = cfg_find(w, n, '=');
	const char *key = w, *name = NULL, *val, *why;
	size_t kn = eq, nn = 0, vn, dot;
	int section = 0, entry = -1;

	if (eq == n)
		return cfg_option_error(c, w, n, "expected key=value");
	if (eq > 3 && cfg_eq("vm.", 4, w, 3)) {
		name = w + 3;
		dot = cfg_find(name, eq - 3, '.');
		if (dot == eq - 3)
			return cfg_option_error(c, w, n, "expected vm.NAME.key=value");
		nn = dot;
		key = name + dot + 1;
		kn = eq - 3 - dot - 1;
		why = cfg_name_problem(name, nn);
		if (why)
			return cfg_option_error(c, w, n, why);
	}
	why = cfg_key_problem(key, kn);
	if (why)
		return cfg_option_error(c, w, n, why);
	val = w + eq + 1;
	vn = n - eq - 1;
	why = cfg_value_problem(&val, &vn);
	if (why)
		return cfg_option_error(c, w, n, why);

	if (name) {
		section = cfg_find_vm(c, name, nn);
		if (section < 0 && c->nsections >= CFG_MAX_SECTIONS)
			return cfg_option_error(c, w, n, "too many sections (max 32)");
	}
	if (section >= 0)
		entry = cfg_find_entry(c, (uint32_t)section, key, kn);
	if (entry < 0 && c->nentries >= CFG_MAX_ENTRIES)
		return cfg_option_error(c, w, n, "too many entries (max 256)");

	if (section < 0)
		section = cfg_add_vm(c, name, nn);
	if (entry >= 0)
		cfg_copy(c->entries[entry].value, val, vn);
	else
		cfg_add_entry(c, (uint32_t)section, key, kn, val, vn);
	return 0;
}

int config_set(struct config *c, const char *word)
{
	if (!c || !word)
		return -1;
	return cfg_set_word(c, word, cfg_strlen(word));
}

static int cfg_is_separator(char ch)
{
	return cfg_is_space(ch) || ch == '\r' || ch == '\n';
}

int config_apply_options(struct config *c, const char *options)
{
	size_t start, pos = 0, eq;
	int quoted, bad = 0;

	if (!c || !options)
		return 0;
	for (;;) {
		while (cfg_is_separator(options[pos]))
			pos++;
		if (!options[pos])
			return bad;
		start = pos;
		quoted = 0;
		while (options[pos] && (quoted || !cfg_is_separator(options[pos]))) {
			if (options[pos] == '"')
				quoted = !quoted;
			pos++;
		}
		eq = cfg_find(options + start, pos - start, '=');
		if (eq < pos - start && cfg_set_word(c, options + start, pos - start) < 0)
			bad++;
	}
}

/* ---------------------------------------------------------------- queries */

int config_find_section(const struct config *c, const char *kind, const char *name)
{
	uint32_t i;

	if (!c || !kind)
		return -1;
	if (!name)
		name = "";
	for (i = 0; i < cfg_nsections(c); i++)
		if (cfg_eq(c->sections[i].kind, CFG_KIND_MAX, kind, cfg_strlen(kind)) &&
		    cfg_eq(c->sections[i].name, CFG_NAME_MAX, name, cfg_strlen(name)))
			return (int)i;
	return -1;
}

const char *config_get(const struct config *c, uint32_t section, const char *key)
{
	int i;

	if (!c || !key || section >= cfg_nsections(c))
		return NULL;
	i = cfg_find_entry(c, section, key, cfg_strlen(key));
	return i < 0 ? NULL : c->entries[i].value;
}

const char *config_next(const struct config *c, uint32_t section, const char *key,
			uint32_t *pos)
{
	uint32_t i;
	size_t kn;

	if (!c || !key || !pos)
		return NULL;
	kn = cfg_strlen(key);
	for (i = *pos; i < cfg_nentries(c); i++) {
		if (c->entries[i].section == section &&
		    cfg_eq(c->entries[i].key, CFG_KEY_MAX, key, kn)) {
			*pos = i + 1;
			return c->entries[i].value;
		}
	}
	*pos = cfg_nentries(c);
	return NULL;
}

int config_key_is_file(const char *key)
{
	static const char *const files[] = { "image", "kernel", "initrd", "module", "file" };
	size_t i, n;

	if (!key)
		return 0;
	n = cfg_strlen(key);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (cfg_eq(files[i], n + 1, key, n))
			return 1;
	return 0;
}

int config_parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suffix; unsigned shift; } units[] = {
		{ "", 0 }, { "k", 10 }, { "kib", 10 }, { "m", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gib", 30 },
	};
	uint64_t v = 0;
	size_t i = 0, u, k;
	char lower[4];

	if (!s || !out || s[0] < '0' || s[0] > '9')
		return -1;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	for (k = 0; s[i + k] && k < 3; k++)
		lower[k] = cfg_lower(s[i + k]);
	if (s[i + k])
		return -1;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		if (!cfg_eq(units[u].suffix, k + 1, lower, k))
			continue;
		if (v > (UINT64_MAX >> units[u].shift))
			return -1;
		*out = v << units[u].shift;
		return 0;
	}
	return -1;
}

/*
 * key=value words of the guest cmdline.  plinth NUL-terminates the cmdline
 * (struct pl_start_info), so plain string walks are bounded.
 */
#include "pl.h"

const char *pl_cmdline(const struct pl_start_info *si)
{
	return si->cmdline_gpa ? (const char *)(uintptr_t)si->cmdline_gpa : "";
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int pl_args_get(const char *args, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = args;

	while (*p) {
		const char *w = p, *v;
		size_t n = 0;

		while (*p && !is_space(*p))
			p++;
		if ((size_t)(p - w) >= klen && !memcmp(w, key, klen) &&
		    (w + klen == p || w[klen] == '=')) {
			v = w + klen == p ? p : w + klen + 1;
			for (; v + n < p; n++)
				if (n + 1 < len)
					buf[n] = v[n];
			if (len)
				buf[n < len ? n : len - 1] = '\0';
			return (int)n;
		}
		while (is_space(*p))
			p++;
	}
	return -1;
}

int pl_cmdline_get(const struct pl_start_info *si, const char *key, char *buf, size_t len)
{
	return pl_args_get(pl_cmdline(si), key, buf, len);
}

int pl_cmdline_has(const struct pl_start_info *si, const char *key)
{
	return pl_args_get(pl_cmdline(si), key, NULL, 0) >= 0;
}

static int digit_of(char c, unsigned base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned)d < base ? d : -1;
}

int pl_parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	int d, any = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = digit_of(*s, base)) >= 0; s++, any = 1) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -1;
		v = v * base + (uint64_t)d;
	}
	if (*s == 'k' || *s == 'K')
		shift = 10;
	else if (*s == 'm' || *s == 'M')
		shift = 20;
	else if (*s == 'g' || *s == 'G')
		shift = 30;
	if (shift)
		s++;
	if (!any || *s || v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

uint64_t pl_cmdline_u64(const struct pl_start_info *si, const char *key, uint64_t def)
{
	char buf[32];
	uint64_t v;

	if (pl_cmdline_get(si, key, buf, sizeof(buf)) < 0 ||
	    strlen(buf) == sizeof(buf) - 1 || pl_parse_u64(buf, &v))
		return def;
	return v;
}

/*
 * A small printf for guests: integers, strings and characters only (guests
 * have no FPU state to spare and no need for floats).
 */
#include "pl.h"

struct out {
	char *buf;
	size_t size, len;       /* len counts every byte, written or not */
};

static void out_c(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_c(o, c);
}

struct spec {
	int left, zero, width;
};

/* prefix ("-", "0x" or "") goes before any zero padding, as in C. */
static void out_field(struct out *o, const struct spec *sp, const char *prefix,
		      const char *body, int blen)
{
	int plen = (int)strlen(prefix);
	int pad = sp->width - plen - blen;

	if (!sp->left && !sp->zero)
		out_pad(o, ' ', pad);
	while (*prefix)
		out_c(o, *prefix++);
	if (!sp->left && sp->zero)
		out_pad(o, '0', pad);
	while (blen-- > 0)
		out_c(o, *body++);
	if (sp->left)
		out_pad(o, ' ', pad);
}

static void out_num(struct out *o, const struct spec *sp, uint64_t v, int neg,
		    unsigned base, int upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = sizeof(tmp);

	do {
		tmp[--n] = digits[v % base];
		v /= base;
	} while (v);
	out_field(o, sp, neg ? "-" : prefix, tmp + n, (int)sizeof(tmp) - n);
}

int pl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		struct spec sp = { 0, 0, 0 };
		int lng = 0;

		if (*fmt != '%') {
			out_c(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else if (*fmt == '0')
				sp.zero = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9' && sp.width < 1000)
			sp.width = sp.width * 10 + (*fmt++ - '0');
		while (*fmt >= '0' && *fmt <= '9')
			fmt++;
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

			out_num(&o, &sp, m, v < 0, 10, 0, "");
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);

			out_num(&o, &sp, v, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X', "");
			break;
		}
		case 'p':
			out_num(&o, &sp, (uint64_t)(uintptr_t)va_arg(ap, void *), 0, 16, 0, "0x");
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			sp.zero = 0;
			out_field(&o, &sp, "", &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			sp.zero = 0;
			out_field(&o, &sp, "", s, (int)strlen(s));
			break;
		}
		case '%':
			out_c(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			out_c(&o, '%');
			out_c(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int pl_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = pl_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int pl_printf(const char *fmt, ...)
{
	char buf[PL_PRINTF_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = pl_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	pl_console_write(buf, (uint64_t)n);
	return n;
}

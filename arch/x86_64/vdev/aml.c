/*
 * The AML writer of aml.h.  Opcodes and encodings: ACPI 6.0 20.2 (AML
 * grammar) and 6.4 (resource descriptors).
 */
#include <string.h>
#include "aml.h"
#include "le.h"

#define ZERO_OP         0x00
#define ONE_OP          0x01
#define NAME_OP         0x08
#define BYTE_PREFIX     0x0a
#define WORD_PREFIX     0x0b
#define DWORD_PREFIX    0x0c
#define QWORD_PREFIX    0x0e
#define SCOPE_OP        0x10
#define BUFFER_OP       0x11
#define PACKAGE_OP      0x12
#define METHOD_OP       0x14
#define EXT_OP_PREFIX   0x5b
#define DEVICE_OP       0x82            /* after EXT_OP_PREFIX */
#define ROOT_CHAR       '\\'
#define NULL_NAME       0x00
#define ARG0_OP         0x68
#define RETURN_OP       0xa4
#define MAX_ARGS        7

#define PKGLEN_RESERVED 4
#define BUFSIZE_LEN     5               /* DWordPrefix and a DWORD */

/* 6.4.2/6.4.3: descriptor tags and lengths. */
#define RES_IO          0x47            /* small item: I/O port, length 7 */
#define RES_IO_DECODE16 0x01
#define RES_END         0x79            /* small item: end tag, length 1 */
#define RES_DWORD_ADDR  0x87            /* large item: DWord address space */
#define RES_WORD_ADDR   0x88            /* large item: Word address space */
#define RES_DWORD_LEN   23
#define RES_WORD_LEN    13
#define RES_SPACE_MEM   0
#define RES_SPACE_IO    1
#define RES_SPACE_BUS   2
#define RES_GEN_WINDOW  0x0c            /* _MAF | _MIF fixed, positive decode, producer */
#define RES_IO_ENTIRE   0x03            /* _RNG: ISA and non-ISA ports */
#define RES_MEM_RW_CACHEABLE 0x03       /* _RW read/write, _MEM cacheable */

void aml_init(struct aml *a, void *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
	a->bad = buf == NULL;
}

size_t aml_finish(struct aml *a)
{
	return a->bad || a->depth ? 0 : a->len;
}

static uint8_t *room(struct aml *a, size_t n)
{
	uint8_t *p;

	if (a->bad || a->cap - a->len < n) {
		a->bad = true;
		return NULL;
	}
	p = a->buf + a->len;
	a->len += n;
	return p;
}

static void put(struct aml *a, uint8_t b)
{
	uint8_t *p = room(a, 1);

	if (p)
		*p = b;
}

static bool seg_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

static void put_seg(struct aml *a, const char *seg)
{
	size_t n = seg ? strlen(seg) : 0;
	uint8_t *p;

	if (n == 0 || n > 4) {
		a->bad = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!seg_char(seg[i], i == 0)) {
			a->bad = true;
			return;
		}
	p = room(a, 4);
	if (!p)
		return;
	memcpy(p, "____", 4);
	memcpy(p, seg, n);
}

static void put_path(struct aml *a, const char *path)
{
	if (!path || path[0] != ROOT_CHAR) {
		put_seg(a, path);
		return;
	}
	put(a, ROOT_CHAR);
	if (path[1] == '\0')
		put(a, NULL_NAME);
	else
		put_seg(a, path + 1);
}

size_t aml_pkglen(size_t body, uint8_t out[4])
{
	/* One byte holds 6 bits; each following byte adds 8 to the lead byte's 4. */
	if (body + 1 < 0x40) {
		out[0] = (uint8_t)(body + 1);
		return 1;
	}
	for (size_t k = 2; k <= 4; k++) {
		size_t v = body + k;

		if (v < (size_t)1 << (4 + 8 * (k - 1))) {
			out[0] = (uint8_t)(((k - 1) << 6) | (v & 0xf));
			for (size_t i = 1; i < k; i++)
				out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
			return k;
		}
	}
	return 0;
}

static void open_pkg(struct aml *a, size_t size_at)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->bad = true;
		return;
	}
	a->open[a->depth].at = a->len;
	a->open[a->depth].size_at = size_at;
	if (room(a, PKGLEN_RESERVED))
		a->depth++;
}

void aml_close(struct aml *a)
{
	uint8_t enc[4];
	size_t at, body, k;

	if (a->bad || a->depth == 0) {
		a->bad = true;
		return;
	}
	a->depth--;
	at = a->open[a->depth].at;
	if (a->open[a->depth].size_at) {
		size_t s = a->open[a->depth].size_at;

		a->buf[s] = DWORD_PREFIX;
		le_put32(a->buf + s + 1, (uint32_t)(a->len - s - BUFSIZE_LEN));
	}
	body = a->len - at - PKGLEN_RESERVED;
	k = aml_pkglen(body, enc);
	if (k == 0) {
		a->bad = true;
		return;
	}
	memmove(a->buf + at + k, a->buf + at + PKGLEN_RESERVED, body);
	memcpy(a->buf + at, enc, k);
	a->len -= PKGLEN_RESERVED - k;
}

void aml_scope(struct aml *a, const char *path)
{
	put(a, SCOPE_OP);
	open_pkg(a, 0);
	put_path(a, path);
}

void aml_device(struct aml *a, const char *seg)
{
	put(a, EXT_OP_PREFIX);
	put(a, DEVICE_OP);
	open_pkg(a, 0);
	put_seg(a, seg);
}

void aml_method(struct aml *a, const char *seg, unsigned nargs)
{
	if (nargs > MAX_ARGS) {
		a->bad = true;
		return;
	}
	put(a, METHOD_OP);
	open_pkg(a, 0);
	put_seg(a, seg);
	put(a, (uint8_t)nargs);                 /* MethodFlags: not serialized, SyncLevel 0 */
}

void aml_package(struct aml *a, unsigned nelems)
{
	if (nelems > 0xff) {
		a->bad = true;
		return;
	}
	put(a, PACKAGE_OP);
	open_pkg(a, 0);
	put(a, (uint8_t)nelems);
}

void aml_buffer(struct aml *a)
{
	put(a, BUFFER_OP);
	open_pkg(a, a->len + PKGLEN_RESERVED);
	room(a, BUFSIZE_LEN);                   /* filled in by aml_close */
}

void aml_name(struct aml *a, const char *seg)
{
	put(a, NAME_OP);
	put_seg(a, seg);
}

void aml_int(struct aml *a, uint64_t v)
{
	uint8_t *p;

	if (v <= ONE_OP) {
		put(a, (uint8_t)v);             /* ZeroOp, OneOp */
	} else if (v <= 0xff) {
		put(a, BYTE_PREFIX);
		put(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		put(a, WORD_PREFIX);
		if ((p = room(a, 2)))
			le_put16(p, (uint16_t)v);
	} else if (v <= 0xffffffffu) {
		put(a, DWORD_PREFIX);
		if ((p = room(a, 4)))
			le_put32(p, (uint32_t)v);
	} else {
		put(a, QWORD_PREFIX);
		if ((p = room(a, 8)))
			le_put64(p, v);
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint32_t aml_eisaid_value(const char *id)
{
	uint32_t v = 0;

	if (!id || strlen(id) != 7)
		return 0;
	/* Three letters of 5 bits each ('A' = 1), then four hex digits, stored big-endian. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v = (v << 5) | (uint32_t)(id[i] - '@');
	}
	for (int i = 3; i < 7; i++) {
		int d = hex_digit(id[i]);

		if (d < 0)
			return 0;
		v = (v << 4) | (uint32_t)d;
	}
	return __builtin_bswap32(v);
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = aml_eisaid_value(id);
	uint8_t *p;

	if (v == 0) {
		a->bad = true;
		return;
	}
	put(a, DWORD_PREFIX);
	if ((p = room(a, 4)))
		le_put32(p, v);
}

void aml_return_arg(struct aml *a, unsigned n)
{
	if (n >= MAX_ARGS) {
		a->bad = true;
		return;
	}
	put(a, RETURN_OP);
	put(a, (uint8_t)(ARG0_OP + n));
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	uint8_t *p = room(a, 8);

	if (!p)
		return;
	p[0] = RES_IO;
	p[1] = RES_IO_DECODE16;
	le_put16(p + 2, base);                  /* minimum = maximum: fixed */
	le_put16(p + 4, base);
	p[6] = 1;                               /* alignment */
	p[7] = len;
}

/*
 * 6.4.3.5.2 DWord and 6.4.3.5.3 Word Address Space Descriptors: a producer
 * window [first, last].  After the type and flags come five fields of
 * `width` bytes: granularity (0), minimum, maximum, translation (0), length.
 */
static void res_window(struct aml *a, unsigned width, uint8_t space, uint8_t tflags,
		       uint32_t first, uint32_t last)
{
	uint8_t len = width == 2 ? RES_WORD_LEN : RES_DWORD_LEN;
	uint8_t *p = room(a, 3u + len);

	if (!p)
		return;
	memset(p, 0, 3u + len);
	p[0] = width == 2 ? RES_WORD_ADDR : RES_DWORD_ADDR;
	le_put16(p + 1, len);
	p[3] = space;
	p[4] = RES_GEN_WINDOW;
	p[5] = tflags;
	for (unsigned i = 0; i < width; i++) {
		p[6 + width + i] = (uint8_t)(first >> (8 * i));
		p[6 + 2 * width + i] = (uint8_t)(last >> (8 * i));
		p[6 + 4 * width + i] = (uint8_t)((last - first + 1) >> (8 * i));
	}
}

void aml_res_bus(struct aml *a, uint16_t first, uint16_t last)
{
	res_window(a, 2, RES_SPACE_BUS, 0, first, last);
}

void aml_res_io_window(struct aml *a, uint16_t first, uint16_t last)
{
	res_window(a, 2, RES_SPACE_IO, RES_IO_ENTIRE, first, last);
}

void aml_res_mem_window(struct aml *a, uint32_t first, uint32_t last)
{
	res_window(a, 4, RES_SPACE_MEM, RES_MEM_RW_CACHEABLE, first, last);
}

void aml_res_end(struct aml *a)
{
	put(a, RES_END);
	put(a, 0);                              /* checksum 0: "treated as correct" */
}

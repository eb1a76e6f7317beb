/*
 * A small AML writer (ACPI 6.0 chapter 20) for the DSDT plinth builds for
 * each PC-style VM, and the resource descriptors (6.4) its _CRS objects
 * hold.  Objects that carry a PkgLength (Scope, Device, Method, Package,
 * Buffer) are opened, filled and closed; the writer reserves the longest
 * PkgLength at the open and moves the body back at the close, so callers
 * never count bytes.  A buffer that runs out, or a close without an open,
 * marks the writer bad and everything after is ignored: aml_finish() says 0.
 */
#ifndef ARCH_VDEV_AML_H
#define ARCH_VDEV_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH   8
#define AML_PKGLEN_MAX  0x0fffffffu     /* 20.2.4: 28 bits */

struct aml {
	uint8_t *buf;
	size_t len, cap;
	struct {
		size_t at;              /* offset of the reserved PkgLength */
		size_t size_at;         /* Buffer: offset of its BufferSize, else 0 */
	} open[AML_MAX_DEPTH];
	unsigned depth;
	bool bad;
};

void aml_init(struct aml *a, void *buf, size_t cap);
/* Bytes written, or 0 if anything failed or an object is still open. */
size_t aml_finish(struct aml *a);

/*
 * Names: a NameSeg of up to 4 characters ('_' pads it), or a path "\" or
 * "\SEG" from the root.  Anything longer or with other characters than
 * A-Z, 0-9 and '_' marks the writer bad.
 */
void aml_scope(struct aml *a, const char *path);        /* opens */
void aml_device(struct aml *a, const char *seg);        /* opens */
void aml_method(struct aml *a, const char *seg, unsigned nargs);  /* opens; not serialized */
void aml_package(struct aml *a, unsigned nelems);       /* opens */
void aml_buffer(struct aml *a);                         /* opens; its size is set at close */
void aml_close(struct aml *a);

void aml_name(struct aml *a, const char *seg);          /* Name(seg, <next object>) */
void aml_int(struct aml *a, uint64_t v);                /* the shortest integer encoding */
/* A compressed EISA id ("PNP0A08") as DWordConst, as ASL's EisaId() makes it. */
void aml_eisaid(struct aml *a, const char *id);
void aml_return_arg(struct aml *a, unsigned n);         /* Return (ArgN) */

/* 6.4 resource descriptors, inside a Buffer (a ResourceTemplate). */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);     /* fixed ports, 16-bit decode */
void aml_res_bus(struct aml *a, uint16_t first, uint16_t last); /* WordBusNumber, producer */
void aml_res_io_window(struct aml *a, uint16_t first, uint16_t last);  /* WordIO, producer */
void aml_res_mem_window(struct aml *a, uint32_t first, uint32_t last); /* DWordMemory, producer */
void aml_res_end(struct aml *a);                        /* EndTag, checksum 0 */

/*
 * 20.2.4: the PkgLength in front of a body of `body` bytes (the value counts
 * the PkgLength's own bytes too) into out; bytes used, 0 if too big.
 */
size_t aml_pkglen(size_t body, uint8_t out[4]);
/* EisaId("PNP0A08") as the integer AML holds; 0 for a malformed id. */
uint32_t aml_eisaid_value(const char *id);

#endif

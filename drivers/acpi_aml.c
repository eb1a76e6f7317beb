/*
 * \_S5 lookup in AML (ACPI 6.x chapter 20).  The DSDT is firmware input:
 * every read is bounded by the table length or by the package's own end.
 */
#include <string.h>
#include "drivers/acpi.h"
#include "drivers/acpi_aml.h"

/* ACPI 6.x 20.2: opcodes used here. */
#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_WORD_PREFIX   0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_PACKAGE_OP    0x12
#define AML_ROOT_CHAR     '\\'
#define SLP_TYP_MAX       7u

/* Do n bytes starting at p fit before end? */
static int fits(uint32_t p, uint32_t n, uint32_t end)
{
	return p <= end && n <= end - p;
}

/*
 * One integer element at aml[*p], before end.  Only the encodings a constant
 * can take (ACPI 6.x 20.2.3); anything else, or a value over 3 bits, fails.
 */
static int aml_small_int(const uint8_t *aml, uint32_t *p, uint32_t end, uint8_t *out)
{
	uint32_t v = 0, n;

	if (*p >= end)
		return -1;
	switch (aml[*p]) {
	case AML_ZERO_OP:      n = 0; break;
	case AML_ONE_OP:       n = 0; v = 1; break;
	case AML_BYTE_PREFIX:  n = 1; break;
	case AML_WORD_PREFIX:  n = 2; break;
	case AML_DWORD_PREFIX: n = 4; break;
	default:               return -1;
	}
	if (!fits(*p + 1, n, end))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		v |= (uint32_t)aml[*p + 1 + i] << (8 * i);
	if (v > SLP_TYP_MAX)
		return -1;
	*out = (uint8_t)v;
	*p += 1 + n;
	return 0;
}

/*
 * Decode the package whose PackageOp is at aml[p].  ACPI 6.x 20.2.4:
 * PkgLength's lead byte bits 7:6 count the bytes that follow it; the length
 * counts itself and runs to the end of the package.
 */
static enum acpi_aml_s5 s5_decode(const uint8_t *aml, uint32_t len, uint32_t p,
				  uint8_t *a, uint8_t *b)
{
	uint32_t start, pkglen, nbytes, end;
	uint8_t lead, count;

	start = ++p;
	if (p >= len)
		return ACPI_AML_S5_MALFORMED;
	lead = aml[p];
	nbytes = lead >> 6;
	if (!fits(p, 1 + nbytes, len))
		return ACPI_AML_S5_MALFORMED;
	if (nbytes == 0) {
		pkglen = lead & 0x3f;
	} else {
		pkglen = lead & 0x0f;
		for (uint32_t i = 0; i < nbytes; i++)
			pkglen |= (uint32_t)aml[p + 1 + i] << (4 + 8 * i);
	}
	if (!fits(start, pkglen, len))
		return ACPI_AML_S5_MALFORMED;
	end = start + pkglen;
	p += 1 + nbytes;
	if (p >= end)
		return ACPI_AML_S5_MALFORMED;
	count = aml[p++];
	if (count < 1 || aml_small_int(aml, &p, end, a) < 0)
		return ACPI_AML_S5_MALFORMED;
	*b = *a;
	if (count >= 2 && aml_small_int(aml, &p, end, b) < 0)
		return ACPI_AML_S5_MALFORMED;
	return ACPI_AML_S5_OK;
}

enum acpi_aml_s5 acpi_aml_find_s5(const uint8_t *dsdt, uint32_t len,
				  uint8_t *slp_typa, uint8_t *slp_typb)
{
	/* Name(_S5_, ...) is NameOp [\] '_S5_' PackageOp: start one past the header. */
	for (uint32_t i = ACPI_HDR_LEN + 1; fits(i, 5, len); i++) {
		int named;

		if (memcmp(dsdt + i, "_S5_", 4) != 0)
			continue;
		named = dsdt[i - 1] == AML_NAME_OP ||
			(dsdt[i - 1] == AML_ROOT_CHAR && i >= ACPI_HDR_LEN + 2 &&
			 dsdt[i - 2] == AML_NAME_OP);
		if (named && dsdt[i + 4] == AML_PACKAGE_OP)
			return s5_decode(dsdt, len, i + 4, slp_typa, slp_typb);
	}
	return ACPI_AML_S5_MISSING;
}

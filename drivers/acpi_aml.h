/*
 * The little AML plinth reads: the \_S5 sleep-type package in the DSDT.
 * Not an interpreter; it finds Name(_S5_, Package(){a, b, ...}) by pattern
 * and decodes only constant integers, checking every byte against the table.
 */
#ifndef PLINTH_ACPI_AML_H
#define PLINTH_ACPI_AML_H

#include <stdint.h>

enum acpi_aml_s5 {
	ACPI_AML_S5_OK = 0,
	ACPI_AML_S5_MISSING = -1,    /* no Name(_S5_, Package) in the table */
	ACPI_AML_S5_MALFORMED = -2,  /* found, but truncated or not constants */
};

/*
 * Search a whole DSDT (header included, len bytes) for \_S5 and return its
 * SLP_TYPa and SLP_TYPb (3 bits each).  A one-element package gives both.
 */
enum acpi_aml_s5 acpi_aml_find_s5(const uint8_t *dsdt, uint32_t len,
				  uint8_t *slp_typa, uint8_t *slp_typb);

#endif

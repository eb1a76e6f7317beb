UNIT_TESTS += test_acpi
test_acpi_SRCS := drivers/acpi.c drivers/acpi_aml.c

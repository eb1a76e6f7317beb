UNIT_TESTS += test_vdev_acpi
test_vdev_acpi_SRCS := arch/x86_64/vdev/acpi_tables.c arch/x86_64/vdev/aml.c arch/x86_64/vdev/acpi_pm.c drivers/acpi.c drivers/acpi_aml.c

UNIT_TESTS += test_pci
test_pci_SRCS := drivers/pci.c

UNIT_TESTS += test_vdev_pci
test_vdev_pci_SRCS := arch/x86_64/vdev/pci_host.c

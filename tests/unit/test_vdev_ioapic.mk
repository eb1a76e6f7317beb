UNIT_TESTS += test_vdev_ioapic
test_vdev_ioapic_SRCS := arch/x86_64/vdev/ioapic.c

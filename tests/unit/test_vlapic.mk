UNIT_TESTS += test_vlapic
test_vlapic_SRCS := arch/x86_64/vdev/lapic.c

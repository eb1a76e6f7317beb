UNIT_TESTS += test_vdev_mtrr
test_vdev_mtrr_SRCS := arch/x86_64/vdev/mtrr.c

UNIT_TESTS += test_vdev_pit
test_vdev_pit_SRCS := arch/x86_64/vdev/pit.c

UNIT_TESTS += test_vdev_aml
test_vdev_aml_SRCS := arch/x86_64/vdev/aml.c

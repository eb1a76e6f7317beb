UNIT_TESTS += test_vdev_misc
test_vdev_misc_SRCS := arch/x86_64/vdev/rtc.c arch/x86_64/vdev/i8042.c arch/x86_64/vdev/pmtimer.c arch/x86_64/calib.c

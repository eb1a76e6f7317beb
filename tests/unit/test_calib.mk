UNIT_TESTS += test_calib
test_calib_SRCS := arch/x86_64/calib.c

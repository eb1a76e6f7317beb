UNIT_TESTS += test_tsc
test_tsc_SRCS := arch/x86_64/tsc.c arch/x86_64/calib.c

UNIT_TESTS += test_gwalk
test_gwalk_SRCS := arch/x86_64/gwalk.c

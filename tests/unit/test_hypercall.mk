UNIT_TESTS += test_hypercall
test_hypercall_SRCS := core/hypercall.c core/ring.c

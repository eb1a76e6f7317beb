UNIT_TESTS += test_ring
test_ring_SRCS := core/ring.c

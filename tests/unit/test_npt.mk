UNIT_TESTS += test_npt
test_npt_SRCS := arch/x86_64/pagetable.c

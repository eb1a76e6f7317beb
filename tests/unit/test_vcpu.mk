UNIT_TESTS += test_vcpu
test_vcpu_SRCS := core/vcpu.c arch/x86_64/svm/inject.c

UNIT_TESTS += test_vm_params
test_vm_params_SRCS := core/vm_params.c core/config.c

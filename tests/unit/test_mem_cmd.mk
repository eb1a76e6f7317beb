UNIT_TESTS += test_mem_cmd
test_mem_cmd_SRCS := core/mem_cmd.c core/frame.c

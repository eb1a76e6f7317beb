UNIT_TESTS += test_config
test_config_SRCS := core/config.c

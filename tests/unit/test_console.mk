UNIT_TESTS += test_console
test_console_SRCS := core/cmd.c core/console.c core/log_cmd.c core/lineedit.c arch/x86_64/calib.c
# console.c needs the version the Makefile passes to the core build.
$(BUILD)/unit/test_console: UNIT_CFLAGS += -DPLINTH_VERSION='"0.0.0-unit"'

UNIT_TESTS += test_lineedit
test_lineedit_SRCS := core/lineedit.c

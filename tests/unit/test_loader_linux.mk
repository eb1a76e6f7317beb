UNIT_TESTS += test_loader_linux
test_loader_linux_SRCS := core/loader.c core/loader_mb.c core/loader_linux.c

UNIT_TESTS += test_loader
test_loader_SRCS := core/loader.c core/loader_elf.c core/loader_mb.c

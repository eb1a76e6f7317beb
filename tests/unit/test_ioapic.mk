UNIT_TESTS += test_ioapic
test_ioapic_SRCS := arch/x86_64/ioapic.c

UNIT_TESTS += test_insn
test_insn_SRCS := arch/x86_64/insn.c arch/x86_64/insn_emul.c

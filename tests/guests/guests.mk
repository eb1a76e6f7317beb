# Test guests (docs/guests.md): the runtime in guest-abi/runtime/ goes into a
# small archive, each tests/guests/NAME.c becomes $(BUILD)/guests/NAME.elf.
# triple.elf is a Multiboot ELF32 kernel and links without the runtime.
BUILD  ?= build
GCCINC ?= $(shell gcc -print-file-name=include)

GUEST_DIR := $(BUILD)/guests
GUEST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
	-nostdlib -nostdinc -isystem $(GCCINC) -mno-red-zone -mgeneral-regs-only \
	-Iguest-abi -Iguest-abi/runtime
GUEST_LDFLAGS := -static -no-pie -Wl,-T,linker/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack
GUEST_HDRS := guest-abi/plinth_abi.h guest-abi/runtime/pl.h

GUEST_RT_OBJ := $(patsubst guest-abi/runtime/%,$(GUEST_DIR)/rt/%.o, \
	$(sort $(wildcard guest-abi/runtime/*.c guest-abi/runtime/*.S)))
GUEST_ELF64 := $(patsubst %,$(GUEST_DIR)/%.elf,hello abi spinner longcall prober fuzz bench strio)
GUEST_ELFS += $(GUEST_ELF64) $(GUEST_DIR)/triple.elf

$(GUEST_DIR)/rt/%.o: guest-abi/runtime/% $(GUEST_HDRS)
	@mkdir -p $(@D)
	@echo "  CC    $< (guest)"
	@gcc -m64 $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_DIR)/libpl.a: $(filter-out %/start.S.o,$(GUEST_RT_OBJ))
	@rm -f $@
	@ar rcs $@ $^

$(GUEST_ELF64): $(GUEST_DIR)/%.elf: tests/guests/%.c $(GUEST_DIR)/rt/start.S.o $(GUEST_DIR)/libpl.a \
		$(GUEST_HDRS) linker/guest.ld
	@echo "  CC    $@ (guest)"
	@gcc -m64 $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $< \
		$(GUEST_DIR)/rt/start.S.o $(GUEST_DIR)/libpl.a -o $@

$(GUEST_DIR)/triple.elf: tests/guests/triple.c linker/guest.ld
	@mkdir -p $(@D)
	@echo "  CC    $@ (guest, Multiboot ELF32)"
	@gcc -m32 $(filter-out -Iguest-abi%,$(GUEST_CFLAGS)) $(GUEST_LDFLAGS) $< -o $@

.PHONY: guests
guests: $(GUEST_ELFS)

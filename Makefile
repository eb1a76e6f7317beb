# plinth: one entry point.  `make help` lists the targets.
.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
SHELL := /bin/bash

BUILD   ?= build
SMP     ?= 2
MEM     ?= 1G
QEMU    ?= qemu-system-x86_64
OVMF_CODE ?= /usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS ?= /usr/share/OVMF/OVMF_VARS_4M.fd
QEMU_EXTRA ?=
# Debian's interpreter: pytest and pexpect come from Debian packages.
PYTHON  ?= $(firstword $(wildcard /usr/bin/python3) python3)

VERSION := 0.1.0
BUILD_ID := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

NEWLIB  := $(BUILD)/newlib
GCCINC  := $(shell gcc -print-file-name=include)
LIBGCC  := $(shell gcc -print-libgcc-file-name)

WARN := -Wall -Wextra -Werror -Wmissing-prototypes

# ---------------------------------------------------------------- the core
# The core runs in the top 2 GiB (kernel code model), never uses FPU/SSE
# state (DESIGN invariant 9) and keeps frame pointers for backtraces.
CORE_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O2 -g $(WARN) \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin-malloc \
	-mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-tree-vectorize \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-nostdinc -isystem $(NEWLIB)/include -isystem $(GCCINC) \
	-I. -Iarch/x86_64/include -Icore -Iguest-abi \
	-DPLINTH_VERSION='"$(VERSION)"' -MMD -MP

CORE_C := $(sort $(wildcard core/*.c arch/x86_64/*.c arch/x86_64/*/*.c drivers/*.c drivers/*/*.c))
CORE_S := $(sort $(wildcard arch/x86_64/*.S))
CORE_OBJ := $(patsubst %,$(BUILD)/core/%.o,$(CORE_C) $(CORE_S))

$(BUILD)/core/%.c.o: %.c $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	@echo "  CC    $<"
	@gcc $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/core/%.S.o: %.S $(BUILD)/core/asm_offsets.h
	@mkdir -p $(@D)
	@echo "  AS    $<"
	@gcc $(CORE_CFLAGS) -I$(BUILD)/core -D__ASSEMBLY__ -c $< -o $@

# Struct offsets for entry.S come from the compiler, never by hand.
$(BUILD)/core/asm_offsets.h: arch/x86_64/asm_offsets.c $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	gcc $(CORE_CFLAGS) -MT $@ -MF $(BUILD)/core/asm_offsets.d -S $< -o $(BUILD)/core/asm_offsets.s
	sed -n 's/.*->\([A-Za-z0-9_]*\) \([0-9-]*\).*/#define \1 \2/p' \
		$(BUILD)/core/asm_offsets.s > $@

# build id: a tiny generated object, rebuilt every time so `version` is honest.
$(BUILD)/core/build_id.o: FORCE $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	@echo 'const char plinth_build_id[] = "$(BUILD_ID)";' | \
		gcc $(CORE_CFLAGS) -x c -Wno-missing-prototypes -c - -o $@

$(BUILD)/core.elf: $(CORE_OBJ) $(BUILD)/core/build_id.o linker/core.ld $(NEWLIB)/.stamp
	ld -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker/core.ld \
		-o $@ $(CORE_OBJ) $(BUILD)/core/build_id.o $(NEWLIB)/lib/libc.a $(LIBGCC)

# What the loader embeds: the same ELF without debug info.
$(BUILD)/core.stripped.elf: $(BUILD)/core.elf
	objcopy --strip-debug $< $@

# ---------------------------------------------------------------- the loader
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -fpic -fshort-wchar \
	-fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-DGNU_EFI_USE_MS_ABI -DPLINTH_LOADER -DPLINTH_VERSION='"$(VERSION)"' \
	-I/usr/include/efi -I/usr/include/efi/x86_64 -I. -Iarch/x86_64/include -Icore -MMD -MP

BOOT_C := $(sort $(wildcard boot/*.c)) core/config.c arch/x86_64/pagetable.c
BOOT_OBJ := $(patsubst %,$(BUILD)/boot/%.o,$(BOOT_C)) $(BUILD)/boot/core_blob.o

$(BUILD)/boot/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC    $< (loader)"
	@gcc $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/boot/core_blob.o: boot/core_blob.S $(BUILD)/core.stripped.elf
	@mkdir -p $(@D)
	gcc -c -DCORE_ELF='"$(BUILD)/core.stripped.elf"' $< -o $@

$(BUILD)/plinth.so: $(BOOT_OBJ)
	ld -nostdlib -znocombreloc -shared -Bsymbolic -T /usr/lib/elf_x86_64_efi.lds \
		/usr/lib/crt0-efi-x86_64.o $(BOOT_OBJ) -L/usr/lib -lefi -lgnuefi $(LIBGCC) -o $@

$(BUILD)/plinth.efi: $(BUILD)/plinth.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .reloc --target=efi-app-x86_64 --subsystem=10 $< $@
	@echo "plinth.efi: $$(stat -c %s $@) bytes"

# ---------------------------------------------------------------- newlib
$(NEWLIB)/.stamp: tools/build-newlib.sh
	tools/build-newlib.sh $(BUILD)

# ---------------------------------------------------------------- images
# Test guests (tests/guests/guests.mk sets GUEST_ELFS); they ride along in
# the ESP and the TFTP directory next to plinth.cfg.
GUEST_ELFS :=
include tests/guests/guests.mk
include tests/guests/linux/linux.mk
# A deliberately broken image for the error-path tests: hello.elf cut short.
$(BUILD)/guests/truncated.elf: $(BUILD)/guests/hello.elf
	head -c 1500 $< > $@
GUEST_ELFS += $(BUILD)/guests/truncated.elf
# The Linux demo guest (linux.mk) rides along as vmlinuz and initrd.img.
BOOTFILES := tests/guests/plinth.cfg $(GUEST_ELFS) $(LINUX_FILES)
$(BUILD)/esp/EFI/BOOT/BOOTX64.EFI: $(BUILD)/plinth.efi $(BOOTFILES)
	rm -rf $(BUILD)/esp && mkdir -p $(@D)
	cp $< $@
	cp $(BOOTFILES) $(BUILD)/esp/EFI/BOOT/

$(BUILD)/plinth-usb.img: $(BUILD)/esp/EFI/BOOT/BOOTX64.EFI tools/mkimage.py
	$(PYTHON) tools/mkimage.py $(BUILD)/esp $@

$(BUILD)/tftp/plinth.efi: $(BUILD)/plinth.efi $(BOOTFILES)
	rm -rf $(BUILD)/tftp && mkdir -p $(@D)
	cp $< $@
	cp $(BOOTFILES) $(BUILD)/tftp/

# ---------------------------------------------------------------- targets
.PHONY: all deps run image pxe test unit integration fpu-check bench clean help FORCE

all: $(BUILD)/plinth.efi $(BUILD)/esp/EFI/BOOT/BOOTX64.EFI

deps:
	@tools/deps.sh

image: $(BUILD)/plinth-usb.img
pxe: $(BUILD)/tftp/plinth.efi

run: deps all
	tools/run-qemu.sh --smp $(SMP) --mem $(MEM) --fat $(BUILD)/esp $(QEMU_EXTRA)

# Host unit tests: each tests/unit/NAME.mk says `UNIT_TESTS += NAME` and
# `NAME_SRCS := files under test`.
UNIT_TESTS :=
include $(wildcard tests/unit/*.mk)
UNIT_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -O1 -g $(WARN) -Wno-missing-prototypes \
	-DPLINTH_HOST_TEST -I. -Iarch/x86_64/include -Icore -Iguest-abi -Itests/unit \
	-fsanitize=address,undefined -fno-sanitize-recover=all
UNIT_BINS := $(patsubst %,$(BUILD)/unit/%,$(UNIT_TESTS))
.SECONDEXPANSION:
$(BUILD)/unit/%: tests/unit/%.c $$(%_SRCS) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	@echo "  CC    $@ (host)"
	@gcc $(UNIT_CFLAGS) $< $($*_SRCS) -o $@ -lcmocka

unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

fpu-check: $(BUILD)/core.elf
	tools/check-fpu.sh $<

integration: all image pxe
	cd tests/integration && $(PYTHON) -m pytest -v -ra $(PYTEST_ARGS)

test: deps
	$(MAKE) all image pxe
	$(MAKE) unit
	$(MAKE) fpu-check
	$(MAKE) integration

# Figures for docs/perf.md: path lengths under -icount, wall time, image size.
bench: all
	$(PYTHON) tests/bench/boot_time.py
	$(PYTHON) tests/bench/vm_paths.py
	$(PYTHON) tests/bench/linux_boot.py

clean:
	rm -rf $(BUILD)/core $(BUILD)/boot $(BUILD)/unit $(BUILD)/guests $(BUILD)/esp $(BUILD)/tftp \
		$(BUILD)/linux $(BUILD)/*.efi $(BUILD)/*.elf $(BUILD)/*.so $(BUILD)/*.img

distclean:
	rm -rf $(BUILD)

help:
	@echo "make deps | all | run [SMP=n MEM=size] | image | pxe | test | unit | bench | clean"

FORCE:

-include $(CORE_OBJ:.o=.d) $(BOOT_OBJ:.o=.d) $(BUILD)/core/asm_offsets.d

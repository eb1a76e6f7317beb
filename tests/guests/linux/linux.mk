# The Linux demo guest: Debian's unmodified kernel (linux-image-amd64) and an
# initramfs of busybox-static, tests/guests/linux/init and tsc.  The packages
# are downloaded once into $(BUILD)/debs and unpacked, never installed
# (tools/fetch-deb.sh).  LINUX_FILES go onto the ESP as vmlinuz and initrd.img.
BUILD  ?= build
PYTHON ?= python3

LINUX_DIR := $(BUILD)/linux
LINUX_SRC := tests/guests/linux
LINUX_FILES := $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd.img
FETCH_DEB := DEBS=$(BUILD)/debs tools/fetch-deb.sh

# Only /boot of the kernel package: its modules are of no use to an
# initramfs without them and take hundreds of MiB unpacked.
$(LINUX_DIR)/kernel/.stamp: tools/fetch-deb.sh
	rm -rf $(@D)
	$(FETCH_DEB) linux-image-amd64 $(@D) ./boot
	touch $@

$(LINUX_DIR)/vmlinuz: $(LINUX_DIR)/kernel/.stamp
	@set -- $(LINUX_DIR)/kernel/boot/vmlinuz-*; \
	[ $$# -eq 1 ] && [ -f "$$1" ] || { echo "linux: want one vmlinuz-*, found: $$*" >&2; exit 1; }; \
	cp "$$1" $@; echo "vmlinuz: $${1##*/vmlinuz-}, $$(stat -c %s $@) bytes"

$(LINUX_DIR)/busybox/.stamp: tools/fetch-deb.sh
	rm -rf $(@D)
	$(FETCH_DEB) busybox-static $(@D) ./bin/busybox
	touch $@

$(LINUX_DIR)/tsc: $(LINUX_SRC)/tsc.c
	@mkdir -p $(@D)
	@echo "  CC    $@ (Linux guest)"
	@gcc -std=c11 -O2 -Wall -Wextra -Werror -Wmissing-prototypes -static -nostdlib \
		-fno-pie -no-pie -fno-stack-protector -fno-asynchronous-unwind-tables -s \
		-Wl,--build-id=none -Wl,-z,noexecstack $< -o $@

$(LINUX_DIR)/initrd.img: $(LINUX_SRC)/init $(LINUX_DIR)/tsc $(LINUX_DIR)/busybox/.stamp \
		tools/mkinitramfs.py
	$(PYTHON) tools/mkinitramfs.py --init $(LINUX_SRC)/init \
		--busybox $(LINUX_DIR)/busybox/bin/busybox --add bin/tsc=$(LINUX_DIR)/tsc $@

.PHONY: linux
linux: $(LINUX_FILES)

#!/usr/bin/env bash
# Boot plinth in QEMU with OVMF under TCG.  Used by `make run` and the tests.
#
#   tools/run-qemu.sh [options] BOOT-SOURCE [extra QEMU arguments]
#
# Boot source, exactly one of:
#   --fat DIR      DIR as a FAT disk (DIR/EFI/BOOT/BOOTX64.EFI)
#   --usb IMG      IMG (tools/mkimage.py) as a USB stick on an xHCI controller
#   --pxe DIR      network boot: QEMU's user-mode DHCP/TFTP serves DIR/plinth.efi
# Options:
#   --smp N        CPUs (default 2)
#   --mem SIZE     RAM, e.g. 512M, 2G (default 1G)
#   --icount       deterministic time: the TSC counts emulated instructions
#   --serial-only  no monitor, no signals: stdio is the serial port and nothing
#                  else (for tests; every byte reaches plinth, Ctrl-C included)
#   --dry-run      print the QEMU command line instead of running it
# Anything else is passed to QEMU.  Interactive use: Ctrl-A X quits, Ctrl-A C
# toggles the QEMU monitor.
#
# Environment: QEMU, OVMF_CODE, OVMF_VARS override the binaries used.
set -euo pipefail

QEMU=${QEMU:-qemu-system-x86_64}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

die() { echo "run-qemu: $*" >&2; exit 2; }

smp=2 mem=1G source= path= icount=0 serial_only=0 dry_run=0
extra=()
set_source() {
	[ -z "$source" ] || die "only one of --fat, --usb, --pxe (got $source and $1)"
	[ -n "${2:-}" ] || die "$1 needs an argument"
	source=$1 path=$2
}
while [ $# -gt 0 ]; do
	case $1 in
	--smp)         [ $# -ge 2 ] || die "--smp needs a number"; smp=$2; shift 2 ;;
	--mem)         [ $# -ge 2 ] || die "--mem needs a size"; mem=$2; shift 2 ;;
	--fat|--usb|--pxe) set_source "$1" "${2:-}"; shift 2 ;;
	--icount)      icount=1; shift ;;
	--serial-only) serial_only=1; shift ;;
	--dry-run)     dry_run=1; shift ;;
	-h|--help)     sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*)             extra+=("$1"); shift ;;
	esac
done

[ -n "$source" ] || die "no boot source: give --fat DIR, --usb IMG or --pxe DIR"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "--smp '$smp' is not a CPU count"
[[ $mem =~ ^[1-9][0-9]*[MGmg]?$ ]] || die "--mem '$mem' is not a size like 512M or 2G"

missing=()
command -v "$QEMU" >/dev/null 2>&1 || missing+=("$QEMU")
[ -r "$OVMF_CODE" ] || missing+=("$OVMF_CODE")
[ -r "$OVMF_VARS" ] || missing+=("$OVMF_VARS")
[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run 'make deps'"

case $source in
--fat)
	[ -f "$path/EFI/BOOT/BOOTX64.EFI" ] || die "$path/EFI/BOOT/BOOTX64.EFI not found (make all)"
	# path goes into a -drive option string, where a comma would split it.
	[[ $path != *,* ]] || die "--fat path must not contain a comma"
	boot=(-drive "format=raw,file=fat:rw:$path" -nic none) ;;
--usb)
	[ -f "$path" ] || die "$path not found (make image)"
	[[ $path != *,* ]] || die "--usb path must not contain a comma"
	boot=(-device qemu-xhci,id=xhci
	      -drive "if=none,id=usb0,format=raw,file=$path"
	      -device usb-storage,bus=xhci.0,drive=usb0,bootindex=0
	      -nic none) ;;
--pxe)
	[ -f "$path/plinth.efi" ] || die "$path/plinth.efi not found (make pxe)"
	[[ $path != *,* ]] || die "--pxe path must not contain a comma"
	# romfile= : OVMF's own virtio-net driver and PXE stack, no option ROM.
	boot=(-netdev "user,id=n0,tftp=$path,bootfile=plinth.efi"
	      -device virtio-net-pci,netdev=n0,romfile=,bootindex=0) ;;
esac

if [ $serial_only = 1 ]; then
	# signal=off: Ctrl-C and friends are bytes for plinth, not signals for QEMU.
	console=(-display none -chardev stdio,id=ser0,signal=off -serial chardev:ser0
	         -monitor none -parallel none)
else
	console=(-nographic -serial mon:stdio)
fi
timing=()
[ $icount = 0 ] || timing=(-icount shift=0,sleep=off)

# A private copy of the UEFI variable store, so runs never share state.  It is
# opened on fd 3 and unlinked at once: QEMU reopens it through /dev/fd/3, and
# the file vanishes with the last descriptor however QEMU ends.
vars=$(mktemp "${TMPDIR:-/tmp}/plinth-vars.XXXXXX")
cp "$OVMF_VARS" "$vars"
exec 3<>"$vars"
rm -f "$vars"

cmd=("$QEMU" -machine q35 -cpu EPYC,+svm,+npt -accel tcg -smp "$smp" -m "$mem"
     -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
     -drive "if=pflash,format=raw,unit=1,file=/dev/fd/3"
     "${boot[@]}" "${console[@]}" "${timing[@]}" "${extra[@]}")

if [ $dry_run = 1 ]; then
	printf '%q ' "${cmd[@]}"; echo
	exit 0
fi
[ $serial_only = 1 ] || [ ! -t 0 ] || echo "plinth: QEMU starting; quit with Ctrl-A X" >&2
exec "${cmd[@]}"

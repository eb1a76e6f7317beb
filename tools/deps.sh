#!/usr/bin/env bash
# Install the Debian packages plinth needs, or print the exact command.
set -euo pipefail
PKGS=(gcc make binutils git python3 xz-utils gnu-efi newlib-source qemu-system-x86
      ovmf mtools dosfstools python3-pytest python3-pexpect libcmocka-dev)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "deps: all ${#PKGS[@]} packages present"; exit 0; }
echo "deps: missing: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi

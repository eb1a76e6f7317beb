#!/usr/bin/env bash
# Fetch one Debian binary package and unpack it, without installing it.
#
#   tools/fetch-deb.sh PKG DESTDIR [MEMBER...]
#
# Downloads PKG's .deb with `apt-get download` into the cache directory (once:
# a .deb already there is used as it is, so a filled cache needs no network
# and no apt lists) and unpacks it with `dpkg-deb -x` into DESTDIR.  MEMBERs
# (paths as the .deb names them, e.g. ./boot) unpack only those parts.
#
# A kernel metapackage (linux-image-amd64 and the like) only depends on the
# real image: its own .deb is fetched and its Depends field names the
# linux-image-VERSION package that is then fetched and unpacked instead.
#
# Nothing on the host changes: no dpkg -i, no apt-get install (a kernel
# installed on the build host would run its hooks and rewrite /boot).
#
# Environment: DEBS is the cache directory (default build/debs).
set -euo pipefail

die() { echo "fetch-deb: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: fetch-deb.sh PKG DESTDIR [MEMBER...]"
pkg=$1 dest=$2
shift 2
debs=${DEBS:-build/debs}
[[ $pkg =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "'$pkg' is not a Debian package name"
for t in apt-get apt-cache dpkg-deb; do
	command -v $t >/dev/null 2>&1 || die "$t not found: this needs a Debian host"
done

# The cached .deb of $1 (apt-get download names it NAME_VERSION_ARCH.deb), or "".
cached() {
	local f
	f=$(ls -1 "$debs/$1"_*.deb 2>/dev/null | sort -V | tail -n 1) || true
	printf '%s' "$f"
}

# Make sure apt knows a candidate version of $1; refresh the lists if root.
need_candidate() {
	local cand
	cand=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
	if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "fetch-deb: apt has no candidate for $1 (package lists missing?)" >&2
			die "run as root:  apt-get update -q"
		fi
		echo "fetch-deb: apt has no candidate for $1: apt-get update -q" >&2
		apt-get update -q >&2
		cand=$(apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
		if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
			die "no package $1 in the configured apt sources"
		fi
	fi
}

# Print the path of $1's .deb in the cache, downloading it if it is not there.
fetch() {
	local f tmp
	f=$(cached "$1")
	if [ -n "$f" ]; then
		echo "fetch-deb: $1: cached $f" >&2
		printf '%s\n' "$f"
		return
	fi
	need_candidate "$1"
	mkdir -p "$debs"
	# Download into a private directory, then move the finished .deb into the
	# cache: an interrupted download never leaves a partial file there.  As
	# root, apt downloads as its own unprivileged user, who must own the
	# directory.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-deb.XXXXXX")
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$tmp"
	fi
	echo "fetch-deb: $1: apt-get download" >&2
	if ! (cd "$tmp" && apt-get download -q "$1" >&2); then
		rm -rf "$tmp"
		die "apt-get download $1 failed"
	fi
	f=$(ls -1 "$tmp"/*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || { rm -rf "$tmp"; die "apt-get download $1 left no .deb"; }
	mv "$f" "$debs/"
	rm -rf "$tmp"
	printf '%s\n' "$debs/${f##*/}"
}

deb=$(fetch "$pkg")
case $pkg in
linux-image-[0-9]*) ;;
linux-image-*)
	# Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)
	real=$(dpkg-deb -f "$deb" Depends | tr ',|' '\n' | sed 's/^ *//; s/ .*//' |
	       grep -m 1 '^linux-image-[0-9]' || true)
	[ -n "$real" ] || die "$pkg: no linux-image-VERSION package in its Depends"
	echo "fetch-deb: $pkg -> $real" >&2
	deb=$(fetch "$real") ;;
esac

mkdir -p "$dest"
if [ $# -eq 0 ]; then
	dpkg-deb -x "$deb" "$dest"
else
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" "$@" ||
		die "unpacking $* from $deb failed"
fi
echo "fetch-deb: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) unpacked into $dest" >&2

#!/usr/bin/env bash
# Build newlib's libc from Debian's newlib-source tarball for the core:
# freestanding x86-64, kernel code model, no red zone, general registers only.
#
# newlib's floating-point parts (strtod, dtoa, ecvt, libm) cannot be compiled
# without SSE registers, and the core must never touch FPU state.  So libc is
# built with `make -k`, float formatting is configured out, and libc.a is made
# from every object that compiled; the objects that did not are listed in
# build/newlib/skipped.txt.  A link that needs one of them fails loudly.
set -euo pipefail
BUILD=${1:-build}
OUT=$(realpath -m "$BUILD/newlib")
WORK=$(realpath -m "$BUILD/newlib-build")
TARBALL=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | head -n1 || true)
[ -n "$TARBALL" ] || { echo "newlib-source is not installed: run 'make deps'" >&2; exit 1; }

rm -rf "$WORK" "$OUT"
mkdir -p "$WORK/src" "$WORK/obj" "$OUT/lib" "$OUT/include"
echo "newlib: unpacking $TARBALL"
tar -xf "$TARBALL" -C "$WORK/src" --strip-components=1

FLAGS="-O2 -g0 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -mcmodel=kernel \
-mno-red-zone -mgeneral-regs-only -fno-tree-vectorize -fno-omit-frame-pointer"
cd "$WORK/obj"
echo "newlib: configuring"
../src/configure --target=x86_64-elf --prefix="$OUT" --disable-multilib \
	--disable-newlib-io-float --disable-newlib-supplied-syscalls \
	--enable-newlib-reent-small --disable-newlib-wide-orient \
	--disable-newlib-atexit-dynamic-alloc --enable-lite-exit \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	RANLIB_FOR_TARGET=ranlib CFLAGS_FOR_TARGET="$FLAGS" > configure.log 2>&1 \
	|| { tail -30 configure.log; exit 1; }
echo "newlib: building libc ($(nproc) jobs; float parts are expected to fail)"
make -k -j"$(nproc)" all-target-newlib > make.log 2>&1 || true

LIBC="$WORK/obj/x86_64-elf/newlib/libc"
[ -f "$LIBC/string/lib_a-strlen.o" ] || { tail -40 make.log; echo "newlib: build failed" >&2; exit 1; }
# Generic objects first, then machine/x86_64 ones, which replace same-named members.
find "$LIBC" -name 'lib_a-*.o' -not -path '*/machine/*' | sort > objs.txt
ar rcs "$OUT/lib/libc.a" $(cat objs.txt)
ar rs "$OUT/lib/libc.a" $(find "$LIBC/machine/x86_64" -name 'lib_a-*.o' | sort)
grep -o '[a-z_0-9]*\.c:[0-9]*:[0-9]*: error' make.log | cut -d: -f1 | sort -u > "$OUT/skipped.txt" || true

cp -r "$WORK/src/newlib/libc/include/." "$OUT/include/"
cp -r "$WORK/obj/x86_64-elf/newlib/targ-include/." "$OUT/include/"
echo "newlib: $(ar t "$OUT/lib/libc.a" | wc -l) objects in libc.a, $(wc -l < "$OUT/skipped.txt") float sources skipped"
rm -rf "$WORK"
touch "$OUT/.stamp"

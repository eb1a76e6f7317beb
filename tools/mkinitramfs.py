#!/usr/bin/env python3
"""Write the Linux demo guest's initramfs: a gzip-compressed newc cpio archive.

usage: mkinitramfs.py --init FILE --busybox FILE [--add PATH=FILE ...] OUT

The archive holds /init, /bin/busybox with a symlink for each of its applets
(the list comes from running `busybox --list-full`, a static x86-64 binary),
any extra files given with --add, the directories the guest mounts on
(/proc, /sys, /dev, /tmp, /root) and /dev/console as a character device node
(5, 1) written straight into the archive, so neither root nor mknod is
needed.

No cpio tool is used: the newc format (the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst) is an ASCII
header of thirteen 8-digit hex fields after the magic 070701, the NUL-ended
name, padding to 4 bytes, the data, padding to 4 bytes; the entry named
TRAILER!!! ends it.  Output is byte-for-byte reproducible: entries sorted by
path (a directory before its contents), mtimes fixed (SOURCE_DATE_EPOCH or
0), owner root, inode numbers in order, gzip header time 0 and no file name.
"""

import argparse
import gzip
import io
import os
import stat
import subprocess
import sys

MAGIC = b"070701"
DIRS = ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "root")
CONSOLE = ("dev/console", 5, 1)


class Archive:
    """In-memory newc archive; add entries in any order, write sorted."""

    def __init__(self):
        self.entries = {}       # path -> (mode, data, (rdev major, rdev minor))

    def _put(self, path, mode, data=b"", rdev=(0, 0)):
        path = path.strip("/")
        if not path or ".." in path.split("/"):
            raise ValueError(f"bad archive path '{path}'")
        if path in self.entries:
            raise ValueError(f"'{path}' given twice")
        self.entries[path] = (mode, data, rdev)

    def dir(self, path):
        if path.strip("/") not in self.entries:
            self._put(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, executable):
        self._put(path, stat.S_IFREG | (0o755 if executable else 0o644), data)

    def symlink(self, path, target):
        self._put(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor):
        self._put(path, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def cpio(self, mtime):
        # Every parent directory exists, and comes first: a path sorts after
        # its prefixes.
        for path in list(self.entries):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                self.dir("/".join(parts[:i]))
        out = io.BytesIO()
        for ino, path in enumerate(sorted(self.entries), start=1):
            mode, data, rdev = self.entries[path]
            nlink = 2 if stat.S_ISDIR(mode) else 1
            write_entry(out, path, ino, mode, nlink, mtime, data, rdev)
        write_entry(out, "TRAILER!!!", 0, 0, 1, 0, b"", (0, 0))
        return out.getvalue()


def pad4(out):
    out.write(b"\0" * (-out.tell() % 4))


def write_entry(out, name, ino, mode, nlink, mtime, data, rdev):
    name_b = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
    out.write(MAGIC + b"".join(b"%08X" % f for f in fields))
    out.write(name_b)
    pad4(out)
    out.write(data)
    pad4(out)


def applets(busybox):
    """Absolute paths of busybox's applets, e.g. /bin/sh, /usr/bin/seq."""
    try:
        res = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"mkinitramfs: cannot list the applets of {busybox}: {e}")
    names = sorted({"/" + line.strip().strip("/") for line in res.stdout.splitlines() if line.strip()})
    if "/bin/sh" not in names:
        sys.exit(f"mkinitramfs: {busybox} has no sh applet")
    return names


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        sys.exit(f"mkinitramfs: {e}")


def build(args):
    ar = Archive()
    for d in DIRS:
        ar.dir(d)
    ar.chardev(*CONSOLE)
    init = read(args.init)
    if not init.startswith(b"#!"):
        sys.exit(f"mkinitramfs: {args.init} does not start with #!")
    ar.file("init", init, True)
    ar.file("bin/busybox", read(args.busybox), True)
    for path in applets(args.busybox):
        if path != "/bin/busybox":
            ar.symlink(path, "/bin/busybox")
    for spec in args.add:
        dest, sep, src = spec.partition("=")
        if not sep or not dest or not src:
            sys.exit(f"mkinitramfs: --add wants PATH=FILE, got '{spec}'")
        ar.file(dest, read(src), os.access(src, os.X_OK))
    return ar


def main():
    p = argparse.ArgumentParser(description="Write a gzip-compressed newc initramfs.")
    p.add_argument("--init", required=True, help="the /init script")
    p.add_argument("--busybox", required=True, help="a static busybox binary, becomes /bin/busybox")
    p.add_argument("--add", action="append", default=[], metavar="PATH=FILE",
                   help="also put FILE at PATH (executable if FILE is)")
    p.add_argument("out", help="output file (.img)")
    args = p.parse_args()
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    try:
        ar = build(args)
        raw = ar.cpio(mtime)
    except ValueError as e:
        sys.exit(f"mkinitramfs: {e}")
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
            gz.write(raw)
    os.replace(tmp, args.out)
    print(f"mkinitramfs: {args.out}: {len(ar.entries)} entries, {len(raw)} bytes of cpio, "
          f"{os.path.getsize(args.out)} gzipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write a bootable USB disk image: GPT with one EFI System Partition (FAT).

usage: mkimage.py DIR OUT        copy the tree DIR into the ESP of a new image OUT
       mkimage.py --check IMG    validate the GPT of IMG and print its ESP

No root and no loop devices: the FAT file system is made in a separate file
with mkfs.fat and filled with mtools, then spliced into the disk image at the
partition offset.  The GPT itself is written here, following UEFI 2.10
section 5.3 (protective MBR 5.2.3, header 5.3.2, entry array 5.3.3).
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
import zlib

SECTOR = 512
MIB = 1024 * 1024
ALIGN = MIB                       # partitions start and end on 1 MiB boundaries
MIN_DISK = 64 * MIB
SLACK = 16 * MIB                  # room left in the ESP beyond its files
ENTRIES = 128                     # UEFI 5.3.2: at least 16 KiB of entries
ENTRY_SIZE = 128
ARRAY_SECTORS = ENTRIES * ENTRY_SIZE // SECTOR
HEADER_SIZE = 92
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
ESP_NAME = "EFI System Partition"
FAT_LABEL = "PLINTH"
# mkfs.fat lives in /usr/sbin, which a normal user's PATH may lack.
TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

# UEFI 5.3.2 Table 5-5, up to and including the entry array CRC.
HEADER_FMT = "<8sIIIIQQQQ16sQIII"


def die(msg):
    print("mkimage: " + msg, file=sys.stderr)
    sys.exit(1)


def align_up(n, a):
    return (n + a - 1) // a * a


def tree_bytes(root):
    """Bytes the tree needs on FAT, counting each file and directory as at
    least one 4 KiB cluster so many small files are not underestimated."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        total += 4096 * (1 + len(dirnames))
        for f in filenames:
            total += align_up(os.path.getsize(os.path.join(dirpath, f)), 4096)
    return total


def disk_size_for(content):
    esp = align_up(content + content // 4 + SLACK, ALIGN)
    return max(MIN_DISK, esp + 2 * ALIGN)


def gpt_layout(disk_bytes):
    """LBAs of everything in a disk of disk_bytes bytes."""
    last = disk_bytes // SECTOR - 1
    lay = {
        "last_lba": last,
        "primary_array": 2,
        "backup_array": last - ARRAY_SECTORS,
        "first_usable": 2 + ARRAY_SECTORS,
        "last_usable": last - ARRAY_SECTORS - 1,
        "part_first": ALIGN // SECTOR,
    }
    # The ESP ends on the last 1 MiB boundary before the backup array.
    end = (lay["last_usable"] + 1) * SECTOR // ALIGN * ALIGN
    lay["part_last"] = end // SECTOR - 1
    return lay


def protective_mbr(disk_sectors):
    """UEFI 5.2.3: one partition of type 0xEE covering the whole disk."""
    size = min(disk_sectors - 1, 0xFFFFFFFF)
    entry = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1, size)
    mbr = bytearray(SECTOR)
    mbr[446:446 + 16] = entry
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def partition_array(lay, part_guid):
    entry = struct.pack("<16s16sQQQ72s", ESP_TYPE.bytes_le, part_guid.bytes_le,
                        lay["part_first"], lay["part_last"], 0,
                        ESP_NAME.encode("utf-16-le"))
    return entry + bytes(ENTRY_SIZE * (ENTRIES - 1))


def gpt_header(lay, disk_guid, array_crc, backup):
    my_lba, alt_lba = (lay["last_lba"], 1) if backup else (1, lay["last_lba"])
    array_lba = lay["backup_array"] if backup else lay["primary_array"]

    def pack(crc):
        return struct.pack(HEADER_FMT, b"EFI PART", 0x00010000, HEADER_SIZE, crc, 0,
                           my_lba, alt_lba, lay["first_usable"], lay["last_usable"],
                           disk_guid.bytes_le, array_lba, ENTRIES, ENTRY_SIZE, array_crc)

    hdr = pack(zlib.crc32(pack(0)))
    return hdr + bytes(SECTOR - len(hdr))


def run(cmd, **kw):
    env = dict(os.environ, PATH=TOOL_PATH, MTOOLS_SKIP_CHECK="1")
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, **kw)
    if res.returncode != 0:
        die("%s failed (exit %d): %s" % (cmd[0], res.returncode, res.stdout.strip()))


def make_fat(path, size, src):
    """A FAT file system of size bytes at path holding the tree src."""
    if os.path.exists(path):
        os.unlink(path)
    # FAT32 as UEFI 13.3.1.1 asks for the ESP; 62 MiB and up always has
    # enough clusters for it with 1-sector clusters.
    run(["mkfs.fat", "-C", "-F", "32", "-s", "1", "-n", FAT_LABEL, path, str(size // 1024)])
    img = path + "@@0"
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        rel = os.path.relpath(dirpath, src)
        target = "::/" if rel == "." else "::/" + rel.replace(os.sep, "/")
        for d in dirnames:
            run(["mmd", "-i", img, target.rstrip("/") + "/" + d])
        for f in sorted(filenames):
            run(["mcopy", "-m", "-o", "-i", img, os.path.join(dirpath, f),
                 target.rstrip("/") + "/" + f])


def build(src, out):
    if not os.path.isdir(src):
        die("%s: not a directory" % src)
    for tool in ("mkfs.fat", "mcopy", "mmd"):
        if not shutil.which(tool, path=TOOL_PATH):
            die("%s not found: run 'make deps' (dosfstools, mtools)" % tool)

    disk_bytes = disk_size_for(tree_bytes(src))
    lay = gpt_layout(disk_bytes)
    part_off = lay["part_first"] * SECTOR
    part_bytes = (lay["part_last"] - lay["part_first"] + 1) * SECTOR

    disk_guid, part_guid = uuid.uuid4(), uuid.uuid4()
    array = partition_array(lay, part_guid)
    array_crc = zlib.crc32(array)

    outdir = os.path.dirname(os.path.abspath(out))
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".mkimage-") as tmp:
        fat = os.path.join(tmp, "esp.fat")
        make_fat(fat, part_bytes, src)
        if os.path.getsize(fat) != part_bytes:
            die("mkfs.fat made %d bytes, expected %d" % (os.path.getsize(fat), part_bytes))
        disk = os.path.join(tmp, "disk.img")
        with open(disk, "wb") as d:
            d.truncate(disk_bytes)
            d.seek(0)
            d.write(protective_mbr(disk_bytes // SECTOR))
            d.write(gpt_header(lay, disk_guid, array_crc, backup=False))
            d.write(array)
            d.seek(lay["backup_array"] * SECTOR)
            d.write(array)
            d.write(gpt_header(lay, disk_guid, array_crc, backup=True))
            d.seek(part_off)
            with open(fat, "rb") as f:
                while True:
                    buf = f.read(MIB)
                    if not buf:
                        break
                    if buf.count(0) == len(buf):
                        d.seek(len(buf), os.SEEK_CUR)   # keep the image sparse
                    else:
                        d.write(buf)
        os.replace(disk, out)
    print("mkimage: %s: %d MiB GPT disk, ESP at %d MiB, %d MiB FAT32"
          % (out, disk_bytes // MIB, part_off // MIB, part_bytes // MIB))


def read_header(img, lba):
    img.seek(lba * SECTOR)
    raw = img.read(SECTOR)
    f = struct.unpack_from(HEADER_FMT, raw)
    keys = ("sig", "rev", "size", "crc", "reserved", "my_lba", "alt_lba", "first_usable",
            "last_usable", "guid", "array_lba", "entries", "entry_size", "array_crc")
    h = dict(zip(keys, f))
    h["raw"] = raw
    return h


def check(path):
    """Validate the image's MBR and both GPTs; return a list of problems."""
    errs = []
    size = os.path.getsize(path)
    if size % SECTOR or size < 4 * MIB:
        return ["size %d is not a whole number of sectors or is too small" % size]
    last = size // SECTOR - 1
    with open(path, "rb") as img:
        mbr = img.read(SECTOR)
        if mbr[510:512] != b"\x55\xaa":
            errs.append("MBR: no 55AA signature")
        if mbr[446 + 4] != 0xEE:
            errs.append("MBR: first partition type is %#x, not 0xEE" % mbr[446 + 4])
        start, count = struct.unpack_from("<II", mbr, 446 + 8)
        if start != 1 or count != min(last, 0xFFFFFFFF):
            errs.append("MBR: protective partition covers %d+%d" % (start, count))
        arrays = []
        for name, lba, alt in (("primary", 1, last), ("backup", last, 1)):
            h = read_header(img, lba)
            if h["sig"] != b"EFI PART" or h["size"] != HEADER_SIZE:
                errs.append("%s header: bad signature or size" % name)
                continue
            zeroed = h["raw"][:16] + b"\0\0\0\0" + h["raw"][20:HEADER_SIZE]
            if zlib.crc32(zeroed) != h["crc"]:
                errs.append("%s header: CRC mismatch" % name)
            if (h["my_lba"], h["alt_lba"]) != (lba, alt):
                errs.append("%s header: my/alternate LBA %d/%d" % (name, h["my_lba"], h["alt_lba"]))
            img.seek(h["array_lba"] * SECTOR)
            array = img.read(h["entries"] * h["entry_size"])
            if zlib.crc32(array) != h["array_crc"]:
                errs.append("%s header: partition array CRC mismatch" % name)
            arrays.append((h, array))
        if len(arrays) == 2 and arrays[0][1] != arrays[1][1]:
            errs.append("primary and backup partition arrays differ")
        if not arrays:
            return errs
        h, array = arrays[0]
        esp = []
        for i in range(h["entries"]):
            e = array[i * h["entry_size"]:(i + 1) * h["entry_size"]]
            tguid, pguid, first, lastp, attrs = struct.unpack_from("<16s16sQQQ", e)
            if tguid == bytes(16):
                continue
            if uuid.UUID(bytes_le=tguid) != ESP_TYPE:
                errs.append("partition %d is not an EFI System Partition" % i)
                continue
            if first * SECTOR % ALIGN or (lastp + 1) * SECTOR % ALIGN:
                errs.append("ESP %d-%d is not 1 MiB aligned" % (first, lastp))
            if first < h["first_usable"] or lastp > h["last_usable"]:
                errs.append("ESP %d-%d outside usable LBAs" % (first, lastp))
            esp.append((first, lastp))
        if len(esp) != 1:
            errs.append("%d EFI System Partitions, expected 1" % len(esp))
        else:
            first, lastp = esp[0]
            print("%s: ESP LBA %d-%d (offset %d MiB, %d MiB)"
                  % (path, first, lastp, first * SECTOR // MIB, (lastp - first + 1) * SECTOR // MIB))
    return errs


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        errs = check(argv[2])
        for e in errs:
            print("mkimage: %s: %s" % (argv[2], e), file=sys.stderr)
        return 1 if errs else 0
    if len(argv) != 3 or argv[1].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    build(argv[1], argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

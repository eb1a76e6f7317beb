"""tools/mkimage.py writes a valid GPT disk whose ESP holds the tree.

The GPT is re-read here independently of mkimage.py's own --check."""

import os
import struct
import subprocess
import uuid
import zlib

import pytest

from conftest import REPO, SOURCES

MKIMAGE = REPO / "tools" / "mkimage.py"
ESP_TYPE = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
MIB = 1 << 20
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1",
           PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def make_tree(root):
    boot = root / "EFI" / "BOOT"
    boot.mkdir(parents=True)
    (boot / "BOOTX64.EFI").write_bytes(os.urandom(200_000))
    (boot / "plinth.cfg").write_text("[plinth]\nlog_level = info\n")
    (root / "guests" / "empty").mkdir(parents=True)
    (root / "guests" / "big.bin").write_bytes(bytes(range(256)) * 4096)


def read_gpt(img, lba):
    with open(img, "rb") as f:
        f.seek(lba * 512)
        hdr = f.read(92)
        (sig, rev, size, crc, _, my, alt, first, last, guid, arr, n, esz,
         arr_crc) = struct.unpack("<8sIIIIQQQQ16sQIII", hdr)
        assert sig == b"EFI PART" and rev == 0x10000 and size == 92
        assert zlib.crc32(hdr[:16] + bytes(4) + hdr[20:]) == crc
        f.seek(arr * 512)
        entries = f.read(n * esz)
        assert zlib.crc32(entries) == arr_crc
        return dict(my=my, alt=alt, first=first, last=last, guid=guid, entries=entries,
                    esz=esz)


def test_image(tmp_path):
    src = tmp_path / "esp"
    make_tree(src)
    img = tmp_path / "disk.img"
    subprocess.run(["python3", str(MKIMAGE), str(src), str(img)], check=True, env=ENV)

    size = img.stat().st_size
    assert size >= 64 * MIB and size % MIB == 0
    last_lba = size // 512 - 1
    mbr = img.read_bytes()[:512]
    assert mbr[510:] == b"\x55\xaa" and mbr[446 + 4] == 0xEE

    p, b = read_gpt(img, 1), read_gpt(img, last_lba)
    assert (p["my"], p["alt"], b["my"], b["alt"]) == (1, last_lba, last_lba, 1)
    assert p["entries"] == b["entries"] and p["guid"] == b["guid"]
    tguid, _, first, last, _ = struct.unpack_from("<16s16sQQQ", p["entries"])
    assert uuid.UUID(bytes_le=tguid) == ESP_TYPE
    assert first * 512 == MIB and (last + 1) * 512 % MIB == 0
    assert p["first"] <= first and last <= p["last"]
    assert p["entries"][p["esz"]:] == bytes(len(p["entries"]) - p["esz"])

    assert subprocess.run(["python3", str(MKIMAGE), "--check", str(img)]).returncode == 0

    # The FAT file system: clean, and holding exactly the tree.
    part = tmp_path / "esp.fat"
    with open(img, "rb") as f:
        f.seek(first * 512)
        part.write_bytes(f.read((last - first + 1) * 512))
    fsck = subprocess.run(["fsck.fat", "-n", str(part)], env=ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert fsck.returncode == 0, fsck.stdout
    listing = subprocess.run(["mdir", "-b", "-/", "-i", "%s@@1M" % img, "::/"], env=ENV,
                             check=True, stdout=subprocess.PIPE, text=True).stdout
    for name in ("::/EFI/BOOT/BOOTX64.EFI", "::/EFI/BOOT/plinth.cfg", "::/guests/empty/",
                 "::/guests/big.bin"):
        assert name in listing, listing
    for rel in ("EFI/BOOT/BOOTX64.EFI", "guests/big.bin"):
        out = tmp_path / "copy"
        subprocess.run(["mcopy", "-n", "-i", "%s@@1M" % img, "::/" + rel, str(out)], env=ENV,
                       check=True)
        assert out.read_bytes() == (src / rel).read_bytes()
        out.unlink()


def test_check_detects_corruption(tmp_path):
    src = tmp_path / "esp"
    make_tree(src)
    img = tmp_path / "disk.img"
    subprocess.run(["python3", str(MKIMAGE), str(src), str(img)], check=True, env=ENV)
    with open(img, "r+b") as f:
        f.seek(2 * 512 + 40)              # the ESP's last LBA, primary array
        byte = f.read(1)[0]
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte ^ 0x10]))
    r = subprocess.run(["python3", str(MKIMAGE), "--check", str(img)],
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1 and "CRC" in r.stderr


def test_rejects_missing_dir(tmp_path):
    r = subprocess.run(["python3", str(MKIMAGE), str(tmp_path / "nope"), str(tmp_path / "x.img")],
                       stderr=subprocess.PIPE, text=True)
    assert r.returncode == 1 and "not a directory" in r.stderr
    assert not (tmp_path / "x.img").exists()


def test_built_image():
    img = SOURCES["usb"]
    if not img.exists():
        pytest.fail("%s not found: run 'make image' first" % img)
    assert subprocess.run(["python3", str(MKIMAGE), "--check", str(img)]).returncode == 0
    listing = subprocess.run(["mdir", "-b", "-/", "-i", "%s@@1M" % img, "::/"], env=ENV,
                             check=True, stdout=subprocess.PIPE, text=True).stdout
    assert "::/EFI/BOOT/BOOTX64.EFI" in listing and "::/EFI/BOOT/plinth.cfg" in listing

"""tools/run-qemu.sh builds the QEMU command line the docs promise."""

import subprocess

from conftest import REPO

RUN = REPO / "tools" / "run-qemu.sh"


def dry(tmp_path, *args):
    esp = tmp_path / "esp"
    (esp / "EFI" / "BOOT").mkdir(parents=True, exist_ok=True)
    (esp / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(b"MZ")
    (tmp_path / "plinth.efi").write_bytes(b"MZ")
    (tmp_path / "disk.img").write_bytes(bytes(512))
    args = [str(a).replace("ESP", str(esp)).replace("TMP", str(tmp_path)) for a in args]
    return subprocess.run([str(RUN), "--dry-run", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def test_defaults_fat(tmp_path):
    r = dry(tmp_path, "--fat", "ESP")
    assert r.returncode == 0, r.stderr
    cmd = r.stdout.replace("\\,", ",")
    for part in ("-machine q35", "-cpu EPYC,+svm,+npt", "-accel tcg", "-smp 2", "-m 1G",
                 "readonly=on", "OVMF_CODE_4M.fd", "fat:rw:", "-nic none", "-serial mon:stdio"):
        assert part in cmd, cmd
    assert "-no-reboot" not in cmd


def test_usb_smp_mem_icount_extra(tmp_path):
    r = dry(tmp_path, "--usb", "TMP/disk.img", "--smp", "4", "--mem", "2G", "--icount",
            "--serial-only", "-s")
    cmd = r.stdout.replace("\\,", ",")
    assert r.returncode == 0, r.stderr
    for part in ("qemu-xhci", "usb-storage", "-smp 4", "-m 2G", "-icount shift=0,sleep=off",
                 "signal=off", "-monitor none", " -s"):
        assert part in cmd, cmd


def test_pxe(tmp_path):
    r = dry(tmp_path, "--pxe", "TMP")
    cmd = r.stdout.replace("\\,", ",")
    assert r.returncode == 0, r.stderr
    assert "tftp=%s,bootfile=plinth.efi" % tmp_path in cmd and "virtio-net-pci" in cmd
    assert "-nic none" not in cmd


def test_bad_arguments(tmp_path):
    assert dry(tmp_path).returncode == 2
    assert dry(tmp_path, "--fat", "ESP", "--pxe", "TMP").returncode == 2
    assert dry(tmp_path, "--fat", "ESP", "--smp", "zero").returncode == 2
    r = dry(tmp_path, "--fat", "TMP/nothing")
    assert r.returncode == 2 and "BOOTX64.EFI" in r.stderr

"""A CPU exception inside plinth: the CPU that took it prints a register dump
and a backtrace and halts; the other CPUs and the console carry on."""

import re
import shutil

import pytest

import conftest
from conftest import Plinth

pytestmark = pytest.mark.qemu


def test_fault_needs_debug(plinth):
    out = plinth.cmd("fault 1")
    assert "error: fault: diagnostics are off" in out
    assert re.search(r"cpu1\s+apic \d+\s+online", plinth.cmd("cpus"))


def test_exception_dump_halts_only_that_cpu(machines, tmp_path, monkeypatch):
    machines.close()                        # two cores: one QEMU at a time
    esp = tmp_path / "esp"
    shutil.copytree(conftest.SOURCES["fat"], esp)
    cfg = esp / "EFI" / "BOOT" / "plinth.cfg"
    cfg.write_text(cfg.read_text().replace("[plinth]\n", "[plinth]\ndebug = on\n", 1))
    monkeypatch.setitem(conftest.SOURCES, "fat", esp)
    p = Plinth("fat", 2, "1G", log_name="test_exception_dump")
    try:
        assert "error" in p.cmd("fault 7")          # no such CPU
        assert "error" in p.cmd("fault x")
        # The dump is asynchronous: its first lines may come before the prompt.
        text = p.cmd("fault 1")
        if "cpu1 halted" not in text:
            p.child.expect_exact("cpu1 halted", timeout=30)
            text += conftest.clean(p.child.before)
        assert "CPU exception #UD invalid opcode (vector 6" in text and "on cpu1" in text
        for reg in ("rip ", "rsp ", "rax ", "r15 ", "cr2 "):
            assert reg in text
        # The backtrace names at least the faulting address and one caller.
        bt = text.split("backtrace", 1)[1]
        assert len(re.findall(r"^\s+ffffffff8[0-9a-f]{7}$", bt, re.M)) >= 2, bt
        p.settle(quiet=0.5)                 # the rest of the dump's last line
        cpus = p.cmd("cpus")
        assert re.search(r"cpu0\s+apic \d+\s+online", cpus), cpus
        assert re.search(r"cpu1\s+apic \d+\s+halted", cpus), cpus
        assert "plinth 0.1.0" in p.cmd("version")
    finally:
        p.close()

"""The console commands answer, on the default machine."""

import re

import pytest

pytestmark = pytest.mark.qemu


def test_help_lists_commands(plinth):
    out = plinth.cmd("help")
    names = set(re.findall(r"^\s*([a-z]+)\b", out, re.M))
    for c in ("help", "version", "cpus", "mem", "pci", "acpi", "log", "reboot", "poweroff"):
        assert c in names, "help lacks %s:\n%s" % (c, out)


def test_version(plinth):
    out = plinth.cmd("version")
    assert re.search(r"plinth 0\.1\.0 \(build [0-9a-f]+(-dirty)?\)", out), out


def test_unknown_command(plinth):
    out = plinth.cmd("frobnicate now")
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1 and "error: unknown command" in lines[0], out


def test_empty_line(plinth):
    assert plinth.cmd("").strip() == ""


def test_pci_host_bridge(plinth):
    out = plinth.cmd("pci")
    assert "8086:29c0" in out, out          # q35 host bridge (MCH)


def test_acpi_tables(plinth):
    out = plinth.cmd("acpi")
    for sig in ("APIC", "FACP", "HPET", "MCFG"):
        assert re.search(r"^.*\b%s\b.*\bok\b" % sig, out, re.M), "%s not ok:\n%s" % (sig, out)


def test_log_has_info(plinth):
    out = plinth.cmd("log")
    assert re.search(r"\bINFO\b", out), out

"""Bad console input gets an error line and never a crash or a hang."""

import random
import re

import pytest

from conftest import PHASE_STRESS

pytestmark = [pytest.mark.qemu, pytest.mark.machine(phase=PHASE_STRESS)]


def test_random_bytes(plinth):
    data = random.Random(1234).randbytes(4096)
    plinth.write_raw(data)
    plinth.write_raw(b"\x03\r")      # cancel whatever line the bytes left
    plinth.settle(quiet=1.0, limit=60)
    out = plinth.cmd("version", timeout=60)
    assert "plinth 0.1.0" in out, out


def test_long_line(plinth):
    plinth.write_raw(b"x" * 10000)
    out = plinth.settle(quiet=0.5)
    plinth.child.send("\r")
    plinth.expect_prompt(60)
    out += plinth.child.before
    assert len(re.findall(r"error: line too long", out)) == 1, out[-2000:]
    assert "unknown command" not in out, out[-2000:]
    assert "plinth 0.1.0" in plinth.cmd("version")


def test_control_characters(plinth):
    plinth.write_raw(b"ver\x01\x02\x05\x1b[Z\x7fsion\x15")   # Ctrl-U drops it all
    out = plinth.cmd("version")
    assert "plinth 0.1.0" in out, out

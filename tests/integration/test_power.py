"""reboot brings plinth back; poweroff ends QEMU.  They run last on their
machine (the phase), so the other tests share the boot before them."""

import pexpect
import pytest

from conftest import PHASE_POWEROFF, PHASE_REBOOT

pytestmark = pytest.mark.qemu


@pytest.mark.machine(phase=PHASE_REBOOT)
def test_reboot(plinth):
    plinth.child.send("reboot\r")
    text = plinth.wait_boot()
    assert "plinth 0.1.0" in text, text[-2000:]
    assert "plinth 0.1.0" in plinth.cmd("version")


@pytest.mark.machine(phase=PHASE_POWEROFF)
def test_poweroff(plinth):
    plinth.child.send("poweroff\r")
    plinth.child.expect(pexpect.EOF, timeout=60)
    plinth.child.close()
    assert plinth.child.exitstatus == 0, (plinth.child.exitstatus, plinth.child.signalstatus)

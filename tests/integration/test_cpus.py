"""`cpus` lists every CPU of the machine as online."""

import re

import pytest

pytestmark = pytest.mark.qemu

ONLINE = re.compile(r"^cpu\s*\d+\s+apic\s+\d+\s+online", re.M)


@pytest.mark.parametrize("smp", [
    pytest.param(1, marks=pytest.mark.machine(smp=1)),
    pytest.param(2, marks=pytest.mark.machine(smp=2)),
    pytest.param(4, marks=pytest.mark.machine(source="usb", smp=4)),
])
def test_cpus_online(plinth, smp):
    out = plinth.cmd("cpus")
    cpu_lines = [l for l in out.splitlines() if re.match(r"^cpu\s*\d+", l)]
    online = ONLINE.findall(out)
    assert len(online) == smp, out
    assert len(cpu_lines) == smp, out
    assert sum("(bsp)" in l for l in cpu_lines) == 1, out

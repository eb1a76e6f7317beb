"""`mem` agrees with QEMU's -m."""

import re

import pytest

pytestmark = pytest.mark.qemu


@pytest.mark.parametrize("mem,mib", [
    pytest.param("512M", 512, marks=pytest.mark.machine(mem="512M")),
    pytest.param("1G", 1024, marks=pytest.mark.machine(mem="1G")),
    pytest.param("2G", 2048, marks=pytest.mark.machine(mem="2G")),
])
def test_mem_matches_qemu(plinth, mem, mib):
    out = plinth.cmd("mem")
    m = re.search(r"^ram: (\d+) MiB", out, re.M)
    assert m, out
    ram = int(m.group(1))
    # OVMF keeps a little for itself (and reports it as reserved).
    assert mib - 64 <= ram <= mib, out
    free = re.search(r"^frames: free (\d+) of (\d+)", out, re.M)
    assert free, out
    assert 0 < int(free.group(1)) <= int(free.group(2))

"""plinth boots from every source and says where its config came from."""

import re

import pytest

pytestmark = pytest.mark.qemu

BANNER = re.compile(r"plinth 0\.1\.0 \(build [0-9a-f]+(-dirty)?\)")


def check_boot(plinth, where):
    assert BANNER.search(plinth.boot_text), "no banner in the boot messages"
    assert re.search(r"config.*" + where, plinth.boot_text), \
        "no 'config ... %s' line in the boot messages" % where
    assert not re.search(r"^(error|panic|exception)", plinth.boot_text, re.M | re.I)


def test_boot_fat_dir(plinth):
    check_boot(plinth, "disk")


@pytest.mark.machine(source="usb", smp=4)
def test_boot_usb_image(plinth):
    check_boot(plinth, "disk")


@pytest.mark.machine(source="pxe")
def test_boot_pxe(plinth):
    check_boot(plinth, "tftp")
    # The config was read, not just looked for.
    assert re.search(r"config.*tftp.*\(ok\)", plinth.boot_text)

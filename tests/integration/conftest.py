"""QEMU boot tests: plinth's serial console driven through pexpect.

A test asks for a machine with the `machine` marker and uses the `plinth`
fixture:

    @pytest.mark.machine(source="usb", smp=4)
    def test_x(plinth):
        assert "online" in plinth.cmd("cpus")

Booting under TCG takes seconds, so one machine is kept running and shared by
consecutive tests that ask for the same (source, smp, mem).  Tests are
reordered so that those sharing a machine run together; within a machine,
tests marked with a higher `phase` (garbage input, reboot, poweroff) run last.
Every serial byte goes to build/test-logs/<first test>.log.
"""

import os
import re
import shutil
import time
from pathlib import Path

import pexpect
import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PLINTH_BUILD", REPO / "build"))
SOURCES = {
    "fat": Path(os.environ.get("PLINTH_ESP", BUILD / "esp")),
    "usb": Path(os.environ.get("PLINTH_USB_IMG", BUILD / "plinth-usb.img")),
    "pxe": Path(os.environ.get("PLINTH_TFTP", BUILD / "tftp")),
}
RUN_QEMU = REPO / "tools" / "run-qemu.sh"


def _test_esp(src):
    """The shipped ESP with the Linux demo's autostart turned off: the tests
    start their own Linux VMs, and a demo booting beside every other test
    would only slow them down.  PLINTH_ESP given: used as it is."""
    cfg = src / "EFI" / "BOOT" / "plinth.cfg"
    if "PLINTH_ESP" in os.environ or not cfg.exists():
        return src
    dst = BUILD / "test-esp"
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    text = cfg.read_text()
    at = text.find("[vm linux0]")
    if at >= 0:
        text = text[:at] + text[at:].replace("autostart = yes", "autostart = no", 1)
    (dst / "EFI" / "BOOT" / "plinth.cfg").write_text(text)
    return dst


SOURCES["fat"] = _test_esp(SOURCES["fat"])
LOG_DIR = Path(os.environ.get("PLINTH_TEST_LOGS", BUILD / "test-logs"))

PROMPT = "plinth> "
BOOT_TIMEOUT = 120          # OVMF and plinth under TCG on a loaded 2-core machine
CMD_TIMEOUT = 30
ANSI = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x07")

DEFAULT_MACHINE = {"source": "fat", "smp": 2, "mem": "1G"}
PHASE_NORMAL, PHASE_STRESS, PHASE_REBOOT, PHASE_POWEROFF = 0, 1, 2, 3


def clean(text):
    """Serial text as plain lines: no CRs, no terminal escapes."""
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")


class Plinth:
    """One QEMU running plinth, talking over the serial port."""

    def __init__(self, source="fat", smp=2, mem="1G", log_name="plinth", extra=()):
        path = SOURCES[source]
        if not path.exists():
            pytest.fail("%s not found: run 'make all image pxe' first" % path)
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.key = (source, smp, mem)
        self.log_path = LOG_DIR / (re.sub(r"[^\w.-]+", "_", log_name) + ".log")
        self.log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self.pending = ""        # output read while sending, not yet returned
        self.boot_text = ""
        args = ["--serial-only", "--smp", str(smp), "--mem", mem, "--" + source, str(path)]
        args += list(extra)
        self.note("run-qemu.sh " + " ".join(args))
        self.child = pexpect.spawn(str(RUN_QEMU), args, encoding="utf-8",
                                   codec_errors="replace", timeout=CMD_TIMEOUT,
                                   maxread=65536, dimensions=(50, 200))
        self.child.logfile_read = self.log
        try:
            self.wait_boot()
        except BaseException:
            self.close()            # no QEMU outlives a failed boot
            raise

    def note(self, text):
        """A marker line in the transcript, to find a test's part of it."""
        self.log.write("\n===== %s =====\n" % text)
        self.log.flush()

    def wait_boot(self, timeout=BOOT_TIMEOUT):
        """Wait for the first prompt; the boot messages go to boot_text."""
        start = time.monotonic()
        self.expect_prompt(timeout)
        self.boot_text = clean(self.pending + self.child.before)
        self.pending = ""
        self.boot_seconds = time.monotonic() - start
        return self.boot_text

    def expect_prompt(self, timeout=CMD_TIMEOUT):
        try:
            self.child.expect_exact(PROMPT, timeout=timeout)
        except pexpect.TIMEOUT:
            raise AssertionError("no '%s' within %d s; transcript: %s"
                                 % (PROMPT, timeout, self.log_path)) from None
        except pexpect.EOF:
            raise AssertionError("QEMU exited; transcript: %s" % self.log_path) from None

    def pump(self, quiet=0.05):
        """Read whatever arrives until the line has been quiet for `quiet` s."""
        text = self.child.buffer
        self.child.buffer = ""
        # pexpect keeps the unmatched tail in _before too, and the next
        # expect() starts from whichever is longer: clear both.
        if hasattr(self.child, "_before"):
            self.child._before = self.child.buffer_type()
        while True:
            try:
                text += self.child.read_nonblocking(65536, timeout=quiet)
            except pexpect.TIMEOUT:
                break
            except pexpect.EOF:
                break
        self.pending += text
        return text

    def take(self):
        """Everything read but not yet returned, cleaned."""
        text, self.pending = self.pending, ""
        return clean(text)

    def write_raw(self, data, chunk=64):
        """Send bytes in small pieces, reading output in between, so neither
        side of the pty blocks while the UART drains at its own pace."""
        if isinstance(data, str):
            data = data.encode("latin-1")
        for i in range(0, len(data), chunk):
            os.write(self.child.child_fd, data[i:i + chunk])
            self.pump(0.01)

    def settle(self, quiet=0.5, limit=30):
        """Wait until plinth has stopped printing; returns what it printed."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if not self.pump(quiet):
                break
        return self.take()

    def cmd(self, line, timeout=CMD_TIMEOUT):
        """Run one console command; return its output without the echo."""
        self.settle(quiet=0.2)
        self.note("cmd: " + line)
        self.child.send(line + "\r")
        self.expect_prompt(timeout)
        out = clean(self.take() + self.child.before)
        # The first line is plinth's echo of what was typed.
        echo, _, rest = out.partition("\n")
        assert line[:40] in echo, "no echo of %r in %r (output %r)" % (line, echo, out[:200])
        return rest

    def alive(self):
        return self.child.isalive()

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)
        self.log.close()


class Machines:
    """Keeps at most one plinth running (two cores on CI) and hands it to
    every test that wants the same kind of machine."""

    def __init__(self):
        self.current = None

    def get(self, key, log_name):
        cur = self.current
        if cur is not None and (cur.key != key or not cur.alive()):
            cur.close()
            cur = self.current = None
        if cur is None:
            source, smp, mem = key
            cur = self.current = Plinth(source, smp, mem, log_name=log_name)
        return cur

    def close(self):
        if self.current is not None:
            self.current.close()
            self.current = None


def machine_of(item):
    m = item.get_closest_marker("machine")
    kw = dict(DEFAULT_MACHINE)
    phase = PHASE_NORMAL
    if m is not None:
        kw.update({k: v for k, v in m.kwargs.items() if k in kw})
        phase = m.kwargs.get("phase", PHASE_NORMAL)
    return (kw["source"], kw["smp"], kw["mem"]), phase


def pytest_collection_modifyitems(config, items):
    """Group tests by machine (in order of first appearance, the default
    machine first), heaviest phases last within a group."""
    order = {}
    for it in items:
        if "plinth" in getattr(it, "fixturenames", ()):
            order.setdefault(machine_of(it)[0], len(order) + 1)

    def key(pair):
        idx, it = pair
        if "plinth" not in getattr(it, "fixturenames", ()):
            return (0, 0, idx)
        mkey, phase = machine_of(it)
        group = 0 if mkey == tuple(DEFAULT_MACHINE.values()) else order[mkey]
        return (1 + group, phase, idx)

    items[:] = [it for _, it in sorted(enumerate(items), key=key)]


@pytest.fixture(scope="session")
def machines():
    # The log directory holds the last run only.
    for old in LOG_DIR.glob("*.log"):
        old.unlink()
    m = Machines()
    yield m
    m.close()


@pytest.fixture
def plinth(request, machines):
    """A booted plinth at its prompt, as the test's `machine` marker asks."""
    key, _ = machine_of(request.node)
    p = machines.get(key, log_name=request.node.name)
    p.note("test " + request.node.nodeid)
    p.settle(quiet=0.2)
    yield p
    rep = getattr(request.node, "rep_call", None)
    if not p.alive() or rep is None or rep.failed:
        # A failed test may leave a half-typed line or a wedged plinth:
        # the next test boots afresh rather than failing for the same reason.
        machines.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep

"""Debian's unmodified kernel under plinth: boot, the interactive UART
console, SMP, timers, power events from inside, and bad kernels.

The kernel (vmlinuz, from linux-image-amd64) and initrd.img (busybox-static
and tests/guests/linux/init) are preloaded by the shipped plinth.cfg.  One
machine with three CPUs: cpu0 runs the console, cpu1 and cpu2 the guests.
"""

import re
import time

import pexpect
import pytest

from test_vm import DETACH, create, destroy, info_value, vm_info, vm_row, wait_state

LINUX_MACHINE = dict(smp=3, mem="1G")
pytestmark = pytest.mark.machine(**LINUX_MACHINE)
BOOT = 600              # seconds to the shell: TCG emulating SVM on a loaded 2-core host
SHELL = "linux# "
CMDLINE = "console=ttyS0 quiet panic=-1"


class Console:
    """The operator attached to one Linux guest's UART."""

    def __init__(self, plinth, name):
        self.p, self.name, self.c = plinth, name, plinth.child
        plinth.settle(quiet=0.2)
        plinth.note("attach " + name)
        self.c.send("attach %s\r" % name)
        self.c.expect_exact("attached to %s" % name)

    def wait_shell(self, timeout=BOOT):
        """Boot to the ready line and the first prompt; returns the boot text."""
        self.c.expect(r"plinth-linux: ready \((\d+) cpus\)", timeout=timeout)
        text = self.c.before
        cpus = int(self.c.match.group(1))
        self.c.expect_exact(SHELL, timeout=60)
        return text, cpus

    def run(self, line, timeout=120):
        """Type a command and return its output (between the echo and the next prompt)."""
        self.c.send(line + "\r")
        self.c.expect_exact(SHELL, timeout=timeout)
        lines = self.c.before.replace("\r", "").split("\n")
        # Drop everything up to the guest's echo of the command line itself.
        for i, text in enumerate(lines):
            if text.endswith(line):
                lines = lines[i + 1:]
                break
        return "\n".join(lines).strip()

    def detach(self):
        self.c.send(DETACH)
        self.c.expect_exact("detached from %s" % self.name)
        self.p.expect_prompt()


def boot_linux(plinth, name, vcpus=1, mem="256M", extra=""):
    create(plinth, name, "kernel=vmlinuz initrd=initrd.img mem=%s vcpus=%d cmdline=\"%s\" %s"
           % (mem, vcpus, CMDLINE, extra))
    con = Console(plinth, name)
    text, cpus = con.wait_shell()
    return con, cpus


def test_linux_boots_to_shell_and_runs_commands(plinth):
    con, cpus = boot_linux(plinth, "lx1")
    assert cpus == 1
    assert con.run("grep -c processor /proc/cpuinfo") == "1"
    # Typed input comes back through the guest's shell.
    assert con.run("echo typed-$((6*7))-input") == "typed-42-input"
    # The timer: `sleep 1` takes about one second of guest uptime.
    out = con.run("cat /proc/uptime; sleep 1; cat /proc/uptime")
    a, b = [float(line.split()[0]) for line in out.splitlines()]
    assert 0.9 <= b - a <= 3.0, out
    # The root bridge in the DSDT: Linux enumerates bus 0 and finds the host bridge.
    # (Commands stay short: the shell wraps lines past 80 columns.)
    assert con.run("ls /sys/bus/pci/devices") == "0000:00:00.0"
    assert con.run("cd /sys/bus/pci/devices/0000:00:00.0") == ""
    assert con.run("cat vendor device class").split() == ["0x1b36", "0x0008", "0x060000"]
    # The RTC starts at the firmware's clock (QEMU's: the host's UTC time), not at 1970.
    guest_now = int(con.run("date +%s"))
    assert abs(guest_now - time.time()) < 3600, guest_now
    # Every MSR Linux reads unchecked during boot is emulated.
    assert con.run("dmesg | grep -c 'unchecked MSR access'") == "0"
    con.detach()
    info = vm_info(plinth, "lx1")
    assert int(info_value(info, "exits")) > 0
    assert vm_row(plinth, "lx1")["state"] == "running"


def test_vm_kill_while_linux_runs(plinth):
    out = plinth.cmd("vm kill lx1")
    assert "killed" in out or "stopped" in out, out
    assert vm_row(plinth, "lx1")["state"] == "stopped"
    destroy(plinth, "lx1")


def test_linux_smp_two_vcpus(plinth):
    con, cpus = boot_linux(plinth, "lx2", vcpus=2)
    assert cpus == 2
    assert con.run("grep -c processor /proc/cpuinfo") == "2"
    out = con.run("cat /sys/devices/system/cpu/online")
    assert out == "0-1", out
    # NMI IPIs: sysrq-l makes CPU 0 send CPU 1 an NMI, whose handler prints a
    # backtrace (Linux gives up after 10 s without it).  The second one is
    # delivered only if the first NMI's IRET ended NMI blocking.
    assert con.run("dmesg -n 1") == ""          # keep printk off the shell's screen
    for _ in range(3):
        con.run("echo l > /proc/sysrq-trigger", timeout=60)
    assert con.run("dmesg | grep -c 'NMI backtrace for cpu 1'") == "3"
    con.detach()
    # The IRETs of the NMI handlers were intercepted, one per NMI at least.
    assert int(info_value(vm_info(plinth, "lx2"), "exit iret")) >= 3


def test_two_linux_guests_at_once(plinth):
    con, cpus = boot_linux(plinth, "lx3", extra="cpus=1")
    con.detach()
    # lx2 (two vCPUs) still answers after lx3 came up beside it.
    for name in ("lx2", "lx3"):
        con = Console(plinth, name)
        assert con.run("echo alive-%s" % name) == "alive-%s" % name
        con.detach()
    for name in ("lx2", "lx3"):
        plinth.cmd("vm kill " + name)
        destroy(plinth, name)


def test_poweroff_from_inside_stops_the_vm(plinth):
    con, _ = boot_linux(plinth, "lx4")
    con.c.send("poweroff -f\r")
    con.c.expect_exact("detached from lx4", timeout=120)
    plinth.expect_prompt()
    row = wait_state(plinth, "lx4", ("stopped",))
    assert "S5" in vm_info(plinth, "lx4")
    destroy(plinth, "lx4")


@pytest.mark.parametrize("how", ["acpi", "k", "t"])
def test_reboot_from_inside_restarts_the_vm(plinth, how):
    name = "lxr" + how
    extra = "" if how == "acpi" else "reboot=%s" % how
    create(plinth, name, "kernel=vmlinuz initrd=initrd.img mem=256M cmdline=\"%s %s\"%s"
           % (CMDLINE, extra, " on_crash=restart" if how == "t" else ""))
    con = Console(plinth, name)
    con.wait_shell()
    con.c.send("reboot -f\r")
    # The same console shows the second boot: the VM restarted from its kernel.
    con.wait_shell()
    con.detach()
    info = vm_info(plinth, name)
    assert int(info_value(info, "restarts")) == 1
    plinth.cmd("vm kill " + name)
    destroy(plinth, name)


def test_triple_fault_on_crash_stop(plinth):
    create(plinth, "lxt", "kernel=vmlinuz initrd=initrd.img mem=256M cmdline=\"%s reboot=t\""
           % CMDLINE)
    con = Console(plinth, "lxt")
    con.wait_shell()
    con.c.send("reboot -f\r")
    con.c.expect_exact("detached from lxt", timeout=120)
    plinth.expect_prompt()
    wait_state(plinth, "lxt", ("crashed",))
    assert "triple fault" in vm_info(plinth, "lxt")
    destroy(plinth, "lxt")


def test_bad_kernels_get_one_clear_error(plinth):
    # hello.elf is no bzImage; an initrd bigger than the VM's RAM does not fit.
    out = plinth.cmd("vm create bad1 kernel=hello.elf mem=64M")
    assert re.search(r"vm create: kernel: .*bzImage", out), out
    out = plinth.cmd("vm create bad2 kernel=vmlinuz initrd=vmlinuz mem=8M")
    assert re.search(r"vm create: .*(initrd|kernel).*(fit|needs)", out), out
    out = plinth.cmd("vm create bad3 kernel=nosuchfile")
    assert "was not loaded at boot" in out, out
    assert "no VMs" in plinth.cmd("vm list") or "bad" not in plinth.cmd("vm list")
    assert "plinth" in plinth.cmd("version")

#!/usr/bin/env python3
"""Linux boot benchmark: Debian's kernel from its entry to /init, bare QEMU against plinth.

One kernel (build/linux/vmlinuz), one initramfs (build/linux/initrd.img), one
command line and one memory size, booted twice under QEMU TCG with
`-icount shift=0,sleep=off`, where the TSC counts virtual nanoseconds (one
emulated instruction each; idle time jumps to the next timer), so the
figures are deterministic path lengths, not host noise:

  bare    QEMU loads the kernel itself (-kernel/-initrd, SeaBIOS).  QEMU starts
          paused; a few packets of the GDB remote protocol on its gdbstub stop
          the CPU at the kernel's 32-bit entry (code32_start from the bzImage
          header), run one injected RDTSC there and let it go, so the firmware
          and the real-mode setup code are left out.  Virtual boot time = the
          TSC that /init prints minus that entry TSC.
  plinth  plinth boots a copy of build/esp (tools/run-qemu.sh --icount, two
          CPUs) and runs the same kernel as VM `lb`, alone; `vm info lb` says
          `started at tsc N` (the vCPU's first entry) and the exits by reason.
          Virtual boot time = the TSC that /init prints minus N.  QEMU's
          virtual clock counts the instructions of both CPUs, so whatever
          plinth's console CPU executes meanwhile is in the figure (HLT is free).

/init (tests/guests/linux/init) prints `plinth-linux: init at tsc=N uptime=U`
first thing, then `plinth-linux: ready (C cpus)`.  Wall times run from QEMU's
start (bare) or `vm start` (plinth) to the ready line.  The bare half must
work, and so must the plinth half; exits with status 1 if either does not
reach init or the virtual-time ratio is above 1.25.
"""
import argparse
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET_RATIO = 1.25     # plinth / bare QEMU, guest virtual time from kernel entry to /init
KERNEL = os.path.join(ROOT, "build/linux/vmlinuz")
INITRD = os.path.join(ROOT, "build/linux/initrd.img")
ESP = os.path.join(ROOT, "build/esp")
PLINTH_LOG = os.path.join(ROOT, "build/bench/linux_boot-plinth.log")
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
CMDLINE = "console=ttyS0 quiet panic=-1"
MEM = "256M"
TSC_HZ = 1_000_000_000          # under -icount shift=0: one tick per virtual ns
INIT_RE = re.compile(r"plinth-linux: init at tsc=(\d+) uptime=([\d.]+)\r")
READY_RE = re.compile(r"plinth-linux: ready \((\d+) cpus\)")
SHELL = "linux# "
PROMPT = "plinth> "
DETACH = "\x1d"                 # Ctrl-]


def rel(path):
    return os.path.relpath(path, ROOT)


def ms(ticks):
    return ticks * 1000 / TSC_HZ


# ---------------------------------------------------------------- gdbstub

class GdbStub:
    """Just enough of the GDB remote serial protocol to run a CPU to one address."""

    def __init__(self, path, timeout):
        self.timeout, self.buf = timeout, b""
        end = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > end:
                    raise RuntimeError("QEMU's gdbstub did not appear at " + path)
                time.sleep(0.05)
        self.sock.settimeout(timeout)

    def close(self):
        self.sock.close()

    def cmd(self, data):
        """Send one packet; return the reply's payload."""
        body = data.encode()
        self.sock.sendall(b"$%s#%02x" % (body, sum(body) & 0xFF))
        while True:
            start = self.buf.find(b"$")
            hash_at = self.buf.find(b"#", start) if start >= 0 else -1
            if start >= 0 and hash_at >= 0 and len(self.buf) >= hash_at + 3:
                reply = self.buf[start + 1:hash_at].decode()
                self.buf = self.buf[hash_at + 3:]
                self.sock.sendall(b"+")
                return reply
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("QEMU closed the gdbstub connection")
            self.buf += chunk

    def ok(self, data):
        reply = self.cmd(data)
        if reply != "OK":
            raise RuntimeError("gdbstub: '%s' answered '%s'" % (data, reply))

    # QEMU answers 'p' and 'P' (one register) only once the debugger has
    # read its XML target description, as a debugger would first thing.
    def describe(self):
        reply = self.cmd("qXfer:features:read:target.xml:0,1")
        if not reply.startswith(("m", "l")):
            raise RuntimeError("gdbstub: no target description ('%s')" % reply[:40])

    def reg(self, n):
        reply = self.cmd("p%x" % n)
        if not re.fullmatch(r"[0-9a-f]{16}", reply):
            raise RuntimeError("gdbstub: register %d read as '%s'" % (n, reply[:40]))
        return int.from_bytes(bytes.fromhex(reply), "little")

    def set_reg(self, n, value):
        self.ok("P%x=%s" % (n, value.to_bytes(8, "little").hex()))


RAX, RDX, RIP = 0, 3, 16        # QEMU's x86-64 register numbers


def entry_tsc(sock_path, addr, timeout=120):
    """Run the paused CPU to addr, read the TSC there with one injected
    RDTSC, put everything back and let the guest go on."""
    g = GdbStub(sock_path, timeout)
    try:
        g.describe()
        g.ok("Z1,%x,1" % addr)
        stop = g.cmd("c")
        if not stop.startswith(("T05", "S05")):
            raise RuntimeError("gdbstub: stopped with '%s' on the way to %#x" % (stop, addr))
        g.ok("z1,%x,1" % addr)
        rip, rax, rdx = g.reg(RIP), g.reg(RAX), g.reg(RDX)
        if rip != addr:
            raise RuntimeError("gdbstub: stopped at %#x, not %#x" % (rip, addr))
        saved = g.cmd("m%x,2" % addr)
        g.ok("M%x,2:0f31" % addr)                   # RDTSC
        g.cmd("s")
        tsc = (g.reg(RDX) & 0xFFFFFFFF) << 32 | (g.reg(RAX) & 0xFFFFFFFF)
        g.ok("M%x,2:%s" % (addr, saved))
        g.set_reg(RAX, rax)
        g.set_reg(RDX, rdx)
        g.set_reg(RIP, rip)
        g.cmd("D")                                  # detach: QEMU runs on
    finally:
        g.close()
    return tsc


def code32_start(kernel):
    """Where a bzImage's 32-bit entry is loaded (boot protocol header)."""
    with open(kernel, "rb") as f:
        head = f.read(0x218)
    if len(head) < 0x218 or head[0x202:0x206] != b"HdrS":
        raise RuntimeError("%s is not a bzImage" % kernel)
    return struct.unpack_from("<I", head, 0x214)[0]


# ---------------------------------------------------------------- bare QEMU

def bare(cmdline, mem, timeout):
    """Boot the kernel on bare QEMU; raises on any failure."""
    tmp = tempfile.mkdtemp(prefix="linux-boot.")
    sock = os.path.join(tmp, "gdb")
    args = ["-machine", "q35", "-cpu", "EPYC", "-accel", "tcg", "-smp", "1", "-m", mem,
            "-kernel", KERNEL, "-initrd", INITRD, "-append", cmdline, "-no-reboot", "-nic", "none",
            "-display", "none", "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
            "-monitor", "none", "-parallel", "none", "-icount", "shift=0,sleep=off",
            "-gdb", "unix:%s,server=on,wait=off" % sock, "-S"]
    start = time.monotonic()
    child = pexpect.spawn(QEMU, args, encoding="latin-1", timeout=timeout)
    try:
        entry = entry_tsc(sock, code32_start(KERNEL))
        child.expect(INIT_RE)
        init, uptime = int(child.match.group(1)), float(child.match.group(2))
        log_bytes = len(child.before)
        child.expect(READY_RE)
        wall = time.monotonic() - start
        cpus = int(child.match.group(1))
        child.expect_exact(SHELL)
        # The TSC rate: two sleeps, so the cost of the commands cancels out.
        child.sendline("a=$(tsc); sleep 1; b=$(tsc); sleep 3; c=$(tsc); echo rate $((b-a)) $((c-b))")
        child.expect(r"rate (\d+) (\d+)\r")
        d1, d3 = int(child.match.group(1)), int(child.match.group(2))
        child.expect_exact(SHELL)
        child.sendline("poweroff -f")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.terminate(force=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"entry": entry, "init": init, "uptime": uptime, "wall": wall, "cpus": cpus,
            "log": log_bytes, "rate": (d3 - d1) / 2}


# ---------------------------------------------------------------- plinth

def plinth_cmd(child, line, timeout=60):
    child.send(line + "\r")
    child.expect_exact(PROMPT, timeout=timeout)
    return child.before.replace("\r", "")


def settle(child, quiet=0.5, limit=30):
    """Read until plinth has said nothing for `quiet` seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            child.read_nonblocking(65536, timeout=quiet)
        except pexpect.TIMEOUT:
            return


def plinth(cmdline, mem, timeout):
    """Boot the kernel as a VM under plinth: a dict of figures, or of "error"."""
    for f in ("EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/vmlinuz", "EFI/BOOT/initrd.img"):
        if not os.path.exists(os.path.join(ESP, f)):
            return {"error": "build/esp/%s missing (make all)" % f}
    # A private copy: a `make` meanwhile rebuilds build/esp from scratch.
    tmp = tempfile.mkdtemp(prefix="linux-boot.")
    esp = os.path.join(tmp, "esp")
    shutil.copytree(ESP, esp)
    args = ["--fat", esp, "--smp", "2", "--serial-only", "--icount"]
    os.makedirs(os.path.dirname(PLINTH_LOG), exist_ok=True)
    log = open(PLINTH_LOG, "w", encoding="latin-1")
    child = pexpect.spawn(os.path.join(ROOT, "tools/run-qemu.sh"), args, encoding="latin-1",
                          timeout=300, maxread=65536)
    child.logfile_read = log
    step = "plinth's prompt"
    res = {"stopped": []}
    try:
        child.expect_exact(PROMPT)
        settle(child)
        # Only `lb` may run: anything plinth.cfg autostarted would share its time.
        for line in plinth_cmd(child, "vm list").splitlines()[1:]:
            f = line.split()
            if len(f) > 1 and f[1] in ("running", "paused"):
                plinth_cmd(child, "vm kill " + f[0])
                res["stopped"].append(f[0])
        step = "vm create"
        out = plinth_cmd(child, 'vm create lb kernel=vmlinuz initrd=initrd.img mem=%s cmdline="%s"'
                         % (mem, cmdline))
        if "vm lb created" not in out:
            return {"error": out.strip().splitlines()[-1] if out.strip() else "no reply to vm create"}
        step = "vm start"
        out = plinth_cmd(child, "vm start lb")
        if "vm lb started" not in out:
            return {"error": out.strip().splitlines()[-1] if out.strip() else "no reply to vm start"}
        start = time.monotonic()
        step = "attach"
        child.send("attach lb\r")
        child.expect_exact("attached to lb")
        step = "the init line"
        child.expect(INIT_RE, timeout=timeout)
        res.update(init=int(child.match.group(1)), uptime=float(child.match.group(2)),
                   log=len(child.before))
        step = "the ready line"
        child.expect(READY_RE, timeout=timeout)
        res.update(wall=time.monotonic() - start, cpus=int(child.match.group(1)))
        step = "detach"
        child.send(DETACH)
        child.expect_exact("detached from lb")
        child.expect_exact(PROMPT)
        step = "vm info"
        info = plinth_cmd(child, "vm info lb")
    except pexpect.TIMEOUT:
        return {"error": "timed out waiting for %s (transcript: %s)" % (step, rel(PLINTH_LOG))}
    except pexpect.EOF:
        return {"error": "QEMU ended while waiting for %s (transcript: %s)" % (step, rel(PLINTH_LOG))}
    finally:
        child.terminate(force=True)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    m = re.search(r"started at tsc (\d+)", info)
    if not m:
        return {"error": "vm info lb has no 'started at tsc' line"}
    res["start"] = int(m.group(1))
    m = re.search(r"^\s*exits\s+(\d+)", info, re.M)
    res["exits"] = int(m.group(1)) if m else None
    res["by_reason"] = [(k, int(v)) for k, v in re.findall(r"^\s*exit (\S+)\s+(\d+)", info, re.M)]
    return res


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cmdline", default=CMDLINE, help="kernel command line (default: %(default)s)")
    p.add_argument("--mem", default=MEM, help="guest RAM in both halves (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=1200,
                   help="seconds to wait for init under plinth (default: %(default)s)")
    a = p.parse_args()
    for f in (KERNEL, INITRD):
        if not os.path.exists(f):
            print("%s missing: run 'make linux'" % rel(f))
            return 1
    print("vmlinuz %d bytes, initrd.img %d bytes, mem %s, cmdline \"%s\""
          % (os.path.getsize(KERNEL), os.path.getsize(INITRD), a.mem, a.cmdline))

    try:
        b = bare(a.cmdline, a.mem, timeout=300)
    except (pexpect.TIMEOUT, pexpect.EOF, RuntimeError, OSError) as e:
        print("bare QEMU: did not reach init: %s" % (str(e).splitlines()[0] if str(e) else type(e).__name__))
        return 1
    b_virt = b["init"] - b["entry"]
    print("bare QEMU (TCG, -icount shift=0,sleep=off, guest saw %d CPU(s)):" % b["cpus"])
    print("  kernel entry at tsc %d (%.1f ms of firmware and setup code, not counted)"
          % (b["entry"], ms(b["entry"])))
    print("  init at tsc %d: %.1f ms virtual from kernel entry (kernel uptime %.2f s)"
          % (b["init"], ms(b_virt), b["uptime"]))
    print("  wall %.1f s from QEMU start to the ready line; %d serial bytes before init"
          % (b["wall"], b["log"]))
    print("  guest TSC: %.0f ticks per guest second (sleep 3 minus sleep 1, halved)" % b["rate"])

    r = plinth(a.cmdline, a.mem, a.timeout)
    if "error" in r:
        print("plinth: did not reach init: %s" % r["error"])
        return 1
    print("plinth (TCG, --icount, 2 CPUs; VM lb, guest saw %d CPU(s)):" % r["cpus"])
    if r["stopped"]:
        print("  stopped first so lb runs alone: %s" % ", ".join(r["stopped"]))
    p_virt = r["init"] - r["start"]
    print("  vCPU first entry at tsc %d, init at tsc %d: %.1f ms virtual (kernel uptime %.2f s)"
          % (r["start"], r["init"], ms(p_virt), r["uptime"]))
    print("  wall %.1f s from vm start to the ready line; %d serial bytes before init"
          % (r["wall"], r["log"]))
    if r["exits"] is not None:
        print("  exits %d during boot and detach" % r["exits"])
    for k, v in sorted(r["by_reason"], key=lambda kv: -kv[1]):
        print("    %-12s %10d" % (k, v))
    if b_virt <= 0 or p_virt <= 0:
        print("plinth / bare: no ratio (virtual times %d and %d ticks)" % (p_virt, b_virt))
        return 1
    ratio = p_virt / b_virt
    print("plinth / bare: %.2fx virtual time (target <= %.2fx), %.2fx wall time"
          % (ratio, TARGET_RATIO, r["wall"] / b["wall"]))
    if ratio > TARGET_RATIO:
        print("target missed: %.2fx > %.2fx virtual time" % (ratio, TARGET_RATIO))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

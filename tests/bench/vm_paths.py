#!/usr/bin/env python3
"""Exit path lengths under -icount shift=0,sleep=off, against the floor.

Boots build/esp with two CPUs (cpu1 runs the guest), runs `bench floor` (a
bare VMRUN -> #VMEXIT -> VMRUN loop inside plinth, no handling), then the
bench guest (tests/guests/bench.c), which times with RDTSC around one
VMMCALL, CPUID or IN from an unclaimed port.  Two hypercall figures: VERSION,
which plinth's VMRUN stub answers without leaving guest register state, and
an unknown call number (-PL_ENOSYS), which takes the full exit to the C
fastpath like every call that is not a constant.  Under icount the TSC counts
emulated instructions, so every figure is a deterministic path length in
ticks, host and guest instructions together.  Exits with status 1 if a net
figure is above its target.  Also reports the per-VM memory overhead from
`vm info`.
"""
import os
import re
import sys

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = {"hypercall": 100, "hypercall_c": None, "cpuid": 150, "io": 200}


def cmd(child, line, timeout=120):
    child.sendline(line)
    child.expect_exact("plinth> ", timeout=timeout)
    return child.before.replace("\r", "")


def main():
    args = ["--fat", os.path.join(ROOT, "build/esp"), "--smp", "2", "--serial-only", "--icount"]
    child = pexpect.spawn(os.path.join(ROOT, "tools/run-qemu.sh"), args, encoding="latin-1",
                          timeout=300)
    try:
        child.expect_exact("plinth> ")
        out = cmd(child, "bench floor 100000", timeout=600)
        m = re.search(r"bench floor: (\d+) round trips, best of \d+: (\d+) ticks", out)
        if not m:
            print("no floor figure in:\n" + out)
            return 1
        floor = int(m.group(2)) / int(m.group(1))
        cmd(child, "vm create bench image=bench.elf cpus=1 cmdline=n=2000")
        cmd(child, "vm start bench")
        child.sendline("attach bench")
        child.expect_exact("bench: done", timeout=600)
        text = child.before
        child.expect_exact("plinth> ")
        info = cmd(child, "vm info bench")
    finally:
        child.terminate(force=True)
    res = {k: (int(a), int(b)) for k, a, b in
           re.findall(r"bench (\w+) min=(\d+) median=(\d+)", text)}
    if not all(k in res for k in list(TARGETS) + ["empty"]):
        print("bench guest output incomplete:\n" + text)
        return 1
    empty = res["empty"][0]
    print(f"floor (bare VMRUN -> #VMEXIT -> VMRUN): {floor:.2f} ticks per round trip")
    print(f"RDTSC pair with nothing between (subtracted below): {empty} ticks")
    print(f"{'path':<11} {'min':>6} {'median':>7} {'net':>6} {'x floor':>8} {'target':>7}")
    missed = []
    for k, target in TARGETS.items():
        lo, med = res[k]
        net = lo - empty
        print(f"{k:<11} {lo:>6} {med:>7} {net:>6} {net / floor:>8.1f} {target or '-':>7}")
        if target and net > target:
            missed.append(f"{k} {net} > {target}")
    m = re.search(r"overhead\s+(\d+) KiB \((\d+) NPT pages\)", info)
    if m:
        print(f"per-VM overhead besides guest RAM (16 MiB VM, 1 vCPU): {m.group(1)} KiB, "
              f"of which {m.group(2)} NPT pages")
    if missed:
        print("target missed: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

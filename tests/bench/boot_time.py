#!/usr/bin/env python3
"""Boot-time benchmark: efi_main to the `plinth> ` prompt, and plinth.efi's size.

Boots build/esp under QEMU + OVMF and reads the core's own `boot:` log line,
which splits the time into the loader, the firmware's ExitBootServices and the
core. Under `-icount shift=0,sleep=off` the TSC counts emulated instructions
(1 tick = 1 ns of virtual time), so those figures are deterministic path
lengths; without icount the TSC runs at the host's rate (wall time).
"""
import os
import re
import sys
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOT_RE = re.compile(r"boot: (\d+) TSC ticks from efi_main to the console \(([\d.]+) ms: "
                     r"loader ([\d.]+) ms, firmware ExitBootServices ([\d.]+) ms, core ([\d.]+) ms\)")


def boot(smp, icount):
    args = ["--fat", os.path.join(ROOT, "build/esp"), "--smp", str(smp), "--serial-only"]
    if icount:
        args.append("--icount")
    start = time.monotonic()
    child = pexpect.spawn(os.path.join(ROOT, "tools/run-qemu.sh"), args, encoding="latin-1", timeout=180)
    try:
        child.expect(BOOT_RE)
        m = child.match
        child.expect("plinth> ")
        wall = time.monotonic() - start
    finally:
        child.terminate(force=True)
    return {"ticks": int(m.group(1)), "total": float(m.group(2)), "loader": float(m.group(3)),
            "ebs": float(m.group(4)), "core": float(m.group(5)), "wall": wall}


def main():
    size = os.path.getsize(os.path.join(ROOT, "build/plinth.efi"))
    print(f"plinth.efi: {size} bytes ({size / 1024:.1f} KiB; target < 512 KiB)")
    print(f"{'run':<22} {'total ms':>9} {'loader':>8} {'fw EBS':>8} {'core':>8} {'ticks':>11} {'QEMU start->prompt s':>21}")
    for smp, icount in ((1, True), (2, True), (2, False)):
        r = boot(smp, icount)
        name = f"smp={smp} {'icount (virtual)' if icount else 'no icount (wall)'}"
        print(f"{name:<22} {r['total']:>9.3f} {r['loader']:>8.3f} {r['ebs']:>8.3f} {r['core']:>8.3f} "
              f"{r['ticks']:>11} {r['wall']:>21.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

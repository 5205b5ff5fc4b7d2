#!/usr/bin/env python3
"""Runs a command and writes its wall, user and system seconds and peak
memory, like `/usr/bin/time -f "%e %U %S %M"`, but to the microsecond
(GNU time prints hundredths, too coarse for runs of 10-100 ms).

    scripts/timed.py -o FILE COMMAND [ARGS...]

FILE gets one line: wall_s user_s sys_s max_rss_kib. The command's own
output passes through; its exit status is this script's.
"""
import os
import subprocess
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "-o":
        sys.exit("usage: timed.py -o FILE COMMAND [ARGS...]")
    out, command = args[1], args[2:]
    began = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(out, "w") as f:
        f.write(f"{wall:.6f} {usage.ru_utime:.6f} {usage.ru_stime:.6f} {usage.ru_maxrss}\n")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Watches a running `linkpost run` for bench/run.sh's daemon workload.

    daemon_watch.py LOG PID WARMUP MEASURE

Follows the daemon's JSON log; at each minutely `schedule` line it reads the
process's CPU time from /proc. After WARMUP seconds, the schedule lines of the
next MEASURE seconds are the measurement: the polls they count, the CPU the
process used between the first and the last of them, and their lateness.
Prints `polls polls_per_s cpu_ms_per_poll late_median_ms late_p99_ms`
(the p99 is the worst minute's; the median the median of the minutes').
"""

import json
import os
import statistics
import sys
import time

log_path, pid, warmup, measure = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
hz = os.sysconf("SC_CLK_TCK")


def cpu_ticks():
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


start = time.monotonic()
seen = []  # (seconds since start, cpu ticks, fields) per schedule line
with open(log_path) as log:
    while time.monotonic() - start < warmup + measure:
        line = log.readline()
        if not line:
            time.sleep(0.02)
            continue
        if '"schedule"' in line:
            seen.append((time.monotonic() - start, cpu_ticks(), json.loads(line)["fields"]))

window = [s for s in seen if s[0] >= warmup]
if len(window) < 2:
    sys.exit(f"only {len(window)} schedule lines after the warm-up; measure for longer")
base, rest = window[0], window[1:]
polls = sum(f["polls"] for _, _, f in rest)
seconds = rest[-1][0] - base[0]
cpu_ms = (rest[-1][1] - base[1]) / hz * 1000
median = statistics.median(f["late_median_ms"] for _, _, f in rest)
p99 = max(f["late_p99_ms"] for _, _, f in rest)
print(f"{polls} {polls / seconds:.0f} {cpu_ms / max(polls, 1):.3f} {median:g} {p99}")

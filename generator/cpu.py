"""How many of this process's CPU cores nobody else is using: training's torch threads when
``TrainConfig.threads`` is 0 ("auto").

Measured on a 2-core machine (``benchmarks/generator_throughput.py``): a renderer step takes
0.54 s on one thread and 0.33 s on two when the machine is free, but 1.02 s on two against 0.49 s
on one while another process keeps one core busy (OpenMP's threads wait for each other on the
shared core). So the count follows the machine: every ``every`` seconds, the cores that other
processes kept busy are read from ``/proc/stat`` (busy time of this process's CPUs, minus this
process's own CPU time), and the threads become the cores left, at least one. Where ``/proc`` is
missing the count stays at one. Thread counts change the order of floating-point sums, so an
"auto" run is not bit-for-bit repeatable; give a fixed count for that.
"""
from __future__ import annotations

import os
import time

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def _busy_seconds(cpus: list[int]) -> float | None:
    """Busy time (all but idle and iowait) of ``cpus`` since boot, from /proc/stat; None without it."""
    want = {f"cpu{c}" for c in cpus}
    try:
        with open("/proc/stat") as f:
            rows = [line.split() for line in f if line.startswith("cpu")]
    except OSError:
        return None
    busy = 0
    for row in rows:
        if row[0] in want:
            ticks = [int(x) for x in row[1:]]
            busy += sum(ticks[:8]) - ticks[3] - ticks[4]  # user nice system idle iowait irq softirq steal
    return busy / _TICK


class CoreWatch:
    """``threads()`` says how many threads to run now; it re-measures at most every ``every`` s."""

    def __init__(self, every: float = 10.0):
        self.cpus, self.every = _cpus(), every
        self.current = 1
        self._last = self._sample()

    def _sample(self) -> tuple[float, float, float] | None:
        busy = _busy_seconds(self.cpus)
        if busy is None:
            return None
        t = os.times()
        return time.monotonic(), busy, t.user + t.system

    def threads(self) -> int:
        # called every training step: only the clock until the interval is over, no /proc read
        if self._last is None or time.monotonic() - self._last[0] < self.every:
            return self.current
        now = self._sample()
        if now is None:
            return self.current
        wall = now[0] - self._last[0]
        others = max(0.0, (now[1] - self._last[1]) - (now[2] - self._last[2])) / wall  # cores busy elsewhere
        self._last = now
        # a core counts as free when others used less than 30 % of it over the interval
        self.current = max(1, min(len(self.cpus), int(len(self.cpus) - others + 0.7)))
        return self.current

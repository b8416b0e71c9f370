"""What the benchmarks share about the machine: /proc readings, CPU pinning, percentiles.

The benchmark scripts run as ``python benchmarks/bench_x.py``, so this directory is on
``sys.path`` and they import it as ``machine``.
"""

from __future__ import annotations

import contextlib
import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pin_all_threads(pid: int, cpus: set[int]) -> None:
    """``taskset -a -p``: every current thread of *pid* (new threads inherit from their creator)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(tid), cpus)


def status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` field in kB (``VmRSS``, ``VmHWM``)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def pct(sorted_values, q: float) -> float:
    """The *q* quantile of already sorted values (nearest rank); NaN when there are none."""
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))]


def cpu_model() -> str:
    with contextlib.suppress(OSError, StopIteration):
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    return ""

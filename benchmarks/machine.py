"""What the benchmarks share: /proc readings, CPU pinning, percentiles, a helper process,
and the PASS/FAIL ending.

The benchmark scripts run as ``python benchmarks/bench_x.py``, so this directory is on
``sys.path`` and they import it as ``machine``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

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


class Helper:
    """A spawned helper process spoken to over a pipe (a load generator): it answers each
    command with one message; :meth:`close` stops it, killing it if it does not stop."""

    def __init__(self, target, *args, ctx=None, start_timeout: float = 60.0):
        ctx = ctx or mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child, *args), daemon=True)
        self.proc.start()
        child.close()
        self._expect(start_timeout)

    def _expect(self, timeout: float):
        if not self.conn.poll(timeout):
            raise RuntimeError("the load generator did not answer in time")
        return self.conn.recv()

    def ask(self, message: tuple, timeout: float):
        self.conn.send(message)
        return self._expect(timeout)

    def close(self) -> None:
        if self.proc.is_alive():
            with contextlib.suppress(Exception):
                self.ask(("stop",), 30)
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def finish(report: dict, verdicts: list[tuple[str, str, bool]], json_path: Path | None) -> int:
    """Print the total time and one PASS/FAIL line per target, write the JSON report if
    asked; the exit status: 0 when every target is met."""
    print(f"\ntotal time {report['total_s']:.0f} s\n")
    for name, value, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {value}")
    report["verdicts"] = [{"target": n, "value": v, "pass": ok} for n, v, ok in verdicts]
    if json_path:
        json_path.write_text(json.dumps(report, indent=1, default=str))
    return 0 if all(ok for _, _, ok in verdicts) else 1


BUSY_CORES = 0.25  # other processes + steal above this during a phase: its times are not clean


class MachineLoad:
    """CPU used while a phase ran, in cores on average: by this process and the children it
    has waited for, by every other process (all CPU time of the machine minus ours), and
    stolen by the hypervisor. Leave the block only after waiting for the children."""

    def __enter__(self) -> "MachineLoad":
        self._start = self._sample()
        return self

    def __exit__(self, *exc) -> None:
        wall, busy, steal, own = (b - a for a, b in zip(self._start, self._sample()))
        self.own_cores, self.others_cores, self.steal_cores = own / wall, max(0.0, busy - own) / wall, steal / wall

    @property
    def busy(self) -> bool:
        return self.others_cores + self.steal_cores > BUSY_CORES

    def figures(self) -> dict:
        return {"own_cores": self.own_cores, "others_cores": self.others_cores, "steal_cores": self.steal_cores}

    def __str__(self) -> str:
        return (f"this process {self.own_cores:.2f} cores, other processes {self.others_cores:.2f} cores, "
                f"steal {self.steal_cores:.2f} cores (averages over the phase)"
                + ("\n  WARNING: the machine was busy with other work, so these times are too high: run again "
                   "on a quiet machine" if self.busy else ""))

    @staticmethod
    def _sample() -> tuple[float, float, float, float]:
        with open("/proc/stat") as f:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
        t = os.times()
        return (time.monotonic(), (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK,
                t.user + t.system + t.children_user + t.children_system)


class LoadSessions:
    """The aiohttp sessions of a load-generator process, one per server URL (keep-alive, at
    most *concurrency* connections each), and the two commands every load process takes:
    ``("close", url)`` and ``("stop",)``. Make it inside the process's event loop thread."""

    def __init__(self, loop, concurrency: int, timeout_s: float):
        self._loop, self._concurrency, self._timeout_s = loop, concurrency, timeout_s
        self._sessions: dict = {}

    def get(self, url: str):
        """The session for *url* (call it inside the running loop: its connector binds to it)."""
        import aiohttp

        if url not in self._sessions:
            self._sessions[url] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._concurrency),
                timeout=aiohttp.ClientTimeout(total=self._timeout_s))
        return self._sessions[url]

    def answer(self, cmd: tuple, conn) -> bool:
        """Carry out a ``close`` or ``stop`` command; False once stopped (the process ends)."""
        if cmd[0] == "close":
            session = self._sessions.pop(cmd[1], None)
            if session is not None:
                self._loop.run_until_complete(session.close())
            conn.send("closed")
            return True
        for session in self._sessions.values():
            self._loop.run_until_complete(session.close())
        conn.send("stopped")
        return False

"""Benchmark: the rate at which the recorder's cassette writer first drops (issue 33).

Run::

    .venv/bin/python benchmarks/bench_recorder.py [--rates 2000,4000,...] [--seconds 4]
                                                   [--pool 2000] [--all] [--json out.json]

The recording proxy's capture worker is one loop: take a raw exchange, capture it
(``capture_keyed``), append it (``Recorder.store``: the writer's ``append``, which queues a
row). The cassette writer's threads turn queued rows into Arrow batches, write the
write-ahead segment and roll it into Parquet, in the same process. The worker's writer
never waits for the disk (``block_when_full=False``): when ``max_pending`` (20,000) rows
wait, the next exchange is dropped ("waiting for the disk") and counted. So the writer
must keep up with whatever rate the capture reaches.

What is measured:

1. **The exchanges.** ``--pool`` raw exchanges of ``bench_capture.py``'s mix (SPOT,
   SpotOn, XGL, Spoonity, 25 % each) are captured with the match key once, before any
   timing: the loop below pays nothing for capture, so the writer is what is measured.
2. **Stepped offered rates.** For each rate R of ``--rates``, a fresh ``Recorder`` made as
   the capture worker makes it, on a new cassette in a temporary folder, and ``--seconds`` of the loop offering exchange i
   at ``t0 + i / R``. Between appends the loop *spins* (holding the GIL, as a capture in
   Python does): the writer's threads get the GIL only when the loop's own code lets it
   go or the interpreter's switch interval forces it, exactly as beside a busy capture.
   An exchange object is reused from the pool with its id cleared (the writer gives it
   a new one and snapshots it into a row at once).
3. **Per step**: exchanges offered and the rate the loop achieved, exchanges dropped
   (``Recorder.stats.recording_errors``), the writer's backlog at the step's end (appended,
   not yet in the segment), the rows/s written during the step, the loop thread's time
   per append (µs), the process's CPU per exchange, and the time ``close()`` took (the
   backlog written, the last segment rolled to Parquet). Then the cassette is read back
   and must hold every exchange that was not dropped.
4. **The answer**: a step is *kept up* when nothing was dropped, the loop offered at
   least 98 % of the rate, and the backlog at its end is at most a quarter second of
   traffic (or two batches of rows, what is in flight between flushes); *behind* when
   nothing was dropped but the backlog is larger (a longer step would drop); *dropped*;
   or *loop-bound* when nothing was dropped and the backlog is small but the loop could
   not offer the rate (its own appends take the time). The figure reported is the highest
   rate the loop reached with nothing dropped and the writer not behind, and the first
   offered rate at which the writer dropped or fell behind. The steps stop there, or at
   the first loop-bound one (``--all`` runs them all).

Exit status 0 when the figure is at least ``--target`` (15,000 exchanges/s), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import KEY, build_pool  # noqa: E402

from tillroll.capture import Redactor, capture_keyed  # noqa: E402
from tillroll.proxy.recorder import Recorder  # noqa: E402
from tillroll.store import open_cassette  # noqa: E402

DEFAULT_RATES = "2000,4000,6000,8000,10000,12500,15000,20000,25000,30000,40000,50000"
TARGET = 15_000


def run_step(rate: int, seconds: float, exchanges: list, work: Path) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"rate{rate}-", dir=work))
    try:  # as the capture worker makes it
        recorder = Recorder(folder / "cassette", Redactor(KEY), convert_on_append=True)
    except TypeError:  # a tree from before convert_on_append (A/B runs)
        recorder = Recorder(folder / "cassette", Redactor(KEY))
    writer = recorder._writer
    store = getattr(recorder, "store", None) or _store_before(recorder)
    n = int(rate * seconds)
    size = len(exchanges)
    clock = time.perf_counter
    in_store = 0.0
    cpu0 = time.process_time()
    t0 = clock()
    for i in range(n):
        due = t0 + i / rate
        while clock() < due:  # the capture's time, GIL held
            pass
        ex = exchanges[i % size]
        ex.exchange_id = ""
        a = clock()
        store(ex)
        in_store += clock() - a
    elapsed = clock() - t0
    backlog = writer.appended - writer.written
    written = writer.written
    c0 = clock()
    recorder.close()
    closing = clock() - c0
    cpu = time.process_time() - cpu0
    dropped = recorder.stats.recording_errors
    rows = open_cassette(folder / "cassette").read_table(["exchange_id"]).num_rows
    shutil.rmtree(folder, ignore_errors=True)
    return {"rate": rate, "offered": n, "achieved_rate": n / elapsed, "dropped": dropped,
            "backlog_at_end": backlog, "written_per_s": written / elapsed, "store_us": in_store / n * 1e6,
            "cpu_us": cpu / n * 1e6, "close_s": closing, "rows": rows, "rows_ok": rows == n - dropped,
            "verdict": verdict(rate, n / elapsed, dropped, backlog)}


def verdict(rate: int, achieved: float, dropped: int, backlog: int) -> str:
    if dropped:
        return "dropped"
    if backlog > max(2048, rate / 4):
        return "behind"  # nothing dropped yet, but the backlog grows: a longer step would drop
    if achieved < 0.98 * rate:
        return "loop-bound"  # the loop itself cannot offer this rate (its appends), nothing dropped
    return "kept up"


def _store_before(recorder: Recorder):
    """``Recorder.store`` for trees from before it was split out of ``record`` (A/B runs)."""
    from tillroll.store import CassetteError

    def store(ex):
        try:
            recorder._writer.append(ex)
            recorder.stats.recorded += 1
        except CassetteError:
            recorder.stats.recording_errors += 1
    return store


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rates", default=DEFAULT_RATES, help="offered exchanges/s, in steps")
    ap.add_argument("--seconds", type=float, default=4.0, help="seconds a step (default 4)")
    ap.add_argument("--pool", type=int, default=2000, help="distinct exchanges captured beforehand (2000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--all", action="store_true", help="run every step, not only up to the first drop")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="sys.setswitchinterval for the run (default: the interpreter's, 0.005 s)")
    ap.add_argument("--target", type=int, default=TARGET)
    ap.add_argument("--work", default=None, help="folder for the cassettes (default: a temporary one)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    logging.getLogger("tillroll").setLevel(logging.ERROR)  # one warning a dropped exchange: counted instead
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    print(f"python {sys.version.split()[0]}, nproc={os.cpu_count()}, load {os.getloadavg()[0]:.2f}, "
          f"switch interval {sys.getswitchinterval() * 1e3:.1f} ms", flush=True)
    t = time.perf_counter()
    redactor = Redactor(KEY)
    exchanges = [capture_keyed(item.raw, redactor) for item in build_pool(args.pool, args.seed)]
    print(f"{len(exchanges):,} exchanges captured beforehand in {time.perf_counter() - t:.1f} s", flush=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="tillroll-bench-recorder-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'offered/s':>10} {'achieved/s':>10} {'dropped':>8} {'backlog':>8} {'written/s':>10} "
          f"{'store µs':>9} {'CPU µs':>7} {'close s':>8}  verdict", flush=True)
    steps = []
    best, first_fail = 0.0, None
    try:
        for rate in (int(r) for r in args.rates.split(",") if r):
            st = run_step(rate, args.seconds, exchanges, work)
            steps.append(st)
            print(f"{rate:>10,} {st['achieved_rate']:>10,.0f} {st['dropped']:>8,} {st['backlog_at_end']:>8,} "
                  f"{st['written_per_s']:>10,.0f} {st['store_us']:>9.1f} {st['cpu_us']:>7.1f} "
                  f"{st['close_s']:>8.2f}  {st['verdict']}"
                  f"{'' if st['rows_ok'] else ' (ROWS MISSING)'}", flush=True)
            if st["verdict"] in ("kept up", "loop-bound"):
                best = max(best, st["achieved_rate"])
                if st["verdict"] == "loop-bound" and not args.all:
                    break  # a higher rate is not offered either
            elif first_fail is None:
                first_fail = rate
                if not args.all:
                    break
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    ok = best >= args.target and all(s["rows_ok"] for s in steps)
    where = f"first dropped or fell behind at {first_fail:,}/s offered" if first_fail else "never dropped"
    print(f"highest rate with nothing dropped: {best:,.0f} exchanges/s ({where}; target {args.target:,}): "
          f"{'met' if ok else 'NOT met'}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"steps": steps, "without_drop": best, "first_drop_offered": first_fail},
                                              indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

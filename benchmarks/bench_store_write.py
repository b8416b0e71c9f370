"""Benchmark: appending exchanges to a cassette (CassetteWriter), issue 2.

Run::

    .venv/bin/python benchmarks/bench_store_write.py [--n 1000000] [--out DIR]

What is measured, in order:

1. **Append rate seen by the recording thread.** A pool of synthetic exchanges
   (``tillroll.demo.synthetic.generate``) is built *before* timing starts. The timed loop
   then appends N exchanges to a fresh ``CassetteWriter``, cycling through the pool;
   each appended exchange is a fresh shallow copy with an empty ``exchange_id`` and a
   ``started_at`` shifted so that time keeps advancing (``append`` mutates the
   identity fields of what it is given, so the pool itself is never passed). The loop
   time includes making the copy (~2.5 µs, measured separately and reported); the time
   spent inside ``append()`` calls alone is reported too.
2. **Close time** (flush of the queue, last segment, final roll to Parquet) and the
   **end-to-end rate** N / (loop time + close time).
3. **Memory.** A sampler thread reads ``VmRSS`` from ``/proc/self/status`` every 50 ms.
   Reported: RSS before the writer starts (the pool), RSS when 10 %, 50 % and 100 %
   of the appends are done (instantaneous, and the highest sample in the window since
   the previous checkpoint), RSS after ``close()`` and the process peak ``VmHWM``
   (taken before the HAR and verification phases, which need memory of their own).
   Memory counts as flat when the 50-100 % window peaks at most 10 % above the
   10-50 % window (the first segment roll, a one-off step, happens near 10 %).
4. **Size.** Bytes of the cassette's Parquet files per exchange, against the same
   exchanges written as HAR 1.2 JSON by a streaming writer (compact separators, which
   favours HAR). ``--har-n`` writes the HAR for a prefix only and scales linearly;
   the output says so when it does.
5. **Correctness.** ``open_cassette(dir).read_table()`` must return N rows with N
   distinct exchange ids.

Exit status is 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import operator
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl

import pyarrow as pa
import pyarrow.compute as pc

from machine import status_kb
from tillroll.store.exchange import Exchange
from tillroll.store import CassetteWriter, open_cassette
from tillroll.demo.synthetic import generate

TARGET_APPEND_RATE = 50_000  # exchanges/s from the recording thread
TARGET_SIZE_RATIO = 1 / 5  # Parquet bytes / HAR bytes, at most
FLAT_TOLERANCE = 1.10  # "flat": peak RSS in the 50-100 % window at most 10 % above the 10-50 % window


# -- input -----------------------------------------------------------------------------

def make_pool(size: int, seed: int) -> list[Exchange]:
    """The synthetic exchanges that the timed loop cycles through (built untimed)."""
    return list(generate(size, seed=seed))


_FIELDS = [f.name for f in dataclasses.fields(Exchange)]
_GET_ALL = operator.attrgetter(*_FIELDS)


def fresh_copies(pool: list[Exchange], n: int) -> Iterator[Exchange]:
    """Yield *n* shallow copies of the pool's exchanges, cycling, with fresh identity.

    Each pass over the pool is shifted by the pool's time span (plus one step) so that
    ``started_at`` keeps increasing, as it does in a real recording. Copies are made
    positionally (``Exchange(*fields)``), ~4x cheaper than ``dataclasses.replace``, so
    the loop measures the store rather than the copying.
    """
    span = pool[-1].started_at - pool[0].started_at + dt.timedelta(milliseconds=250)
    for i in range(n):
        cycle, k = divmod(i, len(pool))
        ex = Exchange(*_GET_ALL(pool[k]))
        ex.exchange_id = ""
        if cycle:
            ex.started_at = ex.started_at + cycle * span
        yield ex


def copy_cost(pool: list[Exchange], n: int = 200_000) -> float:
    """Seconds per exchange spent in :func:`fresh_copies` alone (no store)."""
    t0 = time.perf_counter()
    for _ in fresh_copies(pool, n):
        pass
    return (time.perf_counter() - t0) / n


# -- memory ----------------------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_cpu_s(native_id: int) -> float | None:
    """User + system CPU seconds of one thread of this process (None once it has exited)."""
    try:
        with open(f"/proc/self/task/{native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


class RssSampler(threading.Thread):
    """Every *interval* seconds: samples VmRSS (keeping the highest value since ``reset``)
    and the CPU time of every live thread (keeping the last value seen per thread name),
    so the CPU time of the writer's threads is known even after they exit."""

    def __init__(self, interval: float = 0.05):
        super().__init__(name="rss-sampler", daemon=True)
        self.interval = interval
        self.max_kb = 0
        self.cpu_s: dict[str, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.max_kb = max(self.max_kb, status_kb("self", "VmRSS"))
            for t in threading.enumerate():
                cpu = thread_cpu_s(t.native_id) if t.native_id else None
                if cpu is not None:
                    self.cpu_s[t.name] = cpu

    def reset(self) -> None:
        self.max_kb = status_kb("self", "VmRSS")

    def stop(self) -> None:
        self._done.set()
        self.join()


# -- the store -------------------------------------------------------------------------

@dataclasses.dataclass
class AppendResult:
    n: int
    loop_s: float  # wall time of the append loop (copies + append calls)
    in_append_s: float  # time inside append() calls only
    close_s: float  # close(): drain the queue, last segment, final roll
    rss_before_kb: int
    checkpoints: list[tuple[int, int, int, int]]  # (percent, RSS now, max RSS since the last one, backlog)
    rss_after_close_kb: int
    peak_kb: int  # VmHWM after close
    thread_cpu_s: dict[str, float]  # CPU seconds per thread during the run (main, writer, roller)


def bench_append(pool: list[Exchange], n: int, root: Path, **writer_kwargs) -> AppendResult:
    """Append *n* fresh copies of *pool* to a new cassette at *root*, then close it."""
    marks = {max(1, n * p // 100): p for p in (10, 50, 100)}
    checkpoints = []
    sampler = RssSampler()
    sampler.start()
    main_cpu0 = time.thread_time()
    rss_before = status_kb("self", "VmRSS")
    sampler.reset()
    writer = CassetteWriter(root, **writer_kwargs)
    clock = time.perf_counter
    in_append = 0.0
    t0 = clock()
    for i, ex in enumerate(fresh_copies(pool, n), 1):
        a = clock()
        writer.append(ex)
        in_append += clock() - a
        if i in marks:
            backlog = writer.appended - writer.written  # queued or being converted
            checkpoints.append((marks[i], status_kb("self", "VmRSS"), sampler.max_kb, backlog))
            sampler.reset()
    loop_s = clock() - t0
    t1 = clock()
    writer.close()
    close_s = clock() - t1
    sampler.stop()
    cpu = {name: s for name, s in sampler.cpu_s.items() if name.startswith("tillroll-")}
    cpu = {"main (append loop + close)": time.thread_time() - main_cpu0, **cpu}
    return AppendResult(n, loop_s, in_append, close_s, rss_before, checkpoints,
                        status_kb("self", "VmRSS"), status_kb("self", "VmHWM"), cpu)


def parquet_bytes(root: Path) -> tuple[int, int]:
    """Total bytes and count of the cassette's Parquet files."""
    files = list(root.glob("date=*/*.parquet"))
    return sum(p.stat().st_size for p in files), len(files)


def verify(root: Path) -> tuple[int, int]:
    """Rows and distinct exchange ids that ``open_cassette(root).read_table()`` returns."""
    table = open_cassette(root).read_table()
    distinct = len(pc.unique(table["exchange_id"]))
    return table.num_rows, distinct


# -- HAR -------------------------------------------------------------------------------

def har_entry(ex: Exchange) -> dict:
    """One HAR 1.2 ``log.entries`` item for *ex* (headers, bodies, timings)."""
    started = ex.started_at.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")
    request = {
        "method": ex.method,
        "url": ex.url,
        "httpVersion": ex.http_version or "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in ex.request_headers],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(ex.query or "", keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": ex.request_body_size if ex.request_body_size is not None else -1,
    }
    if ex.request_body_text is not None:
        request["postData"] = {"mimeType": ex.request_content_type or "", "text": ex.request_body_text}
    response = {
        "status": ex.status or 0,
        "statusText": ex.reason or "",
        "httpVersion": ex.http_version or "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in ex.response_headers or ()],
        "content": {"size": len(ex.response_body_text or ""), "mimeType": ex.response_content_type or "",
                    "text": ex.response_body_text or ""},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": ex.response_body_size if ex.response_body_size is not None else -1,
    }
    ms = lambda v: -1 if v is None else round(v, 3)  # noqa: E731
    return {
        "startedDateTime": started,
        "time": ms(ex.duration_ms),
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": ms(ex.connect_ms), "ssl": ms(ex.tls_ms),
                    "send": ms(ex.send_ms), "wait": ms(ex.wait_ms), "receive": ms(ex.receive_ms)},
    }


def write_har(pool: list[Exchange], n: int, path: Path) -> float:
    """Stream *n* exchanges (the same sequence as the store got) into a HAR file; seconds."""
    t0 = time.perf_counter()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write('{"log":{"version":"1.2","creator":{"name":"tillroll","version":"0.1.0"},"pages":[],"entries":[\n')
        for i, ex in enumerate(fresh_copies(pool, n)):
            if i:
                f.write(",\n")
            f.write(dumps(har_entry(ex)))
        f.write("\n]}}\n")
    return time.perf_counter() - t0


# -- report ----------------------------------------------------------------------------

def mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MiB"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="exchanges to append (default 1,000,000)")
    ap.add_argument("--pool", type=int, default=20_000, help="distinct synthetic exchanges to cycle through")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, help="directory for the cassette and HAR (default: a temp dir, removed)")
    ap.add_argument("--har-n", type=int, help="write the HAR for this many exchanges and scale (default: all N)")
    ap.add_argument("--no-har", action="store_true", help="skip the HAR comparison")
    ap.add_argument("--no-verify", action="store_true", help="skip reading the cassette back")
    ap.add_argument("--batch-rows", type=int, help="CassetteWriter(batch_rows=...)")
    ap.add_argument("--max-pending", type=int, help="CassetteWriter(max_pending=...)")
    ap.add_argument("--segment-rows", type=int, help="CassetteWriter(segment_rows=...)")
    args = ap.parse_args(argv)

    writer_kwargs = {k: v for k, v in (("batch_rows", args.batch_rows), ("max_pending", args.max_pending),
                                        ("segment_rows", args.segment_rows)) if v is not None}
    base = args.out or Path(tempfile.mkdtemp(prefix="tillroll-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    root = base / "cassette"
    if root.exists():
        shutil.rmtree(root)
    n = args.n

    print(f"machine: nproc={os.cpu_count()} python={platform.python_version()} pyarrow={pa.__version__}")
    print(f"writer: CassetteWriter({', '.join(f'{k}={v}' for k, v in writer_kwargs.items()) or 'defaults'})")
    t = time.perf_counter()
    pool = make_pool(args.pool, args.seed)
    print(f"pool: {len(pool):,} synthetic exchanges in {time.perf_counter() - t:.1f} s (untimed)")
    per_copy = copy_cost(pool)
    print(f"copy cost (benchmark overhead inside the loop): {per_copy * 1e6:.2f} µs/exchange")

    res = bench_append(pool, n, root, **writer_kwargs)
    loop_rate = n / res.loop_s
    in_append_rate = n / res.in_append_s
    e2e_rate = n / (res.loop_s + res.close_s)
    print(f"\nappended {n:,} exchanges")
    print(f"  append loop (recording thread): {res.loop_s:8.2f} s  {loop_rate:10,.0f} exchanges/s")
    print(f"  inside append() only:           {res.in_append_s:8.2f} s  {in_append_rate:10,.0f} exchanges/s")
    print(f"  close() incl. final roll:       {res.close_s:8.2f} s")
    print(f"  end to end:                     {res.loop_s + res.close_s:8.2f} s  {e2e_rate:10,.0f} exchanges/s")
    wall = res.loop_s + res.close_s
    print("  CPU by thread: " + ", ".join(f"{k} {v:.1f} s" for k, v in res.thread_cpu_s.items())
          + f"; total {sum(res.thread_cpu_s.values()) / wall:.2f} cores over {wall:.1f} s wall")
    print(f"memory: RSS before writer (pool) {mb(res.rss_before_kb)}")
    previous = 0
    for pct, now, hi, backlog in res.checkpoints:
        print(f"  after {pct:3d}% of appends: RSS {mb(now):>10}  (max sampled in {previous}-{pct}%: {mb(hi)})"
              f"  writer backlog {backlog:,} exchanges")
        previous = pct
    print(f"  after close(): RSS {mb(res.rss_after_close_kb)}; peak VmHWM {mb(res.peak_kb)}")
    # Steady state: the first segment roll happens after segment_rows appends, so growth
    # with N shows as the 50-100 % window peaking above the 10-50 % window.
    rss_mid, rss_end = res.checkpoints[1][2], res.checkpoints[2][2]
    flat = rss_end <= rss_mid * FLAT_TOLERANCE

    pq_bytes, pq_files = parquet_bytes(root)
    leftovers = list((root / "wal").glob("*")) if (root / "wal").exists() else []
    print(f"\nparquet: {pq_files} files, {pq_bytes:,} bytes, {pq_bytes / n:,.0f} bytes/exchange"
          f"{'' if not leftovers else f'  (WARNING: {len(leftovers)} files left in wal/)'}")

    ratio = None
    if not args.no_har:
        har_n = min(args.har_n or n, n)
        har_path = base / "cassette.har"
        secs = write_har(pool, har_n, har_path)
        har_bytes = har_path.stat().st_size * n / har_n
        har_path.unlink()
        scaled = f" (written for {har_n:,} exchanges, scaled linearly to {n:,})" if har_n < n else ""
        print(f"har: {har_bytes:,.0f} bytes{scaled}, {har_bytes / n:,.0f} bytes/exchange, written in {secs:.1f} s")
        ratio = pq_bytes / har_bytes
        print(f"size ratio parquet/har: {ratio:.3f} (1/{1 / ratio:.1f})")

    rows_ok = True
    if not args.no_verify:
        t = time.perf_counter()
        rows, distinct = verify(root)
        rows_ok = rows == n and distinct == n
        print(f"\nverify: read_table() returned {rows:,} rows, {distinct:,} distinct exchange ids "
              f"(expected {n:,}) in {time.perf_counter() - t:.1f} s: {verdict(rows_ok)}")

    print("\ntargets:")
    print(f"  append rate >= {TARGET_APPEND_RATE:,}/s (recording thread): {loop_rate:,.0f}/s  {verdict(loop_rate >= TARGET_APPEND_RATE)}")
    print(f"  flat memory (peak RSS 50-100% <= {FLAT_TOLERANCE}x peak 10-50%): {mb(rss_mid)} -> {mb(rss_end)}  {verdict(flat)}")
    if ratio is not None:
        print(f"  parquet <= 1/5 of HAR: {ratio:.3f}  {verdict(ratio <= TARGET_SIZE_RATIO)}")
    if not args.out:
        shutil.rmtree(base)
    ok = loop_rate >= TARGET_APPEND_RATE and flat and rows_ok and (ratio is None or ratio <= TARGET_SIZE_RATIO)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

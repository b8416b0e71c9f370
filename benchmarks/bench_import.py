"""Benchmark: ``tillroll import`` of big HAR files - entries/s and peak memory.

Run::

    .venv/bin/python benchmarks/bench_import.py [--sizes 100000,1000000] [--workers N] [--seed 7]
                                                [--work DIR] [--quick] [--json out.json]

``--quick`` (2,000 and 20,000 entries) takes well under a minute. A default run imports
1,100,000 entries, at the rate ``--quick`` measures on 2 cores (about 3,000 entries/s) about
6 minutes, plus about 3 minutes to build the HAR files the first time (cached in ``--work``,
default ``/tmp/tillroll-bench-import``). It needs about 4 GB of disk for the HAR files
and the imported cassette (deleted after it is counted).

What is measured:

1. **HAR files** (built once, not timed; build time and size printed). The entries of
   ``tillroll.demo.synthetic.generate(n, seed)`` - the four vendors in turn, 1-4 KB JSON bodies -
   each written as ``json.dumps(entry_from_exchange(ex, request_body=rq,
   response_body=rs))`` with ``rq, rs = decoded_bodies(ex)``: what ``tillroll export
   --format har`` writes. They are streamed to disk as one HAR 1.2 document
   ``{"log": {"version": "1.2", "creator": ..., "entries": [...]}}``, one entry per line.
   A marker JSON beside each file records n, seed and the recipe; a later run reuses a
   file whose marker matches and whose size is the one recorded.
2. **The import, as a user runs it**, once per size: ``tillroll import HAR --cassette DIR
   --key-file K`` (``--workers N`` only when given: by default tillroll starts one worker
   per core for files of 4 MB or more) as a subprocess, into a fresh cassette, with a key
   of 32 random bytes (hex) kept in ``--work``. *Time* is the wall time from ``Popen``
   to the exit of the process; *entries/s* = entries / time. Every 0.1 s the driver reads
   VmRSS from ``/proc/PID/status`` of the import process and of all its descendants
   (``/proc/PID/task/*/children``, recursively: the workers and multiprocessing's
   resource tracker) and keeps the peak of their sum and the peak of the largest single
   process, and the CPU seconds of the import process (the reader) and of the others (the
   workers) from ``/proc/PID/stat``, as last sampled. The sum counts the pages the
   processes share (the interpreter, libraries) once per process: it overstates what the
   machine lost, the same way at every size.
   Checked: exit status 0, and the cassette holds n rows (DuckDB ``count(*)`` over its
   ``date=*/*.parquet``) with no staging folder or write-ahead segment left behind; the
   cassette is then deleted. The CPU the import used (its process tree, from
   ``os.times()`` once it has been waited for), the CPU of every other process and the
   hypervisor's steal are read from ``/proc/stat``, with a warning above 0.25 cores: the
   VM is shared, and other work slows the import.
3. **Where the time goes** (the smallest size, in this process, one thread; skipped with
   ``--import-only``): the reader's cut - ``har_bytes.cut_har(open(HAR, 'rb'),
   batch=workers.BATCH)`` over the whole file, the batches of entries' bytes discarded - as
   entries/s; then over the batches of the first 20,000 entries, in µs per entry: pickling
   them as the reader does to hand them to the workers (``ForkingPickler.dumps``, as
   ``multiprocessing.Queue``) and unpickling them as a worker does, decoding them into raw
   exchanges (``har_bytes.decode_entries``: ``json`` and ``raw_from_entry``),
   ``tillroll.capture.pipeline.capture(raw, redactor)``, ``match_key(ex, redactor)``
   (``Redactor(key, DEFAULT_POLICY)``) and appending the results to a ``CassetteWriter``
   (including ``close()``, a fixed cost that weighs at small sizes). The reader's share
   (cut + pickle) bounds the rate however many workers there are; the whole sum, spread
   over the cores, bounds it too. (Before the cut, the reader decoded every entry itself
   and pickled raw exchanges: ``read_har`` over a ``JsonStream``, still the way for a
   file the cut is not sure of.)

Targets (the import issue): a 1,000,000-entry HAR imports at >= 20,000 entries/s (judged at
the largest size); memory independent of the file's size, judged as: the peak RSS sum at
the largest size <= 1.25 x the peak at the smallest; validity: every import exits 0 and
holds every entry.

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import version
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

from machine import BUSY_CORES, MachineLoad, cpu_model, finish, status_kb

import duckdb
import pyarrow

from tillroll.capture import capture
from tillroll.interop.har import decoded_bodies, entry_from_exchange
from tillroll.interop.importer import DEFAULT_MAX_BODY
from tillroll.interop.workers import BATCH
from tillroll.capture import load_key
from tillroll.capture.match_doc import match_key
from tillroll.capture import DEFAULT_POLICY
from tillroll.capture import Redactor
from tillroll.store import WAL, CassetteWriter
from tillroll.demo.synthetic import generate

TARGET_RATE = 20_000  # entries/s at the largest size, at least
MEMORY_GROWTH = 1.25  # peak RSS sum at the largest size / at the smallest, at most
N_TARGET = 1_000_000  # the size the rate target is set for
DEFAULT_SIZES, QUICK_SIZES = [100_000, 1_000_000], [2_000, 20_000]
SPLIT_ENTRIES = 20_000  # raw exchanges captured in process for the split
SAMPLE_S = 0.1
HAR_BYTES_PER_ENTRY = 3_600  # for the disk-space check
RECIPE = "synthetic.generate -> json.dumps(entry_from_exchange(ex, *decoded_bodies(ex))), one entry per line, v1"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "tillroll-bench-import"
TILLROLL = Path(sys.executable).with_name("tillroll")


# -- the HAR files -----------------------------------------------------------------------

def ensure_har(work: Path, n: int, seed: int) -> dict:
    """The HAR file of *n* synthetic entries: reused when its marker matches, else written."""
    path = work / f"synthetic-{n}-seed{seed}.har"
    marker = path.with_suffix(".json")
    want = {"entries": n, "seed": seed, "recipe": RECIPE}
    with contextlib.suppress(OSError, ValueError, KeyError):
        got = json.loads(marker.read_text())
        if {k: got.get(k) for k in want} == want and path.stat().st_size == got["bytes"]:
            return {"path": path, "bytes": got["bytes"], "build_s": got["build_s"], "reused": True}
    marker.unlink(missing_ok=True)  # a crash below must not leave an old marker vouching for a new file
    partial = path.with_suffix(".partial")
    creator = {"name": "tillroll benchmarks/bench_import.py", "version": version("tillroll")}
    t0 = time.perf_counter()
    with open(partial, "w", encoding="utf-8") as f:
        # streamed entry by entry: memory stays flat however many entries there are
        f.write(f'{{"log": {{"version": "1.2", "creator": {json.dumps(creator)}, "entries": [\n')
        for i, ex in enumerate(generate(n, seed=seed)):
            rq, rs = decoded_bodies(ex)
            f.write((",\n" if i else "") + json.dumps(entry_from_exchange(ex, request_body=rq, response_body=rs)))
        f.write("\n]}}\n")
    build_s = time.perf_counter() - t0
    os.replace(partial, path)
    size = path.stat().st_size
    marker.write_text(json.dumps({**want, "bytes": size, "build_s": build_s}))
    return {"path": path, "bytes": size, "build_s": build_s, "reused": False}


def ensure_key(work: Path) -> Path:
    path = work / "key"
    if not path.exists():
        path.write_text(secrets.token_hex(32) + "\n")
        path.chmod(0o600)
    return path


# -- the import ---------------------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """*pid* and every process below it (the children of each of its threads, recursively)."""
    pids, i = [pid], 0
    while i < len(pids):
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{pids[i]}/task"):
                with contextlib.suppress(OSError), open(f"/proc/{pids[i]}/task/{tid}/children") as f:
                    pids += [int(c) for c in f.read().split()]
        i += 1
    return pids


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of *pid* so far (``/proc/PID/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TreeRss(threading.Thread):
    """Samples the VmRSS of a process tree every ``SAMPLE_S``: peaks of the sum, of the root
    process and of the largest other one, and the most processes seen at once; and the CPU
    seconds of the root process (the reader) and of the others (the workers), as last seen
    (so short by at most one sample's worth at their exit)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.sum_kb = self.root_kb = self.other_kb = self.processes = self.samples = 0
        self.cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(SAMPLE_S)

    def sample(self) -> None:
        rss = {}
        for pid in descendants(self.pid):
            with contextlib.suppress(OSError, KeyError):  # gone, or a zombie (no VmRSS)
                rss[pid] = status_kb(pid, "VmRSS")
                self.cpu[pid] = cpu_s(pid)
        if rss:
            self.samples += 1
            self.sum_kb = max(self.sum_kb, sum(rss.values()))
            self.root_kb = max(self.root_kb, rss.get(self.pid, 0))
            self.other_kb = max([self.other_kb] + [kb for pid, kb in rss.items() if pid != self.pid])
            self.processes = max(self.processes, len(rss))


def describe_load(f: dict) -> str:
    busy = f["others_cores"] + f["steal_cores"] > BUSY_CORES
    return (f"the import {f['own_cores']:.2f} cores, other processes {f['others_cores']:.2f}, steal "
            f"{f['steal_cores']:.2f}" + ("\n    WARNING: the machine was busy with other work, so the import was "
                                          "slowed: run again on a quiet machine" if busy else ""))


def run_import(har: Path, n: int, work: Path, key_file: Path, workers: int | None) -> dict:
    """``tillroll import`` of *har* into a fresh cassette: time, memory, what it stored."""
    cassette = work / f"cassette-{n}"
    shutil.rmtree(cassette, ignore_errors=True)
    cmd = [str(TILLROLL), "import", str(har), "--cassette", str(cassette), "--key-file", str(key_file)]
    cmd += ["--workers", str(workers)] if workers else []
    log = work / f"import-{n}.log"
    with open(log, "w") as out, MachineLoad() as load:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        rss = TreeRss(proc.pid)
        rss.start()
        status = proc.wait()
        wall_s = time.perf_counter() - t0
        rss.stop.set()
        rss.join()
    files = list(cassette.glob("date=*/*.parquet"))
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{cassette}/date=*/*.parquet')").fetchone()[0] \
            if files else 0
    left = [*cassette.glob(".import-*"), *(cassette / WAL).glob("*")]  # staging or segments: an unfinished import
    leftovers = sorted(str(p.relative_to(cassette)) for p in left)
    shutil.rmtree(cassette, ignore_errors=True)  # 1M entries take ~0.3 GB
    return {"entries": n, "status": status, "rows": rows, "parquet_files": len(files), "leftovers": leftovers,
            "wall_s": wall_s, "rate": n / wall_s, "peak_sum_mib": rss.sum_kb / 1024,
            "peak_import_mib": rss.root_kb / 1024, "peak_worker_mib": rss.other_kb / 1024,
            "reader_cpu_s": rss.cpu.get(proc.pid, 0.0),
            "workers_cpu_s": sum(s for pid, s in rss.cpu.items() if pid != proc.pid),
            "processes": rss.processes, "samples": rss.samples, "load": load.figures(),
            "output": log.read_text(errors="replace").strip().splitlines()[-3:]}


# -- where the time goes ----------------------------------------------------------------------

def split(har: Path, key: bytes, n: int) -> dict:
    """Seconds of each step of the import on one thread (see the docstring, 3)."""
    from tillroll.interop.har_bytes import cut_har, decode_entries  # not in commits before the cut

    t0 = time.perf_counter()
    with open(har, "rb") as f:
        entries = sum(len(b.spans) // 3 for b in cut_har(f, batch=BATCH))
    read_s = time.perf_counter() - t0
    batches = []
    with open(har, "rb") as f:
        for b in cut_har(f, batch=BATCH):
            batches.append(b)
            if sum(len(b.spans) // 3 for b in batches) >= n:
                break

    t0 = time.perf_counter()
    pickled = [ForkingPickler.dumps(b) for b in batches]
    pickle_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in pickled:
        ForkingPickler.loads(p)
    unpickle_s = time.perf_counter() - t0
    del pickled
    t0 = time.perf_counter()
    raws = [raw for b in batches for _, raw in decode_entries(b, DEFAULT_MAX_BODY)[0]]
    decode_s = time.perf_counter() - t0
    del batches

    redactor = Redactor(key, DEFAULT_POLICY)
    exchanges, capture_s, key_s = [], 0.0, 0.0
    for raw in raws:
        t0 = time.perf_counter()
        ex = capture(raw, redactor)
        t1 = time.perf_counter()
        ex.match_key = match_key(ex, redactor)
        key_s += time.perf_counter() - t1
        capture_s += t1 - t0
        exchanges.append(ex)
    with tempfile.TemporaryDirectory(dir=har.parent) as tmp:
        t0 = time.perf_counter()
        with CassetteWriter(Path(tmp) / "c") as writer:
            for ex in exchanges:
                writer.append(ex)
        write_s = time.perf_counter() - t0
    us = 1e6 / len(raws)
    return {"entries": entries, "read_s": read_s, "read_rate": entries / read_s, "captured": len(raws),
            "us": {"read": 1e6 * read_s / entries, "pickle": pickle_s * us, "unpickle": unpickle_s * us,
                   "decode": decode_s * us, "capture": capture_s * us, "match_key": key_s * us,
                   "write": write_s * us}}


# -- main ------------------------------------------------------------------------------

def machine() -> dict:
    return {"nproc": os.cpu_count(), "cpu": cpu_model(),
            "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "python": platform.python_version(), "tillroll": version("tillroll"), "pyarrow": pyarrow.__version__,
            "duckdb": duckdb.__version__, "kernel": platform.release()}


def parse_sizes(text: str) -> list[int]:
    return sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=parse_sizes, help="entries per HAR file (100000,1000000)")
    ap.add_argument("--workers", type=int, help="passed to tillroll import --workers (default: tillroll's choice)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the synthetic exchanges (7)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK,
                    help=f"HAR files are built here once and reused ({DEFAULT_WORK})")
    ap.add_argument("--quick", action="store_true", help="smoke run: --sizes 2000,20000")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument("--import-only", action="store_true", help="only the imports (2.), not where the time goes (3.)")
    args = ap.parse_args(argv)
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)

    info = machine()
    print(f"machine: nproc={info['nproc']} ({info['cpu']}), {info['mem_gib']:.0f} GiB, Python {info['python']}, "
          f"tillroll {info['tillroll']}, pyarrow {info['pyarrow']}, Linux {info['kernel']}")
    report: dict = {"machine": info,
                    "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    t_all = time.monotonic()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    need = HAR_BYTES_PER_ENTRY * sum(sizes) + 600 * max(sizes)  # the HAR files, and the cassette + its staging
    free = shutil.disk_usage(work).free
    if need * 1.2 > free:
        print(f"error: {work} has {free / 2**30:.1f} GiB free, this run needs up to {need / 2**30:.1f} GiB: "
              "free some space or choose another --work", file=sys.stderr)
        return 2

    # 1. the HAR files
    print(f"\nHAR files in {work} (not timed):", flush=True)
    hars = {}
    for n in sizes:
        h = hars[n] = ensure_har(work, n, args.seed)
        print(f"  {h['path'].name}: {n:,} entries, {h['bytes'] / 1e6:,.1f} MB ({h['bytes'] / n:,.0f} B/entry), "
              + (f"reused (built in {h['build_s']:.1f} s)" if h["reused"] else f"built in {h['build_s']:.1f} s"),
              flush=True)
    report["har"] = {n: {k: str(v) if k == "path" else v for k, v in h.items()} for n, h in hars.items()}
    key_file = ensure_key(work)

    # 2. the imports
    workers = str(args.workers) if args.workers else f"default ({os.cpu_count()} cores)"
    print(f"\n`tillroll import` per size (workers: {workers}; RSS sampled every {SAMPLE_S:g} s):", flush=True)
    runs = []
    for n in sizes:
        r = run_import(hars[n]["path"], n, work, key_file, args.workers)
        runs.append(r)
        print(f"  {n:,}: exit {r['status']}, {r['wall_s']:.1f} s, {r['rows']:,} rows in {r['parquet_files']} "
              f"Parquet file(s); CPU: {describe_load(r['load'])}\n    CPU seconds (as last sampled): the reader "
              f"{r['reader_cpu_s']:.1f} ({1e6 * r['reader_cpu_s'] / n:.0f} µs an entry), the other processes "
              f"{r['workers_cpu_s']:.1f} ({1e6 * r['workers_cpu_s'] / n:.0f} µs an entry)", flush=True)
        if r["status"] != 0 or r["rows"] != n or r["leftovers"]:  # what tillroll said, and what it left
            print("    " + "\n    ".join(r["output"]))
            if r["leftovers"]:
                print(f"    left behind: {r['leftovers']}")
    report["imports"] = runs
    print("\n| entries | HAR MB | wall s | entries/s | peak RSS sum MiB | peak single process MiB | workers "
          "| processes seen | CPU cores |\n|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        single, who = max((r["peak_import_mib"], "reader"), (r["peak_worker_mib"], "worker"))
        print(f"| {r['entries']:,} | {hars[r['entries']]['bytes'] / 1e6:,.1f} | {r['wall_s']:.1f} | {r['rate']:,.0f} "
              f"| {r['peak_sum_mib']:,.0f} | {single:,.0f} ({who}) | {workers} | {r['processes']} "
              f"| {r['load']['own_cores']:.2f} |")

    # 3. where the time goes
    if args.import_only:
        report["total_s"] = time.monotonic() - t_all
        return finish(report, verdicts_of(runs, workers), args.json)
    n0 = sizes[0]
    print(f"\nwhere the time goes ({n0:,}-entry file, this process, one thread):", flush=True)
    s = report["split"] = split(hars[n0]["path"], load_key(key_file), min(SPLIT_ENTRIES, n0))
    us = s["us"]
    reader = us["read"] + us["pickle"]
    worker = us["unpickle"] + us["decode"] + us["capture"] + us["match_key"] + us["write"]
    cores = os.cpu_count() or 1
    print(f"  cut_har over the whole file: {s['read_s']:.2f} s for {s['entries']:,} entries = {s['read_rate']:,.0f} "
          f"entries/s\n  per entry (first {s['captured']:,}): "
          + ", ".join(f"{k} {v:,.1f} µs" for k, v in us.items())
          + f"\n  reader (cut + pickle) {reader:,.1f} µs -> at most {1e6 / reader:,.0f} entries/s whatever the "
          f"workers; worker (unpickle + decode + capture + match_key + write) {worker:,.1f} µs; all of it on "
          f"{cores} cores "
          f"-> at most {cores * 1e6 / (reader + worker):,.0f} entries/s")
    s["ceiling"] = {"reader": 1e6 / reader, "cores": cores * 1e6 / (reader + worker)}

    report["total_s"] = time.monotonic() - t_all
    return finish(report, verdicts_of(runs, workers), args.json)


def verdicts_of(runs: list[dict], workers: str) -> list:
    big, small = runs[-1], runs[0]
    note = "" if big["entries"] == N_TARGET else f"; the target is for {N_TARGET:,}"
    verdicts = [(f"import >= {TARGET_RATE:,} entries/s ({big['entries']:,} entries, workers {workers}{note})",
                 f"{big['rate']:,.0f} entries/s", big["rate"] >= TARGET_RATE)]
    if len(runs) > 1:
        growth = big["peak_sum_mib"] / small["peak_sum_mib"]
        verdicts.append(((f"memory independent of file size: peak RSS sum (all processes) at {big['entries']:,} "
                          f"<= {MEMORY_GROWTH:g} x at {small['entries']:,}"),
                         f"{big['peak_sum_mib']:,.0f} MiB vs {small['peak_sum_mib']:,.0f} MiB ({growth:.2f} x)",
                         growth <= MEMORY_GROWTH))
    bad = [r for r in runs if r["status"] != 0 or r["rows"] != r["entries"] or r["leftovers"]]
    verdicts.append(("valid: every import exits 0, holds every entry and leaves no staging behind",
                     "; ".join(f"{r['entries']:,}: exit {r['status']}, {r['rows']:,} rows"
                               + (f", left {len(r['leftovers'])}" if r["leftovers"] else "") for r in runs), not bad))
    return verdicts


if __name__ == "__main__":
    sys.exit(main())

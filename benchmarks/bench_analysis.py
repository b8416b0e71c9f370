"""Benchmark: the analysis reports over a large cassette, and against HAR files + pandas (issue 6).

Run::

    .venv/bin/python benchmarks/bench_analysis.py [--n 10000000] [--subset 1000000] [--base 100000]
                                                  [--runs 3] [--work DIR] [--keep] [--explain K]
                                                  [--quick] [--json out.json]

pandas is a benchmark-only dependency (it is not one of tillroll's):
``.venv/bin/pip install pandas``.

A default run takes about 6 minutes on 2 cores once the cassettes exist; building them
the first time adds about 2 (cached in ``--work``, default ``/tmp/tillroll-bench-analysis``).
It needs 2.6 GB of disk for the cassettes, 3.3 GB more while the HAR files exist (deleted
at the end unless ``--keep``), and at most about 5 GB of RAM (DuckDB peaks at 1.5 GB over
10M exchanges, pandas at 1.8 GB, the two HAR writers at 1.5 GB each). ``--quick``
(1,000,000 exchanges, a 100,000-exchange HAR subset) takes about a minute once its
cassettes exist, two the first time.

What is measured:

1. **The cassette** (built once, not timed; the build time and size are printed).
   ``tillroll.demo.synthetic.generate(--base, seed)`` - the four vendors in turn: SPOT
   sessions in request bodies (legacy Base64 ``Body`` in 10 %), SpotOn 5-minute windows
   in the query and ``params_json``, XGL ``outHTTP`` envelopes with site headers,
   Spoonity orders; failures inside HTTP 200s (SPOT ``"Failed": true``, Spoonity
   ``"success": false``) - is written through the real store (``CassetteWriter``,
   default parameters) into a base cassette. Generating 10M exchanges that way would
   take about 20 minutes, so the base block (one day, 06:00-13:00 UTC) is then
   replicated with pyarrow: copy *k* of every base Parquet file has ``started_at`` and the
   SpotOn window timestamps (``query``, ``params_json``) shifted by *k* whole days, fresh
   ``exchange_id`` s (``tillroll.store.exchange.new_exchange_id``, as ``append`` assigns them),
   a fresh writer ``session_id`` per copy (a recording session per day), the SPOT
   session pseudonyms made unique per copy, and the new cassette's name; it is written by
   ``tillroll.store.parquet_files.write_partitioned`` (date partitions, zstd, 64 Ki-row
   row groups, schema-version metadata, atomic renames), so the layout is the store's:
   ``--n / --base`` days, as many files per day as the base has. The subset cassette is
   the first ``--subset / --base`` days, hard-linked. Checked on every run: rows and
   partitions from the Parquet footers, the schema version of every file,
   ``open_cassette`` has nothing to recover or quarantine, and ``connect([cassette])``
   counts every row; ``tillroll info`` is run on the subset when it is built.
2. **Reports over the large cassette.** For each of ``usage``, ``errors``, ``latency``
   and ``coverage`` (judged) and ``sessions`` and ``gaps`` (reported, not judged):
   ``--runs`` + 1 runs, each on a fresh ``analysis.views.connect([cassette])`` (DuckDB
   defaults: 2 threads on this machine, in-memory database; only its progress bar is switched
   off, as it prints to stdout for queries over 2 s); the time is the wall time of
   ``analysis.reports.run(con, name)``, which includes materialising the result as an
   Arrow table. The first run is reported as *first* (the first in this process; the OS
   page cache is not dropped, so the files may be in memory already); the figure judged
   is the median of the other ``--runs``. Also: result rows, ``connect()`` time, and the
   process's peak RSS during the report (VmHWM, reset through ``/proc/self/clear_refs``).
   ``--explain K`` prints the K most expensive operators of DuckDB's profile of every
   report slower than the target (``enable_profiling = 'json'``, one extra run each;
   operator times are summed over threads). The CPU the rest of the machine used during
   each timed phase is printed from ``/proc/stat`` (other processes, steal), with a
   warning above 0.25 cores: the VM is shared, and other work inflates every figure.
3. **The way a user would do it today** on the subset (the same exchanges): they are
   written as HAR 1.2 files, one per day, as a proxy export would give them (entries with
   ``startedDateTime`` (ms), ``time``, ``timings``, request and response headers,
   ``queryString``, ``postData.text`` and ``content.text``; compact JSON), not timed. The
   timed path, without tillroll: ``json.load`` each file; flatten each entry into the
   fields needed, deriving the vendor from the host and the operation from the request
   (SPOT ``RequestType`` and XGL ``action_type`` from the parsed body, SpotOn resource and
   location from the path, Spoonity from method + path), the outcome from the status and
   the parsed response body (SPOT ``Failed``, Spoonity ``success``, XGL
   ``merchant_data.response_code/response_name``), the SpotOn window from
   ``queryString``; build a pandas DataFrame per file, concatenate, parse timestamps
   (*load*); then compute the four answers with pandas: usage (calls, outcomes and
   distinct places per day, vendor and operation), errors (not-ok exchanges per vendor,
   operation, status and message with first/last seen), latency (p50/p95/p99/max per
   operation, overall and per hour), coverage (per location and resource: window union,
   gaps, missed seconds, overlaps, median poll interval and lag). One run (it takes
   minutes), the garbage collector left on as a user would; then the load once more with
   the collector off (``gc.disable()``: about 40 % faster), reported, not judged.
   tillroll's four reports run on
   the subset cassette as in 2; its time for the comparison is ``connect()`` + ``run()``
   per report (medians), summed. *Speed-up* = (pandas load + four answers) / (tillroll's
   four reports). The answers are compared: total calls, usage rows and places,
   not-ok exchanges and error groups, operations and their p50/p99, coverage rows,
   requests, gaps and missed seconds.

Targets (issue 6): each of usage, errors, latency and coverage <= 5 s over the large
cassette (10,000,000 exchanges); tillroll >= 20 x faster than HAR + json + pandas on the
subset (1,000,000 exchanges); both ways give the same answers (validity).

Exit status is 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from machine import MachineLoad, finish, status_kb

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tillroll.analysis import reports
from tillroll.analysis.views import connect
from tillroll.store import parquet_files as pqf
from tillroll.store.exchange import SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY, TIMESTAMP_TYPE, new_exchange_id
from tillroll.store import MANIFEST, CassetteWriter, open_cassette
from tillroll.demo.synthetic import generate

TARGET_REPORT_S = 5.0  # each judged report over the large cassette, at most
TARGET_SPEEDUP = 20.0  # tillroll vs HAR + json + pandas on the subset, at least
N_TARGET, SUBSET_TARGET = 10_000_000, 1_000_000  # the sizes the targets are set for
JUDGED = ("usage", "errors", "latency", "coverage")
DIAGNOSTIC = ("sessions", "gaps")
DEFAULT_WORK = Path(tempfile.gettempdir()) / "tillroll-bench-analysis"
DAY_US = 86_400_000_000
HAR_BYTES_PER_EXCHANGE = 3_400  # for the disk-space check (measured: ~3.25 KB)
SESSION_PSEUDONYM = r'"tillroll:sessionid:[0-9a-f]{3}'  # made unique per copy: 3 hex digits = the copy


# -- the cassettes ---------------------------------------------------------------------

def build_base(root: Path, n: int, seed: int) -> float:
    """*n* synthetic exchanges written through ``CassetteWriter`` into *root*; seconds."""
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    t0 = time.perf_counter()
    with CassetteWriter(partial, cassette=root.name) as writer:
        for ex in generate(n, seed=seed):
            writer.append(ex)
    os.replace(partial, root)
    return time.perf_counter() - t0


def base_days(tables: list[pa.Table]) -> tuple[dt.date, int]:
    """First UTC date of the base block and how many whole days one copy spans."""
    lo = min(pc.min(pc.cast(t["started_at"], pa.date32())).as_py() for t in tables)
    hi = max(pc.max(pc.cast(t["started_at"], pa.date32())).as_py() for t in tables)
    return lo, (hi - lo).days + 1


def shift_dates(strings: pa.ChunkedArray, dates: list[dt.date], days: int) -> pa.ChunkedArray:
    """ISO timestamps ``YYYY-MM-DDT...`` of *dates* in *strings*, moved by *days* days.

    Latest date first, so that a date already moved is never moved again.
    """
    for d in sorted(dates, reverse=True):
        strings = pc.replace_substring(strings, f"{d.isoformat()}T", f"{(d + dt.timedelta(days=days)).isoformat()}T")
    return strings


def copy_table(table: pa.Table, k: int, days: int, dates: list[dt.date], cassette: str) -> pa.Table:
    """Copy *k* of a base table: *k* x *days* days later, with fresh identities."""
    started_us = pc.add(pc.cast(table["started_at"], pa.int64()), k * days * DAY_US)
    columns = {
        "exchange_id": pa.array([new_exchange_id() for _ in range(table.num_rows)], pa.string()),
        "cassette": pa.array([cassette] * table.num_rows, pa.string()),
        "session_id": pa.array([new_exchange_id()] * table.num_rows, pa.string()),
        "started_at": pc.cast(started_us, TIMESTAMP_TYPE),
        "query": shift_dates(table["query"], dates, k * days),
        "params_json": shift_dates(table["params_json"], dates, k * days),
        "request_body_text": pc.replace_substring_regex(table["request_body_text"], SESSION_PSEUDONYM,
                                                        f'"tillroll:sessionid:{k:03x}'),
    }
    arrays = [columns.get(f.name, table[f.name]) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def replicate(base: Path, root: Path, copies: int) -> dict:
    """*copies* day-shifted copies of the base cassette's files, written as the store writes them."""
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    shutil.copy(base / MANIFEST, partial / MANIFEST)
    tables = [pqf.read_file(p) for p in pqf.list_parquet(base)]
    first, days = base_days(tables)
    # SpotOn windows start up to 10 minutes before the request: the day before may appear too.
    dates = [first + dt.timedelta(days=i) for i in range(-1, days)]
    if copies > 0xFFF:
        raise SystemExit(f"--n / --base = {copies} copies; at most {0xFFF} are supported: use a larger --base")
    t0 = time.perf_counter()
    for k in range(copies):
        for table in tables:
            pqf.write_partitioned(partial, copy_table(table, k, days, dates, root.name))
        if (k + 1) % 10 == 0 or k + 1 == copies:
            print(f"    {k + 1}/{copies} copies, {time.perf_counter() - t0:.0f} s", flush=True)
    os.replace(partial, root)
    return {"copies": copies, "days_per_copy": days, "seconds": time.perf_counter() - t0}


def link_subset(big: Path, root: Path, partitions: int) -> None:
    """A cassette of *big*'s first *partitions* date partitions, its files hard-linked."""
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    shutil.copy(big / MANIFEST, partial / MANIFEST)
    dirs = sorted({p.parent for p in pqf.list_parquet(big)})[:partitions]
    for d in dirs:
        (partial / d.name).mkdir()
        for f in sorted(d.glob("*.parquet")):
            try:
                os.link(f, partial / d.name / f.name)
            except OSError:
                shutil.copy2(f, partial / d.name / f.name)
    os.replace(partial, root)


def check_cassette(root: Path) -> dict:
    """What the cassette holds, from its files, the store and DuckDB (see the docstring)."""
    files = pqf.list_parquet(root)
    rows, versions = 0, set()
    for f in files:
        meta = pq.read_metadata(f)
        rows += meta.num_rows
        versions.add(int((meta.schema.to_arrow_schema().metadata or {}).get(SCHEMA_VERSION_KEY, b"0")))
    notices = open_cassette(root).notices
    t0 = time.perf_counter()
    con = connect([root])
    duck_rows, duck_days = con.execute("SELECT count(*), count(DISTINCT date) FROM exchanges").fetchone()
    vendors = dict(con.execute("SELECT vendor, count(*) FROM exchanges GROUP BY ALL ORDER BY ALL").fetchall())
    first, last = con.execute("SELECT min(started_at), max(started_at) FROM exchanges").fetchone()
    return {"files": len(files), "partitions": len({f.parent for f in files}), "rows": rows,
            "bytes": sum(f.stat().st_size for f in files), "schema_versions": sorted(versions),
            "notices": notices, "duckdb_rows": duck_rows, "duckdb_partitions": duck_days,
            "vendors": vendors, "first": str(first), "last": str(last),
            "check_s": time.perf_counter() - t0}


def tillroll_info(root: Path) -> dict:
    """``tillroll info ROOT --format json``, run as a user would."""
    exe = Path(sys.executable).with_name("tillroll")
    out = subprocess.run([str(exe), "info", str(root), "--format", "json"], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def ensure_cassettes(args, work: Path) -> dict:
    """Build what is missing in *work* (base, large cassette, subset); check all of them."""
    tag = f"base{args.base}-seed{args.seed}"
    base = work / f"base-{tag}"
    big = work / f"cassette-{args.n}-{tag}"
    subset = work / f"subset-{args.subset}-of-{args.n}-{tag}"  # its own name: links into *big* only
    built: dict = {}
    if not base.exists():
        print(f"  base: generating {args.base:,} exchanges through CassetteWriter ...", flush=True)
        built["base_s"] = build_base(base, args.base, args.seed)
        print(f"  base: {built['base_s']:.1f} s", flush=True)
    if not big.exists():
        print(f"  replicating the base {args.n // args.base} times into {big} ...", flush=True)
        built["replicate"] = replicate(base, big, args.n // args.base)
    if not subset.exists():
        days = base_days([pqf.read_file(p, ["started_at"]) for p in pqf.list_parquet(base)])[1]
        link_subset(big, subset, args.subset // args.base * days)
        info = tillroll_info(subset)
        built["subset_info"] = {"exchanges": info["exchanges"], "parquet_files": info["parquet_files"],
                                "notices": info["notices"]}
        print(f"  subset: `tillroll info` reports {info['exchanges']:,} exchanges in {info['parquet_files']} files, "
              f"{len(info['notices'])} notices", flush=True)
    return {"base": base, "big": big, "subset": subset, "built": built,
            "checks": {name: check_cassette(path) for name, path in (("base", base), ("big", big),
                                                                     ("subset", subset))}}


# -- HAR files (the user's input today) ------------------------------------------------

_HAR_COLUMNS = ["started_at", "duration_ms", "connect_ms", "tls_ms", "send_ms", "wait_ms", "receive_ms", "method",
                "scheme", "host", "port", "path", "query", "http_version", "request_headers", "request_content_type",
                "request_body_text", "request_body_size", "status", "reason", "response_headers",
                "response_content_type", "response_body_text", "response_body_size"]


def _ms(v: float | None) -> float:
    return -1 if v is None else round(v, 3)


def har_entry(r: dict) -> dict:
    """One HAR 1.2 ``log.entries`` item from a stored row (``to_pylist``)."""
    default_port = {"http": 80, "https": 443}.get(r["scheme"])
    netloc = r["host"] if r["port"] == default_port else f"{r['host']}:{r['port']}"
    url = f"{r['scheme']}://{netloc}{r['path']}" + (f"?{r['query']}" if r["query"] else "")
    request = {
        "method": r["method"], "url": url, "httpVersion": r["http_version"] or "HTTP/1.1", "cookies": [],
        "headers": r["request_headers"],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(r["query"] or "", keep_blank_values=True)],
        "headersSize": -1, "bodySize": r["request_body_size"] if r["request_body_size"] is not None else -1,
    }
    if r["request_body_text"] is not None:
        request["postData"] = {"mimeType": r["request_content_type"] or "", "text": r["request_body_text"]}
    text = r["response_body_text"] or ""
    response = {
        "status": r["status"] or 0, "statusText": r["reason"] or "", "httpVersion": r["http_version"] or "HTTP/1.1",
        "cookies": [], "headers": r["response_headers"] or [],
        "content": {"size": len(text), "mimeType": r["response_content_type"] or "", "text": text},
        "redirectURL": "", "headersSize": -1,
        "bodySize": r["response_body_size"] if r["response_body_size"] is not None else -1,
    }
    started = r["started_at"].astimezone(dt.UTC)
    return {
        "startedDateTime": started.strftime("%Y-%m-%dT%H:%M:%S.") + f"{started.microsecond // 1000:03d}Z",
        "time": _ms(r["duration_ms"]), "request": request, "response": response, "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": _ms(r["connect_ms"]), "ssl": _ms(r["tls_ms"]),
                    "send": _ms(r["send_ms"]), "wait": _ms(r["wait_ms"]), "receive": _ms(r["receive_ms"])},
    }


def write_har_day(partition: Path, path: Path) -> int:
    """One date partition as one HAR file, entries in time order; the number of entries."""
    gc.disable()  # not timed, and the collector would double the time of building 100k entries
    table = pq.read_table(sorted(partition.glob("*.parquet")), columns=_HAR_COLUMNS).sort_by("started_at")
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        f.write('{"log":{"version":"1.2","creator":{"name":"proxy-export","version":"1.0"},"pages":[],'
                '"entries":[\n')
        for i, row in enumerate(table.to_pylist()):
            f.write((",\n" if i else "") + dumps(har_entry(row)))
        f.write("\n]}}\n")
    return table.num_rows


def write_hars(cassette: Path, out: Path) -> dict:
    """One HAR file per date partition of *cassette*, written by one process per core."""
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    parts = sorted({p.parent for p in pqf.list_parquet(cassette)})
    t0 = time.perf_counter()
    # spawn, not fork: this process already runs DuckDB's and Arrow's thread pools
    with ProcessPoolExecutor(min(len(parts), os.cpu_count() or 1), mp_context=mp.get_context("spawn")) as pool:
        entries = sum(pool.map(write_har_day, parts,
                               [partial / f"{p.name.split('=', 1)[1]}.har" for p in parts]))
    os.replace(partial, out)
    paths = sorted(out.glob("*.har"))
    return {"paths": paths, "entries": entries, "bytes": sum(p.stat().st_size for p in paths),
            "seconds": time.perf_counter() - t0}


# -- tillroll: the reports -------------------------------------------------------------

def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """*con* without DuckDB's progress bar, which prints to stdout for queries over 2 s."""
    con.execute("SET enable_progress_bar = false")
    return con


def time_report(cassette: Path, name: str, runs: int) -> dict:
    """First run + *runs* runs of one report, each on a fresh connection."""
    times, connects, peaks, rows = [], [], [], None
    for _ in range(runs + 1):
        gc.collect()
        reset_peak()
        t0 = time.perf_counter()
        con = quiet(connect([cassette]))
        t1 = time.perf_counter()
        table = reports.run(con, name)
        t2 = time.perf_counter()
        peaks.append(status_kb("self", "VmHWM"))
        con.close()
        rows = table.num_rows
        times.append(t2 - t1)
        connects.append(t1 - t0)
        del table, con
    return {"first_s": times[0], "median_s": statistics.median(times[1:]), "runs_s": times[1:],
            "connect_s": statistics.median(connects[1:]), "rows": rows, "peak_mib": max(peaks) / 1024}


def time_reports(cassette: Path, names, runs: int, label: str) -> dict:
    out = {}
    for name in names:
        r = time_report(cassette, name, runs)
        out[name] = r
        print(f"  {label} {name:<9} first {r['first_s']:6.2f} s   median {r['median_s']:6.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in r['runs_s'])})   {r['rows']:>9,} rows   "
              f"connect {1000 * r['connect_s']:.0f} ms   peak RSS {r['peak_mib']:,.0f} MiB", flush=True)
    return out


def explain(cassette: Path, name: str, top: int) -> list[tuple[str, float, int, str]]:
    """The *top* operators of DuckDB's profile of one report: (type, seconds, rows, detail)."""
    con = quiet(connect([cassette]))
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        con.execute("SET enable_profiling = 'json'")
        con.execute(f"SET profiling_output = '{f.name}'")
        reports.run(con, name)
        con.close()
        profile = json.loads(Path(f.name).read_text())
    ops = []

    def walk(node):
        info = node.get("extra_info") or {}
        detail = "; ".join(f"{k}: {v}" for k, v in info.items() if k != "Estimated Cardinality")
        ops.append((node.get("type") or node.get("operator_type") or "?", node.get("timing", 0.0),
                    node.get("intermediate_rows", 0), detail.replace("\n", " ")))
        for child in node.get("children", []):
            walk(child)

    for node in profile.get("operator", profile.get("children", [])):
        walk(node)
    return sorted(ops, key=lambda o: -o[1])[:top]


# -- today: HAR + json + pandas ----------------------------------------------------------

VENDOR_BY_HOST = {"api.mydrycleaner.com": "spot", "restaurantapi.spoton.com": "spoton",
                  "xgl.xenial.com": "xgl", "api.spoonity.com": "spoonity"}
SPOONITY_OPERATIONS = {("POST", "/order"): "order.process", ("DELETE", "/order"): "order.void",
                       ("POST", "/order/gift-card"): "gift-card",
                       ("POST", "/order/payments/loyalty"): "payment.loyalty"}
XGL_OK = {"success", "authorizedsuccess", "approved", "ok"}
FLAT = ["started", "vendor", "operation", "resource", "status", "duration", "outcome", "message", "place",
        "window_start", "window_end"]


def _json(text):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def flatten(entry: dict) -> tuple:
    """The fields of one HAR entry the four answers need, derived as a user would."""
    req, resp = entry["request"], entry["response"]
    url = urlsplit(req["url"])
    vendor = VENDOR_BY_HOST.get(url.hostname, url.hostname)
    path, method, status = url.path, req["method"], resp["status"]
    operation = resource = place = start = end = message = None
    failed = False
    text = resp.get("content", {}).get("text")
    if vendor == "spot":
        operation = (_json(req.get("postData", {}).get("text")) or {}).get("RequestType")
        body = _json(text)
        if isinstance(body, dict) and body.get("Failed") is True:
            failed, message = True, body.get("Message") or "Failed"
    elif vendor == "spoton":
        parts = path.split("/")  # /posexport/v1/locations/{locationId}/{resource}
        place, resource = parts[4], parts[5]
        operation = f"{resource}.list" if method == "GET" and len(parts) == 6 else f"{resource}.{method.lower()}"
        query = {q["name"]: q["value"] for q in req["queryString"]}
        start = query.get("updatedAtStart") or query.get("createdAtStart")
        end = query.get("updatedAtEnd") or query.get("createdAtEnd")
    elif vendor == "xgl":
        doc = _json(req.get("postData", {}).get("text")) or {}
        operation = (doc.get("outHTTP", {}).get("body") or doc).get("action_type")
        place = next((h["value"] for h in req["headers"] if h["name"].lower() == "x-site-ids"), None)
        merchant = (_json(text) or {}).get("merchant_data") or {}
        name, code = str(merchant.get("response_name") or ""), merchant.get("response_code")
        if (name and name.lower() not in XGL_OK) or (isinstance(code, int) and code >= 400):
            failed, message = True, str(merchant.get("response_message") or name or code)
    elif vendor == "spoonity":
        operation = SPOONITY_OPERATIONS.get((method, path), f"{method} {path}")
        body = _json(text)
        if isinstance(body, dict) and "success" in body and not body["success"]:
            errors = (body.get("error") or {}).get("errors") or []
            failed, message = True, "; ".join(map(str, errors)) or "success: false"
    if not status or status >= 400:
        outcome, message = "error", f"HTTP {status}" if status else "no response"
    else:
        outcome = "failed" if failed else "ok"
    duration = entry["time"] if entry["time"] >= 0 else None
    return (entry["startedDateTime"], vendor, operation, resource, status, duration, outcome, message, place,
            start, end)


def load_hars(paths: list[Path]):
    """All entries of the HAR files as one flattened DataFrame."""
    import pandas as pd

    frames = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)["log"]["entries"]
        frames.append(pd.DataFrame.from_records([flatten(e) for e in entries], columns=FLAT))
        del entries
    df = pd.concat(frames, ignore_index=True)
    for col in ("started", "window_start", "window_end"):
        df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def usage_pd(df):
    d = df.assign(day=df["started"].dt.floor("D"), is_ok=df["outcome"] == "ok",
                  is_failed=df["outcome"] == "failed", is_error=df["outcome"] == "error")
    out = d.groupby(["day", "vendor", "operation"], dropna=False).agg(
        calls=("outcome", "size"), ok=("is_ok", "sum"), failed=("is_failed", "sum"), errors=("is_error", "sum"),
        places=("place", "nunique"))
    return out.reset_index().sort_values(["day", "vendor", "calls"], ascending=[True, True, False])


def errors_pd(df):
    bad = df[df["outcome"] != "ok"].assign(message=lambda d: d["message"].fillna(""))
    out = bad.groupby(["vendor", "operation", "outcome", "status", "message"], dropna=False).agg(
        exchanges=("started", "size"), first_seen=("started", "min"), last_seen=("started", "max"))
    return out.reset_index().sort_values("exchanges", ascending=False)


def latency_pd(df):
    import pandas as pd

    d = df[df["duration"].notna()].assign(hour=lambda x: x["started"].dt.floor("h"))
    parts = []
    for keys in (["vendor", "operation"], ["vendor", "operation", "hour"]):
        g = d.groupby(keys)["duration"]
        q = g.quantile([0.5, 0.95, 0.99]).unstack()
        q.columns = ["p50_ms", "p95_ms", "p99_ms"]
        parts.append(pd.concat([g.size().rename("exchanges"), q, g.max().rename("max_ms")], axis=1).reset_index())
    out = pd.concat(parts, ignore_index=True)
    cols = ["p50_ms", "p95_ms", "p99_ms", "max_ms"]
    out[cols] = out[cols].round(1)
    return out.sort_values(["vendor", "operation", "hour"], na_position="first")


def coverage_pd(df):
    keys = ["place", "resource"]
    w = df[(df["vendor"] == "spoton") & df["operation"].str.endswith(".list", na=False) & (df["outcome"] == "ok")
           & (df["window_start"] < df["window_end"])][keys + ["window_start", "window_end", "started"]]
    w = w.sort_values(keys + ["window_start", "window_end"])
    w["reach"] = w.groupby(keys, sort=False)["window_end"].cummax()
    w["covered_until"] = w.groupby(keys, sort=False)["reach"].shift()
    w["requested"] = (w["window_end"] - w["window_start"]).dt.total_seconds()
    overlap = w["covered_until"] > w["window_start"]
    w["overlap"] = ((w["window_end"].where(w["window_end"] < w["covered_until"], w["covered_until"])
                     - w["window_start"]).dt.total_seconds().where(overlap))
    w["lag"] = (w["started"] - w["window_end"]).dt.total_seconds()
    gap = w["window_start"] > w["covered_until"]
    w["gap"] = (w["window_start"] - w["covered_until"]).dt.total_seconds().where(gap)
    w = w.sort_values(keys + ["started"])
    w["poll"] = w.groupby(keys, sort=False)["started"].diff().dt.total_seconds()
    out = w.groupby(keys).agg(requests=("started", "size"), first_start=("window_start", "min"),
                              last_end=("window_end", "max"), gaps=("gap", "count"), missed_seconds=("gap", "sum"),
                              longest_gap_seconds=("gap", "max"), overlap_seconds=("overlap", "sum"),
                              median_poll_minutes=("poll", "median"), median_lag_minutes=("lag", "median"),
                              longest_window_hours=("requested", "max"))
    out["covered_seconds"] = (out["last_end"] - out["first_start"]).dt.total_seconds() - out["missed_seconds"]
    out["median_poll_minutes"] = (out["median_poll_minutes"] / 60).round(1)
    out["median_lag_minutes"] = (out["median_lag_minutes"] / 60).round(1)
    out["longest_window_hours"] = (out["longest_window_hours"] / 3600).round(1)
    return out.reset_index()


TODAY = {"usage": usage_pd, "errors": errors_pd, "latency": latency_pd, "coverage": coverage_pd}


def time_today(paths: list[Path]) -> dict:
    """The timed HAR + json + pandas path: load, then the four answers (one run); then the
    load again with the garbage collector off, as a user who knows that trick would."""
    gc.collect()
    reset_peak()
    t0 = time.perf_counter()
    df = load_hars(paths)
    out = {"load_s": time.perf_counter() - t0, "rows": len(df), "answers": {}, "seconds": {}}
    for name, fn in TODAY.items():
        t = time.perf_counter()
        out["answers"][name] = fn(df)
        out["seconds"][name] = time.perf_counter() - t
    out["peak_mib"] = status_kb("self", "VmHWM") / 1024
    del df
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        rows = len(load_hars(paths))
        out["load_no_gc_s"] = time.perf_counter() - t0
    finally:
        gc.enable()
    assert rows == out["rows"]
    return out


# -- do both ways agree? ---------------------------------------------------------------

def agreement(cassette: Path, today: dict) -> list[tuple[str, str, str, bool]]:
    """(check, tillroll, pandas, agree) for the answers of both ways on the subset."""
    got = {name: reports.run(quiet(connect([cassette])), name).to_pandas() for name in JUDGED}
    pd_ = today["answers"]
    u, uu = got["usage"], pd_["usage"]
    e, ee = got["errors"], pd_["errors"]
    lat, ll = got["latency"], pd_["latency"]
    c, cc = got["coverage"], pd_["coverage"]
    checks = [
        ("usage: total calls", int(u["calls"].sum()), int(uu["calls"].sum())),
        ("usage: rows (day, vendor, operation)", len(u), len(uu)),
        ("usage: failed", int(u["failed"].sum()), int(uu["failed"].sum())),
        ("usage: http/transport errors", int(u["errors"].sum()), int(uu["errors"].sum())),
        ("usage: sum of distinct places per row", int(u["places"].sum()), int(uu["places"].sum())),
        ("errors: not-ok exchanges", int(e["exchanges"].sum()), int(ee["exchanges"].sum())),
        ("errors: groups (vendor, operation, status, message)", len(e), len(ee)),
        ("errors: hidden in a 2xx", int(e.loc[e["hidden_in_2xx"], "exchanges"].sum()),
         int(ee.loc[(ee["outcome"] == "failed") & (ee["status"] < 400), "exchanges"].sum())),
        ("latency: operations", int(lat["hour"].isna().sum()), int(ll["hour"].isna().sum())),
        ("latency: (operation, hour) rows", int(lat["hour"].notna().sum()), int(ll["hour"].notna().sum())),
        ("coverage: (location, resource) rows", len(c), len(cc)),
        ("coverage: requests", int(c["requests"].sum()), int(cc["requests"].sum())),
        ("coverage: gaps", int(c["gaps"].sum()), int(cc["gaps"].sum())),
    ]
    out = [(name, f"{a:,}", f"{b:,}", a == b) for name, a, b in checks]
    missed_a, missed_b = float(c["missed_seconds"].sum()), float(cc["missed_seconds"].sum())
    out.append(("coverage: missed seconds (within 1 s per row)", f"{missed_a:,.0f}", f"{missed_b:,.0f}",
                abs(missed_a - missed_b) <= len(c)))
    overall_a = lat[lat["hour"].isna()].set_index(["vendor", "operation"])
    overall_b = ll[ll["hour"].isna()].set_index(["vendor", "operation"])
    joined = overall_a.merge(overall_b, left_index=True, right_index=True, suffixes=("", "_pd"))
    for col in ("p50_ms", "p99_ms"):
        diff = float((joined[col] - joined[col + "_pd"]).abs().max()) if len(joined) else float("nan")
        # HAR times are rounded to 1 µs and both sides round to 0.1 ms
        out.append((f"latency: largest |{col} difference| per operation (<= 0.1 ms)", "-", f"{diff:.2f} ms",
                    len(joined) == len(overall_a) and diff <= 0.1 + 1e-9))
    return out


# -- main ------------------------------------------------------------------------------

def machine() -> dict:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        pass
    try:
        import pandas
        pandas_version = pandas.__version__
    except ImportError:
        pandas_version = None
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gib": mem_gib,
            "python": platform.python_version(), "duckdb": duckdb.__version__, "pyarrow": pa.__version__,
            "pandas": pandas_version, "kernel": platform.release()}


def gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, help="exchanges in the large cassette (default 10,000,000)")
    ap.add_argument("--subset", type=int, help="exchanges compared with HAR + pandas (default 1,000,000)")
    ap.add_argument("--base", type=int, default=100_000,
                    help="exchanges generated through the store, then replicated by whole days (100,000)")
    ap.add_argument("--seed", type=int, default=7, help="seed of the synthetic exchanges (7)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per report after the first (3)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK,
                    help=f"cassettes are built here once and reused ({DEFAULT_WORK})")
    ap.add_argument("--keep", action="store_true", help="keep the HAR files in --work (reused by the next run)")
    ap.add_argument("--no-today", action="store_true", help="skip the HAR + pandas comparison")
    ap.add_argument("--explain", type=int, default=0, metavar="K",
                    help="for each report slower than the target over the large cassette, print the K most "
                         "expensive operators of DuckDB's profile (one more run each)")
    ap.add_argument("--quick", action="store_true", help="smoke run: --n 1,000,000 --subset 100,000")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args(argv)
    args.n = args.n or (1_000_000 if args.quick else N_TARGET)
    args.subset = args.subset or (100_000 if args.quick else SUBSET_TARGET)
    if args.n % args.base or args.subset % args.base or args.subset > args.n:
        ap.error(f"--n ({args.n:,}) and --subset ({args.subset:,}) must be multiples of --base ({args.base:,}), "
                 "and --subset at most --n")
    if not args.no_today:
        try:
            import pandas  # noqa: F401
        except ImportError:
            ap.error("the comparison needs pandas (a benchmark-only dependency): .venv/bin/pip install pandas")

    info = machine()
    print(f"machine: nproc={info['nproc']} ({info['cpu']}), {info['mem_gib']:.0f} GiB, Python {info['python']}, "
          f"DuckDB {info['duckdb']}, pyarrow {info['pyarrow']}, pandas {info['pandas']}, Linux {info['kernel']}")
    probe = duckdb.connect()
    threads, tz, limit = probe.execute("SELECT current_setting('threads'), current_setting('TimeZone'), "
                                       "current_setting('memory_limit')").fetchone()
    probe.close()
    print(f"duckdb defaults: threads={threads}, TimeZone={tz}, memory_limit={limit}")
    report: dict = {"machine": info, "duckdb": {"threads": threads, "timezone": tz, "memory_limit": limit},
                    "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    verdicts: list[tuple[str, str, bool]] = []
    t_all = time.monotonic()

    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(work).free
    tag = f"base{args.base}-seed{args.seed}"
    need = 0 if (work / f"cassette-{args.n}-{tag}").exists() else 320 * args.n
    har_dir = work / f"har-{args.subset}-{tag}"
    if not args.no_today and not har_dir.exists():
        need += HAR_BYTES_PER_EXCHANGE * args.subset
    print(f"work: {work}; {gib(free)} free, about {gib(need)} needed", flush=True)
    if need * 1.2 > free:
        print(f"error: {work} has {gib(free)} free but this run needs about {gib(need)}: free some space or "
              "choose another --work", file=sys.stderr)
        return 2

    # 1. the cassettes
    print(f"\ncassettes ({args.n:,} and {args.subset:,} exchanges from a base of {args.base:,}, seed {args.seed}; "
          "not timed):", flush=True)
    t = time.perf_counter()
    c = ensure_cassettes(args, work)
    report["cassettes"] = {"built": c["built"], "checks": c["checks"], "prepare_s": time.perf_counter() - t}
    built = c["built"]
    if built:
        parts = ([f"base through the store {built['base_s']:.1f} s"] if "base_s" in built else []) + \
                ([f"replication {built['replicate']['seconds']:.1f} s for {built['replicate']['copies']} copies"]
                 if "replicate" in built else [])
        print(f"  built in {time.perf_counter() - t:.1f} s" + (f" ({', '.join(parts)})" if parts else ""))
    for name, n in (("big", args.n), ("subset", args.subset), ("base", args.base)):
        ck = c["checks"][name]
        ok = (ck["rows"] == n and ck["duckdb_rows"] == n and ck["schema_versions"] == [SCHEMA_VERSION]
              and not ck["notices"] and ck["duckdb_partitions"] == ck["partitions"])
        print(f"  {name:<6} {c[name]}: {ck['rows']:,} rows in {ck['files']} files, {ck['partitions']} date "
              f"partitions ({ck['first'][:10]} .. {ck['last'][:10]}), {ck['bytes'] / 2**20:,.0f} MiB "
              f"({ck['bytes'] / max(ck['rows'], 1):.0f} B/exchange); DuckDB sees {ck['duckdb_rows']:,} rows; "
              f"schema version {ck['schema_versions']}; open_cassette notices {len(ck['notices'])}")
        if name == "big":
            print("         vendors: " + ", ".join(f"{v} {k:,}" for v, k in ck["vendors"].items()))
        if name != "base":
            verdicts.append((f"valid: the {n:,}-exchange cassette holds every row (files, DuckDB, store)",
                             f"{ck['duckdb_rows']:,} rows, {ck['partitions']} partitions", ok))
    if "subset_info" in built:
        si = built["subset_info"]
        verdicts.append(("valid: `tillroll info` reads the subset cassette", f"{si['exchanges']:,} exchanges",
                         si["exchanges"] == args.subset and not si["notices"]))

    # 2. the reports over the large cassette
    print(f"\nreports over {args.n:,} exchanges ({args.runs} runs after the first, fresh connection each; "
          "time of reports.run incl. the Arrow result):", flush=True)
    with MachineLoad() as load:
        big = time_reports(c["big"], JUDGED + DIAGNOSTIC, args.runs, f"{args.n / 1e6:g}M")
    print(f"  machine during these runs: {load}")
    report["big"] = big
    report["big_machine_load"] = load.figures()
    note = "" if args.n == N_TARGET else f"; the target is for {N_TARGET:,}"
    for name in JUDGED:
        verdicts.append((f"{name} over {args.n:,} exchanges <= {TARGET_REPORT_S:g} s (median of {args.runs}{note})",
                         f"{big[name]['median_s']:.2f} s (first {big[name]['first_s']:.2f} s)",
                         big[name]["median_s"] <= TARGET_REPORT_S))
    slow = [name for name in JUDGED + DIAGNOSTIC if big[name]["median_s"] > TARGET_REPORT_S]
    if args.explain and slow:
        report["explain"] = {}
        for name in slow:
            ops = explain(c["big"], name, args.explain)
            report["explain"][name] = ops
            print(f"\n  DuckDB profile of {name} over {args.n:,} (top {args.explain} operators by time, summed "
                  "over threads):", flush=True)
            for typ, secs, rows, detail in ops:
                print(f"    {secs:7.2f} s  {typ:<18} {rows:>11,} rows  {detail[:160]}")

    # 3. the way a user would do it today
    if not args.no_today:
        print(f"\nthe same {args.subset:,} exchanges as HAR files + json + pandas, against tillroll:", flush=True)
        if har_dir.exists() and any(har_dir.glob("*.har")):
            paths = sorted(har_dir.glob("*.har"))
            har = {"paths": paths, "bytes": sum(p.stat().st_size for p in paths), "seconds": 0.0, "reused": True}
            print(f"  HAR: reused {len(paths)} files from {har_dir}, {gib(har['bytes'])}", flush=True)
        else:
            har = write_hars(c["subset"], har_dir)
            print(f"  HAR: {len(har['paths'])} files (one per day), {har['entries']:,} entries, {gib(har['bytes'])} "
                  f"({har['bytes'] / args.subset:,.0f} B/exchange), written in {har['seconds']:.1f} s (not timed)",
                  flush=True)
        try:
            with MachineLoad() as load_pd:
                today = time_today(har["paths"])
        finally:
            if not args.keep:
                shutil.rmtree(har_dir, ignore_errors=True)
        print(f"  pandas: load (json.load + flatten + DataFrame) {today['load_s']:.1f} s for {today['rows']:,} rows; "
              + ", ".join(f"{k} {v:.2f} s" for k, v in today["seconds"].items())
              + f"; peak RSS {today['peak_mib']:,.0f} MiB", flush=True)
        print(f"  machine during the pandas runs: {load_pd}")
        with MachineLoad() as load_small:
            small = time_reports(c["subset"], JUDGED, args.runs, f"{args.subset / 1e6:g}M")
        print(f"  machine during these runs: {load_small}")
        pd_total = today["load_s"] + sum(today["seconds"].values())
        tr_total = sum(small[n]["median_s"] + small[n]["connect_s"] for n in JUDGED)
        speedup = pd_total / tr_total
        print("\n| answer | HAR + json + pandas: load + answer (s) | answer alone (s) | tillroll connect + report (s) "
              "| speed-up incl. load | speed-up excl. load |\n|---|---|---|---|---|---|")
        for n in JUDGED:
            tr = small[n]["median_s"] + small[n]["connect_s"]
            alone = today["seconds"][n]
            print(f"| {n} | {today['load_s'] + alone:.2f} | {alone:.2f} | {tr:.3f} | "
                  f"{(today['load_s'] + alone) / tr:,.0f} x | {alone / tr:,.1f} x |")
        tuned = today["load_no_gc_s"] + sum(today["seconds"].values())
        print(f"| all four | {pd_total:.2f} (load once) | {sum(today['seconds'].values()):.2f} | {tr_total:.3f} | "
              f"{speedup:,.0f} x | {sum(today['seconds'].values()) / tr_total:,.1f} x |")
        print(f"with the garbage collector off during the load (a user who knows the trick): load "
              f"{today['load_no_gc_s']:.1f} s, all four {tuned:.1f} s, speed-up {tuned / tr_total:,.0f} x "
              "(not judged)", flush=True)
        checks = agreement(c["subset"], today)
        print("\n| check (subset) | tillroll | pandas | agree |\n|---|---|---|---|")
        for name, a, b, ok in checks:
            print(f"| {name} | {a} | {b} | {'yes' if ok else 'NO'} |")
        report["today"] = {"har": {"files": len(har["paths"]), "bytes": har["bytes"], "write_s": har["seconds"]},
                           "load_s": today["load_s"], "answers_s": today["seconds"], "peak_mib": today["peak_mib"],
                           "machine_load": {"pandas": load_pd.figures(), "tillroll": load_small.figures()},
                           "load_no_gc_s": today["load_no_gc_s"], "total_s": pd_total, "tillroll": small,
                           "tillroll_total_s": tr_total,
                           "speedup": speedup, "agreement": checks}
        note = "" if args.subset == SUBSET_TARGET else f"; the target is for {SUBSET_TARGET:,}"
        verdicts.append(((f"tillroll >= {TARGET_SPEEDUP:g} x faster than HAR + json + pandas "
                          f"({args.subset:,} exchanges, four answers{note})"),
                         f"{speedup:,.0f} x ({pd_total:.1f} s vs {tr_total:.2f} s)", speedup >= TARGET_SPEEDUP))
        bad = [name for name, _, _, ok in checks if not ok]
        verdicts.append(("valid: tillroll and pandas give the same answers", "all agree" if not bad else
                         "differ: " + "; ".join(bad), not bad))

    report["total_s"] = time.monotonic() - t_all
    return finish(report, verdicts, args.json)


if __name__ == "__main__":
    sys.exit(main())

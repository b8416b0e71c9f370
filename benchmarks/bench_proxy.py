"""Benchmark: the recording proxy's overhead, plain ``mitmdump`` against ``mitmdump -s proxy/addon.py`` (issue 4).

Run::

    .venv/bin/python benchmarks/bench_proxy.py [--rounds 3] [--blocks 4] [--block-requests 2000]
                                               [--concurrency 8] [--paced-block 300] [--paced-rate 100]
                                               [--memory-exchanges 100000] [--hook-timing 3000] [--json out.json]

A full run takes about 7-8 minutes on 2 cores, half of it the 100,000-exchange memory run.

What is measured:

1. **Upstream.** A tiny aiohttp app (``start_sandbox(app=...)``, a thread of this
   process) answers ``POST /q`` with one of 256 precomputed SPOT-shaped JSON bodies
   (``{"Failed": false, "Message": null, "ReturnObject": {customer with PII}}``,
   436-453 bytes, IIS-like headers). It reads the request body and does nothing else,
   so it costs as little as possible.
2. **Load.** One separate process (``multiprocessing`` spawn: its own interpreter and
   GIL), kept for the whole run, runs an asyncio aiohttp client: per proxy one
   ``ClientSession`` with a ``TCPConnector(limit=C)`` whose keep-alive connections live
   as long as that proxy, and C workers (default 8). Each request is a SPOT
   ``GetCustomer`` POST to ``/q`` (220-byte JSON body with a ``SessionID`` from a pool of
   4,096, so redaction pseudonymises a secret in the request and PII in the response).
   Latency = ``perf_counter_ns`` around ``session.post`` + ``read()`` in the client. Every
   block is bounded by a request count AND a time limit.

   * *saturating* blocks: closed loop, each worker sends its next request as soon as the
     previous one is answered (the proxy's capacity; latency includes queueing);
   * *paced* blocks: the same C workers issue requests on a fixed schedule at
     ``--paced-rate`` requests/s in total (100/s: a quarter to a third of the proxy's
     CPU), so latency is the per-request cost with little queueing.
3. **CPU placement.** With 2 cores, mitmdump (every thread) is pinned to CPU
   ``--proxy-cpu`` (0) and everything else - this driver with the upstream thread, and the
   load generator - to ``--load-cpu`` (1), so plain and addon mitmdump each get exactly
   one core, the same one, and the load side cannot take it (``sched_setaffinity`` on
   every thread, like ``taskset -a -p``). The addon's capture worker is a separate process
   started before the pinning: it is left to the scheduler (either core), and its CPU is
   counted as the proxy's. ``--no-pin`` leaves placement to the scheduler.
   A *direct* calibration (client -> upstream, no proxy) first shows what the load core
   can drive, and every block reports how busy the load core was.
4. **Alternation.** ``--rounds`` rounds. Each round starts a fresh plain mitmdump and a
   fresh addon mitmdump side by side (``recording_proxy``, reverse mode to the upstream,
   identical options; the addon one records into a fresh cassette with a key file), warms
   both up (``--warmup`` requests each, untimed), then sends ``--blocks`` saturating blocks
   of ``--block-requests`` to each, alternating plain/addon in ABBA order (the first of a
   pair flips every block and every round), then the paced blocks the same way. Only one
   proxy is loaded at a time; the driver waits ``--settle`` seconds between blocks (the
   addon's writer flushes every 0.2 s). Around each block the loaded mitmdump's CPU time
   (utime + stime of its main thread - the event loop - and of its other threads and
   child processes - the addon's capture worker - from ``/proc/PID/task/*/stat``) gives CPU µs per request. After each round the addon's
   cassette must hold every exchange sent through it.
5. **Memory.** One fresh addon mitmdump proxies ``--memory-exchanges`` (100,000)
   exchanges at the saturating load; its VmRSS is sampled every second with the client's
   progress and reported at 10 %, 50 % and 100 % of the exchanges (first sample at or
   beyond each), with VmHWM. Flat = RSS at 100 % at most 10 % above RSS at 50 %. The
   cassette must then hold all exchanges.
6. **Hook timing** (diagnostic, not part of the comparison): one more addon run in which
   the addon is wrapped (a generated script subclassing ``TillrollRecorder``) so that its
   hooks and the parts of ``response`` - ``raw_from_flow``, ``capture`` (decode + redact),
   ``CassetteWriter.append``, ``describe`` - are timed per flow (wall and thread CPU),
   under the saturating and the paced load.

Targets (issue 4), judged on all rounds pooled:

* throughput with the addon >= 0.90 x plain mitmdump (saturating blocks: requests
  answered / time, summed over all blocks of each kind);
* added median latency (addon p50 - plain p50, latencies of all blocks pooled) <= 1 ms,
  under the saturating load (the issue's "same load") and under the paced load;
* memory flat over 100,000 exchanges, and every exchange in the cassettes.

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import array
import contextlib
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from machine import CLK_TCK, Helper, LoadSessions, cpu_model, finish, pct, pin_all_threads, status_kb

TARGET_RATIO = 0.90
TARGET_ADDED_P50_MS = 1.0
TARGET_RSS_GROWTH = 0.10
PATH = "/q"
REQUEST_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SpotPOS/7.9.3",
                   "Accept": "application/json"}


# -- payloads ---------------------------------------------------------------------------------

FIRST = ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David", "Susan"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez", "Wilson"]
CITIES = [("Orlando", "FL", "32801"), ("Austin", "TX", "78701"), ("Denver", "CO", "80202"),
          ("Columbus", "OH", "43215"), ("Raleigh", "NC", "27601"), ("Boise", "ID", "83702")]


def request_bodies(n: int, seed: int) -> list[bytes]:
    """SPOT GetCustomer requests: SessionID (a secret) and AccountKey in the envelope."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = {"RequestType": "GetCustomer", "AccountKey": rng.choice(["DRYCL001", "PRMCLN77", "SPRKL203"]),
                "SessionID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "UserAgent": "SpotPOS/7.9.3 (Windows NT 10.0)",
                "Parameters": {"CustomerID": str(rng.randint(100000, 999999)), "IncludeCards": False}}
        out.append(json.dumps(body).encode())
    return out


def response_bodies(n: int, seed: int) -> list[bytes]:
    """SPOT-shaped answers with customer PII (names, email, phones, address)."""
    rng = random.Random(seed + 1)
    out = []
    for _ in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, zip_ = rng.choice(CITIES)
        ret = {"CustomerID": str(rng.randint(100000, 999999)), "FirstName": first, "LastName": last,
               "EmailAddress": f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@gmail.com",
               "Phone": f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}",
               "CellPhone": f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}",
               "Address1": f"{rng.randint(10, 9899)} Main St", "City": city, "State": state, "Zip": zip_,
               "StoreID": f"S{rng.randint(1, 40):03d}", "Balance": round(rng.uniform(0, 120), 2),
               "StarchPreference": "Light", "BoxOrHang": "Hang", "MarketingOptIn": rng.random() < 0.5,
               "CreatedDate": "2024-03-11T14:02:11"}
        out.append(json.dumps({"Failed": False, "Message": None, "ReturnObject": ret}).encode())
    return out


def make_upstream_app(seed: int):
    from aiohttp import web

    bodies = response_bodies(256, seed)
    headers = {"Server": "Microsoft-IIS/10.0", "X-Powered-By": "ASP.NET", "Cache-Control": "private"}
    state = {"i": 0}

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        state["i"] += 1
        return web.Response(body=bodies[state["i"] & 255], headers=headers, content_type="application/json",
                            charset="utf-8")

    app = web.Application()
    app.router.add_post(PATH, answer)
    return app


# -- the load generator (its own process) ----------------------------------------------------------

def client_main(conn, bodies: list[bytes], concurrency: int, cpus: list[int] | None, progress) -> None:
    """The load process: runs commands from *conn* until told to stop."""
    if cpus:
        os.sched_setaffinity(0, set(cpus))
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sessions = LoadSessions(loop, concurrency, timeout_s=30)

    conn.send("ready")
    while True:
        cmd = conn.recv()
        if cmd[0] == "run":
            _, url, n, duration, rate = cmd

            async def go():  # the session (and its connector) must be made inside the running loop
                return await _load(sessions.get(url), url, bodies, n, duration, concurrency, rate, progress)

            conn.send(loop.run_until_complete(go()))
        elif not sessions.answer(cmd, conn):
            return


async def _load(session, url: str, bodies: list[bytes], n: int, duration: float, concurrency: int, rate: float,
                progress) -> dict:
    import asyncio

    lat_us = array.array("d")
    state = {"issued": 0, "errors": 0, "error_kinds": {}}
    cpu0 = time.process_time()
    start = time.perf_counter()
    deadline = start + duration

    async def worker(i: int) -> None:
        next_at = start + (i / rate if rate else 0.0)
        while state["issued"] < n and time.perf_counter() < deadline:
            k = state["issued"]
            state["issued"] += 1
            if rate:
                delay = next_at - time.perf_counter()
                next_at += concurrency / rate
                if delay > 0:
                    await asyncio.sleep(delay)
            t0 = time.perf_counter_ns()
            try:
                async with session.post(url, data=bodies[k % len(bodies)], headers=REQUEST_HEADERS) as r:
                    await r.read()
                    ok, kind = r.status == 200, f"HTTP {r.status}"
            except Exception as exc:  # counted and reported
                ok, kind = False, type(exc).__name__
            t1 = time.perf_counter_ns()
            if ok:
                lat_us.append((t1 - t0) / 1000)
                if progress is not None:
                    progress.value += 1
            else:
                state["errors"] += 1
                state["error_kinds"][kind] = state["error_kinds"].get(kind, 0) + 1

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    return {"ok": len(lat_us), "errors": state["errors"], "error_kinds": state["error_kinds"], "elapsed": elapsed,
            "client_cpu": time.process_time() - cpu0, "lat_us": lat_us}


class LoadClient(Helper):
    """The driver's handle on the load process."""

    def __init__(self, bodies: list[bytes], concurrency: int, cpus: list[int] | None):
        ctx = mp.get_context("spawn")
        self.progress = ctx.Value("q", 0, lock=False)
        super().__init__(client_main, bodies, concurrency, cpus, self.progress, ctx=ctx)

    def run(self, url: str, n: int, duration: float, rate: float = 0.0) -> dict:
        return self.ask(("run", url, n, duration, rate), duration + 120)

    def forget(self, url: str) -> None:
        self.ask(("close", url), 30)


# -- /proc ---------------------------------------------------------------------------------------





def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (utime + stime) per thread of *pid* and of its child processes (the
    addon's capture worker is a child process: its CPU is the proxy's cost too)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                children = [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        for child in children:
            with contextlib.suppress(OSError):
                out.update(thread_cpu(child))
    return out


def cpu_split(pid: int, before: dict[int, float], after: dict[int, float]) -> tuple[float, float]:
    """(main thread, other threads) CPU seconds between two :func:`thread_cpu` snapshots."""
    main = after.get(pid, 0.0) - before.get(pid, 0.0)
    other = sum(v - before.get(t, 0.0) for t, v in after.items() if t != pid)
    return main, other




# -- statistics ------------------------------------------------------------------------------



def measure(client: LoadClient, pid: int, url: str, n: int, duration: float, rate: float = 0.0) -> dict:
    """One block: the load, and the loaded mitmdump's CPU and the load core's CPU around it."""
    before, d0 = thread_cpu(pid), time.process_time()
    res = client.run(url, n, duration, rate)
    after, d1 = thread_cpu(pid), time.process_time()
    main, other = cpu_split(pid, before, after)
    ok, elapsed = res["ok"], res["elapsed"]
    return {"ok": ok, "errors": res["errors"], "error_kinds": res["error_kinds"], "elapsed_s": elapsed,
            "lat_us": res["lat_us"], "proxy_main_s": main, "proxy_other_s": other,
            "load_cpu_s": res["client_cpu"] + d1 - d0}


def pooled(blocks: list[dict]) -> dict:
    """Figures of several blocks taken together (latencies pooled, time and CPU summed)."""
    lat = sorted(v for b in blocks for v in b["lat_us"])
    ok = sum(b["ok"] for b in blocks)
    elapsed = sum(b["elapsed_s"] for b in blocks)
    main = sum(b["proxy_main_s"] for b in blocks)
    other = sum(b["proxy_other_s"] for b in blocks)
    return {"ok": ok, "errors": sum(b["errors"] for b in blocks), "elapsed_s": elapsed,
            "rps": ok / elapsed if elapsed else 0.0, "p50_ms": pct(lat, 0.5) / 1000,
            "p90_ms": pct(lat, 0.9) / 1000, "p99_ms": pct(lat, 0.99) / 1000,
            "proxy_cpu_pct": 100 * (main + other) / elapsed if elapsed else 0.0,
            "loop_us": 1e6 * main / ok if ok else float("nan"), "other_us": 1e6 * other / ok if ok else float("nan"),
            "load_core_pct": 100 * sum(b["load_cpu_s"] for b in blocks) / elapsed if elapsed else 0.0}


HEADER = ("| {what} | kind | answered | s | req/s | p50 ms | p90 ms | p99 ms | mitmdump CPU % | loop µs/req | "
          "other threads + worker µs/req | load core % |\n|---|---|---|---|---|---|---|---|---|---|---|---|")


def row(label: str, kind: str, s: dict) -> str:
    return (f"| {label} | {kind} | {s['ok']:,} | {s['elapsed_s']:.1f} | {s['rps']:,.0f} | {s['p50_ms']:.2f} | "
            f"{s['p90_ms']:.2f} | {s['p99_ms']:.2f} | {s['proxy_cpu_pct']:.0f} | {s['loop_us']:,.0f} | "
            f"{s['other_us']:,.0f} | {s['load_core_pct']:.0f} |")


# -- the rounds --------------------------------------------------------------------------------------

def one_round(rnd: int, client: LoadClient, upstream: str, work: Path, key_file: Path, args) -> dict:
    from tillroll.proxy_process import recording_proxy
    from tillroll.store import open_cassette

    run_dir = work / f"round{rnd}"
    cassette = run_dir / "addon" / "cassette"
    blocks: list[dict] = []
    with contextlib.ExitStack() as stack:
        proxies = {
            "plain": stack.enter_context(recording_proxy(None, [f"reverse:{upstream}"], workdir=run_dir / "plain",
                                                         with_addon=False)),
            "addon": stack.enter_context(recording_proxy(cassette, [f"reverse:{upstream}"],
                                                         workdir=run_dir / "addon", key_file=key_file)),
        }
        urls = {k: f"http://127.0.0.1:{p.ports[0]}{PATH}" for k, p in proxies.items()}
        pids = {k: p.process.pid for k, p in proxies.items()}
        sent = {"plain": 0, "addon": 0}
        for kind in ("plain", "addon"):
            if not args.no_pin:
                pin_all_threads(pids[kind], {args.proxy_cpu})
            warm = client.run(urls[kind], args.warmup, 120)
            sent[kind] += warm["ok"] + warm["errors"]
            if not args.no_pin:
                pin_all_threads(pids[kind], {args.proxy_cpu})
        rss0 = {k: status_kb(pid, "VmRSS") / 1024 for k, pid in pids.items()}
        phases = [("saturating", args.block_requests, 0.0)]
        if args.paced_block > 0:
            phases.append(("paced", args.paced_block, args.paced_rate))
        for phase, n, rate in phases:
            for b in range(args.blocks):
                order = ("plain", "addon") if (b + rnd) % 2 else ("addon", "plain")
                for kind in order:
                    time.sleep(args.settle)
                    m = measure(client, pids[kind], urls[kind], n, args.max_seconds, rate)
                    sent[kind] += m["ok"] + m["errors"]
                    m.update(round=rnd, block=b + 1, kind=kind, phase=phase)
                    blocks.append(m)
        rss1 = {k: status_kb(pid, "VmRSS") / 1024 for k, pid in pids.items()}
        for url in urls.values():
            client.forget(url)
    rows = open_cassette(cassette).read_table(["exchange_id"]).num_rows
    summary = proxies["addon"].summary
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return {"round": rnd, "blocks": blocks, "sent": sent, "cassette_rows": rows, "summary": summary,
            "rss_mib": {k: [rss0[k], rss1[k]] for k in rss0}}


def memory_run(client: LoadClient, upstream: str, work: Path, key_file: Path, args) -> dict:
    from tillroll.proxy_process import recording_proxy
    from tillroll.store import open_cassette

    run_dir = work / "memory"
    cassette = run_dir / "cassette"
    n = args.memory_exchanges
    samples: list[tuple[float, int, int]] = []
    client.progress.value = 0
    with recording_proxy(cassette, [f"reverse:{upstream}"], workdir=run_dir, key_file=key_file) as proxy:
        pid = proxy.process.pid
        url = f"http://127.0.0.1:{proxy.ports[0]}{PATH}"
        if not args.no_pin:
            pin_all_threads(pid, {args.proxy_cpu})
        stop = threading.Event()
        t_start = time.monotonic()

        def sample() -> None:
            while True:
                samples.append((time.monotonic() - t_start, client.progress.value, status_kb(pid, "VmRSS")))
                if stop.wait(1.0):
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        m = measure(client, pid, url, n, args.memory_seconds)
        stop.set()
        sampler.join()
        samples.append((time.monotonic() - t_start, client.progress.value, status_kb(pid, "VmRSS")))
        hwm = status_kb(pid, "VmHWM") / 1024
        client.forget(url)
    out = {"n": n, "done": m["ok"], "load": pooled([m]), "hwm_mib": hwm, "summary": proxy.summary,
           "cassette_rows": open_cassette(cassette).read_table(["exchange_id"]).num_rows, "samples": samples}
    for frac in (0.1, 0.5, 1.0):
        hit = next((s for s in samples if s[1] >= int(n * frac)), None)
        out[f"rss_at_{int(frac * 100)}pct"] = None if hit is None else {"exchanges": hit[1], "t_s": hit[0],
                                                                         "rss_mib": hit[2] / 1024}
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return out


TIMED_ADDON = '''"""Generated by benchmarks/bench_proxy.py: the tillroll addon with its hooks timed.

SIGUSR1 writes the timings collected so far to $TILLROLL_TIMED_OUT and starts afresh.
"""
import json, os, signal, time
import tillroll.proxy.addon as A
import tillroll.proxy.recorder as R
import tillroll.proxy.worker as W
import tillroll.store.writer as S

STATS = {}

def timed(name, fn):
    def wrapper(*a, **k):
        t0 = time.perf_counter_ns(); c0 = time.thread_time_ns()
        try:
            return fn(*a, **k)
        finally:
            wall, cpu = STATS.setdefault(name, ([], []))
            wall.append(time.perf_counter_ns() - t0); cpu.append(time.thread_time_ns() - c0)
    return wrapper

A.raw_from_flow = timed("raw_from_flow", A.raw_from_flow)
R.capture = timed("capture (decode + redact)", R.capture)
S.CassetteWriter.append = timed("CassetteWriter.append", S.CassetteWriter.append)
A.describe = timed("describe", A.describe)
W.CaptureWorker.submit = timed("CaptureWorker.submit", W.CaptureWorker.submit)
A.TillrollRecorder._answers = timed("worker answers (comments)", A.TillrollRecorder._answers)

class Timed(A.TillrollRecorder):
    requestheaders = timed("requestheaders hook", A.TillrollRecorder.requestheaders)
    responseheaders = timed("responseheaders hook", A.TillrollRecorder.responseheaders)
    response = timed("response hook (all of it)", A.TillrollRecorder.response)

def _dump(signum, frame):
    data = {k: [list(w), list(c)] for k, (w, c) in STATS.items()}
    STATS.clear()
    path = os.environ["TILLROLL_TIMED_OUT"]
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)

signal.signal(signal.SIGUSR1, _dump)
addons = [Timed()]
'''


def _timings_now(pid: int, stats_file: Path, timeout: float = 30.0) -> dict:
    """Ask the timed addon for its timings so far (and make it start afresh)."""
    stats_file.unlink(missing_ok=True)
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while not stats_file.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the timed addon did not write its timings")
        time.sleep(0.05)
    return json.loads(stats_file.read_text())


def hook_timing(client: LoadClient, upstream: str, work: Path, key_file: Path, args) -> dict:
    """Diagnostic: time the addon's hooks per flow (not part of the comparison)."""
    import tillroll.proxy_process as pp

    run_dir = work / "hooks"
    run_dir.mkdir(parents=True, exist_ok=True)
    script = run_dir / "timed_addon.py"
    script.write_text(TIMED_ADDON)
    stats_file = run_dir / "timed.json"
    os.environ["TILLROLL_TIMED_OUT"] = str(stats_file)  # inherited by mitmdump
    out: dict = {}
    original = pp.addon_path
    pp.addon_path = lambda: script
    try:
        with pp.recording_proxy(run_dir / "cassette", [f"reverse:{upstream}"], workdir=run_dir,
                                key_file=key_file) as proxy:
            pid = proxy.process.pid
            url = f"http://127.0.0.1:{proxy.ports[0]}{PATH}"
            if not args.no_pin:
                pin_all_threads(pid, {args.proxy_cpu})
            client.run(url, args.warmup, 120)
            phases = [("saturating", 0.0)] + ([("paced", args.paced_rate)] if args.paced_block > 0 else [])
            for phase, rate in phases:
                n = args.hook_timing if phase == "saturating" else max(1, args.hook_timing // 3)
                time.sleep(args.settle)
                _timings_now(pid, stats_file)  # discards what came before
                m = measure(client, pid, url, n, args.max_seconds, rate)
                stats = _timings_now(pid, stats_file)
                parts = {}
                for name, (wall, cpu) in stats.items():
                    wall, cpu = sorted(wall), sorted(cpu)
                    parts[name] = {"n": len(wall), "wall_p50_us": pct(wall, 0.5) / 1000,
                                   "wall_mean_us": sum(wall) / len(wall) / 1000,
                                   "wall_p99_us": pct(wall, 0.99) / 1000,
                                   "cpu_p50_us": pct(cpu, 0.5) / 1000, "cpu_mean_us": sum(cpu) / len(cpu) / 1000}
                out[phase] = {"load": pooled([m]), "parts": parts}
            client.forget(url)
    finally:
        pp.addon_path = original
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return out


# -- report ------------------------------------------------------------------------------------

def machine() -> dict:
    import aiohttp
    from mitmproxy.version import VERSION

    model = cpu_model()
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(), "mitmproxy": VERSION,
            "aiohttp": aiohttp.__version__, "kernel": platform.release()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each with a fresh plain and addon mitmdump (3)")
    ap.add_argument("--blocks", type=int, default=4, help="alternating blocks per kind and phase in a round (4)")
    ap.add_argument("--block-requests", type=int, default=2_000, help="requests of a saturating block (2,000)")
    ap.add_argument("--paced-block", type=int, default=300, help="requests of a paced block (300; 0: no paced phase)")
    ap.add_argument("--paced-rate", type=float, default=100.0, help="paced blocks: requests/s offered in total (100)")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent keep-alive clients (8)")
    ap.add_argument("--warmup", type=int, default=1_000, help="untimed requests to each new mitmdump (1,000)")
    ap.add_argument("--settle", type=float, default=0.3, help="pause before each block, seconds (0.3)")
    ap.add_argument("--max-seconds", type=float, default=60.0, help="time limit of a block (60 s)")
    ap.add_argument("--memory-exchanges", type=int, default=100_000, help="exchanges of the memory run (0: skip)")
    ap.add_argument("--memory-seconds", type=float, default=900.0, help="time limit of the memory run (900 s)")
    ap.add_argument("--hook-timing", type=int, default=3_000,
                    help="saturating requests of the hook-timing diagnostic (a third as many paced; 0: skip)")
    ap.add_argument("--direct-requests", type=int, default=10_000,
                    help="calibration: requests straight to the upstream (0: skip)")
    ap.add_argument("--proxy-cpu", type=int, default=0, help="CPU for mitmdump (0)")
    ap.add_argument("--load-cpu", type=int, default=1, help="CPU for the load generator, upstream and driver (1)")
    ap.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the work directory (cassettes, mitmdump logs)")
    ap.add_argument("--json", type=Path, help="write the figures (without raw latencies) to this file")
    args = ap.parse_args(argv)

    from tillroll.sandbox.server import start_sandbox

    info = machine()
    print(f"machine: nproc={info['nproc']} ({info['cpu']}), Python {info['python']}, mitmproxy {info['mitmproxy']}, "
          f"aiohttp {info['aiohttp']}, Linux {info['kernel']}")
    placement = ("unpinned" if args.no_pin else
                 f"mitmdump on CPU {args.proxy_cpu}; load generator + upstream + driver on CPU {args.load_cpu}")
    bodies = request_bodies(4096, args.seed)
    req_sizes = [len(b) for b in bodies]
    resp_sizes = [len(b) for b in response_bodies(256, args.seed)]
    print(f"load: {args.concurrency} keep-alive clients, POST {PATH}, "
          f"request bodies {min(req_sizes)}-{max(req_sizes)} B, "
          f"response bodies {min(resp_sizes)}-{max(resp_sizes)} B; {placement}", flush=True)
    report: dict = {"machine": info, "placement": placement,
                    "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "request_bytes": [min(req_sizes), max(req_sizes)],
                    "response_bytes": [min(resp_sizes), max(resp_sizes)]}
    work = Path(tempfile.mkdtemp(prefix="tillroll-bench-proxy-"))
    key_file = work / "key"
    key_file.write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
    load_cpus = None if args.no_pin else [args.load_cpu]
    rounds: list[dict] = []
    mem = hooks = None
    t_all = time.monotonic()
    try:
        with start_sandbox(app=make_upstream_app(args.seed)) as upstream:
            if not args.no_pin:
                pin_all_threads(os.getpid(), {args.load_cpu})
            client = LoadClient(bodies, args.concurrency, load_cpus)
            try:
                if args.direct_requests:
                    url = f"{upstream}{PATH}"
                    client.run(url, 1000, 30)
                    d0 = time.process_time()
                    res = client.run(url, args.direct_requests, args.max_seconds)
                    res["load_cpu_s"] = res["client_cpu"] + time.process_time() - d0
                    lat = sorted(res["lat_us"])
                    direct = {"ok": res["ok"], "rps": res["ok"] / res["elapsed"], "p50_ms": pct(lat, 0.5) / 1000,
                              "load_core_pct": 100 * res["load_cpu_s"] / res["elapsed"]}
                    client.forget(url)
                    report["direct"] = direct
                    print(f"\ndirect, no proxy: {direct['rps']:,.0f} req/s, p50 {direct['p50_ms']:.2f} ms, "
                          f"load core {direct['load_core_pct']:.0f} % busy", flush=True)
                for rnd in range(1, args.rounds + 1):
                    r = one_round(rnd, client, upstream, work, key_file, args)
                    rounds.append(r)
                    for phase in ("saturating", "paced"):
                        got = {k: pooled([b for b in r["blocks"] if b["phase"] == phase and b["kind"] == k])
                               for k in ("plain", "addon")}
                        if got["plain"]["ok"]:
                            print(f"round {rnd} {phase:<10}: plain {got['plain']['rps']:,.0f} req/s "
                                  f"p50 {got['plain']['p50_ms']:.2f} ms, addon {got['addon']['rps']:,.0f} req/s "
                                  f"p50 {got['addon']['p50_ms']:.2f} ms", flush=True)
                    print(f"round {rnd}: addon cassette {r['cassette_rows']:,} rows for {r['sent']['addon']:,} "
                          f"requests", flush=True)
                if args.memory_exchanges:
                    print(f"\nmemory run: {args.memory_exchanges:,} exchanges through the addon ...", flush=True)
                    mem = memory_run(client, upstream, work, key_file, args)
                if args.hook_timing:
                    print("hook timing (diagnostic) ...", flush=True)
                    hooks = hook_timing(client, upstream, work, key_file, args)
            finally:
                client.close()
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["total_s"] = time.monotonic() - t_all
    return _report(report, rounds, mem, hooks, args)


def _report(report: dict, rounds: list[dict], mem: dict | None, hooks: dict | None, args) -> int:
    verdicts: list[tuple[str, str, bool]] = []
    blocks = [b for r in rounds for b in r["blocks"]]
    report["rounds"] = [{"round": r["round"], "sent": r["sent"], "cassette_rows": r["cassette_rows"],
                         "summary": r["summary"], "rss_mib": r["rss_mib"]} for r in rounds]
    report["blocks"] = [{k: v for k, v in b.items() if k != "lat_us"} for b in blocks]
    for phase in ("saturating", "paced"):
        mine = [b for b in blocks if b["phase"] == phase]
        if not mine:
            continue
        what = (f"closed loop, {args.concurrency} clients, {args.block_requests:,} requests per block" if phase ==
                "saturating" else f"{args.paced_rate:g} req/s offered, {args.paced_block:,} requests per block")
        print(f"\n{phase} load ({what}; {args.blocks} blocks per kind per round)")
        print(HEADER.format(what="round"))
        per_round = {}
        for r in rounds:
            for kind in ("plain", "addon"):
                per_round[(r["round"], kind)] = pooled(
                    [b for b in mine if b["round"] == r["round"] and b["kind"] == kind])
                print(row(str(r["round"]), kind, per_round[(r["round"], kind)]))
        agg = {kind: pooled([b for b in mine if b["kind"] == kind]) for kind in ("plain", "addon")}
        for kind in ("plain", "addon"):
            print(row("all", kind, agg[kind]))
        ratio = agg["addon"]["rps"] / agg["plain"]["rps"]
        plain_by_slot = {(b["round"], b["block"]): b for b in mine if b["kind"] == "plain"}
        pairs = sorted((a["ok"] / a["elapsed_s"]) / (p["ok"] / p["elapsed_s"])
                       for a in mine if a["kind"] == "addon"
                       for p in [plain_by_slot[(a["round"], a["block"])]])
        added = agg["addon"]["p50_ms"] - agg["plain"]["p50_ms"]
        added_loop = agg["addon"]["loop_us"] - agg["plain"]["loop_us"]
        added_other = agg["addon"]["other_us"] - agg["plain"]["other_us"]
        report[phase] = {"plain": agg["plain"], "addon": agg["addon"], "ratio": ratio,
                         "block_ratios": pairs, "added_p50_ms": added,
                         "added_cpu_us": {"loop": added_loop, "other": added_other},
                         "per_round": {f"{k[0]} {k[1]}": v for k, v in per_round.items()}}
        print(f"addon/plain req/s: {ratio:.3f} pooled; per block pair median {statistics.median(pairs):.3f} "
              f"(min {pairs[0]:.3f}, max {pairs[-1]:.3f}, {len(pairs)} pairs)")
        print(f"added median latency: {added:+.3f} ms; added mitmdump CPU per request: {added_loop:+.0f} µs on the "
              f"event-loop thread, {added_other:+.0f} µs in other threads and the worker")
        if phase == "saturating":
            verdicts.append((f"throughput addon/plain >= {TARGET_RATIO:.2f} (saturating)", f"{ratio:.3f}",
                             ratio >= TARGET_RATIO))
        verdicts.append((f"added median latency <= {TARGET_ADDED_P50_MS:g} ms ({phase})", f"{added:+.3f} ms",
                         added <= TARGET_ADDED_P50_MS))

    recorded = all(r["cassette_rows"] == r["sent"]["addon"] for r in rounds)
    print("\naddon cassettes (rows / requests sent): " +
          ", ".join(f"round {r['round']} {r['cassette_rows']:,}/{r['sent']['addon']:,}" for r in rounds))
    print("mitmdump VmRSS after warm-up -> end of round (MiB): " + "; ".join(
        f"round {r['round']} plain {r['rss_mib']['plain'][0]:.0f} -> {r['rss_mib']['plain'][1]:.0f}, "
        f"addon {r['rss_mib']['addon'][0]:.0f} -> {r['rss_mib']['addon'][1]:.0f}" for r in rounds))
    if rounds:
        verdicts.append(("every exchange of the rounds recorded", "yes" if recorded else "no", recorded))

    if mem is not None:
        report["memory"] = {k: v for k, v in mem.items() if k != "samples"}
        report["memory"]["samples"] = mem["samples"]
        load = mem["load"]
        print(f"\nmemory run: {mem['done']:,} exchanges answered ({load['errors']} errors) "
              f"in {load['elapsed_s']:.0f} s, "
              f"{load['rps']:,.0f} req/s, p50 {load['p50_ms']:.2f} ms, mitmdump {load['loop_us']:,.0f} + "
              f"{load['other_us']:,.0f} µs CPU per request")
        print("| exchanges | t (s) | mitmdump VmRSS (MiB) |\n|---|---|---|")
        for key in ("rss_at_10pct", "rss_at_50pct", "rss_at_100pct"):
            m = mem[key]
            print(f"| {m['exchanges']:,} | {m['t_s']:.0f} | {m['rss_mib']:.1f} |" if m else "| (not reached) | | |")
        print(f"VmHWM {mem['hwm_mib']:.1f} MiB; cassette rows {mem['cassette_rows']:,} of {mem['done']:,} answered")
        print(f"addon summary: {mem['summary'].splitlines()[0] if mem['summary'] else '(none)'}")
        m50, m100 = mem["rss_at_50pct"], mem["rss_at_100pct"]
        if m50 and m100:
            growth = m100["rss_mib"] / m50["rss_mib"] - 1
            report["memory"]["growth_50_100"] = growth
            verdicts.append((f"memory flat: VmRSS growth 50 % -> 100 % of the exchanges <= {TARGET_RSS_GROWTH:.0%}",
                             f"{m50['rss_mib']:.1f} -> {m100['rss_mib']:.1f} MiB ({growth:+.1%})",
                             growth <= TARGET_RSS_GROWTH))
        else:
            verdicts.append(("memory flat", "the run did not complete", False))
        complete = mem["cassette_rows"] == mem["done"] == mem["n"]
        verdicts.append(("memory run: every exchange in the cassette", f"{mem['cassette_rows']:,}/{mem['n']:,}",
                         complete))

    if hooks:
        report["hooks"] = hooks
        for phase, h in hooks.items():
            load = h["load"]
            print(f"\nhook timing, {phase} ({load['ok']:,} requests, {load['rps']:,.0f} req/s, mitmdump "
                  f"{load['loop_us']:,.0f} µs event-loop CPU per request)")
            print("| part | calls | wall p50 µs | wall mean µs | wall p99 µs | CPU mean µs | % of loop CPU |\n"
                  "|---|---|---|---|---|---|---|")
            for name, p in h["parts"].items():
                share = 100 * p["cpu_mean_us"] * p["n"] / max(1, load["ok"]) / load["loop_us"]
                print(f"| {name} | {p['n']:,} | {p['wall_p50_us']:.1f} | {p['wall_mean_us']:.1f} | "
                      f"{p['wall_p99_us']:.1f} | {p['cpu_mean_us']:.1f} | {share:.1f} |")

    return finish(report, verdicts, args.json)


if __name__ == "__main__":
    sys.exit(main())

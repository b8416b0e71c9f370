"""Benchmark: the replay server and the recording proxy under wrk (issue 17's method).

Run::

    .venv/bin/python benchmarks/bench_wrk.py [--sizes 2000,100000] [--rounds 3] [--duration 5]
                                             [--threads 1] [--connections 16] [--first-seen 10000]
                                             [--record-variants lines,quiet] [--work DIR] [--quick]
                                             [--json out.json]

The project's rule: benchmarks saturate the server with wrk (the Debian package), alternate
rounds, and report ratios from one run; a Python load client hides the server's cost. A
default run (2,000 exchanges) takes about 3 minutes on 2 cores; ``--sizes 2000,100000``
about 5; ``--quick`` (3-s rounds) about 2.

What is measured:

1. **Cassettes** (untimed), built as ``bench_replay.py`` builds them (its
   ``build_cassette``): N exchanges of ``tillroll.demo.synthetic.generate(N, seed=7)``, each
   with the ``match_key`` the recorder stores under a fresh key file, appended with
   ``CassetteWriter``. N = 2,000 by default; ``--sizes`` adds more.
2. **Request sets**, rebuilt from the stored exchanges by ``bench_replay.request_sets``
   (method, path, query, request headers without host/content-length/hop-by-hop, body as
   recorded): *repeated* - the first 1,000 recorded requests; *spread* - 1,000 recordings
   spread over the cassette, each with a key recorded once; *first-seen* - ``--first-seen``
   (10,000) once-recorded keys spread over the cassette, more than the replayer's
   understanding cache (``replay/replayer.py`` ``_CACHE_SIZE`` = 4,096), cycled in order so
   each request is new to the cache when it comes back; only where the cassette holds more
   once-recorded keys than 1.25 x the cache.
3. **Servers.** The replay server as users start it: ``tillroll replay CASSETTE --key-file
   KEY --host 127.0.0.1 --port P`` (defaults: 599 on a miss, sequence repeat), a subprocess
   under ``taskset -c SERVER_CPU`` (0), ready when ``GET /__tillroll/health`` answers. Every
   request of every set is then sent to it once, one by one (``http.client``): it must
   answer each with the recorded status and never 599; this pass is also the replay
   server's warm-up (every response it serves is built once and kept). What it answered -
   status, reason, headers (without Date, Server, Content-Length and hop-by-hop ones, which
   aiohttp writes itself) and body bytes - goes into a dict keyed by (method, raw target,
   body). The *bare* server (``benchmarks/wrk.py bare``, same CPU) is an aiohttp app with
   the replay server's runner options (no access log, no request decompression) whose one
   handler reads the body, looks the request up in that dict and answers with the prebuilt
   status, headers and bytes: the same answers with no work, so the ratio is tillroll's
   per-request cost against nothing (it builds a ``web.Response`` per request, which
   tillroll no longer does: see ``replay/wire.py``). It is checked the same way (every
   request, same status and body as tillroll's). With ``--floor`` a third server, the
   *floor* (``benchmarks/wrk.py bare-wire``: the same table answered with the bytes
   ``replay/wire.py`` builds), is alternated with tillroll after each set: tillroll's own
   work per request, with the answer-writing it shares with the floor taken out.
4. **Load.** ``wrk -t THREADS -c CONNECTIONS -d DURATION --latency -s SET.lua`` (1 thread,
   16 keep-alive connections, 5 s) under ``taskset -c LOAD_CPU`` (1). The Lua script holds
   the set (``wrk.format`` per request, prepared in ``init()``); ``request()`` cycles
   through it in order; ``response()`` counts answers per status, and ``done()`` prints
   requests, duration, socket errors, latency percentiles (wrk's own, from the send of a
   request to its answer) and the status counts. Per set: one untimed 1-s run to each
   server, then ``--rounds`` (3) rounds of bare then tillroll, the same wrk command for
   both; only one server is loaded at a time. Per round: req/s and the server's CPU per
   request (utime + stime from ``/proc`` around the run). Reported per set: req/s per
   round, the median of the per-round ratios tillroll/bare (the figure judged), the pooled
   ratio, and the capacity ratio (bare CPU per request / tillroll CPU per request). A run is
   invalid with any 599, any socket error, or a status count that differs from the bare
   server's by more than the requests in flight.
5. **Record** (``--record-variants``, the 2,000 cassette's spread set as traffic: 1,000
   vendor requests with secrets and PII). Upstream: a second bare server (answering the
   recorded responses) on the load CPU with wrk. Through a reverse proxy to it: plain
   ``mitmdump --mode reverse:UPSTREAM@P`` against ``tillroll record CASSETTE --mode
   reverse:UPSTREAM@P --key-file KEY`` (the command users run; mitmproxy's dump UI in
   process). Both write their output to a file. Verbosity variants:

   * *lines*: one line per exchange each - mitmdump's default (``flow_detail=1``: one line
     per flow) against ``tillroll record``'s default dump UI (``flow_detail=0`` and its own
     redacted line per exchange, ``tillroll_console=true``);
   * *quiet*: no line per exchange - ``mitmdump --set flow_detail=0 --set
     termlog_verbosity=warn`` against ``tillroll record -q`` (the same two options, and
     ``tillroll_console=false``).

   Both proxies of a variant run side by side; once listening, every thread of each is
   pinned to SERVER_CPU (``sched_setaffinity``, like ``taskset -a -p``); tillroll's capture
   worker (a spawned process) is left to the scheduler, as in ``bench_proxy.py``, and its
   CPU is counted in tillroll's CPU per request (process tree). A 1-s warm-up each, then
   ``--rounds`` rounds of mitmdump then tillroll. Then ``tillroll record`` gets SIGINT
   (Ctrl-C: it flushes and prints its summary) and its cassette must hold as many rows as
   wrk counted answers through it (warm-up included), give or take the requests in flight
   when each wrk run stopped (at most CONNECTIONS per run, and only extra rows).

Targets (issue 17), reported as PASS/FAIL: replay >= 0.90 x bare per size and request set
(median of round ratios); record >= 0.95 x plain mitmdump (per variant); rows = requests
answered; no miss or socket error. Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pickle
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench_replay import build_cassette, machine, parse_sizes, request_sets
from machine import CLK_TCK, finish, pin_all_threads
from wrk import SERVER_WRITES, WRK, run_wrk, taskset, write_lua

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TILLROLL = BIN / "tillroll"
MITMDUMP = BIN / "mitmdump"
HEALTH = "/__tillroll/health"
TARGET_REPLAY = 0.90
TARGET_RECORD = 0.95
BUSY_OTHERS = 0.10  # cores of other work on the server's core during a run: its figure is not clean
BUSY_OTHERS_LOAD = 0.25  # on wrk's core (the record upstream runs there too: it counts as other work)
HOP_BY_HOP = SERVER_WRITES | {"proxy-connection", "te", "trailer", "upgrade"}


# -- processes --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """utime + stime of *pid* in seconds (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_pids(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def tree_cpu(pid: int) -> float:
    total = 0.0
    for p in tree_pids(pid):
        try:
            total += proc_cpu(p)
        except OSError:
            pass
    return total


class Proc:
    """A server or proxy subprocess, its output in a log file."""

    def __init__(self, name: str, cmd: list[str], log: Path, cpus: list[int] | None = None):
        self.name, self.log = name, log
        with open(log, "wb") as f:
            self.p = subprocess.Popen(taskset(cpus) + cmd, stdout=f, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=log.parent, start_new_session=True)
        self.pid = self.p.pid

    def wait_http(self, port: int, path: str, timeout: float = 120.0) -> float:
        t0 = time.monotonic()
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.p.returncode}): {self.log.read_text()[-2000:]}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                c.request("GET", path)
                c.getresponse().read()
                c.close()
                return time.monotonic() - t0
            except OSError:
                if time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s") from None
                time.sleep(0.02)

    def wait_listening(self, port: int, timeout: float = 60.0) -> None:
        t0 = time.monotonic()
        while True:
            if self.p.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.p.returncode}): {self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"{self.name} did not listen within {timeout:.0f} s") from None
                time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.pid, signal.SIGKILL)
                self.p.wait(10)
        return self.p.returncode


def bare_server(table: dict, work: Path, name: str, cpus: list[int] | None, mode: str = "bare") -> tuple[Proc, int]:
    """*mode* ``bare`` (a web.Response per request) or ``bare-wire`` (the floor: replay/wire.py's bytes)."""
    path = work / f"{name}.pickle"
    path.write_bytes(pickle.dumps(table))
    port = free_port()
    proc = Proc(name, [sys.executable, str(Path(__file__).with_name("wrk.py")), mode, str(path), str(port)],
                work / f"{name}.log", cpus)
    proc.wait_listening(port)
    return proc, port


# -- answers, one by one ------------------------------------------------------------------------------

def fetch_answers(port: int, reqs: list[tuple]) -> tuple[dict, list[dict]]:
    """Send every request once; ``{(method, target, body): (status, reason, headers, body)}``
    and the requests not answered with their recorded status."""
    table, bad = {}, []
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for i, (method, target, body, headers, status) in enumerate(reqs):
            c.request(method, target, body=body, headers=dict(headers))
            r = c.getresponse()
            got = r.read()
            if r.status != status:
                bad.append({"i": i, "status": r.status, "recorded": status, "target": target[:80]})
            hdrs = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP_BY_HOP]
            table[(method, target, body or b"")] = (r.status, r.reason, hdrs, got)
    finally:
        c.close()
    return table, bad


def check_same(port: int, reqs: list[tuple], table: dict) -> int:
    """How many requests the server on *port* answers differently from *table*."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    differ = 0
    try:
        for method, target, body, headers, _ in reqs:
            c.request(method, target, body=body, headers=dict(headers))
            r = c.getresponse()
            got = r.read()
            status, _, _, want = table[(method, target, body or b"")]
            differ += r.status != status or got != want
    finally:
        c.close()
    return differ


# -- one timed wrk run -------------------------------------------------------------------------------

def cpu_busy(cpu: int | None) -> tuple[float, float]:
    """Busy seconds (user + nice + system + irq + softirq) and steal of CPU *cpu* (all CPUs: None)."""
    name = "cpu" if cpu is None else f"cpu{cpu}"
    with open("/proc/stat") as f:
        for line in f:
            if line.split()[0] == name:
                user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
                return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK
    raise KeyError(name)


def timed_run(url: str, script: Path, pid: int, args, seconds: float, tree: bool = False) -> dict:
    """One wrk run, with the server's CPU time around it and what else ran on the server's CPU."""
    cpu = tree_cpu if tree else proc_cpu
    core = args.server_cpus[0] if args.server_cpus else None
    lcore = args.load_cpus[0] if args.load_cpus else None
    mates = getattr(args, "load_core_mates", [])  # our processes pinned beside wrk (the record upstream)
    m0 = sum(proc_cpu(m) for m in mates)
    c0, (b0, s0), (l0, _), t0 = cpu(pid), cpu_busy(core), cpu_busy(lcore), time.monotonic()
    p0 = proc_cpu(pid)
    res = run_wrk(url, script, args.threads, args.connections, seconds, args.load_cpus)
    c1, (b1, s1), (l1, _), t1 = cpu(pid), cpu_busy(core), cpu_busy(lcore), time.monotonic()
    # our own processes that may run beside wrk: the record upstream, and tillroll's capture
    # worker (unpinned: the scheduler puts it on either core; counted here, at most)
    children = (c1 - c0) - (proc_cpu(pid) - p0)
    res["mates_cores"] = (sum(proc_cpu(m) for m in mates) - m0 + children) / (t1 - t0)
    res["load_core_busy"] = (l1 - l0) / (t1 - t0) if lcore is not None else float("nan")
    # other work on wrk's core starves wrk: the server then waits for requests (flatters the slower one)
    res["others_on_load_core"] = max(0.0, res["load_core_busy"] - res["wrk_cores"] - res["mates_cores"])
    res["server_cpu_s"] = c1 - c0
    res["cpu_us_per_req"] = res["server_cpu_s"] * 1e6 / max(1, res["requests"])
    res["server_core_busy"] = (b1 - b0) / (t1 - t0)
    # CPU time on the server's core that was not the server's (the record worker may run on either core)
    res["others_on_core"] = max(0.0, (b1 - b0) - (c1 - c0)) / (t1 - t0) if core is not None else float("nan")
    res["steal"] = (s1 - s0) / (t1 - t0)
    return res


def show(label: str, r: dict) -> str:
    lat = r["lat_us"]
    st = ", ".join(f"{k}: {v:,}" for k, v in sorted(r["statuses"].items()))
    return (f"    {label:<9} {r['rps']:>9,.0f} req/s  p50 {lat['p50'] / 1000:6.2f} ms  p90 {lat['p90'] / 1000:6.2f} ms"
            f"  p99 {lat['p99'] / 1000:6.2f} ms  cpu {r['cpu_us_per_req']:5.0f} µs/req  errors "
            f"{r['errors_total']}  core busy {r['server_core_busy']:.2f}, others {r['others_on_core']:.2f}; wrk {r['wrk_cores']:.2f}, its core busy {r['load_core_busy']:.2f}  [{st}]")


def alternate(name: str, urls: dict, pids: dict, script: Path, args, order: tuple[str, str], tree: bool) -> dict:
    """Warm-up, then rounds of order[0] then order[1]; per kind the runs, and the ratios."""
    base, other = order
    warmups = {kind: run_wrk(urls[kind], script, args.threads, args.connections, args.warmup, args.load_cpus)
               for kind in order}
    runs: dict[str, list] = {base: [], other: []}
    for rnd in range(args.rounds):
        for kind in order:
            time.sleep(args.settle)
            r = timed_run(urls[kind], script, pids[kind], args, args.duration, tree and kind == other)
            runs[kind].append(r)
            print(show(f"{kind} {rnd + 1}", r), flush=True)
    ratios = [b["rps"] / a["rps"] for a, b in zip(runs[base], runs[other])]

    def clean(r: dict) -> bool:
        return not (r["others_on_core"] > BUSY_OTHERS or r["steal"] > BUSY_OTHERS
                    or r["others_on_load_core"] > BUSY_OTHERS_LOAD)

    clean_ratios = [x for x, a, b in zip(ratios, runs[base], runs[other]) if clean(a) and clean(b)]
    busy = [r for k in order for r in runs[k] if r["others_on_core"] > BUSY_OTHERS or r["steal"] > BUSY_OTHERS]
    starved = [r for k in order for r in runs[k] if r["others_on_load_core"] > BUSY_OTHERS_LOAD]
    if busy:
        print(f"    WARNING: in {len(busy)} of {2 * args.rounds} runs other work took more than {BUSY_OTHERS:.2f} of "
              "the server's core (or the hypervisor stole it): those figures are too low", flush=True)
    if starved:
        print(f"    WARNING: in {len(starved)} of {2 * args.rounds} runs other work took more than "
              f"{BUSY_OTHERS_LOAD:.2f} of wrk's core: wrk may not have saturated the server", flush=True)
    pooled = sum(r["requests"] for r in runs[other]) / sum(r["requests"] for r in runs[base])
    capacity = (sum(r["server_cpu_s"] for r in runs[base]) / sum(r["requests"] for r in runs[base])) / \
               (sum(r["server_cpu_s"] for r in runs[other]) / sum(r["requests"] for r in runs[other]))
    out = {"set": name, "busy_runs": len(busy), "starved_runs": len(starved), "clean_ratios": clean_ratios,
           "clean_median_ratio": statistics.median(clean_ratios) if clean_ratios else None, "warmups": warmups, "runs": runs, "ratios": ratios, "median_ratio": statistics.median(ratios),
           "pooled_ratio": pooled, "capacity_ratio": capacity}
    print(f"    {other}/{base}: rounds " + " / ".join(f"{x:.3f}" for x in ratios) +
          f"; median {out['median_ratio']:.3f}; pooled {pooled:.3f}; capacity (CPU per request) {capacity:.3f}; "
          f"rounds with no other work on either core: "
          + (" / ".join(f"{x:.3f}" for x in clean_ratios) or "none"),
          flush=True)
    return out


def statuses_agree(runs: dict, a: str, b: str, connections: int) -> bool:
    """Same status mix for both kinds, scaled to the same number of requests (within the
    requests in flight and rounding: 1 % of each status or CONNECTIONS)."""
    ta = {}
    tb = {}
    for kind, t in ((a, ta), (b, tb)):
        for r in runs[kind]:
            for s, n in r["statuses"].items():
                t[s] = t.get(s, 0) + n
    na, nb = sum(ta.values()), sum(tb.values())
    for s in set(ta) | set(tb):
        fa, fb = ta.get(s, 0) / na, tb.get(s, 0) / nb
        if abs(fa - fb) > 0.01 + connections / min(na, nb):
            return False
    return True


# -- replay ---------------------------------------------------------------------------------------------

def replay_size(n: int, work: Path, key_file: Path, args, report: dict) -> dict:
    from tillroll.replay.replayer import _CACHE_SIZE

    cassette = work / f"cassette-{n}"
    t0 = time.monotonic()
    built = build_cassette(cassette, n, args.seed, key_file)
    print(f"\n== {n:,} exchanges: cassette {'reused' if built['cached'] else 'built'} "
          f"({time.monotonic() - t0:.1f} s, {built['bytes'] / 1e6:.1f} MB)", flush=True)
    sets = request_sets(cassette, n, args.repeated, args.first_seen, 1)
    info = sets.pop("_info")
    chosen = {"repeated": sets["repeated"]["reqs"], "spread": sets["spread"]["reqs"]}
    if len(sets["distinct"]["reqs"]) > 1.25 * _CACHE_SIZE:
        chosen["first-seen"] = sets["distinct"]["reqs"]
    print(f"   {info['distinct_keys']:,} distinct keys ({info['shared_keys']:,} recorded more than once); sets: " +
          ", ".join(f"{k} {len(v):,}" for k, v in chosen.items()) +
          ("" if "first-seen" in chosen else f"; no first-seen set (needs more than {1.25 * _CACHE_SIZE:,.0f} "
                                             "once-recorded keys)"), flush=True)

    port = free_port()
    replay = Proc("tillroll replay", [str(TILLROLL), "replay", str(cassette), "--key-file", str(key_file),
                                      "--host", "127.0.0.1", "--port", str(port),
                                      *(["--memory", args.replay_memory] if args.replay_memory else [])],
                  work / f"replay-{n}.log", args.server_cpus)
    out: dict = {"size": n, "build": built, "info": info, "sets": {}}
    bare = floor = None
    try:
        out["ready_s"] = replay.wait_http(port, HEALTH, timeout=600)
        print(f"   tillroll replay ready {out['ready_s']:.2f} s after its start (imports included)", flush=True)
        table: dict = {}
        for name, reqs in chosen.items():
            t0 = time.monotonic()
            got, bad = fetch_answers(port, reqs)
            table.update(got)
            out["sets"][name] = {"requests": len(reqs), "verify_bad": len(bad), "verify_examples": bad[:3],
                                 "first_pass_s": time.monotonic() - t0}
            print(f"   {name}: every request sent once to tillroll replay ({time.monotonic() - t0:.1f} s): "
                  f"{len(reqs) - len(bad):,} of {len(reqs):,} answered with the recorded status"
                  + (f"; NOT: {bad[:3]}" if bad else ""), flush=True)
        bare, bare_port = bare_server(table, work, f"bare-{n}", args.server_cpus)
        for name, reqs in chosen.items():
            differ = check_same(bare_port, reqs, table)
            out["sets"][name]["bare_differs"] = differ
            if differ:
                print(f"   {name}: the bare server answers {differ} requests differently from the table", flush=True)
        urls = {"bare": f"http://127.0.0.1:{bare_port}", "tillroll": f"http://127.0.0.1:{port}"}
        pids = {"bare": bare.pid, "tillroll": replay.pid}
        if args.floor:
            floor, floor_port = bare_server(table, work, f"floor-{n}", args.server_cpus, "bare-wire")
            urls["floor"], pids["floor"] = f"http://127.0.0.1:{floor_port}", floor.pid
            for name, reqs in chosen.items():
                out["sets"][name]["floor_differs"] = check_same(floor_port, reqs, table)
        for name, reqs in chosen.items():
            script = write_lua(work / f"{name}-{n}.lua", reqs)
            print(f"  {name} ({len(reqs):,} requests, cycled):", flush=True)
            res = alternate(name, urls, pids, script, args, ("bare", "tillroll"), tree=False)
            res["statuses_agree"] = statuses_agree(res["runs"], "bare", "tillroll", args.connections)
            res["misses"] = sum(r["misses"] for k in res["runs"] for r in res["runs"][k])
            res["socket_errors"] = sum(r["errors_total"] for k in res["runs"] for r in res["runs"][k])
            if not res["statuses_agree"]:
                print("    WARNING: the status mix differs between bare and tillroll", flush=True)
            out["sets"][name].update(res)
            if floor:  # the same set against the floor: what tillroll's own work costs
                out["sets"][name]["floor"] = alternate(name, urls, pids, script, args, ("floor", "tillroll"), tree=False)
        out["rss_mib"], out["peak_rss_mib"] = rss_mib(replay.pid), rss_mib(replay.pid, "VmHWM:")
        print(f"   tillroll replay resident: {out['rss_mib']:,.0f} MiB at the end, {out['peak_rss_mib']:,.0f} MiB "
              "at most", flush=True)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=10) as health:
                out["memory"] = json.load(health).get("memory")
            print(f"   its memory: {out['memory']}", flush=True)
        except (OSError, ValueError):
            pass
    finally:
        replay.stop()
        if bare:
            bare.stop()
        if floor:
            floor.stop()
    return out


def rss_mib(pid: int, field: str = "VmRSS:") -> float:
    """The resident memory of *pid* in MiB (``VmHWM:``: the most it ever had)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024
    except (OSError, StopIteration):
        return float("nan")


# -- record -----------------------------------------------------------------------------------------------

def record_variant(variant: str, reqs: list[tuple], upstream: str, work: Path, key_file: Path, args) -> dict:
    from tillroll.store import open_cassette

    run = work / f"record-{variant}"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    cassette = run / "cassette"
    ports = {"mitmdump": free_port(), "tillroll": free_port()}
    mitm = [str(MITMDUMP), "--mode", f"reverse:{upstream}@{ports['mitmdump']}", "--listen-host", "127.0.0.1",
            "--set", f"confdir={run / 'mitm-conf'}"]
    rec = [str(TILLROLL), "record", str(cassette), "--mode", f"reverse:{upstream}@{ports['tillroll']}",
           "--listen-host", "127.0.0.1", "--key-file", str(key_file), "--confdir", str(run / "rec-conf")]
    if variant == "quiet":
        mitm += ["--set", "flow_detail=0", "--set", "termlog_verbosity=warn"]
        rec += ["-q"]
    procs = {"mitmdump": Proc("mitmdump", mitm, run / "mitmdump.log"),
             "tillroll": Proc("tillroll record", rec, run / "tillroll-record.log")}
    out: dict = {"variant": variant, "commands": {"mitmdump": " ".join(mitm[0:1]).replace(str(BIN) + "/", "") + " "
                                                  + " ".join(mitm[1:]), "tillroll": " ".join(rec)}}
    try:
        for kind, p in procs.items():
            p.wait_listening(ports[kind])
            if args.server_cpus:
                pin_all_threads(p.pid, set(args.server_cpus))
        script = write_lua(work / f"record-{variant}.lua", reqs)
        urls = {k: f"http://127.0.0.1:{port}" for k, port in ports.items()}
        pids = {k: p.pid for k, p in procs.items()}
        print(f"  record, {variant}:", flush=True)
        res = alternate(f"record-{variant}", urls, pids, script, args, ("mitmdump", "tillroll"), tree=True)
        mine = [res["warmups"]["tillroll"], *res["runs"]["tillroll"]]
        answered = {"tillroll": sum(r["requests"] for r in mine), "runs": len(mine)}
        time.sleep(1.0)  # the writer flushes every 0.2 s
        rc = procs["tillroll"].stop(signal.SIGINT)
        procs["mitmdump"].stop(signal.SIGINT)
        rows = open_cassette(cassette).read_table(["exchange_id"]).num_rows
        extra = rows - answered["tillroll"]
        res.update(answered=answered["tillroll"], wrk_runs=answered["runs"], cassette_rows=rows, exit_status=rc,
                   rows_ok=0 <= extra <= args.connections * answered["runs"],
                   misses=sum(r["misses"] for k in res["runs"] for r in res["runs"][k]),
                   socket_errors=sum(r["errors_total"] for k in res["runs"] for r in res["runs"][k]),
                   statuses_agree=statuses_agree(res["runs"], "mitmdump", "tillroll", args.connections))
        tail = [line for line in (run / "tillroll-record.log").read_text(errors="replace").splitlines()
                if line.startswith("tillroll:")][-3:]
        res["summary"] = tail
        print(f"    cassette rows {rows:,}; wrk answered {answered['tillroll']:,} through tillroll record "
              f"({answered['runs']} runs, warm-up included): {extra:+,} (in flight at a wrk stop: at most "
              f"{args.connections} per run); tillroll record exit status {rc}", flush=True)
        out.update(res)
    finally:
        for p in procs.values():
            p.stop(signal.SIGKILL if p.p.poll() is None else signal.SIGTERM, 10)
        if not args.keep:
            shutil.rmtree(run, ignore_errors=True)
    return out


# -- main -------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=parse_sizes, default=[2_000], help="cassette sizes (2000); e.g. 2000,100000")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per set: bare then tillroll (3)")
    ap.add_argument("--duration", type=float, default=None, help="seconds per wrk run (5; --quick 3)")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of the untimed wrk run per server (1)")
    ap.add_argument("--settle", type=float, default=0.3, help="pause before each run, seconds (0.3)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    ap.add_argument("--repeated", type=int, default=1_000, help="requests of the repeated and spread sets (1,000)")
    ap.add_argument("--first-seen", type=int, default=10_000, help="requests of the first-seen set (10,000)")
    ap.add_argument("--record-variants", default="lines,quiet", help="lines,quiet; empty: no record part")
    ap.add_argument("--no-replay", action="store_true", help="the record part only")
    ap.add_argument("--floor", action="store_true",
                    help="also alternate tillroll with the floor (wrk.py bare-wire: prebuilt bytes, a dict lookup)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--server-cpu", type=int, default=0, help="CPU of the servers and proxies (0)")
    ap.add_argument("--load-cpu", type=int, default=1, help="CPU of wrk (and the record upstream) (1)")
    ap.add_argument("--no-pin", action="store_true")
    ap.add_argument("--replay-memory", metavar="SIZE", help="tillroll replay --memory SIZE (its default if not given)")
    ap.add_argument("--work", type=Path, help="keep the cassettes here and reuse them")
    ap.add_argument("--keep", action="store_true", help="keep the record cassettes and logs")
    ap.add_argument("--quick", action="store_true", help="3-s runs: about 2 minutes")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.duration is None:
        args.duration = 3.0 if args.quick else 5.0
    pin = not args.no_pin and shutil.which("taskset") and (os.cpu_count() or 1) > 1
    args.server_cpus = [args.server_cpu] if pin else None
    args.load_cpus = [args.load_cpu] if pin else None

    info = machine()
    info["wrk"] = subprocess.run([WRK, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"machine: {info}", flush=True)
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s; {args.rounds} rounds per set; "
          + (f"servers/proxies on CPU {args.server_cpu}, wrk on CPU {args.load_cpu}" if pin else "no pinning"),
          flush=True)
    report: dict = {"machine": info, "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    keep = args.work is not None
    work = args.work if keep else Path(tempfile.mkdtemp(prefix="tillroll-bench-wrk-"))
    work.mkdir(parents=True, exist_ok=True)
    key_file = work / "key"
    if not key_file.exists():
        key_file.write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
    t_all = time.monotonic()
    verdicts = []
    try:
        report["replay"] = []
        if not args.no_replay:
            for n in args.sizes:
                res = replay_size(n, work, key_file, args, report)
                report["replay"].append(res)
                for name, s in res["sets"].items():
                    valid = (not s["verify_bad"] and not s["misses"] and not s["socket_errors"]
                             and not s["bare_differs"] and s["statuses_agree"])
                    verdicts.append((f"replay {n:,} {name} >= {TARGET_REPLAY} x bare (median of rounds)",
                                     f"{s['median_ratio']:.3f} (pooled {s['pooled_ratio']:.3f}, capacity "
                                     f"{s['capacity_ratio']:.3f})", s["median_ratio"] >= TARGET_REPLAY))
                    verdicts.append((f"replay {n:,} {name} valid (no 599, no socket error, same statuses)",
                                     f"misses {s['misses']}, errors {s['socket_errors']}, verify bad "
                                     f"{s['verify_bad']}, bare differs {s['bare_differs']}", valid))
        variants = [v for v in args.record_variants.split(",") if v]
        report["record"] = []
        if variants:
            from tillroll.replay.replayer import _CACHE_SIZE  # noqa: F401  (the replay package is installed)

            n = min(args.sizes)
            cassette = work / f"cassette-{n}"
            build_cassette(cassette, n, args.seed, key_file)
            sets = request_sets(cassette, n, args.repeated, args.repeated, 1)
            reqs = sets["spread"]["reqs"]
            # the upstream: recorded answers, from the cassette through a replay server once
            port = free_port()
            replay = Proc("tillroll replay", [str(TILLROLL), "replay", str(cassette), "--key-file", str(key_file),
                                              "--host", "127.0.0.1", "--port", str(port)],
                          work / "replay-upstream.log", args.load_cpus)
            try:
                replay.wait_http(port, HEALTH, timeout=600)
                table, bad = fetch_answers(port, reqs)
            finally:
                replay.stop()
            up, up_port = bare_server(table, work, "upstream", args.load_cpus)
            args.load_core_mates = [up.pid]
            print(f"\n== record: {len(reqs):,} requests (the {n:,} cassette's spread set) through a reverse proxy "
                  f"to a bare aiohttp upstream on CPU {args.load_cpu}", flush=True)
            try:
                for v in variants:
                    res = record_variant(v, reqs, f"http://127.0.0.1:{up_port}", work, key_file, args)
                    report["record"].append(res)
                    verdicts.append((f"record ({v}) >= {TARGET_RECORD} x plain mitmdump (median of rounds)",
                                     f"{res['median_ratio']:.3f} (pooled {res['pooled_ratio']:.3f}, capacity "
                                     f"{res['capacity_ratio']:.3f})", res["median_ratio"] >= TARGET_RECORD))
                    verdicts.append((f"record ({v}) rows = requests answered",
                                     f"{res['cassette_rows']:,} rows, {res['answered']:,} answered",
                                     res["rows_ok"] and not res["socket_errors"] and not res["misses"]))
            finally:
                up.stop()
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    report["total_s"] = time.monotonic() - t_all
    _summary(report)
    return finish(report, verdicts, args.json)


def _summary(report: dict) -> None:
    print("\n| what | set | bare/plain req/s (rounds) | tillroll req/s (rounds) | median ratio | pooled | capacity "
          "| clean rounds | p50 / p99 ms bare | p50 / p99 ms tillroll |\n|---|---|---|---|---|---|---|---|---|---|")
    for size in report.get("replay", []):
        for name, s in size["sets"].items():
            _row(f"replay {size['size']:,}", name, s["runs"]["bare"], s["runs"]["tillroll"], s)
    for r in report.get("record", []):
        _row("record", r["variant"], r["runs"]["mitmdump"], r["runs"]["tillroll"], r)


def _row(what: str, name: str, a: list, b: list, s: dict) -> None:
    def rates(runs):
        return " / ".join(f"{r['rps']:,.0f}" for r in runs)

    def lat(runs):
        return (f"{statistics.median(r['lat_us']['p50'] for r in runs) / 1000:.2f} / "
                f"{statistics.median(r['lat_us']['p99'] for r in runs) / 1000:.2f}")

    print(f"| {what} | {name} | {rates(a)} | {rates(b)} | {s['median_ratio']:.3f} | {s['pooled_ratio']:.3f} | "
          f"{s['capacity_ratio']:.3f} | {' / '.join(f'{x:.3f}' for x in s['clean_ratios']) or 'none'} | "
          f"{lat(a)} | {lat(b)} |")


if __name__ == "__main__":
    sys.exit(main())

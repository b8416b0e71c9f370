"""Benchmark: ``tillroll replay`` side by side with the tools a user would pick instead, under wrk.

Run::

    .venv/bin/python benchmarks/bench_peers.py [--only wiremock,mountebank,mitmdump,mockoon] [--rounds 3]
                                               [--duration 5] [--warmup 3] [--requests all|get]
                                               [--work DIR] [--quick] [--json out.json]

About 3 minutes on 2 cores once the npm packages are installed (``--work DIR`` keeps them,
the cassette and the flow file, and reuses them); ``--quick`` (2-s runs) about 2.

What is measured (``bench_wrk.py``'s method, with its pieces: ``Proc``, ``bare_server``,
``fetch_answers``, ``timed_run``, ``statuses_agree``; ``wrk.py``'s Lua script and wrk run):

1. **Recordings.** One cassette of 2,000 synthetic exchanges, built as ``bench_wrk.py``
   builds it (``bench_replay.build_cassette``: ``tillroll.demo.synthetic.generate(2000,
   seed=7)`` with the recorder's match keys). Every peer gets the same 2,000 exchanges, in
   recorded order, as its own kind of stubs: response = recorded status, headers (without
   Content-Length and hop-by-hop ones, as the replay server serves them) and body bytes.
2. **Requests.** The *repeated* set of ``bench_replay.request_sets``: the first 1,000
   recorded requests (method, target, request headers, body as recorded), cycled by wrk.
   By default the whole set (POST, GET, DELETE): every peer matches on the body too.
   ``--requests get`` keeps the GETs only (method + URL matching alone).
3. **Servers**, each started the way its users start it, under ``taskset -c 0``:

   * *tillroll*: ``tillroll replay CASSETTE --key-file KEY --host 127.0.0.1 --port P``
     (defaults: 599 on a miss, sequence repeat);
   * *bare*: ``benchmarks/wrk.py bare`` (the reference), answering from a dict of what
     tillroll answered in the validity pass (as in ``bench_wrk.py``);
   * *wiremock* (npm ``wiremock``, which bundles the standalone jar; run with ``java -jar``,
     JVM defaults): one stub mapping per exchange, ``method`` + ``url`` equality, plus
     ``bodyPatterns: [{equalTo: body}]`` where the request has a body; options
     ``--no-request-journal --disable-request-logging --disable-banner``, container threads
     and async responses left at their defaults;
   * *mountebank* (npm ``@mbtest/mountebank``, else ``mountebank``): one imposter
     (``recordRequests: false``) whose stubs are one per exchange, a ``deepEquals``
     predicate on method, path, query (parsed) and body, ``caseSensitive: true``, and an
     ``is`` response that also carries ``Connection: keep-alive`` (mountebank otherwise
     closes every connection; its docs say to set it for speed); a 404 default response;
     ``mb start --configfile F --noParse --nologfile --loglevel warn --localOnly``;
   * *mitmdump*: the flow file of ``bench_replay.write_flows``, served by ``mitmdump --mode
     reverse:http://127.0.0.1:1 --server-replay FLOWS --server-replay-reuse
     --server-replay-extra 404`` with ``server_replay_ignore_host/port`` and
     ``connection_strategy=lazy``, ``--flow-detail 0`` (its matching: method, path, query,
     body; reuse = the old nopop: a flow answers any number of times);
   * *mockoon* (npm ``@mockoon/cli``, optional): one route per method + path, one response
     per exchange with rules (AND) query parameter ``equals`` for each parameter and body
     ``equals`` for a body, templating off, a 404 default response; ``mockoon-cli start
     --data F --repair --disable-log-to-file --disable-admin-api`` (it still writes a log
     line per request to stdout, redirected to a file).

4. **Validity** (before the load): every request of the set is sent once, one by one; a
   server is *valid* when each answer has the recorded status and the recorded body byte
   for byte (for the requests tillroll's match key groups with other recordings, the body
   of one of them). Under load a server is also invalid with socket errors, with statuses
   that are not recorded ones, or a status mix unlike tillroll's. Invalid servers are
   measured and reported, but get no ratio. A server that cannot be installed or started
   is reported as "not run" with the reason.
5. **Load.** ``wrk -t1 -c16 --latency -s SET.lua`` under ``taskset -c 1``. An untimed
   ``--warmup`` run per server (3 s: JIT and caches; the validity pass came before), then
   ``--rounds`` rounds, each one run of every server in turn, only one loaded at a time.
   Per run: req/s, wrk's p50/p99, the server's CPU per request (its process tree, /proc)
   and whether other work used either core (``bench_wrk.timed_run``). Per server: req/s
   per round, the median, the median of the per-round ratios to tillroll, CPU µs per
   request (pooled), p50/p99 (medians over the rounds).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs

from bench_replay import SAMPLE_COLUMNS, build_cassette, machine, request_sets, write_flows
from bench_wrk import (BUSY_OTHERS, BUSY_OTHERS_LOAD, HEALTH, MITMDUMP, TILLROLL, Proc, bare_server,
                       fetch_answers, free_port, rss_mib, show, statuses_agree, timed_run, tree_pids)
from wrk import WRK, run_wrk, write_lua

ROOT = Path(__file__).resolve().parents[1]
SIZE, SEED = 2_000, 7
PEERS = ("wiremock", "mountebank", "mitmdump", "mockoon")
NPM = {"wiremock": ["wiremock"], "mountebank": ["@mbtest/mountebank", "mountebank"], "mockoon": ["@mockoon/cli"]}
START_TIMEOUT = 180.0


# -- the recordings, as stubs ----------------------------------------------------------------------

def recordings(cassette: Path) -> list[dict]:
    """Every stored exchange in recorded order: request and what the replay server serves."""
    import tillroll.store.parquet_files as pqf
    from tillroll.replay.responses import HOP_BY_HOP
    from tillroll.store import open_cassette
    from tillroll.store.exchange import join_body

    rows = []
    for f in open_cassette(cassette).parquet_files():
        rows += pqf.read_file(f, SAMPLE_COLUMNS + ["started_at", "seq"]).to_pylist()
    rows.sort(key=lambda r: (r["started_at"], r["seq"]))
    return [{"method": r["method"], "path": r["path"], "query": r["query"] or "",
             "target": r["path"] + (f"?{r['query']}" if r["query"] else ""),
             "body": (r["request_body_text"].encode() if r["request_body_text"] is not None
                      else r["request_body_bytes"]) or b"",
             "status": r["status"], "key": r["match_key"],
             "headers": [(h["name"], h["value"]) for h in r["response_headers"] or ()
                         if h["name"].lower() not in HOP_BY_HOP and not h["name"].startswith(":")],
             "response": join_body(r["response_body_text"], r["response_body_bytes"]) or b""} for r in rows]


def unique(recs: list[dict], reverse: bool = False) -> list[dict]:
    """One recording per exact request (method, target, body): the first recorded; in
    recorded order, or the reverse (``--reverse-stubs``)."""
    seen: set = set()
    out = [r for r in recs if not ((k := (r["method"], r["target"], r["body"])) in seen or seen.add(k))]
    return out[::-1] if reverse else out


def header_map(headers: list[tuple[str, str]]) -> dict:
    """Headers as a JSON object; a repeated header's values as a list."""
    out: dict = {}
    for k, v in headers:
        if k not in out:
            out[k] = v
        elif isinstance(out[k], list):
            out[k].append(v)
        else:
            out[k] = [out[k], v]
    return out


def text_or_b64(b: bytes) -> tuple[str, str | None]:
    try:
        return "text", b.decode()
    except UnicodeDecodeError:
        return "base64", base64.b64encode(b).decode()


def wiremock_mappings(recs: list[dict], reverse: bool) -> dict:
    mappings = []
    for r in unique(recs, reverse):
        req = {"method": r["method"], "url": r["target"]}
        if r["body"]:
            req["bodyPatterns"] = [{"equalTo": r["body"].decode("utf-8", "surrogateescape")}]
        kind, body = text_or_b64(r["response"])
        resp = {"status": r["status"], "headers": header_map(r["headers"]),
                ("body" if kind == "text" else "base64Body"): body}
        mappings.append({"request": req, "response": resp})
    return {"mappings": mappings}


def mountebank_imposter(recs: list[dict], port: int, reverse: bool) -> dict:
    stubs = []
    for r in unique(recs, reverse):
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(r["query"], keep_blank_values=True).items()}
        pred = {"method": r["method"], "path": r["path"], "query": query,
                "body": r["body"].decode("utf-8", "surrogateescape")}
        kind, body = text_or_b64(r["response"])
        resp = {"statusCode": r["status"], "headers": {**header_map(r["headers"]), "Connection": "keep-alive"},
                "body": body, **({"_mode": "binary"} if kind == "base64" else {})}
        stubs.append({"predicates": [{"deepEquals": pred, "caseSensitive": True}], "responses": [{"is": resp}]})
    return {"imposters": [{"protocol": "http", "port": port, "host": "127.0.0.1", "recordRequests": False,
                           "defaultResponse": {"statusCode": 404, "headers": {"Connection": "keep-alive"}},
                           "stubs": stubs}]}


def mockoon_environment(recs: list[dict], port: int, reverse: bool) -> dict:
    def uid() -> str:
        return str(uuid.uuid4())

    routes: dict[tuple[str, str], dict] = {}
    for r in unique(recs, reverse):
        route = routes.setdefault((r["method"], r["path"]), {
            "uuid": uid(), "type": "http", "method": r["method"].lower(), "endpoint": r["path"].lstrip("/"),
            "responses": []})
        rules = [{"target": "query", "modifier": k, "value": v[0], "invert": False, "operator": "equals"}
                 for k, v in parse_qs(r["query"], keep_blank_values=True).items()]
        if r["body"]:
            rules.append({"target": "body", "modifier": "", "value": r["body"].decode("utf-8", "surrogateescape"),
                          "invert": False, "operator": "equals"})
        route["responses"].append({"uuid": uid(), "statusCode": r["status"], "body": r["response"].decode(
            "utf-8", "replace"), "headers": [{"key": k, "value": v} for k, v in r["headers"]], "rules": rules,
            "rulesOperator": "AND", "disableTemplating": True, "default": False})
    for route in routes.values():
        route["responses"].append({"uuid": uid(), "statusCode": 404, "body": "", "default": True})
    return {"uuid": uid(), "lastMigration": 33, "name": "tillroll-peers", "port": port, "hostname": "127.0.0.1",
            "routes": list(routes.values()),
            "rootChildren": [{"type": "route", "uuid": r["uuid"]} for r in routes.values()]}


# -- installs and servers -----------------------------------------------------------------------------

def npm_install(work: Path, names: list[str]) -> tuple[Path, str]:
    """The first of *names* that is (or gets) installed under WORK/npm: its directory and version."""
    root, why = work / "npm", []
    for name in names:
        pkg = root / "node_modules" / name / "package.json"
        if not pkg.exists():
            if not shutil.which("npm"):
                raise RuntimeError("npm not found")
            print(f"  npm install --prefix {root} {name} ...", flush=True)
            p = subprocess.run(["npm", "install", "--prefix", str(root), "--no-audit", "--no-fund", "--loglevel",
                                "error", name], capture_output=True, text=True, timeout=900)
            if p.returncode or not pkg.exists():
                why.append(f"npm install {name}: exit {p.returncode}: {(p.stderr or p.stdout)[-300:].strip()}")
                continue
        return pkg.parent, json.loads(pkg.read_text())["version"]
    raise RuntimeError("; ".join(why))


def start(name: str, ctx: dict, args) -> tuple[Proc, int, dict]:
    """Start server *name* pinned to the server CPU; its process, port and what to report."""
    work, recs, cpus = ctx["work"], ctx["recs"], args.server_cpus
    d = work / name
    d.mkdir(exist_ok=True)
    port = free_port()
    if name == "tillroll":
        cmd = [str(TILLROLL), "replay", str(ctx["cassette"]), "--key-file", str(ctx["key_file"]),
               "--host", "127.0.0.1", "--port", str(port)]
        proc = Proc(name, cmd, d / "server.log", cpus)
        proc.wait_http(port, HEALTH, START_TIMEOUT)
        return proc, port, {"command": cmd, "version": ctx["tillroll_version"]}
    if name == "bare":
        proc, port = bare_server(ctx["table"], d, "bare", cpus)
        return proc, port, {"command": ["python", "benchmarks/wrk.py", "bare", "TABLE", "PORT"],
                            "version": f"aiohttp {ctx['aiohttp']}"}
    if name == "wiremock":
        pkg, version = npm_install(work, NPM[name])
        jars = sorted((pkg / "build").glob("wiremock-standalone-*.jar"))
        if not jars or not shutil.which("java"):
            raise RuntimeError(f"no standalone jar under {pkg}/build or no java")
        (d / "mappings").mkdir(exist_ok=True)
        (d / "mappings" / "stubs.json").write_text(json.dumps(wiremock_mappings(recs, args.reverse_stubs)))
        cmd = ["java", "-jar", str(jars[-1]), "--port", str(port), "--bind-address", "127.0.0.1", "--root-dir",
               str(d), "--no-request-journal", "--disable-request-logging", "--disable-banner"]
        proc = Proc(name, cmd, d / "server.log", cpus)
        proc.wait_http(port, "/__admin/health", START_TIMEOUT)
        return proc, port, {"command": cmd, "version": f"{version} ({ctx['java']})"}
    if name == "mountebank":
        pkg, version = npm_install(work, NPM[name])
        config = d / "imposters.json"
        config.write_text(json.dumps(mountebank_imposter(recs, port, args.reverse_stubs)))
        cmd = ["node", str(pkg / "bin" / "mb"), "start", "--configfile", str(config), "--noParse", "--port",
               str(free_port()), "--host", "127.0.0.1", "--nologfile", "--loglevel", "warn", "--localOnly",
               "--pidfile", str(d / "mb.pid")]
        proc = Proc(name, cmd, d / "server.log", cpus)
        proc.wait_listening(port, START_TIMEOUT)
        return proc, port, {"command": cmd, "version": f"{version} (node {ctx['node']})"}
    if name == "mitmdump":
        flows = work / f"flows-{SIZE}-seed{SEED}.mitm"
        f = write_flows(ctx["cassette"], flows)
        cmd = [str(MITMDUMP), "--mode", "reverse:http://127.0.0.1:1", "--listen-host", "127.0.0.1",
               "--listen-port", str(port), "--server-replay", str(flows), "--server-replay-reuse",
               "--server-replay-extra", "404", "--set", "server_replay_ignore_host=true",
               "--set", "server_replay_ignore_port=true", "--set", "connection_strategy=lazy",
               "--flow-detail", "0", "--set", f"confdir={d / 'conf'}"]
        proc = Proc(name, cmd, d / "server.log", cpus)
        proc.wait_listening(port, START_TIMEOUT)
        return proc, port, {"command": cmd, "version": ctx["mitmproxy"], "flows": f["flows"]}
    if name == "mockoon":
        pkg, version = npm_install(work, NPM[name])
        env = d / "environment.json"
        env.write_text(json.dumps(mockoon_environment(recs, port, args.reverse_stubs)))
        cmd = ["node", str(pkg / "bin" / "run"), "start", "--data", str(env), "--repair", "--disable-log-to-file",
               "--disable-admin-api"]
        proc = Proc(name, cmd, d / "server.log", cpus)
        proc.wait_listening(port, START_TIMEOUT)
        return proc, port, {"command": cmd, "version": f"{version} (node {ctx['node']})"}
    raise ValueError(name)


def stop(proc: Proc) -> None:
    """SIGTERM, then SIGKILL to its whole process group (it was started in a session of its own)."""
    with contextlib.suppress(Exception):
        proc.stop(signal.SIGTERM, 15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def validity(port: int, reqs: list[tuple], allowed: list[set]) -> tuple[dict, dict]:
    """Every request once, one by one: the recorded status and a recorded body?"""
    try:
        table, bad = fetch_answers(port, reqs)
    except Exception as e:  # noqa: BLE001 - a server that drops the connection is invalid
        return {}, {"checked": len(reqs), "bad": len(reqs), "error": f"{type(e).__name__}: {e}"}
    wrong = []
    for i, ((method, target, body, _, status), ok) in enumerate(zip(reqs, allowed)):
        got = table[(method, target, body or b"")]
        if got[0] != status or got[3] not in ok:
            wrong.append({"i": i, "method": method, "target": target[:70], "status": got[0], "recorded": status,
                          "body_ok": got[3] in ok, "got": got[3][:60].decode("utf-8", "replace")})
    return table, {"checked": len(reqs), "bad": len(wrong), "status_bad": len(bad), "examples": wrong[:3]}


# -- main -------------------------------------------------------------------------------------------

def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def version_of(cmd: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    return "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(PEERS), help=f"peers to run besides tillroll and bare ({','.join(PEERS)})")
    ap.add_argument("--no-bare", action="store_true", help="leave the bare aiohttp reference out")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=None, help="seconds per wrk run (5; --quick 2)")
    ap.add_argument("--warmup", type=float, default=None, help="seconds of the untimed run per server (3; --quick 1)")
    ap.add_argument("--settle", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--requests", choices=("all", "get"), default="all", help="the repeated set, or its GETs")
    ap.add_argument("--reverse-stubs", action="store_true",
                    help="stubs in reverse recorded order (WireMock tries the newest stub first, the others the first)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    ap.add_argument("--work", type=Path, help="keep npm installs, cassette and flow file here and reuse them")
    ap.add_argument("--quick", action="store_true", help="2-s runs, 1-s warm-up")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    args.duration = args.duration or (2.0 if args.quick else 5.0)
    args.warmup = args.warmup or (1.0 if args.quick else 3.0)
    peers = [p for p in args.only.split(",") if p]
    if unknown := set(peers) - set(PEERS):
        ap.error(f"unknown peers {sorted(unknown)}: choose among {','.join(PEERS)}")
    pin = shutil.which("taskset") and (os.cpu_count() or 1) > 1
    args.server_cpus, args.load_cpus = ([args.server_cpu], [args.load_cpu]) if pin else (None, None)

    import tillroll
    from importlib.metadata import version

    info = machine()
    info.update(wrk=version_of([WRK, "--version"]), java=version_of(["java", "-version"]),
                node=version_of(["node", "--version"]), tillroll=version("tillroll"),
                tillroll_from=str(Path(tillroll.__file__).parent.parent),
                commit=version_of(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]), loadavg_before=loadavg())
    print(f"machine: {info}", flush=True)
    report: dict = {"machine": info, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}}
    keep = args.work is not None
    work = (args.work if keep else Path(tempfile.mkdtemp(prefix="tillroll-bench-peers-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    key_file = work / "key"
    if not key_file.exists():
        key_file.write_text(uuid.uuid4().hex + uuid.uuid4().hex + "\n")
    t_all = time.monotonic()
    procs: dict[str, tuple[Proc, int]] = {}
    servers: dict[str, dict] = {}
    try:
        cassette = work / f"cassette-{SIZE}"
        built = build_cassette(cassette, SIZE, SEED, key_file)
        sets = request_sets(cassette, SIZE, 1_000, 1_000, 1)
        reqs, keys = sets["repeated"]["reqs"], sets["repeated"]["keys"]
        if args.requests == "get":
            keys = [k for r, k in zip(reqs, keys) if r[0] == "GET"]
            reqs = [r for r in reqs if r[0] == "GET"]
        recs = recordings(cassette)
        by_key: dict[str, set] = {}
        for r in recs:
            by_key.setdefault(r["key"], set()).add(r["response"])
        allowed = [by_key[k] for k in keys]
        methods = {m: sum(r[0] == m for r in reqs) for m in sorted({r[0] for r in reqs})}
        report["set"] = {"requests": len(reqs), "methods": methods, "recordings": len(recs),
                         "stubs": len(unique(recs)), "cassette_cached": built["cached"]}
        print(f"cassette of {SIZE:,} exchanges ({'reused' if built['cached'] else 'built'}); {len(unique(recs)):,} "
              f"distinct requests -> stubs; request set: the repeated set, {args.requests}: {len(reqs):,} {methods}",
              flush=True)
        script = write_lua(work / f"repeated-{args.requests}.lua", reqs)
        ctx = {"work": work, "recs": recs, "cassette": cassette, "key_file": key_file, "java": info["java"],
               "node": info["node"], "mitmproxy": info["mitmproxy"], "aiohttp": info["aiohttp"], "tillroll_version": info["tillroll"]}
        order = ["tillroll"] + ([] if args.no_bare else ["bare"]) + peers
        for name in order:
            t0 = time.monotonic()
            try:
                proc, port, meta = start(name, ctx, args)
            except Exception as e:  # noqa: BLE001 - reported, the others still run
                servers[name] = {"run": False, "why": f"{type(e).__name__}: {str(e)[-600:]}"}
                print(f"{name}: not run: {servers[name]['why']}", flush=True)
                if name == "tillroll":
                    raise
                continue
            procs[name] = (proc, port)
            table, check = validity(port, reqs, allowed)
            if name == "tillroll":
                ctx["table"] = table
            servers[name] = {"run": True, "ready_s": time.monotonic() - t0, **meta, "verify": check,
                             "valid": check["bad"] == 0}
            print(f"{name} {meta.get('version', '')}: ready in {time.monotonic() - t0:.1f} s; validity: "
                  f"{len(reqs) - check['bad']:,} of {len(reqs):,} answered with the recorded status and body"
                  + (f"; NOT: {check.get('error') or check['examples']}" if check["bad"] else ""), flush=True)

        url = {n: f"http://127.0.0.1:{port}" for n, (_, port) in procs.items()}
        running = list(procs)
        for name in running:  # warm-up, untimed
            try:
                run_wrk(url[name], script, args.threads, args.connections, args.warmup, args.load_cpus)
            except Exception as e:  # noqa: BLE001
                servers[name].update(run=False, why=f"warm-up failed: {str(e)[-400:]}")
                print(f"{name}: not run: {servers[name]['why']}", flush=True)
        running = [n for n in running if servers[n]["run"]]
        runs: dict[str, list] = {n: [] for n in running}
        for rnd in range(args.rounds):
            print(f"round {rnd + 1} of {args.rounds}:", flush=True)
            for name in list(running):
                time.sleep(args.settle)
                try:
                    r = timed_run(url[name], script, procs[name][0].pid, args, args.duration, tree=True)
                except Exception as e:  # noqa: BLE001 - one server's failure ends its runs, not the benchmark
                    servers[name].update(run=False, why=f"round {rnd + 1} failed: {str(e)[-400:]}")
                    running.remove(name)
                    print(f"    {name}: {servers[name]['why']}", flush=True)
                    continue
                runs[name].append(r)
                print(show(name[:9], r), flush=True)
        summarise(servers, runs, reqs, args)
    finally:
        for name, (proc, _) in procs.items():
            if name in servers:
                servers[name]["rss_mib_end"] = rss_tree_mib(proc.pid)
            stop(proc)
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    info["loadavg_after"] = loadavg()
    report.update(servers=servers, total_s=time.monotonic() - t_all)
    print_table(servers, args, info)
    print(f"\ntotal time {report['total_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0 if servers.get("tillroll", {}).get("valid") else 1


def rss_tree_mib(pid: int) -> float:
    return sum(rss_mib(p) for p in tree_pids(pid))


def summarise(servers: dict, runs: dict, reqs: list, args) -> None:
    recorded = {r[4] for r in reqs}
    base = runs.get("tillroll", [])
    for name, rs in runs.items():
        s = servers[name]
        if not rs:
            continue
        unexpected = sum(n for r in rs for st, n in r["statuses"].items() if st not in recorded)
        errors = sum(r["errors_total"] for r in rs)
        agree = name == "tillroll" or not base or statuses_agree({"a": base, "b": rs}, "a", "b", args.connections)
        busy = sum(r["others_on_core"] > BUSY_OTHERS or r["steal"] > BUSY_OTHERS
                   or r["others_on_load_core"] > BUSY_OTHERS_LOAD for r in rs)
        s.update(valid=s["valid"] and not unexpected and not errors and agree, load_unexpected_statuses=unexpected,
                 load_socket_errors=errors, statuses_agree=agree, busy_rounds=busy,
                 rps=[r["rps"] for r in rs], median_rps=statistics.median(r["rps"] for r in rs),
                 cpu_us_per_req=1e6 * sum(r["server_cpu_s"] for r in rs) / max(1, sum(r["requests"] for r in rs)),
                 p50_ms=statistics.median(r["lat_us"]["p50"] for r in rs) / 1000,
                 p99_ms=statistics.median(r["lat_us"]["p99"] for r in rs) / 1000,
                 wrk_cores=statistics.median(r["wrk_cores"] for r in rs),
                 runs=rs)
        if base and s["valid"] and servers["tillroll"]["valid"] and len(rs) == len(base):
            s["ratios"] = [r["rps"] / b["rps"] for r, b in zip(rs, base)]
            s["median_ratio"] = statistics.median(s["ratios"])


def print_table(servers: dict, args, info: dict) -> None:
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds; servers on CPU "
          f"{args.server_cpu}, wrk on CPU {args.load_cpu}; load average before {info['loadavg_before']}, after "
          f"{info['loadavg_after']}\n")
    print("| server | version | valid | req/s per round | median req/s | ratio to tillroll (median of rounds) | "
          "server CPU µs/req | p50 ms | p99 ms | busy rounds |\n|---|---|---|---|---|---|---|---|---|---|")
    for name, s in servers.items():
        if "median_rps" not in s:
            print(f"| {name} | {s.get('version', '-')} | - | not run: {s.get('why', '?')[:200]} | | | | | | |")
            continue
        valid = "yes" if s["valid"] else (f"NO ({s['verify']['bad']} wrong answers, {s['load_unexpected_statuses']} "
                                          f"unexpected statuses, {s['load_socket_errors']} socket errors)")
        ratio = f"{s['median_ratio']:.3f}" if "median_ratio" in s else "-"
        print(f"| {name} | {s.get('version', '')} | {valid} | {' / '.join(f'{x:,.0f}' for x in s['rps'])} | "
              f"{s['median_rps']:,.0f} | {ratio} | {s['cpu_us_per_req']:,.0f} | {s['p50_ms']:.2f} | "
              f"{s['p99_ms']:.2f} | {s['busy_rounds']} |")


if __name__ == "__main__":
    sys.exit(main())

"""wrk for the benchmarks: a Lua script that cycles through a request set, a run of wrk and
its figures, and the bare aiohttp server that answers a request set from a prebuilt dict.

Used by ``bench_wrk.py``. The bare server runs as its own process::

    python benchmarks/wrk.py bare TABLE.pickle PORT
    python benchmarks/wrk.py bare-wire TABLE.pickle PORT   # answers as tillroll writes them (replay/wire.py)

where TABLE maps ``(method, raw path with query, body bytes)`` to ``(status, reason,
[(header, value)], body bytes)``; anything else gets 599 (so a wrong table shows up as
misses, as it would on the replay server).
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
from pathlib import Path

WRK = shutil.which("wrk") or "/usr/bin/wrk"
MISS_STATUS = 599
# what aiohttp writes itself on every answer: not part of the prebuilt headers
SERVER_WRITES = frozenset({"date", "server", "content-length", "connection", "keep-alive", "transfer-encoding"})


def lua_str(b: bytes) -> str:
    """*b* as a Lua string literal (decimal escapes for everything but printable ASCII)."""
    out = []
    for c in b:
        if c in (0x22, 0x5C) or c < 0x20 or c > 0x7E:
            out.append(f"\\{c:03d}")
        else:
            out.append(chr(c))
    return '"' + "".join(out) + '"'


LUA_TAIL = r"""
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- What wrk.format(method, path, headers, body) writes, but with the headers in the recorded
-- order: wrk.format takes them as a Lua table, whose order pairs() does not keep (it differs
-- from one wrk run to the next), and the replayer's understanding cache keys on the header
-- names in order, as a POS sends them the same way every time.
local function format(method, path, headers, body)
  local s = {method .. " " .. path .. " HTTP/1.1", "Host: " .. host}
  for _, h in ipairs(headers) do s[#s + 1] = h[1] .. ": " .. h[2] end
  if body then s[#s + 1] = "Content-Length: " .. #body end
  return table.concat(s, "\r\n") .. "\r\n\r\n" .. (body or "")
end

function init(args)
  host = wrk.headers["Host"] or (wrk.host .. ":" .. wrk.port)
  prepared = {}
  for i, r in ipairs(reqs) do
    prepared[i] = format(r[1], r[2], r[3], r[4])
  end
  n = #prepared
  idx = (id * 7919) % n  -- threads start at different places of the set
  statuses = {}
end

function request()
  idx = idx + 1
  if idx > n then idx = 1 end
  return prepared[idx]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local st = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do st[k] = (st[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format('"%d": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"lat_us": {"mean": %.1f, "stdev": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), table.concat(parts, ", ")))
end
"""


def write_lua(path: Path, reqs: list[tuple]) -> Path:
    """A wrk script cycling through *reqs* ``[(method, target, body, headers, ...)]``, each
    request prepared once in ``init()`` (headers in the recorded order); each wrk thread
    starts at its own place and goes round the set in order. ``response()``
    counts answers per status (all threads; printed by ``done()`` as one ``WRKJSON`` line)."""
    lines = ["reqs = {"]
    for method, target, body, headers, *_ in reqs:
        hdrs = ", ".join(f"{{{lua_str(k.encode())}, {lua_str(v.encode())}}}" for k, v in headers)
        lines.append(f"  {{{lua_str(method.encode())}, {lua_str(target.encode())}, {{{hdrs}}}, "
                     f"{lua_str(body) if body else 'nil'}}},")
    lines.append("}")
    path.write_text("\n".join(lines) + LUA_TAIL)
    return path


def taskset(cpus: list[int] | None) -> list[str]:
    if not cpus or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", ",".join(map(str, cpus))]


def run_wrk(url: str, script: Path, threads: int, connections: int, seconds: float, cpus: list[int] | None,
            timeout_s: int = 10) -> dict:
    """One wrk run; its figures (from the script's ``done()``) and requests/s."""
    cmd = taskset(cpus) + [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout",
                           f"{timeout_s}s", "--latency", "-s", str(script), url]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout_s + 60)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"^WRKJSON (\{.*\})$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}): {p.stdout[-2000:]} {p.stderr[-2000:]}")
    res = json.loads(m.group(1))
    res["statuses"] = {int(k): v for k, v in res["statuses"].items()}
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    # how busy wrk itself was (cores): near 1 per thread, wrk and not the server would set the pace
    res["wrk_cores"] = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / (res["duration_us"] / 1e6)
    res["errors_total"] = sum(res["errors"].values()) - res["errors"]["status"]  # socket errors
    res["misses"] = res["statuses"].get(MISS_STATUS, 0)
    return res


# -- the bare server -----------------------------------------------------------------------------

def bare_main(table_path: str, port: int, wire: bool = False) -> None:
    """*wire*: answer with the bytes replay.wire builds (tillroll's way of writing a recorded
    answer) instead of a web.Response per request: the floor under any replay server."""
    import pickle

    from aiohttp import web
    from multidict import CIMultiDict

    with open(table_path, "rb") as f:
        raw = pickle.load(f)
    table = {k: (status, reason, CIMultiDict(headers), body) for k, (status, reason, headers, body) in raw.items()}
    wires = {}
    if wire:
        from tillroll.replay.wire import WireResponse, wire_of

        wires = {k: wire_of(status, reason, headers, body) for k, (status, reason, headers, body) in raw.items()}

    async def answer(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        key = (request.method, request.raw_path, body)
        hit = wires.get(key)
        if hit is not None:
            return WireResponse(hit)
        hit = table.get(key)
        if hit is None:
            return web.Response(status=MISS_STATUS, text="no such request in the table")
        status, reason, headers, out = hit
        return web.Response(body=out, status=status, reason=reason, headers=headers)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", answer)
    # the replay server's runner options (replay/app.py SERVER_OPTIONS): no access log
    from tillroll import event_loop  # the replay server's loop (uvloop unless TILLROLL_NO_UVLOOP=1): same loop, fair ratio

    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, auto_decompress=False,
                loop=event_loop.new_event_loop())


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 4 and sys.argv[1] in ("bare", "bare-wire"):
        bare_main(sys.argv[2], int(sys.argv[3]), wire=sys.argv[1] == "bare-wire")
    else:
        sys.exit(__doc__)

"""The real recording proxy against hostile traffic: decompression bombs, text no store can
encode, and clients that send what is not HTTP. The traffic passes untouched, memory stays
bounded, every recordable exchange is in the cassette, the summary counts what is on
disk, and the log holds no traceback."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from aiohttp import web

from tests.hostile import BOMB_SIZE, bombs, cases, json_post, random_cases, request, send, status_of
from tillroll.proxy_process import recording_proxy
from tillroll.sandbox import start_sandbox
from tillroll.store import open_cassette

MAX_BODY = 4 * 1024 * 1024
RAW_BODIES = {"auto_decompress": False}  # the upstream reads bodies as they came, as a proxy must


@pytest.fixture(scope="module")
def bomb_bodies() -> dict[str, bytes]:
    return bombs()


def upstream(bomb_bodies: dict[str, bytes] | None = None) -> web.Application:
    async def bomb(request: web.Request) -> web.Response:
        coding = request.match_info["coding"]
        return web.Response(body=bomb_bodies[coding], headers={"Content-Type": "application/json",
                                                               "Content-Encoding": coding})

    async def anything(request: web.Request) -> web.Response:
        data = await request.read()
        if request.path == "/surrogate-answer":
            return web.Response(body=b'{"Failed": false, "Name": "\\udc80\\ud800x"}', content_type="application/json")
        return web.json_response({"ok": True, "received": len(data)})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/bomb/{coding}", bomb)
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of *pid* and of every process under it, in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        m = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(m.group(1)) if m else 0
    return total / 1024


def recorded_count(summary: str) -> int:
    return int(re.search(r"(\d+) exchange\(s\) recorded", summary).group(1))


def test_decompression_bombs_cost_the_recorder_its_limit_not_the_gigabyte(tmp_path, key_file, bomb_bodies):
    with start_sandbox(app=upstream(bomb_bodies), server_options=RAW_BODIES) as up:
        with recording_proxy(tmp_path / "c", [f"reverse:{up}"], workdir=tmp_path / "mitm", key_file=key_file) as proxy:
            port = proxy.ports[0]
            for coding, body in bomb_bodies.items():
                answer = send(port, request("GET", f"/bomb/{coding}", headers={"Accept-Encoding": coding}), timeout=60)
                assert answer.endswith(body) and status_of(answer) == 200  # the client gets the bomb unchanged
                sent = send(port, json_post(f"/swallow/{coding}", body, **{"Content-Encoding": coding}), timeout=60)
                assert status_of(sent) == 200 and f'"received": {len(body)}'.encode() in sent
            assert fetched_ok(port)
            peak = peak_memory_mb(proxy.process.pid)
    assert peak < 400, f"the proxy and its worker peaked at {peak:.0f} MB"
    rows = open_cassette(tmp_path / "c").exchanges()
    assert recorded_count(proxy.summary) == len(rows) == 2 * len(bomb_bodies) + 1
    by_path = {e.path: e for e in rows}
    for coding, body in bomb_bodies.items():
        got = by_path[f"/bomb/{coding}"]
        assert got.response_truncated and got.response_body_size == len(body)
        assert len(got.response_body) == MAX_BODY < BOMB_SIZE  # inflated up to the limit, no further
        assert got.response_content_encoding == coding
        sent = by_path[f"/swallow/{coding}"]
        assert sent.request_truncated and len(sent.request_body) == MAX_BODY and sent.status == 200


def fetched_ok(port: int) -> bool:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/ok", timeout=10) as resp:
        return resp.status == 200


def test_text_no_store_can_encode_costs_nothing_else(tmp_path, key_file):
    """Lone surrogates in a request's JSON, a response's JSON, a header and a query,
    among ordinary exchanges: everything is in the cassette, and the summary says so."""
    odd = [
        json_post("/GetToken", b'{"RequestType":"GetToken","AccountKey":"A","Parameters":{"x":"\\ud800"}}'),
        request("GET", "/surrogate-answer"),
        request("GET", "/header", headers={"X-Name": "caf\xe9 \xff\xfe"}),
        request("GET", "/query?name=%ED%A0%80&n=%FF"),
    ]
    with start_sandbox(app=upstream(), server_options=RAW_BODIES) as up:
        with recording_proxy(tmp_path / "c", [f"reverse:{up}"], workdir=tmp_path / "mitm", key_file=key_file) as proxy:
            port = proxy.ports[0]
            for i, data in enumerate(odd):
                assert status_of(send(port, request("GET", f"/ordinary/{i}a"))) == 200
                assert status_of(send(port, data)) == 200
                assert status_of(send(port, request("GET", f"/ordinary/{i}b"))) == 200
    rows = open_cassette(tmp_path / "c").exchanges()
    paths = {e.path for e in rows}
    assert {f"/ordinary/{i}{ab}" for i in range(len(odd)) for ab in "ab"} <= paths
    assert {"/GetToken", "/surrogate-answer", "/header", "/query"} <= paths
    assert recorded_count(proxy.summary) == len(rows) == 3 * len(odd)
    assert " 0 not recorded" in proxy.summary


def test_hostile_clients_on_raw_sockets_leave_the_proxy_recording(tmp_path, key_file):
    hostile = cases()
    with start_sandbox(app=upstream(), server_options=RAW_BODIES) as up:
        with recording_proxy(tmp_path / "c", [f"reverse:{up}"], workdir=tmp_path / "mitm", key_file=key_file) as proxy:
            port = proxy.ports[0]
            for case in hostile:
                send(port, case.data)
            for case in random_cases(300):
                send(port, case.data, wait=0)
            assert fetched_ok(port)
    rows = open_cassette(tmp_path / "c").exchanges()
    paths = {e.path for e in rows}
    recordable = {re.match(rb"\w+ (/[^ ?]*)", c.data).group(1).decode() for c in hostile if c.recordable}
    assert recordable <= paths, recordable - paths
    assert "/ok" in paths
    assert recorded_count(proxy.summary) == len(rows)
    log = proxy.log()
    assert "Traceback" not in log and "hunter2-canary" not in log
    stored = b"".join((e.request_body or b"") + (e.response_body or b"") + (e.params_json or "").encode() for e in rows)
    assert b"hunter2-canary" not in stored  # a duplicated key does not hide a password

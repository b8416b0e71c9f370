"""Recording never breaks the traffic it watches: whatever the upstream sends, the client
gets exactly that (or mitmproxy's normal error), and the proxy keeps serving."""

import asyncio
import gzip
import http.client
import json
import os
import socket
import urllib.error
import urllib.request

import pytest
from aiohttp import web

from tillroll.proxy_process import recording_proxy
from tillroll.sandbox import start_sandbox
from tillroll.store import open_cassette

BIG = os.urandom(1024) * (50 * 1024)  # 50 MB
BAD_GZIP = gzip.compress(b'{"Failed": true, "Message": "x"}')[:-8] + b"\xde\xad\xbe\xef\x00\x00\x00\x00"
BODIES = {
    "/malformed": (b'{"RequestType": "GetToken", "SecurityID": ', "application/json", None),
    "/binary": (bytes(range(256)) * 64, "application/octet-stream", None),
    "/bad-gzip": (BAD_GZIP, "application/json", "gzip"),
    "/empty": (b"", "application/json", None),
    "/big": (BIG, "application/octet-stream", None),
}


def hostile_upstream() -> web.Application:
    async def body(request: web.Request) -> web.Response:
        data, ctype, encoding = BODIES[request.path]
        await request.read()
        headers = {"Content-Type": ctype, **({"Content-Encoding": encoding} if encoding else {})}
        return web.Response(body=data, headers=headers)

    async def reset(request: web.Request) -> web.Response:
        request.transport.abort()  # connection reset mid-exchange
        await asyncio.sleep(0.1)
        return web.Response()

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)  # longer than the client is willing to wait
        return web.Response(text="late")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    for path in BODIES:
        app.router.add_route("*", path, body)
    app.router.add_get("/reset", reset)
    app.router.add_get("/slow", slow)
    return app


def fetch(url: str, data: bytes | None = None, timeout: float = 20.0) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET",
                                 headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@pytest.fixture
def proxied(tmp_path, key_file):
    with start_sandbox(app=hostile_upstream()) as upstream:
        with recording_proxy(tmp_path / "c", [f"reverse:{upstream}"], workdir=tmp_path / "mitm",
                             key_file=key_file) as proxy:
            yield f"http://127.0.0.1:{proxy.ports[0]}", proxy


def test_the_client_gets_exactly_what_the_upstream_sent(proxied, tmp_path):
    base, proxy = proxied
    for path, (data, _, encoding) in BODIES.items():
        status, body, headers = fetch(base + path)
        assert status == 200 and body == data, path
        if encoding:
            assert headers.get("Content-Encoding") == encoding
    # requests the recorder cannot understand pass untouched too
    invalid_base64 = json.dumps({"RequestType": "X", "AccountKey": "A", "Body": "%%%not base64%%%"}).encode()
    assert fetch(base + "/malformed", data=invalid_base64)[1] == BODIES["/malformed"][0]
    assert fetch(base + "/binary", data=b"\x00\xff" * 1000)[1] == BODIES["/binary"][0]
    assert fetch(base + "/empty")[0] == 200  # and the proxy still serves
    proxy_process = proxy.process
    assert proxy_process.poll() is None


def test_what_could_not_be_understood_is_recorded_safely(tmp_path, key_file):
    with start_sandbox(app=hostile_upstream()) as upstream:
        with recording_proxy(tmp_path / "c", [f"reverse:{upstream}"], workdir=tmp_path / "mitm",
                             key_file=key_file) as proxy:
            for path in BODIES:
                fetch(f"http://127.0.0.1:{proxy.ports[0]}" + path)
    assert " 0 not recorded" in proxy.summary
    by_path = {e.path: e for e in open_cassette(tmp_path / "c").exchanges()}
    assert set(by_path) == set(BODIES)
    big = by_path["/big"]
    assert big.response_truncated and big.response_body_size == len(BIG)
    assert len(big.response_body) == 4 * 1024 * 1024  # the default tillroll_max_body
    bad = by_path["/bad-gzip"]
    assert bad.response_body is None and ("response.body", "body.undecodable") in bad.redactions
    assert by_path["/binary"].response_body_bytes == BODIES["/binary"][0]
    assert by_path["/malformed"].response_body_text is not None  # kept: named fields only, no detector hit
    assert by_path["/empty"].response_body_text == ""


def test_refused_reset_and_slow_upstreams_do_not_stop_the_proxy(tmp_path, key_file):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with start_sandbox(app=hostile_upstream()) as upstream:
        # lazy: mitmproxy reads the request before connecting upstream, so a refused
        # upstream is a 502 exchange (recorded as an error) rather than a closed connection
        with recording_proxy(tmp_path / "c", [f"reverse:{upstream}", f"reverse:http://127.0.0.1:{dead}"],
                             workdir=tmp_path / "mitm", key_file=key_file,
                             options=["connection_strategy=lazy"]) as proxy:
            live, refused = (f"http://127.0.0.1:{port}" for port in proxy.ports)
            assert fetch(refused + "/anything")[0] == 502  # mitmproxy's normal error
            with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
                urllib.request.urlopen(live + "/reset", timeout=10).read()  # the reset reaches the client
            with pytest.raises((urllib.error.URLError, TimeoutError)):
                urllib.request.urlopen(live + "/slow", timeout=0.5).read()  # the client gives up
            assert fetch(live + "/binary")[1] == BODIES["/binary"][0]  # still serving
    exchanges = open_cassette(tmp_path / "c").exchanges()
    refused_exchange = [e for e in exchanges if e.path == "/anything"]
    assert [e.outcome for e in refused_exchange] == ["error"]
    assert [e.outcome for e in exchanges if e.path == "/binary"] == ["ok"]


def test_a_folder_tillroll_did_not_create_is_not_written_and_the_traffic_passes(tmp_path, key_file):
    """The addon loaded into mitmdump by hand (no `tillroll record` to refuse the folder first)."""
    folder = tmp_path / "mine"
    (folder / "date=2026-01-01").mkdir(parents=True)
    (folder / "date=2026-01-01" / "part-0.parquet").write_bytes(b"PAR1 someone else's PAR1")
    (folder / "README.txt").write_text("mine")
    before = sorted((p.relative_to(folder), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*"))
    with start_sandbox(app=hostile_upstream()) as upstream:
        with recording_proxy(folder, [f"reverse:{upstream}"], workdir=tmp_path / "mitm", key_file=key_file) as proxy:
            assert fetch(f"http://127.0.0.1:{proxy.ports[0]}/binary")[1] == BODIES["/binary"][0]
    assert f"cannot record into {folder} ({folder} is not a tillroll cassette (no tillroll.json) and not empty" \
        in proxy.log()
    assert "1 not recorded" in proxy.summary
    assert sorted((p.relative_to(folder), p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")) == before


def test_an_unwritable_cassette_does_not_stop_the_traffic(tmp_path, key_file):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cassette directory should be")
    with start_sandbox(app=hostile_upstream()) as upstream:
        with recording_proxy(blocker, [f"reverse:{upstream}"], workdir=tmp_path / "mitm",
                             key_file=key_file) as proxy:
            base = f"http://127.0.0.1:{proxy.ports[0]}"
            for _ in range(3):
                assert fetch(base + "/binary")[1] == BODIES["/binary"][0]
    assert "3 not recorded" in proxy.summary
    assert "cannot record into" in proxy.log()

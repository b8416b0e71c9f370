"""The canary suite for what tillroll prints: every line a person, a journal or a CI log
sees. Fresh canaries are planted in query strings, paths, headers and bodies of all four
vendors and sent through the real commands — ``record`` (a terminal 300 columns wide,
where mitmdump would print whole URLs), ``replay``, ``import``, ``demo`` and the pytest
plugin; their stdout and stderr hold no canary in any encoding, nor any run of 10
characters of one (a cut log line leaks a prefix)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from aiohttp import web

from tests.canaries import card_number, email, forms, token
from tests.samples import KEY
from tests.tillroll.capture.test_canaries import fresh_canaries, planted
from tillroll.proxy_process import free_port
from tillroll.capture import RawExchange
from tillroll.sandbox import credentials, start_sandbox

TILLROLL = str(Path(sys.executable).with_name("tillroll"))
WIDE = {**os.environ, "COLUMNS": "300", "LINES": "100", "TERM": "xterm-256color"}
RUN = 10  # consecutive characters of a canary that count as a leak


def printed_leaks(text: str, canaries: dict[str, str]) -> list[str]:
    data = text.encode("utf-8", "replace")
    found = []
    for name, value in canaries.items():
        runs = {value[i:i + RUN] for i in range(len(value) - RUN + 1)}
        if any(f in data for f in forms(value)) or any(r in text for r in runs):
            found.append(name)
    return found


def more_canaries() -> dict[str, str]:
    return {"spot_path_email": email(), "spoton_path_card": card_number(), "spoonity_path_jwt_email": email(),
            "xgl_query_key": token("XQK-"), "spot_query_password": token("SQP-")}


def extra_exchanges(c: dict[str, str]) -> list[RawExchange]:
    """Canaries in the paths and queries of each vendor (the planted set has them in bodies
    and headers)."""
    from tests.samples import exchange
    return [
        exchange("GET", "api.mydrycleaner.com", f"/g/customers/{c['spot_path_email']}",
                 query=f"RequestType=GetCustomer&Password={c['spot_query_password']}", response=b'{"Failed": false}'),
        exchange("GET", "restaurantapi.spoton.com", f"/posexport/v1/locations/{c['spoton_path_card']}/cash-deposits",
                 response=b"[]"),
        exchange("GET", "api.spoonity.com", f"/user/{c['spoonity_path_jwt_email']}/balance", response=b"{}"),
        exchange("POST", "xgl.example.com", "/api/xgl", query=f"api_key={c['xgl_query_key']}",
                 headers=[("Content-Type", "application/json"), ("x-company-id", "C1")], body=b"{}",
                 response=b"{}"),
    ]


@pytest.fixture(scope="module")
def traffic():
    canaries = {**fresh_canaries(), **more_canaries()}
    raws = planted(canaries) + extra_exchanges(canaries)
    return canaries, raws


def upstream_for(raws: list[RawExchange]) -> web.Application:
    """Answers request N (header X-Canary-Index) with the planted response N."""
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        resp = raws[int(request.headers.get("X-Canary-Index", "0"))].response
        headers = [(k, v) for k, v in resp.headers if k.lower() not in ("content-length", "transfer-encoding")]
        return web.Response(status=resp.status, body=resp.body or b"", headers=headers)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


def send_all(port: int, raws: list[RawExchange], *, mutate: bool = False) -> None:
    """Each planted request in absolute form (as to an HTTP proxy), so it keeps its vendor's host."""
    for i, raw in enumerate(raws):
        req = raw.request
        query = req.query + ("&changed=1" if mutate and req.query else "?changed=1" if mutate else "")
        target = f"http://{req.host}{req.path}" + (f"?{query}" if query and not query.startswith("?") else query)
        headers = {k: v for k, v in req.headers if k.lower() not in ("content-length", "host")}
        headers["X-Canary-Index"] = str(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            conn.request(req.method, target, body=req.body, headers=headers)
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


@pytest.fixture(scope="module")
def recorded(traffic, tmp_path_factory):
    """``tillroll record`` in front of an upstream proxy that answers with the planted
    responses; its output and the cassette."""
    canaries, raws = traffic
    work = tmp_path_factory.mktemp("record")
    key = work / "key"
    key.write_bytes(KEY)
    port = free_port()
    with start_sandbox(app=upstream_for(raws)) as up:
        proc = subprocess.Popen([TILLROLL, "record", str(work / "c"), "--key-file", str(key), "--listen-host",
                                 "127.0.0.1", "--mode", f"upstream:{up}@{port}", "--confdir", str(work / "mitm")],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=WIDE)
        try:
            wait_for_port(port, proc)
            send_all(port, raws)
            time.sleep(1)  # the worker's lines
        finally:
            output = stop(proc)
    return work / "c", key, output


def test_record_prints_one_redacted_line_per_exchange_and_no_canary(traffic, recorded):
    canaries, raws = traffic
    _, _, output = recorded
    assert f"{len(raws)} exchange(s) recorded" in output, output[-3000:]
    assert "spoonity  order.process  200  ok" in output  # the per-exchange line, with its vendor
    assert "api_key=tillroll:" in output  # the query as stored
    assert printed_leaks(output, canaries) == []


def test_replay_prints_no_canary_in_its_log_misses_or_report(traffic, recorded):
    canaries, raws = traffic
    cassette, key, _ = recorded
    port = free_port()
    proc = subprocess.Popen([TILLROLL, "replay", str(cassette), "--key-file", str(key), "--port", str(port),
                             "--report"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=WIDE)
    try:
        wait_for_port(port, proc)
        send_all(port, raws)
        send_all(port, raws, mutate=True)  # every one a miss: log lines and the report name them
    finally:
        output = stop(proc)
    assert "missed" in output and "no recording for" in output
    assert printed_leaks(output, canaries) == []


def har_of(raws: list[RawExchange], canaries: dict[str, str]) -> dict:
    def headers(pairs):
        return [{"name": k, "value": v} for k, v in pairs]

    entries = []
    for raw in raws:
        req, resp = raw.request, raw.response
        url = f"https://{req.host}{req.path}" + (f"?{req.query}" if req.query else "")
        entry = {"startedDateTime": "2026-11-20T09:00:00.000Z", "time": 12.0,
                 "request": {"method": req.method, "url": url, "httpVersion": "HTTP/1.1", "headers": headers(req.headers),
                             "queryString": [], "cookies": [], "headersSize": -1, "bodySize": -1},
                 "response": {"status": resp.status, "statusText": "OK", "httpVersion": "HTTP/1.1",
                              "headers": headers(resp.headers), "cookies": [], "redirectURL": "", "headersSize": -1,
                              "bodySize": -1, "content": {"size": len(resp.body or b""), "mimeType": "application/json",
                                                          "encoding": "base64",
                                                          "text": base64.b64encode(resp.body or b"").decode()}},
                 "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1}}
        if req.body:
            entry["request"]["postData"] = {"mimeType": "application/octet-stream",
                                            "text": req.body.decode("latin-1")}
        entries.append(entry)
    # broken entries whose broken part holds a canary: the message names the part, not the value
    broken = json.loads(json.dumps(entries[0]))
    broken["response"]["content"]["text"] = canaries["security_id"] + "!!!"
    broken["request"]["url"] = f"https://api.example.com/x?token={canaries['cookie']}"
    odd = json.loads(json.dumps(entries[0]))
    odd["response"]["content"]["encoding"] = canaries["password"]
    odd["startedDateTime"] = canaries["session_id"]
    return {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries + [broken, odd]}}


def test_import_prints_no_canary(traffic, tmp_path):
    canaries, raws = traffic
    (tmp_path / "t.har").write_text(json.dumps(har_of(raws, canaries)))
    key = tmp_path / "key"
    key.write_bytes(KEY)
    result = subprocess.run([TILLROLL, "import", str(tmp_path / "t.har"), "--cassette", str(tmp_path / "c"),
                             "--key-file", str(key)], capture_output=True, text=True, env=WIDE, timeout=120)
    output = result.stdout + result.stderr
    assert f"{len(raws)} imported, 2 skipped" in output, output
    assert printed_leaks(output, canaries) == []


def test_the_demo_prints_none_of_the_sandbox_secrets(tmp_path):
    secrets = {"security_id": credentials.SECURITY_ID, "password": credentials.PASSWORD,
               "spoton_key": credentials.SPOTON_API_KEY, "spoonity_key": credentials.SPOONITY_API_KEY,
               "spoonity_card": credentials.SPOONITY_CARD, "publishable_id": credentials.PUBLISHABLE_ID}
    key = tmp_path / "key"
    key.write_bytes(KEY)
    result = subprocess.run([TILLROLL, "demo", "--cassette", str(tmp_path / "demo"), "--key-file", str(key)],
                            capture_output=True, text=True, env=WIDE, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    assert printed_leaks(output, secrets) == []


def test_the_pytest_plugin_failure_message_holds_no_canary(traffic, recorded, tmp_path):
    canaries, _ = traffic
    cassette, key, _ = recorded
    test_file = tmp_path / "test_pos.py"
    test_file.write_text(textwrap.dedent(f"""
        import json, urllib.error, urllib.request
        import pytest

        @pytest.mark.tillroll(cassette={str(cassette)!r}, key_file={str(key)!r})
        def test_checkout(tillroll_replay):
            for url in ["/order?api_key={canaries['spoonity_key']}",
                        "/v1/cards/{canaries['path_card']}/balance",
                        "/customers/{canaries['xgl_email']}"]:
                try:
                    urllib.request.urlopen(tillroll_replay.base_url + url, timeout=10).read()
                except urllib.error.HTTPError:
                    pass
            order = {{"card_number": "{canaries['xgl_card']}", "receipt_number": "R-NEVER",
                      "email": "{canaries['brotli_email']}"}}
            req = urllib.request.Request(tillroll_replay.base_url + "/order?api_key={canaries['spoonity_key']}",
                                         data=json.dumps(order).encode(),
                                         headers={{"Content-Type": "application/json"}})
            try:
                urllib.request.urlopen(req, timeout=10).read()
            except urllib.error.HTTPError:
                pass
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", str(test_file), "-p", "no:cacheprovider", "-q",
                             "--rootdir", str(tmp_path)], capture_output=True, text=True, env=WIDE, timeout=120,
                            cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "matched no recording" in output, output[-3000:]
    assert "params.receipt_number: R-NEVER vs R1" in output  # the near-miss report, field by field
    assert "params.card_number: tillroll:" in output  # a differing secret: pseudonyms on both sides
    assert printed_leaks(output, canaries) == []


def test_the_scan_is_not_vacuous_plain_mitmdump_prints_the_canaries(traffic, tmp_path):
    """The same traffic through plain mitmdump (what tillroll record ran before): its flow
    lines carry the canaries, so the scan above would see them."""
    from tillroll.proxy_process import mitmdump_executable
    canaries, raws = traffic
    port = free_port()
    with start_sandbox(app=upstream_for(raws)) as up:
        proc = subprocess.Popen([mitmdump_executable(), "--listen-host", "127.0.0.1", "--mode", f"upstream:{up}@{port}",
                                 "--set", f"confdir={tmp_path / 'mitm'}"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=WIDE)
        try:
            wait_for_port(port, proc)
            send_all(port, raws)
        finally:
            output = stop(proc)
    assert {"spoonity_key", "get_session", "path_card", "spot_path_email"} <= set(printed_leaks(output, canaries))

"""The replay server process against broken and hostile clients on raw sockets: one clear
answer each, the server keeps serving, and its log holds one line per bad request and no
traceback."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.hostile import cases, json_post, random_cases, send, status_of
from tests.replay.cassettes import write_cassette
from tests.samples import KEY, exchange
from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.proxy_process import free_port


@pytest.fixture
def replay_process(tmp_path):
    cassette = write_cassette(tmp_path / "c", [exchange("GET", "pos.example", "/ok", response=b'{"fine": true}')])
    key = tmp_path / "key"
    key.write_bytes(KEY)
    port, log = free_port(), tmp_path / "tillroll.replay.log"
    with log.open("w") as err:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("tillroll")), "replay", str(cassette),
                                 "--port", str(port), "--key-file", str(key)], stderr=err)
    try:
        for _ in range(100):  # bounded: 10 s to start
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/__tillroll/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield port, proc, log
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def body_of(answer: bytes) -> dict:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


def test_each_bad_request_gets_one_clear_answer_and_one_log_line(replay_process):
    port, proc, log = replay_process
    answers = {case.name: send(port, case.data) for case in cases()}

    lie = answers["gzip-that-is-not"]
    assert status_of(lie) == 400
    assert "does not decode as its Content-Encoding header says (gzip)" in body_of(lie)["error"]
    assert status_of(answers["unknown-coding"]) == 400
    for name in ("deep-json", "lone-surrogate-json", "nan-and-huge-numbers", "duplicate-keys", "invalid-utf8-json",
                 "truncated-gzip", "surrogate-in-query", "latin1-header"):
        assert status_of(answers[name]) == 599, name  # understood as a request, and not recorded: a miss
        assert body_of(answers[name])["error"] == "tillroll: no recording matches this request"
    assert "hunter2-canary" not in answers["duplicate-keys"].decode("latin-1")  # the near-miss report is redacted
    for name in ("garbage", "header-over-8k", "request-line-over-8k", "negative-length", "two-lengths",
                 "broken-chunked", "bad-method", "bad-version", "header-without-colon"):
        assert status_of(answers[name]) == 400, name
    # over the body limit: 413 with a reason (the body is read up to the limit, no further)
    too_big = send(port, json_post("/big", b"x" * (64 * 1024 * 1024 + 1)), timeout=30)
    assert status_of(too_big) == 413 and "over the replay server's limit" in body_of(too_big)["error"]

    ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/ok", timeout=5)
    assert ok.status == 200 and json.loads(ok.read()) == {"fine": True}
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text and "hunter2-canary" not in text
    # one line per request broken at the HTTP level; aiohttp keeps a bad method on a new
    # connection (a port scanner, TLS to an HTTP port: "garbage", "bad-method") at debug level
    assert text.count("tillroll replay: a malformed request") == 7
    assert "refused POST /gzip-lie" in text


def test_a_few_hundred_random_connections_leave_the_server_serving_without_a_traceback(replay_process):
    port, proc, log = replay_process
    statuses = [status_of(send(port, case.data, wait=0)) for case in random_cases(300)]
    assert set(statuses) <= {None, 400, 404, 405, 413, 505, 599}, set(statuses)  # never a 500
    ok = urllib.request.urlopen(f"http://127.0.0.1:{port}/ok", timeout=5)
    assert ok.status == 200 and json.loads(ok.read()) == {"fine": True}
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_request_with_a_lone_surrogate_replays_as_recorded(tmp_path):
    """Recorded with U+FFFD in place of the surrogate (the store takes UTF-8 only), matched
    all the same: the key is made storable the same way at record and at replay time."""
    spot = b'{"RequestType":"GetToken","AccountKey":"A","Parameters":{"x":"\\ud800"}}'
    generic = b'{"note": "\\udc80 odd", "n": 1}'
    cassette = write_cassette(tmp_path / "c", [
        exchange("POST", "pos.example", "/API/Server.dll", body=spot, response=b'{"Failed": false}'),
        exchange("POST", "pos.example", "/v1/notes", body=generic, response=b'{"saved": true}')])
    key = tmp_path / "key"
    key.write_bytes(KEY)
    opened = open_replayer(cassette, key_file=key)
    assert len(opened.replayer.recordings) == 2  # both stored
    with ReplayServer(make_app(opened.replayer)) as server:
        answers = [send(server.port, json_post(path, body)) for path, body in
                   (("/API/Server.dll", spot), ("/v1/notes", generic))]
    assert [status_of(a) for a in answers] == [200, 200]
    assert answers[0].endswith(b'{"Failed": false}') and answers[1].endswith(b'{"saved": true}')

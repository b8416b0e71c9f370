"""tillroll record: the mitmproxy command line it builds, what it tells the user, a real run."""

import json
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mitmproxy.version

from click.testing import CliRunner

from tillroll.proxy.cli import ADDON, mitmproxy_args, where_it_listens, where_to_point
from tillroll.cli import main
from tillroll.proxy_process import free_port
from tillroll.sandbox import start_sandbox
from tillroll.store import open_cassette


def test_several_reverse_modes_become_one_mitmproxy_command_line(tmp_path):
    args = mitmproxy_args(tmp_path / "c", ("reverse:https://api.mydrycleaner.com@8081",
                                           "reverse:https://api.spoonity.com@8082"), "127.0.0.1",
                          tmp_path / "key", None, 1000, ("stream_large_bodies=1m",), None)
    assert args[:2] == ["-s", str(ADDON)]
    assert args.count("--mode") == 2 and "reverse:https://api.spoonity.com@8082" in args
    assert f"tillroll_cassette={tmp_path / 'c'}" in args and "tillroll_max_body=1000" in args
    assert "stream_large_bodies=1m" in args and f"tillroll_key_file={tmp_path / 'key'}" in args


def test_the_user_is_told_where_to_point_the_pos_and_where_the_ca_is(tmp_path):
    text = where_to_point(("reverse:https://api.spoonity.com@8082", "regular@9090"), "10.1.2.3", tmp_path)
    assert "base URL https://api.spoonity.com  ->  point the POS at http://10.1.2.3:8082" in text
    assert "set the POS's HTTP(S) proxy to 10.1.2.3:9090" in text
    assert str(tmp_path / "mitmproxy-ca-cert.pem") in text


def test_the_user_is_told_where_the_proxy_listens_and_how_to_narrow_it():
    every = where_it_listens(None, proxyauth=False)
    assert "listening on every interface" in every
    assert "--listen-host 127.0.0.1" in every and "--set proxyauth=USER:PASS" in every
    assert "listening on every interface" in where_it_listens("0.0.0.0", proxyauth=False)
    one = where_it_listens("10.1.2.3", proxyauth=True)
    assert "listening on 10.1.2.3 only" in one and "password" in one and "USER:PASS" not in one


def test_a_missing_key_file_or_a_bad_flag_is_one_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["record", str(tmp_path / "c"), "--key-file", str(tmp_path / "nokey")])
    assert result.exit_code == 1 and "does not exist" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["record", str(tmp_path / "c"), "--set", "no-equals-sign"])
    assert result.exit_code == 2 and "is not OPTION=VALUE" in result.output
    result = CliRunner().invoke(main, ["record", str(tmp_path / "c"), "--set", "flow_detail=2"])
    assert result.exit_code == 2 and "would print raw traffic" in result.output
    result = CliRunner().invoke(main, ["record", str(tmp_path / "c"), "--set", f"tillroll_cassette={tmp_path}"])
    assert result.exit_code == 2 and "tillroll_cassette is tillroll record's own option" in result.output
    assert "Traceback" not in result.output


def test_tillroll_record_records_until_interrupted_and_prints_a_summary(tmp_path):
    key = tmp_path / "key"
    key.write_text("record-cli-test-key-0123456789")
    port = free_port()
    with start_sandbox() as upstream:
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("tillroll")), "record", str(tmp_path / "c"), "--key-file", str(key),
             "--listen-host", "127.0.0.1", "--mode", f"reverse:{upstream}@{port}",
             "--confdir", str(tmp_path / "mitm")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:  # bounded wait for the proxy
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__sandbox/clock", timeout=2) as resp:
                        assert resp.status == 200
                    break
                except OSError:
                    assert time.monotonic() < deadline and proc.poll() is None, proc.stdout.read()
                    time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert "tillroll: listening on 127.0.0.1 only" in output
    assert f"point the POS at http://127.0.0.1:{port}" in output
    assert "tillroll: 1 exchange(s) recorded into" in output
    assert "generic  GET /__sandbox/clock  200  ok" in output  # its own line per exchange
    assert "GET http://127.0.0.1" not in output  # not mitmdump's raw one
    [ex] = open_cassette(tmp_path / "c").exchanges()
    assert ex.path == "/__sandbox/clock" and ex.status == 200


MITMWEB_NEEDS_A_TOKEN = tuple(int(p) for p in mitmproxy.version.VERSION.split(".")[:2]) >= (11, 1)


def web_api(web_port: int, path: str, token: str, proc: subprocess.Popen):
    """A JSON document of mitmweb's HTTP API (``/options.json``, ``/flows.json``), once it answers.
    mitmweb 11.1 and later require a token (``?token=``, the ``web_password`` in plain text)."""
    url = f"http://127.0.0.1:{web_port}/{path}?token={token}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return json.loads(resp.read())
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "mitmweb did not answer"
            time.sleep(0.2)


def run_web_ui(tmp_path, *sets: str, send_to: str | None = None) -> tuple[dict, list[dict], str]:
    """``tillroll record --ui web`` with the user's *sets*, one request sent through it to
    *send_to*: mitmweb's options and flows read back, and what it printed."""
    tmp_path.mkdir()
    key = tmp_path / "key"
    key.write_text("record-web-test-key-0123456789")
    web_port, proxy_port = free_port(), free_port()
    token = secrets.token_hex(16)
    auth = ["--set", f"web_password={token}"] if MITMWEB_NEEDS_A_TOKEN else []
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("tillroll")), "record", str(tmp_path / "c"), "--key-file", str(key),
         "--ui", "web", "--listen-host", "127.0.0.1", "--mode", f"regular@{proxy_port}",
         "--confdir", str(tmp_path / "mitm"), "--set", f"web_port={web_port}", *auth,
         *[a for s in sets for a in ("--set", s)]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    flows = []
    try:
        options = {name: o["value"] for name, o in web_api(web_port, "options.json", token, proc).items()}
        if send_to:
            via = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{proxy_port}"})
            proxied = urllib.request.build_opener(via)
            with proxied.open(send_to, timeout=10) as resp:
                assert resp.status == 200
            deadline = time.monotonic() + 10
            while not any(f.get("comment") for f in flows) and time.monotonic() < deadline:  # the worker's answer
                time.sleep(0.1)
                flows = web_api(web_port, "flows.json", token, proc)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return options, flows, output


def test_mitmweb_shows_what_tillroll_understood_and_a_users_set_wins(tmp_path):
    # the user's own web_open_browser=false: mitmweb refused to start when tillroll set it too
    with start_sandbox() as upstream:
        options, flows, output = run_web_ui(tmp_path / "default", "web_open_browser=false",
                                            send_to=f"{upstream}/__sandbox/clock")
    assert "multiple values" not in output
    assert options["web_open_browser"] is False
    assert options["web_columns"][-1] == "comment"  # vendor, operation, outcome in the flow list
    assert {"path", "method", "status"} <= set(options["web_columns"])  # and mitmweb's own columns
    assert [f["comment"] for f in flows] == ["tillroll: generic GET /__sandbox/clock ok"]  # what that column shows
    options, _, _ = run_web_ui(tmp_path / "own", "web_columns=comment", "web_columns=path")
    assert options["web_columns"] == ["comment", "path"]  # the user's list, not tillroll's

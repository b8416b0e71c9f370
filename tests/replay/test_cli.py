"""`tillroll replay`: one clear error per bad input, and a real server process that reports at exit."""

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.replay.cassettes import write_cassette
from tests.samples import KEY, exchange
from tillroll.cli import main


@pytest.fixture
def cassette(tmp_path):
    return write_cassette(tmp_path / "c", [exchange("GET", "api.example.com", "/v1/items", response=b"[1]"),
                                           exchange("GET", "api.example.com", "/v1/unused", response=b"[2]")])


@pytest.mark.parametrize("args, says", [
    (["--latency", "fast"], "use none, recorded or xFACTOR"),
    (["--fault", "boom=0.1"], "use KIND=RATE"),
    (["--fault", "5xx=2"], "between 0 and 1"),
    (["--match", "method,nope"], "unknown matcher(s) nope"),
    (["--on-miss", "forward"], "needs --upstream"),
    (["--sequence", "shuffle"], "'shuffle' is not one of"),
    (["--matcher", "nomodule"], "use module:function"),
])
def test_a_wrong_flag_gets_one_clear_error(cassette, args, says):
    result = CliRunner().invoke(main, ["replay", str(cassette), *args])
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Traceback" not in result.output


def test_a_missing_or_broken_cassette_gets_one_clear_error_and_loses_nothing(tmp_path, cassette):
    result = CliRunner().invoke(main, ["replay", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "is not a tillroll cassette (no tillroll.json): nothing is there" in result.output
    [part] = list(cassette.rglob("*.parquet"))
    part.write_bytes(b"PAR1 half-written")
    result = CliRunner().invoke(main, ["replay", str(cassette)])
    assert result.exit_code == 1 and f"cannot read {part.relative_to(cassette)} in cassette {cassette}" in result.output
    assert f"`tillroll info {cassette}` moves it" in result.output and "Traceback" not in result.output
    assert part.read_bytes() == b"PAR1 half-written"  # replay moves nothing
    assert CliRunner().invoke(main, ["info", str(cassette)]).exit_code == 1  # set aside, not deleted
    assert [p.read_bytes() for p in (cassette / "quarantine").iterdir()] == [b"PAR1 half-written"]
    result = CliRunner().invoke(main, ["replay", str(cassette)])
    assert result.exit_code == 1 and "holds no recordings" in result.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_server_process_serves_and_reports_unused_recordings_and_misses_at_exit(tmp_path, cassette):
    key = tmp_path / "key"
    key.write_bytes(KEY)
    port, health = free_port(), None
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tillroll")), "replay", str(cassette), "--port", str(port),
                             "--key-file", str(key), "--report"], stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # bounded: 10 s to start
            try:
                health = json.loads(urllib.request.urlopen(base + "/__tillroll/health", timeout=1).read())
                break
            except OSError:
                time.sleep(0.1)
        assert health["recordings"] == 2
        assert urllib.request.urlopen(base + "/v1/items", timeout=5).read() == b"[1]"
        with pytest.raises(urllib.error.HTTPError) as miss:
            urllib.request.urlopen(base + "/v1/other", timeout=5)
        assert miss.value.code == 599
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert "2 request(s) served, 1 missed, 1 of 2 recording(s) never used" in err
    assert "GET /v1/unused" in err and "GET /v1/other" in err
    assert f"serving on http://127.0.0.1:{port} on uvloop (Ctrl-C stops)" in err  # aiohttp's advice: libuv

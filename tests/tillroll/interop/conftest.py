"""Traffic files written by the real tools: a POS day through a real mitmdump (no tillroll
addon) in front of the vendor sandbox, saved with ``-w`` (a flow file) and with
mitmproxy's own ``savehar`` (``--set hardump``). Made once per test session."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from tillroll.cli import main
from tillroll.demo.pos_day import Client, run_pos_day
from tillroll.proxy_process import recording_proxy
from tillroll.sandbox.server import start_sandbox
from tillroll.sandbox.clock import FakeClock

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)


@dataclasses.dataclass
class Day:
    flows: Path  # mitmdump -w
    har: Path  # mitmproxy savehar
    calls: list  # (method, path, status) the POS saw
    tape: list  # (status, parsed body) the POS saw
    key_file: Path


class Tape(Client):
    def request(self, *args, **kwargs):
        status, body = super().request(*args, **kwargs)
        self.tape.append((status, body))
        return status, body


def play(base_url: str, clock: FakeClock | None = None) -> tuple[list, list]:
    """The scripted POS day against *base_url*; returns the calls and what came back."""
    clock = clock or FakeClock(START)
    client = Tape(base_url)
    client.tape = []
    run_pos_day(client, advance_clock=clock.advance, now=clock.now)
    return client.calls, client.tape


@pytest.fixture(scope="session")
def real_day(tmp_path_factory) -> Day:
    work = tmp_path_factory.mktemp("real-tools")
    key_file = work / "key"
    key_file.write_text("interop-test-key-0123456789abcdef")
    flows, har = work / "day.mitm", work / "day.har"
    clock = FakeClock(START)
    with start_sandbox(clock=clock) as upstream:
        with recording_proxy(None, [f"reverse:{upstream}"], workdir=work / "mitm", with_addon=False,
                             options=[f"save_stream_file={flows}", f"hardump={har}"]) as proxy:
            calls, tape = play(f"http://127.0.0.1:{proxy.ports[0]}", clock)
    assert flows.stat().st_size > 0 and har.stat().st_size > 0, "mitmdump wrote no files"
    return Day(flows, har, calls, tape, key_file)


@pytest.fixture
def key_file(tmp_path) -> Path:
    """A redaction key for a test's own imports."""
    path = tmp_path / "key"
    path.write_text("interop-test-key-0123456789abcdef")
    return path


def run_cli(*args):
    """``tillroll ARGS...`` in-process; a user error exits, it never raises."""
    result = CliRunner().invoke(main, [*map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def run_import(key_file, cassette, *files, extra=()):
    return run_cli("import", *files, "--cassette", cassette, "--key-file", key_file, *extra)

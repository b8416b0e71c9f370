"""The line per exchange on mitmdump's terminal: printed as mitmdump's terminal log prints an
info record (without making one), the same text as before, one per exchange, never a secret."""

import datetime as dt
import io
import logging
import re
import time

import pytest
from mitmproxy.addons.termlog import TermLogHandler
from mitmproxy.log import LegacyLogEvents

from tillroll.demo.pos_day import Client, run_pos_day
from tillroll.proxy.console import TerminalLine, exchange_line
from tillroll.proxy_process import recording_proxy
from tillroll.sandbox import FakeClock, credentials as creds, start_sandbox
from tillroll.store import open_cassette

SECRETS = [creds.SECURITY_ID, creds.PASSWORD, creds.SPOTON_API_KEY, creds.SPOONITY_API_KEY, creds.USERNAME,
           creds.SPOONITY_CARD]
STAMPED = re.compile(r"^\[\d\d:\d\d:\d\d\.\d{3}\] (.*)$")


def info_logger() -> logging.Logger:
    """A logger at info level, as mitmdump sets tillroll's (pytest leaves the root at warning)."""
    logger = logging.getLogger("tillroll.test-console")
    logger.setLevel(logging.INFO)
    return logger


@pytest.mark.parametrize("colours", [False, True])
def test_a_line_is_printed_as_the_terminal_log_prints_an_info_record(colours, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_765_123_456.789)  # one instant for the record and the line
    out = io.StringIO()
    handler = TermLogHandler(out)
    type(handler.formatter).__init__(handler.formatter, colours)  # as on a terminal, or not
    text = "spoonity  order.process  200  ⚠ failed: Duplicate (hidden in HTTP 200)  84 ms  POST /order?api_key=x"
    record = logging.LogRecord("tillroll", logging.INFO, __file__, 1, "%s", (text,), None)
    handler.emit(record)
    TerminalLine(handler, info_logger()).write(text)
    first, second = out.getvalue().splitlines()
    assert first == second and text in first


def test_lines_go_through_logging_when_anything_else_would_see_them(monkeypatch):
    terminal = TermLogHandler(io.StringIO())
    root = logging.getLogger()
    tillroll = logging.getLogger("tillroll")
    monkeypatch.setattr(root, "handlers", [terminal, LegacyLogEvents(None)])
    assert TerminalLine.find([object()], tillroll) is not None  # mitmdump's own handlers only

    class AddLog:
        def add_log(self, entry):
            pass

    assert TerminalLine.find([object(), AddLog()], tillroll) is None  # an addon reads the log
    monkeypatch.setattr(root, "handlers", [terminal, logging.StreamHandler(io.StringIO())])
    assert TerminalLine.find([], tillroll) is None  # a handler of someone's own (a file, a test)
    monkeypatch.setattr(root, "handlers", [logging.StreamHandler(io.StringIO())])
    assert TerminalLine.find([], tillroll) is None  # no terminal


def test_quiet_terminal_prints_no_line():
    out = io.StringIO()
    handler = TermLogHandler(out)
    handler.setLevel(logging.WARNING)  # termlog_verbosity=warn
    TerminalLine(handler, info_logger()).write("a line")
    assert out.getvalue() == ""


@pytest.mark.parametrize("console", [True, False])
def test_mitmdump_prints_one_redacted_line_per_exchange_in_order(tmp_path, key_file, console):
    clock = FakeClock(dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc))
    with start_sandbox(clock=clock) as upstream:
        with recording_proxy(tmp_path / "c", [f"reverse:{upstream}"], workdir=tmp_path / "mitm", key_file=key_file,
                             options=[f"tillroll_console={str(console).lower()}"], verbosity="info") as proxy:
            run_pos_day(Client(f"http://127.0.0.1:{proxy.ports[0]}"), advance_clock=clock.advance, now=clock.now)
    log = proxy.log()
    exchanges = open_cassette(tmp_path / "c").exchanges()
    assert exchanges and " 0 not recorded" in proxy.summary
    stamped = [m.group(1) for m in map(STAMPED.match, log.splitlines()) if m]
    assert any(s.startswith("tillroll: recording into") for s in stamped)  # a line through logging
    lines = [s for s in stamped if not s.startswith("tillroll:") and "  " in s]
    assert lines == ([exchange_line(e) for e in exchanges] if console else [])
    assert not any(secret in log for secret in SECRETS)

"""The demo: a POS day through the recording proxy to the vendor sandbox, then what was recorded.

Starts the sandbox (its clock movable, so a SPOT session can idle past 20 minutes), a real
``mitmdump`` with the tillroll addon as a reverse proxy in front of it, drives the scripted
POS day through the proxy, stops the proxy (which flushes the cassette) and reads the
cassette back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tillroll.proxy_process import recording_proxy
from tillroll.sandbox import FakeClock, start_sandbox
from tillroll.store import MANIFEST, NotACassette, check_new_cassette, open_cassette
from tillroll.store.exchange import FAILURES
from tillroll.store.summary import Summary, summarize

from .pos_day import Client, run_pos_day

NEXT_STEPS = """
Next, try (after `. .venv/bin/activate`, or prefix the commands with .venv/bin/):
  tillroll info {cassette}
  tillroll report errors {cassette}          # also usage, latency, sessions, coverage, schema
  tillroll check {cassette}                  # the vendors' documented rules
  tillroll query "SELECT operation, count(*) FROM exchanges GROUP BY ALL" {cassette}
  tillroll replay {cassette} --port 8080     # serve it back, deterministically
  tillroll export {cassette} demo.har --format har   # for Chrome DevTools; also mitm, vcr
  tillroll record cassettes/live --mode reverse:https://api.mydrycleaner.com@8081
  tillroll sandbox      # the vendor APIs on http://127.0.0.1:8700, to point a POS at
"""

DEMO_CLOCK_BEHIND = dt.timedelta(minutes=30)
DEMO_MARK = ".tillroll-demo"  # in a cassette the demo wrote: the next demo may replace it


@dataclasses.dataclass
class DemoResult:
    summary: Summary
    calls: int
    proxy_summary: str
    hidden_failures: list[str]  # "vendor operation: message" of failures inside HTTP 2xx


def check_room(cassette: Path) -> None:
    """Raise :class:`NotACassette` unless the demo may write at *cassette*: nothing there, an
    empty folder, or a cassette an earlier demo wrote (replaced). A cassette of real traffic
    and a folder tillroll did not create are refused, untouched."""
    if str(cassette).startswith("s3:"):
        raise NotACassette(f"the demo writes a folder on this machine, not {cassette}: choose a local --cassette")
    check_new_cassette(cassette)
    if (cassette / MANIFEST).is_file() and not (cassette / DEMO_MARK).is_file():
        raise NotACassette(f"{cassette} is a cassette the demo did not write, and the demo replaces what is at "
                           "--cassette: choose another folder")


def _clear(cassette: Path) -> None:
    check_room(cassette)
    if (cassette / DEMO_MARK).is_file():
        shutil.rmtree(cassette)


def run_demo(cassette: Path, *, key_file: Path | None = None, start: dt.datetime | None = None) -> DemoResult:
    """Record a POS day into a fresh *cassette*; return what it holds. The sandbox's
    clock starts at *start*, which decides the vendor data it serves. By default it is half an
    hour ago: the POS day moves the sandbox's clock 21 minutes on (to let a SPOT session
    expire) while the proxy stamps exchanges with the real time, and SpotOn windows computed
    from a clock ahead of the real one would end "in the future" for ``tillroll check``."""
    _clear(cassette)
    clock = FakeClock(start or dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - DEMO_CLOCK_BEHIND)
    with tempfile.TemporaryDirectory(prefix="tillroll-demo-") as work, start_sandbox(clock=clock) as upstream:
        with recording_proxy(cassette, [f"reverse:{upstream}"], workdir=Path(work), key_file=key_file) as proxy:
            calls = run_pos_day(Client(f"http://127.0.0.1:{proxy.ports[0]}"), advance_clock=clock.advance,
                                now=clock.now)
    (cassette / DEMO_MARK).write_text("written by `tillroll demo`, which replaces this cassette when run again\n")
    opened = open_cassette(cassette)
    table = opened.read_table(["vendor", "operation", "outcome", "outcome_message", "status"])
    hidden = table.filter(pc.and_(pc.is_in(table["outcome"], pa.array(FAILURES)), pc.less(table["status"], 300)))
    failures = [f"{r['vendor']} {r['operation']}: {r['outcome_message']}" for r in hidden.to_pylist()]
    return DemoResult(summarize(opened), len(calls), proxy.summary, failures)

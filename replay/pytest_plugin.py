"""The tillroll pytest plugin: replay a cassette for a test, fail it on unmatched requests.

    @pytest.mark.tillroll(cassette="pos-day")
    def test_checkout(tillroll_replay):
        pos = Pos(base_url=tillroll_replay.base_url)
        ...

The cassette is looked up in ``--tillroll-cassettes`` (default ``cassettes``) unless the
marker gives a path. At teardown the test errors if a request matched no recording, and
says why: the nearest recordings, the matchers that failed, the fields that differ
(``replay/misses.py``; ``--tillroll-allow-misses``, or ``allow_misses=True`` on the
marker, turns that off).
``--tillroll-record UPSTREAM`` re-records instead: the test talks to a recording proxy
(a real ``mitmdump`` with the tillroll addon) in front of UPSTREAM, and the cassette is
replaced by what it records.

Marker arguments: ``cassette``, ``on_miss`` (error|forward|record), ``upstream``,
``sequence`` (repeat|cycle|error), ``match`` (matcher names), ``match_host``,
``key_file``, ``allow_misses``, ``miss_status``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tillroll.proxy_process import recording_proxy
from tillroll.store import CassetteError, check_new_cassette

from .app import Settings, make_app
from .matching import DEFAULT
from .misses import explain_misses
from .replayer import Replayer
from .server import ReplayServer, open_replayer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tillroll")
    group.addoption("--tillroll-cassettes", default="cassettes", help="Directory of cassettes (default: cassettes).")
    group.addoption("--tillroll-allow-misses", action="store_true",
                    help="Do not fail tests whose requests matched no recording.")
    group.addoption("--tillroll-record", metavar="UPSTREAM",
                    help="Re-record the cassettes through the tillroll proxy in front of UPSTREAM.")
    group.addoption("--tillroll-key-file", help="Redaction key file (default: $TILLROLL_KEY, then ~/.config).")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "tillroll(cassette, **options): replay this cassette for the test "
                                       "(see the tillroll_replay fixture)")


@dataclass
class Replay:
    """What a test gets: where to send requests, and what was served."""

    base_url: str
    cassette: Path
    replayer: Replayer | None = None  # None when re-recording

    def journal(self) -> list[dict]:
        return self.replayer.journal_entries() if self.replayer else []

    def unmatched(self) -> list[dict]:
        return [e for e in self.journal() if not e["matched"]]


@pytest.fixture
def tillroll_replay(request: pytest.FixtureRequest) -> Iterator[Replay]:
    marker = request.node.get_closest_marker("tillroll")
    opts = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        opts.setdefault("cassette", marker.args[0])
    if "cassette" not in opts:
        raise pytest.UsageError("tillroll_replay needs @pytest.mark.tillroll(cassette=NAME_OR_PATH)")
    config = request.config
    cassette = Path(opts["cassette"])
    if not cassette.is_absolute() and not cassette.exists():
        cassette = Path(config.rootpath) / config.getoption("tillroll_cassettes") / cassette
    key_file = opts.get("key_file") or config.getoption("tillroll_key_file")
    upstream = config.getoption("tillroll_record")
    if upstream:
        yield from _rerecord(cassette, upstream, key_file)
        return
    opened = open_replayer(cassette, key_file=key_file, matchers=tuple(opts.get("match", DEFAULT)),
                           match_host=opts.get("match_host", False), sequence=opts.get("sequence", "repeat"))
    settings = Settings(on_miss=opts.get("on_miss", "error"), miss_status=opts.get("miss_status", 599),
                        upstream=opts.get("upstream"))
    with ReplayServer(make_app(opened.replayer, settings)) as server:
        replay = Replay(server.base_url, cassette, opened.replayer)
        yield replay
    allowed = opts.get("allow_misses", config.getoption("tillroll_allow_misses"))
    missed = replay.unmatched()
    if missed and not allowed:
        lines = explain_misses(opened.replayer.unmatched_explained())
        pytest.fail(f"{len(missed)} request(s) matched no recording in {cassette}:\n" + "\n".join(lines)
                    + "\n(choose matchers with match=[...] on the marker; --tillroll-allow-misses to allow)",
                    pytrace=False)


def _rerecord(cassette: Path, upstream: str, key_file) -> Iterator[Replay]:
    try:  # the cassette is replaced: only a cassette (or nothing yet) may be, never a folder of the user's
        check_new_cassette(cassette)
    except CassetteError as exc:
        raise pytest.UsageError(f"cannot re-record: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="tillroll-rerecord-") as work:
        fresh = Path(work) / "cassette"
        with recording_proxy(fresh, [f"reverse:{upstream}"], workdir=Path(work), key_file=key_file) as proxy:
            yield Replay(f"http://127.0.0.1:{proxy.ports[0]}", cassette)
        if cassette.exists():
            shutil.rmtree(cassette)
        shutil.copytree(fresh, cassette)

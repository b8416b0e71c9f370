"""Failures that repeat are said once, then counted: a recorder whose queue is full or whose
disk is gone fails thousands of exchanges a second, and one line each buried the proxy's
own output."""

from __future__ import annotations

import logging

from tests.samples import exchange, redactor
from tillroll.proxy.recorder import Recorder
from tillroll.proxy.repeated_warnings import KINDS_KEPT, RepeatedWarnings

log = logging.getLogger("tillroll.test")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_the_first_of_a_kind_is_said_and_the_rest_counted_once_an_interval(caplog):
    clock = Clock()
    warnings = RepeatedWarnings(log, "exchange(s) not recorded", interval=10.0, clock=clock)
    with caplog.at_level(logging.WARNING):
        for i in range(1000):
            warnings.warn("queue full", "GET /x%d was not recorded: queue full", i)
        assert lines(caplog) == ["GET /x0 was not recorded: queue full"]
        clock.now += 10.0
        warnings.warn("queue full", "GET /late was not recorded: queue full")
        assert lines(caplog)[1:] == ["tillroll: 1000 more exchange(s) not recorded: queue full"]
        warnings.warn("disk gone", "POST /q was not recorded: disk gone")  # another kind: said at once
        warnings.warn("queue full", "never said")
        warnings.close()
    assert lines(caplog)[2:] == ["POST /q was not recorded: disk gone",
                                 "tillroll: 1 more exchange(s) not recorded: queue full"]


def test_kinds_from_the_traffic_are_bounded(caplog):
    warnings = RepeatedWarnings(log, "exchange(s) not recorded", clock=Clock())
    with caplog.at_level(logging.WARNING):
        for i in range(KINDS_KEPT * 3):
            warnings.warn(f"kind {i}", "failed: kind %d", i)
        warnings.close()
    # each kept kind once; the first of the rest, and the rest counted as one kind
    assert len(lines(caplog)) == KINDS_KEPT + 2
    assert lines(caplog)[-2:] == [f"failed: kind {KINDS_KEPT}",
                                  f"tillroll: {KINDS_KEPT * 2 - 1} more exchange(s) not recorded: other failures"]


def test_a_recorder_that_cannot_write_says_so_once_and_counts_the_rest(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    recorder = Recorder(blocker, redactor())
    with caplog.at_level(logging.WARNING, logger="tillroll"):
        for _ in range(500):
            assert recorder.record(exchange("GET", "api.example.com", "/x", response=b"{}")) is None
        summary = recorder.close()
    said = [r.getMessage() for r in caplog.records if "not recorded" in r.getMessage()]
    assert len(said) == 2, said
    assert said[0].startswith("tillroll: GET /x was not recorded: no cassette")
    assert said[1].startswith("tillroll: 499 more exchange(s) not recorded: no cassette")
    assert recorder.stats.recording_errors == 500 and "500 not recorded" in summary

"""What replay keeps in memory (``--memory``): long sequences replay exactly under any budget,
the budget bounds what is kept, and a wrong size gets one clear error."""

from __future__ import annotations

import json
import tracemalloc

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.replay.cassettes import write_cassette
from tests.samples import KEY, exchange, redactor
from tillroll.capture import capture
from tillroll.capture.match_doc import match_key
from tillroll.cli import main
from tillroll.replay.app import make_app
from tillroll.replay.memory import PASSED, SERVED, KeptResponses, kept_bytes, parse_size
from tillroll.replay.responses import answer
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.replay.wire import wire_of
from tillroll.store import CassetteWriter, open_cassette

from .test_server import call

PAD = "x" * 3000  # bodies big enough for a 1 MiB budget to hold a few hundred of them


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(KEY)
    return path


def balance(member: str, n: int, pad: int = len(PAD)):
    return exchange("POST", "api.example.com", "/loyalty/balance", body=json.dumps({"member": member}).encode(),
                    response=json.dumps({"member": member, "points": n, "pad": "x" * pad}).encode())


def lookup(i: int):
    return exchange("GET", "api.example.com", f"/items/{i}", response=json.dumps({"item": i, "pad": PAD}).encode())


def write(path, raws, batch_rows):
    r = redactor()
    writer = CassetteWriter(path, batch_rows=batch_rows, flush_interval=3600)  # groups of batch_rows rows
    for raw in raws:
        ex = capture(raw, r)
        ex.match_key = match_key(ex, r)
        writer.append(ex)
    writer.close()
    return path


def points_of(base: str, member: str) -> int:
    status, _, body = call(base, "POST", "/loyalty/balance", {"member": member})
    assert status == 200, body
    return json.loads(body)["points"]


# -- sizes -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [("512M", 512 << 20), ("1G", 1 << 30), ("1.5G", 3 << 29), ("2048m", 2 << 30),
                                        ("1GiB", 1 << 30), ("64 MB", 64 << 20), ("1073741824", 1 << 30)])
def test_sizes_are_read_as_people_write_them(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text, says", [("lots", "'lots' is not a size: use one such as 512M, 1G"),
                                        ("1X", "'1X' is not a size"), ("-1G", "'-1G' is not a size"),
                                        ("", "'' is not a size"), ("100K", "too small to keep any recording")])
def test_a_wrong_memory_value_gets_one_clear_error(tmp_path, text, says):
    cassette = write_cassette(tmp_path / "c", [lookup(1)])
    result = CliRunner().invoke(main, ["replay", str(cassette), "--memory", text])
    assert result.exit_code == 2 and says in result.output and "--memory" in result.output, result.output
    assert "Traceback" not in result.output and result.output.count("Error") == 1


def test_help_says_what_memory_is_for():
    result = CliRunner().invoke(main, ["replay", "--help"])
    assert result.exit_code == 0
    assert "--memory SIZE" in result.output and "Memory for recorded responses" in result.output
    assert "[default: 512M]" in result.output


# -- the pools -----------------------------------------------------------------------------------------

def recorded(i: int, size: int = 1000):
    return answer(f"ex-{i}", 200, "OK", [("Content-Type", "application/json")], b"x" * size, size, False, None,
                  1.0, None, None)


def test_kept_responses_never_hold_more_than_the_budget_and_count_exactly():
    one = kept_bytes(recorded(0))
    kept = KeptResponses(10 * one)
    for i in range(30):
        kept.serve(i, recorded(i))
        assert kept.bytes <= kept.budget
    assert len(kept) == 10 and sorted(kept._rows) == list(range(20, 30))  # the least recently served went
    assert kept.bytes == sum(kept_bytes(kept.get(row)) for row in range(20, 30))
    kept.serve(25, recorded(25, size=20 * one))  # bigger than the budget: served, not kept
    assert 25 not in kept and kept.bytes <= kept.budget


def test_what_a_sequence_moved_past_goes_first_then_what_is_needed_last_then_the_least_recently_served():
    one = kept_bytes(recorded(0))
    kept = KeptResponses(6 * one)
    kept.serve(1, recorded(1))                                          # a request recorded once
    kept.serve(2, recorded(2), PASSED)                                  # a sequence's step, passed
    kept.keep_ahead([(50, recorded(50), SERVED, 5.0), (10, recorded(10), SERVED, 1.0),
                     (30, recorded(30), SERVED, 3.0)])                  # next ones, needed after 5, 1, 3 x
    kept.serve(3, recorded(3))
    assert sorted(kept._rows) == [1, 2, 3, 10, 30, 50] and kept.bytes == kept.budget
    kept.serve(4, recorded(4))                                          # over: 2 (passed) goes
    assert sorted(kept._rows) == [1, 3, 4, 10, 30, 50]
    kept.serve(5, recorded(5))                                          # then the one needed last: 50
    assert sorted(kept._rows) == [1, 3, 4, 5, 10, 30]
    assert kept.get(10) is not None and kept.pools() == {SERVED: 5, PASSED: 0, "ahead": 1}  # 10 served now
    for row in (6, 7, 8):
        kept.serve(row, recorded(row))                                  # 30, then the least recently served: 1, 3
    assert sorted(kept._rows) == [4, 5, 6, 7, 8, 10] and kept.bytes == kept.budget


def test_the_budget_bounds_the_memory_kept_responses_really_hold(tmp_path):
    """What is counted against --memory is what the responses and their prebuilt bytes
    hold (traced by Python's allocator), not a guess far below it."""
    cassette = write(tmp_path / "c", [lookup(i) for i in range(2000)], batch_rows=100)
    opened = open_replayer(cassette, key_file=None, memory=4 << 20)
    recordings = opened.replayer.recordings
    recordings.locations()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for row in range(2000):
            served = recordings.response_now(row)
            served.wire = wire_of(served.status, served.reason, served.headers, served.body)  # as replay.app does
        recordings.responses._groups.clear()  # (the decoded row groups are another share of the budget)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.75 * recordings.kept.bytes <= held <= 1.25 * recordings.kept.bytes
    assert recordings.kept.bytes <= recordings.kept.budget and len(recordings.kept) < 2000


# -- long sequences through the server -----------------------------------------------------------------

def test_a_long_sequence_replays_in_order_under_a_tiny_budget(tmp_path, key_file):
    """A request recorded 600 times among others (row groups of 40 rows) is answered with
    its recordings in recorded order, though the budget holds a fraction of them; then the
    last repeats, and a rewind starts it again."""
    raws = []
    for n in range(600):
        raws += [balance("M-1", n), lookup(n)]
    cassette = write(tmp_path / "c", raws, batch_rows=40)
    opened = open_replayer(cassette, key_file=key_file, memory=1 << 20)
    recordings = opened.replayer.recordings
    assert 600 * kept_bytes(recordings.response_now(0)) > 3 * recordings.kept.budget
    with ReplayServer(make_app(opened.replayer)) as server:
        assert [points_of(server.base_url, "M-1") for _ in range(602)] == list(range(600)) + [599, 599]
        memory = json.loads(call(server.base_url, "GET", "/__tillroll/health")[2])["memory"]
        assert memory["budget"] == 1 << 20 and 0 < memory["responses_bytes"] <= recordings.kept.budget
        assert call(server.base_url, "POST", "/__tillroll/reset")[0] == 200
        assert [points_of(server.base_url, "M-1") for _ in range(3)] == [0, 1, 2]


def test_sequences_walked_together_read_each_row_group_once_when_they_fit(tmp_path, key_file):
    """Two requests recorded 300 times each, walked turn about: a row group read for one
    step keeps the next steps of both (a decoded group is over the budget's share for
    groups), so the cassette is read once, not once a step."""
    raws = []
    for n in range(300):
        raws += [balance("M-1", n, pad=300), balance("M-2", 1000 + n, pad=300), lookup(n)]
    cassette = write(tmp_path / "c", raws, batch_rows=300)
    groups = sum(pq.ParquetFile(f).metadata.num_row_groups for f in open_cassette(cassette).parquet_files())
    opened = open_replayer(cassette, key_file=key_file, memory=2 << 20)
    recordings = opened.replayer.recordings
    with ReplayServer(make_app(opened.replayer)) as server:
        walked = [(points_of(server.base_url, "M-1"), points_of(server.base_url, "M-2")) for _ in range(300)]
    assert walked == [(n, 1000 + n) for n in range(300)]
    # each group once, and the first once more: M-2 was not walked yet when it was read first
    assert groups >= 3 and recordings.responses.groups_read == groups + 1


def test_sequences_walked_together_stay_exact_when_the_budget_is_too_small(tmp_path, key_file):
    raws = []
    for n in range(300):
        raws += [balance("M-1", n), balance("M-2", 1000 + n), lookup(n)]
    cassette = write(tmp_path / "c", raws, batch_rows=30)
    opened = open_replayer(cassette, key_file=key_file, memory=1 << 20, sequence="cycle")
    with ReplayServer(make_app(opened.replayer)) as server:
        walked = [(points_of(server.base_url, "M-1"), points_of(server.base_url, "M-2")) for _ in range(350)]
        assert call(server.base_url, "GET", "/items/7")[0] == 200
    assert walked == [(n % 300, 1000 + n % 300) for n in range(350)]
    assert opened.replayer.recordings.kept.bytes <= opened.replayer.recordings.kept.budget

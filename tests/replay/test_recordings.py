"""Loading a cassette for replay: order, index, and responses read when first served."""

import json

from tests.samples import exchange, redactor
from tillroll.replay.matching import Matching
from tillroll.replay.recordings import load
from tillroll.capture import capture
from tillroll.capture.match_doc import match_key
from tillroll.store import CassetteWriter


def numbered(i: int):
    return exchange("POST", "api.example.com", "/items", body=json.dumps({"n": i}).encode(),
                    response=json.dumps({"item": i}).encode())


def write(writer, raws):
    r = redactor()
    for raw in raws:
        ex = capture(raw, r)
        ex.match_key = match_key(ex, r)
        writer.append(ex)


def test_responses_come_from_the_right_row_of_the_right_row_group(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=1000)
    write(writer, [numbered(i) for i in range(3500)])  # four Parquet row groups
    writer.close()
    recordings = load(tmp_path / "c", Matching(), redactor())
    assert len(recordings) == 3500 and len(recordings.index) == 3500
    r = redactor()
    for i in (0, 999, 1000, 2048, 3499):  # rows are in recorded order
        [row] = recordings.index[match_key(capture(numbered(i), r), r)]
        assert row == i and json.loads(recordings.response_now(row).body) == {"item": i}


def test_a_live_writers_complete_batches_are_replayed_too(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=10, flush_interval=0.01)
    write(writer, [numbered(i) for i in range(20)])
    writer.flush()
    try:
        recordings = load(tmp_path / "c", Matching(), redactor())
        assert len(recordings) == 20
        assert json.loads(recordings.response_now(19).body) == {"item": 19}
    finally:
        writer.close()


def test_responses_read_from_many_threads_at_once_are_all_right(tmp_path):
    """Reading row groups of one Parquet file from several threads at once broke pyarrow's
    reader (ReadRangeCache) under load: reads of a file are serialised."""
    from concurrent.futures import ThreadPoolExecutor

    writer = CassetteWriter(tmp_path / "c", batch_rows=50)
    write(writer, [numbered(i) for i in range(2000)])
    writer.close()
    recordings = load(tmp_path / "c", Matching(), redactor())
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda i: recordings.response_now(i).body, range(2000)))
    assert [json.loads(b)["item"] for b in bodies] == list(range(2000))


def test_responses_stay_right_when_the_memory_is_small_and_evicts(tmp_path):
    """A million-exchange cassette does not fit the memory given: what was evicted is read and
    built again, right, and what is kept never goes over the budget."""
    import random

    writer = CassetteWriter(tmp_path / "c", batch_rows=100)
    write(writer, [numbered(i) for i in range(1000)])  # ten row groups
    writer.close()
    recordings = load(tmp_path / "c", Matching(), redactor(), memory=1 << 20)
    rows = list(range(1000)) * 2
    random.Random(7).shuffle(rows)
    for row in rows:
        assert json.loads(recordings.response_now(row).body) == {"item": row}
        assert recordings.kept.bytes <= recordings.kept.budget < 1 << 20
    assert recordings.responses.group_bytes + recordings.kept.budget == 1 << 20


def test_big_responses_are_kept_within_the_byte_budget(tmp_path):
    """Big bodies (a SpotOn export) are not all kept: the responses kept hold about the
    budget, and what fell out is built again, right."""
    from tillroll.replay.memory import kept_bytes

    big = [exchange("GET", "api.example.com", f"/export/{i}", response=json.dumps({"i": i, "pad": "x" * 20_000}).encode())
           for i in range(200)]
    writer = CassetteWriter(tmp_path / "c", batch_rows=10)
    write(writer, big)
    writer.close()
    recordings = load(tmp_path / "c", Matching(), redactor(), memory=1 << 20)  # about 20 of them
    for _ in range(2):
        for row in range(200):
            assert json.loads(recordings.response_now(row).body)["i"] == row
            assert recordings.kept.bytes <= recordings.kept.budget and 1 <= len(recordings.kept) <= 25
    assert recordings.kept.bytes == sum(kept_bytes(recordings.kept.get(row)) for row in range(200)
                                        if row in recordings.kept)


def test_responses_read_by_row_group_are_what_the_captured_exchange_serves(tmp_path):
    """Replay converts a row group's headers at once; what it serves for each row is what
    ``responses.from_exchange`` serves for the exchange just captured (header by header,
    hop-by-hop ones and HTTP/2 pseudo-headers left out, the body re-encoded as recorded)."""
    import gzip

    from tillroll.replay.responses import from_exchange

    bodies = [json.dumps({"item": i}).encode() for i in range(7)]
    raws = [
        exchange("GET", "api.example.com", "/a", response=bodies[0],
                 response_headers=[("Content-Type", "application/json"), ("Connection", "keep-alive"),
                                   ("Transfer-Encoding", "chunked"), ("Content-Length", "12"), (":status", "200"),
                                   ("X-Trace", "a"), ("x-trace", "b")]),
        exchange("GET", "api.example.com", "/b", response=gzip.compress(bodies[1], mtime=0),
                 response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")]),
        exchange("GET", "api.example.com", "/c", response=b"", response_headers=[("Content-Encoding", "gzip")]),
        exchange("GET", "api.example.com", "/d", response=bodies[3], response_headers=[]),
        exchange("GET", "api.example.com", "/e", status=None, error="connection reset"),
        exchange("GET", "api.example.com", "/f", response=bodies[5],
                 response_headers=[("KEEP-ALIVE", "5"), ("X-Vendor", "v"), ("Upgrade", "h2c")]),
        exchange("GET", "api.example.com", "/g", status=503, response=bodies[6]),
        exchange("GET", "api.example.com", "/h", response='{"name": "Zoë ☕ 𝄞"}'.encode(),
                 response_headers=[("X-Name", "Zoë")]),
        exchange("GET", "api.example.com", "/i", response=bytes(range(256)),  # not UTF-8: stored as bytes
                 response_headers=[("Content-Type", "application/octet-stream")]),
    ]
    r = redactor()
    captured = []
    writer = CassetteWriter(tmp_path / "c", batch_rows=4)  # rows in several row groups
    for raw in raws * 3:
        ex = capture(raw, r)
        ex.match_key = match_key(ex, r)
        captured.append(from_exchange(ex))
        writer.append(ex)
    writer.close()
    recordings = load(tmp_path / "c", Matching(), redactor())
    for row, expected in enumerate(captured):
        got = recordings.responses.get(*recordings.location(row))
        assert (got.status, got.reason, got.headers, got.body, got.error) == \
            (expected.status, expected.reason, expected.headers, expected.body, expected.error), row
    assert captured[0].headers == [("Content-Type", "application/json"), ("X-Trace", "a"),
                                   ("x-trace", "b")]
    assert gzip.decompress(captured[1].body) == bodies[1] and captured[2].headers == []
    assert captured[7].body == '{"name": "Zoë ☕ 𝄞"}'.encode() and captured[8].body == bytes(range(256))

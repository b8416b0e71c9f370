"""Reading a cassette one exchange at a time gives what read_table gives, in the same order."""

import datetime as dt
import shutil

from tests.factories import T0, full_exchange
from tillroll.store import stream
from tillroll.store import CassetteWriter, open_cassette


def test_files_of_interleaved_writers_and_of_other_days_come_back_merged_in_recorded_order(tmp_path):
    a = CassetteWriter(tmp_path / "c", batch_rows=50, segment_rows=300)
    b = CassetteWriter(tmp_path / "c", batch_rows=50, segment_rows=300)
    for i in range(1000):  # two proxies recording at once: their files overlap in time
        (a if i % 3 else b).append(full_exchange(i, started_at=T0 + dt.timedelta(seconds=i)))
    for i in range(200):  # and another day
        a.append(full_exchange(i, started_at=T0 + dt.timedelta(days=2, seconds=i)))
    a.close()
    b.close()
    cassette = open_cassette(tmp_path / "c")
    assert len(cassette.parquet_files()) >= 6
    expected = [ex.exchange_id for ex in cassette.exchanges()]
    got = [ex.exchange_id for ex in stream.iter_exchanges(cassette, batch_rows=64)]
    assert got == expected and len(got) == 1200
    groups = list(stream._overlapping(cassette))
    assert len(groups) >= 2  # the other day's files are not merged with the first day's


def test_a_row_in_two_files_comes_back_once_and_a_live_segment_is_included(tmp_path):
    with CassetteWriter(tmp_path / "c") as w:
        for i in range(10):
            w.append(full_exchange(i, started_at=T0 + dt.timedelta(seconds=i)))
    part = open_cassette(tmp_path / "c").parquet_files()[0]
    shutil.copy(part, part.with_name("copy-" + part.name))  # a merge caught half-way by a reader
    live = CassetteWriter(tmp_path / "c")
    live.append(full_exchange(99, started_at=T0 + dt.timedelta(seconds=99)))
    live.flush()
    try:
        got = list(stream.iter_exchanges(open_cassette(tmp_path / "c", recover=False)))
    finally:
        live.close()
    assert [ex.started_at for ex in got] == [T0 + dt.timedelta(seconds=s) for s in [*range(10), 99]]


def test_a_file_appended_out_of_time_order_comes_back_in_recorded_order(tmp_path):
    # a proxy appends exchanges as they complete: a slow request started first is appended last
    with CassetteWriter(tmp_path / "c") as w:
        for i in (5, 1, 4, 2, 3, 0):
            w.append(full_exchange(i, started_at=T0 + dt.timedelta(hours=1, seconds=i)))
    cassette = open_cassette(tmp_path / "c")
    assert len(cassette.parquet_files()) == 1
    got = [ex.started_at for ex in stream.iter_exchanges(cassette, batch_rows=2)]
    assert got == sorted(got) == [ex.started_at for ex in cassette.exchanges()]

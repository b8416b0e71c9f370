import datetime as dt
import shutil
import threading

import pytest

from tests.factories import T0, full_exchange
from tillroll.store.compact import compact_cassette
from tillroll.store import CassetteError, CassetteWriter, open_cassette


def write_small_files(path, n_files, per_file, start=0):
    for k in range(n_files):
        with CassetteWriter(path) as w:
            for i in range(per_file):
                w.append(full_exchange(start + k * per_file + i))


def test_compaction_merges_small_files_and_keeps_every_exchange_in_order(tmp_path):
    write_small_files(tmp_path / "c", 6, 50)
    before = open_cassette(tmp_path / "c").read_table()
    result = compact_cassette(tmp_path / "c")
    assert (result.files_before, result.files_after, result.rows) == (6, 1, 300)
    after = open_cassette(tmp_path / "c").read_table()
    assert after.equals(before)


def test_compaction_keeps_date_partitions_apart(tmp_path):
    with CassetteWriter(tmp_path / "c") as w:
        for day in range(3):
            for i in range(4):
                w.append(full_exchange(i, started_at=T0 + dt.timedelta(days=day, hours=-1, seconds=i)))
    write_small_files(tmp_path / "c", 2, 5)
    result = compact_cassette(tmp_path / "c")
    assert result.files_after == 3
    assert open_cassette(tmp_path / "c").read_table().num_rows == 22


def test_compaction_drops_duplicates_left_by_an_interrupted_merge(tmp_path):
    write_small_files(tmp_path / "c", 1, 20)
    [path] = list((tmp_path / "c").glob("date=*/*.parquet"))
    shutil.copy(path, path.with_name("part-copy.parquet"))  # a crash after rename, before unlink
    assert open_cassette(tmp_path / "c").read_table().num_rows == 20  # readers dedupe
    result = compact_cassette(tmp_path / "c")
    assert (result.duplicates_dropped, result.rows, result.files_after) == (20, 20, 1)


def test_compaction_while_a_writer_is_recording_loses_nothing(tmp_path):
    write_small_files(tmp_path / "c", 4, 25)
    writer = CassetteWriter(tmp_path / "c", batch_rows=10, segment_rows=30, flush_interval=0.01)
    stop = threading.Event()

    def record():
        i = 1000
        while not stop.is_set() and i < 6000:  # bounded
            writer.append(full_exchange(i))
            i += 1

    thread = threading.Thread(target=record)
    thread.start()
    try:
        for _ in range(5):
            compact_cassette(tmp_path / "c")
    finally:
        stop.set()
        thread.join()
        writer.close()
    table = open_cassette(tmp_path / "c").read_table()
    assert table.num_rows == 100 + writer.appended
    assert len(set(table["exchange_id"].to_pylist())) == table.num_rows


def test_compacting_a_missing_cassette_is_a_clear_error(tmp_path):
    with pytest.raises(CassetteError, match="not a tillroll cassette"):
        compact_cassette(tmp_path / "nope")

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.factories import T0, error_exchange, full_exchange
from tillroll.store import CassetteError, CassetteWriter, init_cassette, open_cassette

REPO = Path(__file__).resolve().parents[3]


def write(path, exchanges, **kwargs):
    with CassetteWriter(path, **kwargs) as writer:
        for ex in exchanges:
            writer.append(ex)
    return writer


def start_writer(path, count, every, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.tillroll.store.writer_proc", str(path), str(count), str(every), *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_line(proc, prefix):
    for line in proc.stdout:  # bounded by the child's own deadline
        if line.startswith(prefix):
            return line
    raise AssertionError(f"writer ended without {prefix!r}: {proc.stderr.read()}")


def test_every_column_round_trips_through_the_store(tmp_path):
    sent = [full_exchange(i) for i in range(5)] + [error_exchange(5)]
    write(tmp_path / "c", sent)
    back = open_cassette(tmp_path / "c").exchanges()
    assert back == sent  # identity columns were set on `sent` by append()
    assert back[0].request_body == sent[0].request_body
    assert back[1].response_body_bytes.startswith(b"\x89PNG")
    assert back[5].status is None and back[5].error == "connection refused"
    assert back[0].cassette == "c" and back[0].seq == 0


def test_exchanges_come_back_in_recorded_order_across_segments_and_files(tmp_path):
    sent = [full_exchange(i) for i in range(2500)]
    write(tmp_path / "c", sent, batch_rows=100, segment_rows=700)
    cassette = open_cassette(tmp_path / "c")
    assert len(cassette.parquet_files()) >= 4
    assert [e.exchange_id for e in cassette.exchanges()] == [e.exchange_id for e in sent]


def test_cassette_is_partitioned_by_date_and_duckdb_reads_it_directly(tmp_path):
    day1 = [full_exchange(i, started_at=T0) for i in range(3)]
    day2 = [full_exchange(i, started_at=T0 + dt.timedelta(days=1)) for i in range(2)]
    write(tmp_path / "c", day1 + day2)
    assert sorted(p.name for p in (tmp_path / "c").glob("date=*")) == ["date=2026-11-21", "date=2026-11-22"]
    rows = duckdb.sql(
        f"SELECT date, count(*), count(DISTINCT exchange_id) FROM read_parquet('{tmp_path}/c/**/*.parquet', "
        "hive_partitioning=true) GROUP BY date ORDER BY date"
    ).fetchall()
    assert [(str(d), n, u) for d, n, u in rows] == [("2026-11-21", 3, 3), ("2026-11-22", 2, 2)]


def test_reading_selected_columns_keeps_order(tmp_path):
    sent = [full_exchange(i) for i in range(10)]
    write(tmp_path / "c", sent)
    table = open_cassette(tmp_path / "c").read_table(["operation", "match_key"])
    assert table["match_key"].to_pylist() == [f"mk-{i}" for i in range(10)]
    with pytest.raises(CassetteError, match="unknown column"):
        open_cassette(tmp_path / "c").read_table(["nope"])


def test_flushed_exchanges_are_visible_to_readers_while_the_writer_runs(tmp_path):
    writer = CassetteWriter(tmp_path / "c")
    try:
        for i in range(50):
            writer.append(full_exchange(i))
        writer.flush()
        cassette = open_cassette(tmp_path / "c")
        assert cassette.read_table().num_rows == 50
        assert cassette.recovered == []  # the live writer's segment is not touched
        assert len(cassette.live_segments()) == 1
    finally:
        writer.close()
    assert open_cassette(tmp_path / "c").read_table().num_rows == 50


def test_a_writer_killed_mid_stream_loses_nothing_it_flushed(tmp_path):
    proc = start_writer(tmp_path / "c", 600, 200, "--hang")
    try:
        read_line(proc, "hanging")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    cassette = open_cassette(tmp_path / "c")
    table = cassette.read_table()
    seqs = table["seq"].to_pylist()
    assert table.num_rows >= 600
    assert seqs == list(range(len(seqs)))  # nothing missing before the end, in order
    assert any("recovered" in n for n in cassette.notices)
    assert not cassette.live_segments()  # rolled into Parquet
    assert open_cassette(tmp_path / "c").notices == []  # recovery happens once


def test_a_truncated_segment_is_recovered_up_to_its_tail_and_quarantined(tmp_path):
    proc = start_writer(tmp_path / "c", 300, 100, "--hang")
    try:
        read_line(proc, "hanging")
        [segment] = (tmp_path / "c" / "wal").glob("*.arrows")
        flushed_size = os.path.getsize(segment)
        deadline = time.monotonic() + 20
        # let unflushed batches pile up past the flushed point, then crash
        while os.path.getsize(segment) < flushed_size + 20_000 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    size = os.path.getsize(segment)
    assert size > flushed_size + 100
    with open(segment, "r+b") as f:  # cut the last batch short, as a crash mid-write would
        f.truncate(size - 100)
    cassette = open_cassette(tmp_path / "c")
    assert cassette.read_table().num_rows >= 300
    assert any("truncated tail" in n for n in cassette.recovered)
    assert any("quarantined wal/" in n for n in cassette.quarantined)
    assert len(list((tmp_path / "c" / "quarantine").iterdir())) == 1


def test_two_writer_processes_share_one_cassette(tmp_path):
    procs = [start_writer(tmp_path / "c", 500, 100) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    table = open_cassette(tmp_path / "c").read_table()
    assert table.num_rows == 1000
    assert len(set(table["session_id"].to_pylist())) == 2
    assert len(set(table["exchange_id"].to_pylist())) == 1000


def test_garbage_files_are_quarantined_with_a_clear_message(tmp_path):
    write(tmp_path / "c", [full_exchange(i) for i in range(5)])
    part = next((tmp_path / "c").glob("date=*"))
    (part / "part-garbage.parquet").write_bytes(b"this is not parquet at all")
    (tmp_path / "c" / "wal").mkdir(exist_ok=True)
    (tmp_path / "c" / "wal" / "dead-000000.arrows").write_bytes(b"\x00garbage")
    first = open_cassette(tmp_path / "c")  # a crashed writer's segment: recovered (here: set aside) on open
    with pytest.raises(CassetteError, match="cannot read .*part-garbage.parquet.*`tillroll info .*` moves it"):
        first.read_table()  # a plain read names the damaged Parquet file and moves it nowhere
    assert (part / "part-garbage.parquet").exists()
    cassette = open_cassette(tmp_path / "c", repair=True)  # tillroll info
    assert cassette.read_table().num_rows == 5
    notes = "\n".join(first.quarantined + cassette.quarantined)
    assert "part-garbage.parquet: not a readable Parquet file" in notes
    assert "dead-000000.arrows: not an Arrow IPC stream" in notes
    assert open_cassette(tmp_path / "c").read_table().num_rows == 5  # and it stays readable


def test_missing_and_non_cassette_paths_are_clear_errors(tmp_path):
    with pytest.raises(CassetteError, match="not a tillroll cassette .*nothing is there"):
        open_cassette(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CassetteError, match="not a tillroll cassette .*it is a file"):
        open_cassette(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CassetteError, match="not a tillroll cassette"):
        open_cassette(tmp_path / "empty")


def test_a_failing_disk_is_reported_by_the_next_call_not_swallowed(tmp_path):
    if os.geteuid() == 0:
        # root ignores permissions; make the write-ahead dir impossible instead
        init_cassette(tmp_path / "c")
        (tmp_path / "c" / "wal").write_text("a file where the wal directory should be")
    else:
        (tmp_path / "c").mkdir(mode=0o500)
    writer = CassetteWriter(tmp_path / "c", flush_interval=0.01) if os.geteuid() == 0 else None
    if writer is None:
        with pytest.raises(CassetteError):
            CassetteWriter(tmp_path / "c")
        return
    writer.append(full_exchange(0))
    with pytest.raises(CassetteError, match="writing to cassette .* failed"):
        writer.flush(timeout=10)
    with pytest.raises(CassetteError):
        writer.close()


def test_the_newer_schema_version_is_refused_with_advice(tmp_path):
    import pyarrow.parquet as pq

    write(tmp_path / "c", [full_exchange(0)])
    [path] = list((tmp_path / "c").glob("date=*/*.parquet"))
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({b"tillroll.schema_version": b"99"}), path)
    with pytest.raises(CassetteError, match="schema version 99; this tillroll reads up to 1: upgrade tillroll"):
        open_cassette(tmp_path / "c").read_table()
    cassette = open_cassette(tmp_path / "c", repair=True)
    assert cassette.read_table().num_rows == 0
    assert "upgrade tillroll" in cassette.quarantined[0]


def test_a_row_the_store_refuses_costs_only_itself(tmp_path):
    """A writer must not trust its input: text Arrow cannot encode (a lone surrogate that
    got past capture) leaves that one row out and counts it; the others are on disk."""
    writer = CassetteWriter(tmp_path / "c")
    good = [full_exchange(i) for i in range(3)]
    bad = full_exchange(9)
    bad.response_body_text = "lone \ud800 surrogate"
    for ex in (good[0], bad, good[1], good[2]):
        writer.append(ex)
    writer.close()
    assert writer.written == 3 and writer.lost == 1
    assert sum(writer.rejected.values()) == 1
    assert [e.exchange_id for e in open_cassette(tmp_path / "c").exchanges()] == [e.exchange_id for e in good]


def test_writers_starting_together_in_a_new_folder_all_open_it(tmp_path):
    """Import workers open one staging folder at once: a writer that finds the folder empty,
    then another's tillroll.json in it, opens it as the cassette it now is."""
    import threading

    from tillroll.store.manifest import listing

    errors = []

    def start():
        try:
            CassetteWriter(tmp_path / "c").close()
        except Exception as exc:  # noqa: BLE001  (any refusal is the failure under test)
            errors.append(exc)

    for _ in range(30):  # bounded: 30 folders, 8 writers each
        target = tmp_path / "c"
        threads = [threading.Thread(target=start) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == [] and "tillroll.json" in listing(target)[0]
        shutil.rmtree(target)

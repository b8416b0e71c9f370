"""The writer with ``convert_on_append`` (the recording proxy's capture worker): the appending
thread makes full batches into Arrow columns, the writer's thread writes them. Everything
appended is in the cassette, in order; flush and close lose nothing; a crash loses nothing
flushed; a refused row costs only itself."""

import os
import signal
import threading

from tests.factories import full_exchange
from tests.tillroll.store.test_store import read_line, start_writer
from tillroll.store import CassetteWriter, open_cassette


def test_every_exchange_appended_from_a_busy_loop_is_recorded_in_order(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=64, convert_on_append=True, block_when_full=False)
    appended = [writer.append(full_exchange(i)).exchange_id for i in range(1000)]  # 15 full batches and a part
    writer.close()
    assert writer.written == 1000 and writer.lost == 0
    table = open_cassette(tmp_path / "c").read_table(["exchange_id", "seq"])
    assert table["seq"].to_pylist() == list(range(1000))
    assert table["exchange_id"].to_pylist() == appended


def test_flush_writes_the_part_of_a_batch_the_appender_did_not_convert(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=64, flush_interval=3600, convert_on_append=True)
    try:
        for i in range(64 + 10):  # one full batch (converted on append) and ten rows
            writer.append(full_exchange(i))
        writer.flush(timeout=60)
        assert open_cassette(tmp_path / "c").read_table(["seq"])["seq"].to_pylist() == list(range(74))
    finally:
        writer.close()


def test_rows_of_slow_traffic_are_written_after_the_flush_interval_without_a_flush(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=1024, flush_interval=0.05, convert_on_append=True)
    try:
        for i in range(3):
            writer.append(full_exchange(i))
        done = threading.Event()
        for _ in range(600):  # bounded: up to 60 s for what takes 50 ms
            if writer.written == 3:
                done.set()
                break
            done.wait(0.1)
        assert done.is_set(), "three rows never reached the segment without a flush"
        assert open_cassette(tmp_path / "c").read_table(["seq"]).num_rows == 3
    finally:
        writer.close()


def test_appenders_on_several_threads_lose_nothing(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=32, convert_on_append=True)

    def append(base: int) -> None:
        for i in range(300):
            writer.append(full_exchange(base + i))

    threads = [threading.Thread(target=append, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    table = open_cassette(tmp_path / "c").read_table(["seq"])
    assert sorted(table["seq"].to_pylist()) == list(range(1200))  # read back in time order, not seq


def test_a_row_the_store_refuses_in_a_batch_converted_on_append_costs_only_itself(tmp_path):
    writer = CassetteWriter(tmp_path / "c", batch_rows=4, convert_on_append=True)
    good = [full_exchange(i) for i in range(7)]
    bad = full_exchange(99)
    bad.response_body_text = "lone \ud800 surrogate"
    for ex in (good[0], bad, *good[1:]):  # the bad row in the first, full batch
        writer.append(ex)
    writer.close()
    assert writer.written == 7 and writer.lost == 1 and sum(writer.rejected.values()) == 1
    assert [e.exchange_id for e in open_cassette(tmp_path / "c").exchanges()] == [e.exchange_id for e in good]


def test_a_writer_converting_on_append_killed_mid_stream_loses_nothing_it_flushed(tmp_path):
    proc = start_writer(tmp_path / "c", 600, 200, "--hang", "--convert-on-append")
    try:
        read_line(proc, "hanging")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    table = open_cassette(tmp_path / "c").read_table(["seq"])
    seqs = table["seq"].to_pylist()
    assert len(seqs) >= 600
    assert seqs == list(range(len(seqs)))


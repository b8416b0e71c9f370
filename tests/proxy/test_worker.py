"""The capture worker process: everything handed over is recorded, or counted when it cannot be."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.samples import KEY, exchange
from tillroll.proxy.worker import CaptureWorker
from tillroll.capture import DEFAULT_POLICY
from tillroll.store import open_cassette

ROOT = Path(__file__).resolve().parents[2]


def spot(i: int, failed: bool = False):
    body = f'{{"RequestType": "GetCustomer", "SessionID": "sess-canary-{i:08d}"}}'.encode()
    return exchange("POST", "api.mydrycleaner.com", "/q", body=body,
                    response=b'{"Failed": true, "Message": "Unable to load account."}' if failed else b"{}")


def test_every_exchange_handed_over_is_recorded_and_answered(tmp_path):
    worker = CaptureWorker(str(tmp_path / "c"), KEY, DEFAULT_POLICY, batch=7)
    assert worker.ready
    assert all(worker.submit(i, spot(i, failed=i % 10 == 0)) for i in range(300))
    summary, answers = worker.close()
    assert "300 exchange(s) recorded" in summary and "30 failed" in summary and "0 not recorded" in summary
    assert len(answers) <= 300  # some were read before close; none is lost below
    table = open_cassette(tmp_path / "c").read_table(["request_body_text"])
    assert table.num_rows == 300
    assert not any("sess-canary" in body for body in table.column("request_body_text").to_pylist())


def test_closing_with_a_backlog_records_it_all_without_sitting_out_the_timeout(tmp_path):
    """Ctrl-C right after a burst: more answers than their pipe holds are on their way while
    close() hands over the rest. It read none of them, so the child blocked on sending them,
    the sender on the child, and close() waited out its whole timeout (300 s for the
    proxy) before everything went through."""
    worker = CaptureWorker(str(tmp_path / "c"), KEY, DEFAULT_POLICY)
    assert all(worker.submit(i, spot(i)) for i in range(3000))
    started = time.monotonic()
    summary, answers = worker.close(timeout=60)
    assert time.monotonic() - started < 60, "close() sat out its timeout: the hand-over was stuck"
    assert "3000 exchange(s) recorded" in summary and "0 not recorded" in summary
    assert len(answers) == 3000  # none was read before close
    assert open_cassette(tmp_path / "c").read_table(["exchange_id"]).num_rows == 3000


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path):
    worker = CaptureWorker(str(tmp_path / "c"), KEY, DEFAULT_POLICY, max_pending=5)
    accepted = sum(worker.submit(i, spot(i)) for i in range(5000))
    summary, _ = worker.close()
    dropped = 5000 - accepted
    assert dropped > 0, "5,000 submits in a tight loop must outrun a queue of 5"
    assert f"{accepted} exchange(s) recorded" in summary and f"{dropped} not recorded" in summary
    assert open_cassette(tmp_path / "c").read_table(["exchange_id"]).num_rows == accepted


def test_a_dead_worker_is_counted_and_never_raises(tmp_path):
    worker = CaptureWorker(str(tmp_path / "c"), KEY, DEFAULT_POLICY)
    worker._proc.kill()
    worker._proc.join(10)
    for i in range(50):  # bounded: the sender notices the broken pipe within a batch or two
        worker.submit(i, spot(i))
        time.sleep(0.01)
    summary, _ = worker.close(timeout=5)
    assert "not recorded" in summary and "0 not recorded" not in summary


def test_when_the_proxy_dies_the_worker_still_closes_the_cassette(tmp_path):
    """SIGKILL of the proxy (here: a process that hands over 100 exchanges and exits at
    once) loses nothing the worker already received: it sees the pipe close and finishes."""
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path[:0] = [{str(ROOT)!r}]
        from tests.proxy.test_worker import spot
        from tests.samples import KEY
        from tillroll.proxy.worker import CaptureWorker
        from tillroll.capture import DEFAULT_POLICY
        w = CaptureWorker({str(tmp_path / "c")!r}, KEY, DEFAULT_POLICY, batch=10)
        for i in range(100):
            w.submit(i, spot(i))
        while w._pending:  # handed to the pipe
            time.sleep(0.01)
        time.sleep(0.2)
        print(w._proc.pid, flush=True)
        os._exit(0)  # no close(): like a SIGKILL
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    child = int(out.stdout.split()[0])
    for _ in range(300):  # bounded: 30 s for the orphaned worker to finish
        if not os.path.exists(f"/proc/{child}") or open(f"/proc/{child}/stat").read().split()[2] == "Z":
            break
        time.sleep(0.1)
    cassette = open_cassette(tmp_path / "c")
    assert cassette.read_table(["exchange_id"]).num_rows == 100
    assert not cassette.live_segments()  # closed and rolled into Parquet, not left to recovery

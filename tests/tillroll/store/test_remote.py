"""Cassettes on S3-compatible storage: a real S3 server (moto's) on loopback, the real proxy,
the real commands. Credentials never end up in a cassette, a log or a message."""

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.cli import main
from tillroll.demo.pos_day import Client, run_pos_day
from tillroll.proxy_process import free_port, recording_proxy
from tillroll.sandbox.clock import FakeClock
from tillroll.sandbox.server import start_sandbox
from tillroll.store import open_cassette

REPO = Path(__file__).resolve().parents[3]
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
ACCESS_KEY = "AKIATILLROLLCANARY01"
SECRET_KEY = "tillroll-canary-secret-Zq8v1xR4"
BUCKET = "pos-traffic"


@pytest.fixture
def s3(tmp_path, monkeypatch):
    """An S3 server on 127.0.0.1 with one bucket; the environment the AWS tools read."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / "cache"))
    client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}")
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def objects(client, prefix):
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def cli(*args):
    result = CliRunner().invoke(main, list(map(str, args)))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def record_day(url, workdir, key_file):
    clock = FakeClock(START)
    with start_sandbox(clock=clock) as upstream:
        with recording_proxy(url, [f"reverse:{upstream}"], workdir=workdir, key_file=key_file) as proxy:
            calls = run_pos_day(Client(f"http://127.0.0.1:{proxy.ports[0]}"), advance_clock=clock.advance, now=clock.now)
    return calls, proxy


def test_record_query_report_check_replay_and_compact_all_from_an_s3_url(s3, tmp_path):
    url = f"s3://{BUCKET}/pos/day"
    key_file = tmp_path / "key"
    key_file.write_text("s3-test-key-0123456789abcdef")
    calls, proxy = record_day(url, tmp_path / "mitm", key_file)

    stored = objects(s3, "pos/day/")
    assert "pos/day/tillroll.json" in stored
    assert any(k.startswith("pos/day/date=") and k.endswith(".parquet") for k in stored)

    info = cli("info", url)
    assert info.exit_code == 0 and f"exchanges   {len(calls)}" in info.output and url in info.output
    count = cli("query", "SELECT count(*) AS n FROM exchanges", url, "--format", "json")
    assert json.loads(count.output)[0]["n"] == len(calls)
    usage = cli("report", "usage", url, "--format", "json")
    assert sum(row["calls"] for row in json.loads(usage.output)) == len(calls)
    check = cli("check", url)
    assert check.exit_code in (0, 1) and "Traceback" not in check.output

    opened = open_replayer(url, key_file=key_file)
    with ReplayServer(make_app(opened.replayer)) as server:
        clock = FakeClock(START)
        replayed = run_pos_day(Client(server.base_url), advance_clock=clock.advance, now=clock.now)
    assert replayed == calls

    # a second proxy (another host, say) adds its day to the same prefix, then compaction merges
    more, _ = record_day(url, tmp_path / "mitm2", key_file)
    before = [k for k in objects(s3, "pos/day/") if k.endswith(".parquet")]
    compacted = cli("compact", url)
    assert compacted.exit_code == 0, compacted.output
    after = [k for k in objects(s3, "pos/day/") if k.endswith(".parquet")]
    assert len(after) < len(before)
    table = open_cassette(url).read_table(["exchange_id"])
    assert table.num_rows == len(calls) + len(more) == len(set(table["exchange_id"].to_pylist()))

    outputs = [info.output, count.output, usage.output, check.output, compacted.output, proxy.log()]
    for text in outputs:
        assert ACCESS_KEY not in text and SECRET_KEY not in text
    for data in objects(s3, "pos/").values():
        assert ACCESS_KEY.encode() not in data and SECRET_KEY.encode() not in data
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert SECRET_KEY.encode() not in path.read_bytes()


def start_writer(url, count, every, *extra):
    return subprocess.Popen([sys.executable, "-m", "tests.tillroll.store.writer_proc", url, str(count), str(every), *extra],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def test_writers_on_many_hosts_share_one_prefix_without_coordination(s3, tmp_path, monkeypatch):
    url = f"s3://{BUCKET}/shared/live"
    procs = []
    for host in ("a", "b", "c"):  # each "host" stages on its own disk
        monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / f"host-{host}"))
        procs.append(start_writer(url, 300, 100))
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / "reader"))
    table = open_cassette(url).read_table(["exchange_id", "session_id"])
    assert table.num_rows == 900 and len(set(table["session_id"].to_pylist())) == 3


def test_a_writer_killed_loses_nothing_it_flushed_the_next_start_uploads_it(s3, tmp_path):
    url = f"s3://{BUCKET}/crash/live"
    proc = start_writer(url, 400, 200, "--hang")
    try:
        for line in proc.stdout:  # bounded by the child's own deadline
            if line.startswith("hanging"):
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert not [k for k in objects(s3, "crash/live/") if k.endswith(".parquet")]  # nothing rolled yet
    cassette = open_cassette(url)  # on the same machine: the staged segment is rolled and uploaded
    assert any("uploaded" in n for n in cassette.notices)
    assert cassette.read_table(["seq"]).num_rows >= 400
    assert [k for k in objects(s3, "crash/live/") if k.endswith(".parquet")]


def test_bad_urls_and_missing_cassettes_and_refused_credentials_are_one_clear_line(s3, monkeypatch):
    assert "names a bucket, not a cassette" in cli("info", f"s3://{BUCKET}").output
    assert "s3://pos-traffic/nothing/here is not a tillroll cassette (no tillroll.json): nothing is stored under it" in cli("info", f"s3://{BUCKET}/nothing/here").output
    assert "never in the URL" in cli("info", f"s3://user:pw@{BUCKET}/x").output
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY + "-wrong")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    denied = cli("info", "s3://no-such-bucket-here/x")
    assert denied.exit_code == 1 and "Traceback" not in denied.output
    assert SECRET_KEY not in denied.output and "AKIAWRONGWRONGWRONG1" not in denied.output


def test_compaction_while_a_writer_uploads_loses_nothing(s3, tmp_path, monkeypatch):
    url = f"s3://{BUCKET}/busy/live"
    monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / "writer-host"))
    proc = start_writer(url, 300, 100, "--hang", "--segment-rows", "100")
    monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / "compactor-host"))
    try:
        for line in proc.stdout:  # bounded by the child's own deadline
            if line.startswith("hanging"):
                break
        merged = []
        for _ in range(3):  # the writer keeps rolling and uploading files meanwhile
            time.sleep(0.3)
            result = cli("compact", url)
            assert result.exit_code == 0, result.output
            before, after = re.search(r"(\d+) file\(s\) -> (\d+) file\(s\)", result.output).groups()
            merged.append(int(before) > int(after))
        assert any(merged), "compaction never had files to merge"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    monkeypatch.setenv("TILLROLL_CACHE", str(tmp_path / "writer-host"))  # its host uploads what it staged
    table = open_cassette(url).read_table(["exchange_id", "seq"])
    seqs = table["seq"].to_pylist()
    assert len(seqs) >= 300 and seqs == list(range(len(seqs)))  # nothing lost, nothing twice
    assert len(set(table["exchange_id"].to_pylist())) == table.num_rows

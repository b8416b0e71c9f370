"""Import traffic files written by the real tools: decoded and redacted as live recording is."""

import json

import pyarrow.parquet as pq
import pytest
from mitmproxy import http, io

from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tests.canaries import leaks
from tillroll.interop.importer import import_files
from tillroll.capture import load_key
from tillroll.sandbox import credentials as creds
from tillroll.store import open_cassette
from tests.tillroll.store.test_remote import s3  # noqa: F401  (the S3 server fixture)

from .conftest import play

SECRETS = {"security id": creds.SECURITY_ID, "password": creds.PASSWORD, "spoton key": creds.SPOTON_API_KEY,
           "spoonity key": creds.SPOONITY_API_KEY}


def imported(day, path, cassette):
    summary = import_files([path], cassette, load_key(day.key_file))
    assert summary.failed_files == 0, summary.text()
    return summary, open_cassette(cassette).exchanges()


def test_a_mitmdump_flow_file_imports_every_exchange_decoded_and_redacted(real_day, tmp_path):
    summary, exchanges = imported(real_day, real_day.flows, tmp_path / "c")
    assert summary.imported == len(real_day.calls) == len(exchanges)
    assert [(ex.method, ex.path, ex.status) for ex in exchanges] == \
        [(m, p.split("?")[0], s) for m, p, s in real_day.calls]
    assert {ex.vendor for ex in exchanges} == {"spot", "spoton", "xgl", "spoonity"}
    assert "Body" in {ex.params_encoding for ex in exchanges}  # SPOT's legacy Base64 Body, decoded
    body_call = next(ex for ex in exchanges if ex.params_encoding == "Body")
    assert body_call.operation and json.loads(body_call.params_json)
    assert any(ex.outcome == "failed" and ex.status == 200 for ex in exchanges)  # hidden in a 200
    stored = json.dumps([pq.read_table(p).to_pylist() for p in sorted((tmp_path / "c").rglob("*.parquet"))],
                        default=str).encode()
    assert leaks(stored, SECRETS) == []


def test_a_flow_files_timings_are_kept(real_day, tmp_path):
    _, exchanges = imported(real_day, real_day.flows, tmp_path / "c")
    with open(real_day.flows, "rb") as f:
        flows = [fl for fl in io.FlowReader(f).stream() if isinstance(fl, http.HTTPFlow)]
    for ex, fl in zip(exchanges, flows):
        assert ex.started_at.timestamp() == pytest.approx(fl.request.timestamp_start, abs=1e-6)  # µs stored
        assert ex.duration_ms == pytest.approx((fl.response.timestamp_end - fl.request.timestamp_start) * 1000)
        assert ex.wait_ms == pytest.approx((fl.response.timestamp_start - fl.request.timestamp_end) * 1000)
        assert ex.send_ms is not None and ex.receive_ms is not None


def test_mitmproxys_own_har_imports_to_the_same_exchanges_and_match_keys_as_the_flow_file(real_day, tmp_path):
    _, from_flows = imported(real_day, real_day.flows, tmp_path / "flows")
    _, from_har = imported(real_day, real_day.har, tmp_path / "har")
    assert len(from_har) == len(from_flows)
    # savehar leaves out the body of a DELETE (a Spoonity void): marked as not all there
    missing = [a for a in from_har if a.request_truncated]
    assert [a.method for a in missing] == ["DELETE"] * len(missing)
    assert all(a.request_body_size > 0 for a in missing)
    for a, b in zip(from_har, from_flows):
        if a.request_truncated:
            assert (a.method, a.path, a.status) == (b.method, b.path, b.status)
            continue
        assert (a.method, a.host, a.path, a.query, a.status, a.vendor, a.operation, a.outcome) == \
            (b.method, b.host, b.path, b.query, b.status, b.vendor, b.operation, b.outcome)
        assert a.match_key == b.match_key  # replay finds a request the same way whichever file it came from
        assert a.response_body_text == b.response_body_text
        assert abs(a.started_at.timestamp() - b.started_at.timestamp()) < 0.001  # HAR keeps milliseconds


def test_an_imported_day_replays_to_the_pos_as_it_happened(real_day, tmp_path):
    imported(real_day, real_day.flows, tmp_path / "c")
    opened = open_replayer(tmp_path / "c", key_file=real_day.key_file)
    with ReplayServer(make_app(opened.replayer)) as server:
        calls, tape = play(server.base_url)
    assert calls == real_day.calls
    assert [status for status, _ in tape] == [status for status, _ in real_day.tape]
    assert not [e for e in opened.replayer.journal_entries() if not e["matched"]]


def test_importing_into_an_existing_cassette_adds_to_it(real_day, tmp_path):
    imported(real_day, real_day.flows, tmp_path / "c")
    imported(real_day, real_day.har, tmp_path / "c")
    assert len(open_cassette(tmp_path / "c").exchanges()) == 2 * len(real_day.calls)
    assert not list((tmp_path / "c").glob(".import-*"))  # no staging left behind


def test_worker_processes_import_the_same_exchanges_as_one_process(real_day, tmp_path, monkeypatch):
    from tillroll.interop import importer

    monkeypatch.setattr(importer, "PARALLEL_FROM", 0)  # the day is small: make it use the worker pool
    monkeypatch.setattr(importer, "BATCH", 3)  # and hand out many batches
    one = import_files([real_day.flows], tmp_path / "one", load_key(real_day.key_file), workers=1)
    two = import_files([real_day.flows], tmp_path / "two", load_key(real_day.key_file), workers=2)
    assert one.imported == two.imported == len(real_day.calls)
    strip = lambda ex: (ex.started_at, ex.method, ex.path, ex.status, ex.operation, ex.match_key,  # noqa: E731
                        ex.request_body_text, ex.response_body_text)
    assert [strip(ex) for ex in open_cassette(tmp_path / "two").exchanges()] == \
        [strip(ex) for ex in open_cassette(tmp_path / "one").exchanges()]


def test_a_file_imports_into_a_cassette_on_s3(real_day, s3, tmp_path):  # noqa: F811 (the fixture)
    url = "s3://pos-traffic/imported/day"
    summary = import_files([real_day.flows], url, load_key(real_day.key_file))
    assert summary.failed_files == 0 and summary.imported == len(real_day.calls)
    assert len(open_cassette(url).exchanges()) == len(real_day.calls)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="pos-traffic", Prefix="imported/day/")["Contents"]]
    assert "imported/day/tillroll.json" in keys and any(k.endswith(".parquet") for k in keys)


def test_an_import_interrupted_half_way_leaves_the_cassette_as_it_was(real_day, tmp_path, monkeypatch):
    from tillroll.interop import importer
    from tillroll.interop import workers

    imported(real_day, real_day.flows, tmp_path / "c")  # what was there before
    before = sorted(p.name for p in (tmp_path / "c").rglob("*.parquet"))
    monkeypatch.setattr(importer, "BATCH", 4)
    real = workers.capture_batch
    calls = []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C while the third batch is being decoded
        return real(*args)

    monkeypatch.setattr(workers, "capture_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_files([real_day.har], tmp_path / "c", load_key(real_day.key_file), workers=1)
    assert sorted(p.name for p in (tmp_path / "c").rglob("*.parquet")) == before
    assert not list((tmp_path / "c").glob(".import-*"))

"""Exports open in the real tools, and round trips keep what the formats hold."""

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
import requests
import vcr
import yaml
from click.testing import CliRunner
from jsonschema import Draft6Validator
from mitmproxy import http, io
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT6

from tests.canaries import leaks
from tillroll.cli import main
from tillroll.interop.importer import import_files
from tillroll.capture import load_key
from tillroll.proxy_process import mitmdump_executable
from tillroll.sandbox import credentials as creds
from tillroll.store import open_cassette

from .test_importer import SECRETS

TIMINGS = ("send", "wait", "receive", "connect", "ssl")


def cassette_of(day, path, cassette):
    summary = import_files([path], cassette, load_key(day.key_file))
    assert summary.failed_files == 0, summary.text()
    return cassette


def export(cassette, fmt, out):
    result = CliRunner().invoke(main, ["export", str(cassette), str(out), "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def har_entries(path):
    return json.loads(path.read_text())["log"]["entries"]


HAR_SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "har-schema"


def check_har_1_2(doc):
    """Valid against har-validator's HAR 1.2 schemas (tests/fixtures/har-schema), formats
    included; and what DevTools relies on beyond them: UTC times, timings of the phases."""
    schemas = {p.name: json.loads(p.read_text()) for p in HAR_SCHEMA.glob("*.json")}
    registry = Registry().with_resources((name, Resource.from_contents(schema, default_specification=DRAFT6))
                                         for name, schema in schemas.items())
    validator = Draft6Validator(schemas["har.json"], registry=registry, format_checker=Draft6Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert doc["log"]["version"] == "1.2"
    for e in doc["log"]["entries"]:
        assert e["startedDateTime"].endswith("Z")
        assert all(e["timings"][k] >= 0 for k in ("send", "wait", "receive"))


def test_har_round_trip_keeps_every_exchange_header_order_status_and_timings(real_day, tmp_path):
    c = cassette_of(real_day, real_day.har, tmp_path / "c")
    export(c, "har", tmp_path / "out.har")
    original, back = har_entries(real_day.har), har_entries(tmp_path / "out.har")
    assert len(back) == len(original)
    stored = open_cassette(c).exchanges()
    for a, b, ex in zip(original, back, stored):
        assert dt.datetime.fromisoformat(b["startedDateTime"]) == dt.datetime.fromisoformat(a["startedDateTime"])
        assert (b["request"]["method"], b["response"]["status"], b["response"]["statusText"]) == \
            (a["request"]["method"], a["response"]["status"], a["response"]["statusText"])
        assert [h["name"] for h in b["request"]["headers"]] == [h["name"] for h in a["request"]["headers"]]
        assert [h["name"] for h in b["response"]["headers"]] == [h["name"] for h in a["response"]["headers"]]
        for key in TIMINGS:
            assert b["timings"][key] == pytest.approx(a["timings"][key], abs=0.001), key
        assert b["time"] == pytest.approx(a["time"], abs=0.001)
        if not ex.redactions:  # nothing to redact: every byte as it was
            assert b["request"]["url"] == a["request"]["url"]
            assert b["request"]["headers"] == a["request"]["headers"]
            assert b["response"]["headers"] == a["response"]["headers"]
            assert b["response"]["content"].get("text") == a["response"]["content"].get("text")
    assert leaks((tmp_path / "out.har").read_bytes(), SECRETS) == []
    # and a second trip changes nothing at all: redaction is stable
    again = cassette_of(real_day, tmp_path / "out.har", tmp_path / "c2")
    export(again, "har", tmp_path / "again.har")
    strip = lambda entries: [{k: v for k, v in e.items() if k != "_tillroll"} for e in entries]  # noqa: E731
    assert strip(har_entries(tmp_path / "again.har")) == strip(back)


def test_exported_har_is_har_1_2_and_mitmproxy_reads_it(real_day, tmp_path):
    c = cassette_of(real_day, real_day.flows, tmp_path / "c")
    export(c, "har", tmp_path / "out.har")
    check_har_1_2(json.loads((tmp_path / "out.har").read_text()))
    with open(tmp_path / "out.har", "rb") as f:
        flows = list(io.FlowReader(f).stream())  # mitmproxy's own HAR loader
    assert [(fl.request.method, fl.response.status_code) for fl in flows] == \
        [(m, s) for m, _, s in real_day.calls]


def flows_in(path):
    with open(path, "rb") as f:
        return [fl for fl in io.FlowReader(f).stream() if isinstance(fl, http.HTTPFlow)]


def test_flow_round_trip_keeps_every_exchange_header_order_status_bodies_and_timings(real_day, tmp_path):
    c = cassette_of(real_day, real_day.flows, tmp_path / "c")
    export(c, "mitm", tmp_path / "out.mitm")
    original, back = flows_in(real_day.flows), flows_in(tmp_path / "out.mitm")
    stored = open_cassette(c).exchanges()
    assert len(back) == len(original) == len(stored)
    for a, b, ex in zip(original, back, stored):
        assert (b.request.method, b.request.url, b.response.status_code, b.response.reason) == \
            (a.request.method, a.request.url.replace(creds.SPOONITY_API_KEY, b.request.query.get("api_key", "")),
             a.response.status_code, a.response.reason)
        assert list(b.request.headers.keys()) == list(a.request.headers.keys())
        assert list(b.response.headers.keys()) == list(a.response.headers.keys())
        for x, y in ((b.request.timestamp_start, a.request.timestamp_start),
                     (b.request.timestamp_end, a.request.timestamp_end),
                     (b.response.timestamp_start, a.response.timestamp_start),
                     (b.response.timestamp_end, a.response.timestamp_end)):
            assert x == pytest.approx(y, abs=2e-6)
        redacted = {location.split(".")[0] for location, _ in ex.redactions if ".body" in location}
        if "request" not in redacted:
            assert b.request.content == a.request.content
        if "response" not in redacted:
            assert b.response.content == a.response.content
    assert leaks((tmp_path / "out.mitm").read_bytes(), SECRETS) == []


def test_mitmdump_reads_the_exported_flow_file(real_day, tmp_path):
    c = cassette_of(real_day, real_day.flows, tmp_path / "c")
    export(c, "mitm", tmp_path / "out.mitm")
    # -n: no proxy server; -r: read the flows and print them, as mitmproxy -r / mitmweb -r load them
    done = subprocess.run([mitmdump_executable(), "-n", "-r", str(tmp_path / "out.mitm"), "--set", "flow_detail=1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = [line for line in done.stdout.splitlines() if " HTTP/1.1" in line or line.lstrip().startswith("<<")]
    assert sum(1 for line in done.stdout.splitlines() if line.lstrip().startswith("<<")) == len(real_day.calls), \
        printed


def test_vcrpy_replays_the_exported_cassette_to_requests(real_day, tmp_path):
    c = cassette_of(real_day, real_day.flows, tmp_path / "c")
    out = export(c, "vcr", tmp_path / "day.yaml")
    assert "filter_query_parameters=['api_key']" in out
    doc = yaml.safe_load((tmp_path / "day.yaml").read_text())
    assert doc["version"] == 1 and len(doc["interactions"]) == len(real_day.calls)
    assert leaks((tmp_path / "day.yaml").read_bytes(), SECRETS) == []

    with open(real_day.flows, "rb") as f:  # the POS's own requests, real credentials included
        sent = [fl.request for fl in io.FlowReader(f).stream()]
    # the sandbox is gone: only vcrpy can answer, and record_mode none refuses anything unrecorded
    recorder = vcr.VCR(record_mode="none", filter_query_parameters=["api_key"])
    with recorder.use_cassette(str(tmp_path / "day.yaml")) as cassette:
        got = []
        for r in sent:
            resp = requests.request(r.method, r.url, data=r.content or None,
                                    headers={k: v for k, v in r.headers.items() if k.lower() != "content-length"},
                                    timeout=5)
            got.append((resp.status_code, resp.json() if resp.content else None))
        assert cassette.all_played
    assert [status for status, _ in got] == [status for status, _ in real_day.tape]
    stored = open_cassette(c).exchanges()
    assert [body for _, body in got] == [json.loads(ex.response_body_text) if ex.response_body_text else None
                                         for ex in stored]


def test_export_errors_are_one_clear_line_and_leave_no_file(real_day, tmp_path, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(main, ["export", str(tmp_path / "nope"), str(tmp_path / "x.har"), "--format", "har"])
    assert result.exit_code == 1 and "is not a tillroll cassette (no tillroll.json): nothing is there" in result.output and not (tmp_path / "x.har").exists()
    result = runner.invoke(main, ["export", str(tmp_path / "nope"), str(tmp_path / "x.har"), "--format", "pcap"])
    assert result.exit_code == 2 and "'pcap' is not one of" in result.output
    c = cassette_of(real_day, real_day.flows, tmp_path / "c")
    result = runner.invoke(main, ["export", str(c), str(tmp_path / "missing" / "x.har"), "--format", "har"])
    assert result.exit_code == 1 and "does not exist: create it first" in result.output

    from tillroll.interop import exporter

    calls = []

    def failing(ex, **kwargs):  # the disk fills up, or the user presses Ctrl-C, half-way
        calls.append(ex)
        if len(calls) > 5:
            raise KeyboardInterrupt
        return {}

    (tmp_path / "old.har").write_text("the previous export")
    monkeypatch.setattr(exporter, "entry_from_exchange", failing)
    with pytest.raises(KeyboardInterrupt):
        exporter.export_cassette(c, "har", tmp_path / "old.har")
    assert (tmp_path / "old.har").read_text() == "the previous export"  # not replaced by half a file
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_recorded_transport_error_goes_out_as_each_format_can_say_it(tmp_path):
    from tests.factories import error_exchange, full_exchange
    from tillroll.store import CassetteWriter

    with CassetteWriter(tmp_path / "c") as w:
        w.append(full_exchange(0))
        w.append(error_exchange(1))
    export(tmp_path / "c", "har", tmp_path / "out.har")
    [ok, failed] = har_entries(tmp_path / "out.har")
    assert (failed["response"]["status"], failed["_error"]) == (0, "connection refused")  # as Chrome writes it
    export(tmp_path / "c", "mitm", tmp_path / "out.mitm")
    flows = flows_in(tmp_path / "out.mitm")
    assert flows[1].response is None and flows[1].error.msg == "connection refused"
    out = export(tmp_path / "c", "vcr", tmp_path / "out.yaml")
    assert "left out 1 without a response" in out
    assert len(yaml.safe_load((tmp_path / "out.yaml").read_text())["interactions"]) == 1
    # and back in: still a transport error, not a response
    import_files([tmp_path / "out.har"], tmp_path / "back", b"export-test-key-0123456789")
    import_files([tmp_path / "out.mitm"], tmp_path / "back2", b"export-test-key-0123456789")
    for cassette in ("back", "back2"):
        errors = [(ex.status, ex.error) for ex in open_cassette(tmp_path / cassette).exchanges() if ex.error]
        assert errors == [(None, "connection refused")]

"""Bad traffic files: each gets one clear message, and nothing is half-written."""

import base64
import json

from click.testing import CliRunner
from mitmproxy.io import tnetstring

from tillroll.cli import main
from tillroll.sandbox import credentials as creds
from tillroll.store import open_cassette


def run_import(day, cassette, *files, extra=()):
    result = CliRunner().invoke(main, ["import", *map(str, files), "--cassette", str(cassette),
                                       "--key-file", str(day.key_file), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def stored(cassette):
    if not cassette.exists():
        return []
    assert not list(cassette.glob(".import-*")), "a staging folder was left behind"
    return open_cassette(cassette).exchanges() if list(cassette.glob("date=*/*.parquet")) else []


def cut_copy(source, dest, fraction):
    """*dest*: the first *fraction* of *source*, as a crash or a full disk leaves a file."""
    data = source.read_bytes()
    dest.write_bytes(data[: int(len(data) * fraction)])
    return dest


def har_with(entries):
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}})


def entry(**overrides):
    e = {"startedDateTime": "2026-11-20T09:00:00.000Z", "time": 12.5,
         "request": {"method": "GET", "url": "http://127.0.0.1:9/v1/things?x=1", "httpVersion": "HTTP/1.1",
                     "headers": [{"name": "Accept", "value": "application/json"}], "queryString": [], "cookies": [],
                     "headersSize": -1, "bodySize": 0},
         "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                      "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                      "content": {"size": 11, "mimeType": "application/json", "text": '{"ok": true}'},
                      "redirectURL": "", "headersSize": -1, "bodySize": 11},
         "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1.5}}
    e.update(overrides)
    return e


def test_a_truncated_har_is_reported_and_nothing_of_it_is_imported(real_day, tmp_path):
    cut = cut_copy(real_day.har, tmp_path / "cut.har", 2 / 3)
    result = run_import(real_day, tmp_path / "c", cut)
    assert result.exit_code == 1
    assert "is truncated" in result.output and "nothing imported from it" in result.output
    assert stored(tmp_path / "c") == []


def test_partial_keeps_the_complete_entries_of_a_truncated_har(real_day, tmp_path):
    cut = cut_copy(real_day.har, tmp_path / "cut.har", 2 / 3)
    result = run_import(real_day, tmp_path / "c", cut, extra=["--partial"])
    assert result.exit_code == 1
    whole = len(json.loads(real_day.har.read_bytes())["log"]["entries"])
    kept = stored(tmp_path / "c")
    assert 0 < len(kept) < whole
    assert f"kept the {len(kept):,} exchange(s) before it" in result.output


def test_base64_bodies_are_decoded_and_invalid_base64_skips_only_that_entry(real_day, tmp_path):
    good = entry()
    good["response"]["content"] = {"size": 11, "mimeType": "application/json", "encoding": "base64",
                                   "text": base64.b64encode(b'{"ok": true}').decode()}
    bad = entry()
    bad["response"]["content"] = {"size": 3, "mimeType": "application/json", "encoding": "base64",
                                  "text": "not*base64!"}
    (tmp_path / "b64.har").write_text(har_with([good, bad, entry()]))
    result = run_import(real_day, tmp_path / "c", tmp_path / "b64.har")
    assert result.exit_code == 0
    assert "2 imported, 1 skipped" in result.output
    assert "entry 1: has response.content.text marked base64 that is not valid base64" in result.output
    assert [ex.response_body_text for ex in stored(tmp_path / "c")] == ['{"ok": true}', '{"ok": true}']


def test_entries_without_a_response_are_skipped_by_name_and_failed_requests_kept_as_errors(real_day, tmp_path):
    no_response = entry()
    del no_response["response"]
    failed = entry(_error="net::ERR_CONNECTION_REFUSED")
    failed["response"] = {"status": 0, "statusText": "", "headers": [], "content": {"size": 0, "mimeType": ""}}
    (tmp_path / "x.har").write_text(har_with([no_response, failed, entry()]))
    result = run_import(real_day, tmp_path / "c", tmp_path / "x.har")
    assert "entry 0: has no response" in result.output
    got = stored(tmp_path / "c")
    assert [(ex.status, ex.error) for ex in got] == [(None, "net::ERR_CONNECTION_REFUSED"), (200, None)]


def test_a_flow_file_of_a_newer_mitmproxy_is_refused_with_its_version(real_day, tmp_path):
    newer = tmp_path / "newer.mitm"
    with open(newer, "wb") as f:
        tnetstring.dump({"version": 99, "type": "http"}, f)
    result = run_import(real_day, tmp_path / "c", newer)
    assert result.exit_code == 1
    assert "flow format version 99" in result.output and "tillroll reads flow format" in result.output
    assert stored(tmp_path / "c") == []


def test_a_truncated_flow_file_is_reported_and_nothing_of_it_is_imported(real_day, tmp_path):
    cut = cut_copy(real_day.flows, tmp_path / "cut.mitm", 1 / 2)
    result = run_import(real_day, tmp_path / "c", cut)
    assert result.exit_code == 1
    assert "not a complete mitmproxy flow file" in result.output
    assert stored(tmp_path / "c") == []


def test_a_file_that_is_neither_is_named_without_echoing_its_content(real_day, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text(f"password={creds.PASSWORD}\n")
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    json_not_har = tmp_path / "data.har"
    json_not_har.write_text('{"items": []}')
    result = run_import(real_day, tmp_path / "c", other, empty, json_not_har, real_day.har)
    assert result.exit_code == 1
    assert "notes.txt: is in none of the formats tillroll imports (HAR, a mitmproxy flow file" in result.output
    assert "empty.har: is empty" in result.output
    assert "data.har: is JSON but not a HAR file" in result.output
    assert creds.PASSWORD not in result.output
    assert "3 file(s) not imported" in result.output
    assert len(stored(tmp_path / "c")) == len(real_day.calls)  # the good file still went in


def test_an_unknown_har_version_and_broken_json_are_clear(real_day, tmp_path):
    (tmp_path / "v2.har").write_text(json.dumps({"log": {"version": "2.0", "entries": [entry()]}}))
    (tmp_path / "broken.har").write_text(har_with([entry()])[:-10] + "}}, oops]}}")
    result = run_import(real_day, tmp_path / "c", tmp_path / "v2.har", tmp_path / "broken.har")
    assert "HAR version '2.0' is not supported" in result.output
    assert "broken.har: cannot be read:" in result.output and "not valid JSON" in result.output
    assert stored(tmp_path / "c") == []


def test_a_wrong_format_flag_and_a_missing_file_are_refused_before_anything_is_read(real_day, tmp_path):
    result = run_import(real_day, tmp_path / "c", real_day.har, extra=["--format", "pcap"])
    assert result.exit_code == 2 and "'pcap' is not one of" in result.output
    result = run_import(real_day, tmp_path / "c", tmp_path / "nope.har")
    assert result.exit_code == 1 and "nope.har: cannot be read (No such file or directory)" in result.output


def test_a_har_read_as_flows_by_flag_is_refused_clearly(real_day, tmp_path):
    result = run_import(real_day, tmp_path / "c", real_day.har, extra=["--format", "mitm"])
    assert result.exit_code == 1
    assert "it is JSON (HAR?), not a mitmproxy flow file" in result.output
    assert stored(tmp_path / "c") == []


def test_a_gzipped_browser_har_with_http2_headers_and_compressed_bodies_imports_and_replays(real_day, tmp_path):
    import gzip
    import urllib.request

    from tillroll.replay.app import make_app
    from tillroll.replay.server import ReplayServer, open_replayer

    h2 = entry()
    h2["request"]["httpVersion"] = "http/2.0"
    h2["request"]["headers"] = [{"name": ":method", "value": "GET"}, {"name": ":authority", "value": "127.0.0.1:9"},
                                {"name": ":path", "value": "/v1/things?x=1"}, {"name": "accept", "value": "*/*"}]
    h2["response"]["headers"] = [{"name": ":status", "value": "200"},
                                 {"name": "content-encoding", "value": "gzip"},
                                 {"name": "content-type", "value": "application/json"}]
    data_url = entry()
    data_url["request"]["url"] = "data:image/png;base64,iVBORw0KGgo="
    (tmp_path / "chrome.har.gz").write_bytes(gzip.compress(("\ufeff" + har_with([h2, data_url])).encode()))
    result = run_import(real_day, tmp_path / "c", tmp_path / "chrome.har.gz")
    assert result.exit_code == 0, result.output
    assert "entry 1: is not an HTTP exchange (a data: URL)" in result.output
    [ex] = stored(tmp_path / "c")
    assert ex.response_body_text == '{"ok": true}' and ex.response_content_encoding == "gzip"

    opened = open_replayer(tmp_path / "c", key_file=real_day.key_file)
    with ReplayServer(make_app(opened.replayer)) as server:
        req = urllib.request.Request(server.base_url + "/v1/things?x=1", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(resp.read()) == b'{"ok": true}'  # re-compressed as it was on the wire


def test_a_damaged_or_cut_gzip_har_is_one_clear_line(real_day, tmp_path):
    import gzip

    packed = gzip.compress(real_day.har.read_bytes())
    (tmp_path / "cut.har.gz").write_bytes(packed[: len(packed) // 2])
    damaged = bytearray(packed)
    damaged[len(damaged) // 2: len(damaged) // 2 + 64] = b"\xff" * 64
    (tmp_path / "damaged.har.gz").write_bytes(bytes(damaged))
    result = run_import(real_day, tmp_path / "c", tmp_path / "cut.har.gz", tmp_path / "damaged.har.gz")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cut.har.gz: is truncated" in result.output
    assert "damaged.har.gz: is a damaged gzip file" in result.output and "2 file(s) not imported" in result.output
    assert stored(tmp_path / "c") == []


def test_hostile_entries_are_imported_safely_or_skipped_by_name(real_day, tmp_path):
    """Deep nesting, lone surrogates, NaN and a decompression bomb among ordinary entries:
    the deep entry is skipped with its reason, everything else is imported, and the
    count equals what is in the cassette."""
    import gzip

    surrogate = entry()
    surrogate["request"] = {**surrogate["request"], "method": "POST", "url": "http://127.0.0.1:9/v1/odd",
                            "postData": {"mimeType": "application/json", "text": '{"x": "\\ud800", "n": NaN}'}}
    bomb = entry()
    bomb["request"] = {**bomb["request"], "url": "http://127.0.0.1:9/v1/bomb"}
    bomb["response"] = {**bomb["response"],
                        "headers": [{"name": "Content-Type", "value": "application/json"},
                                    {"name": "Content-Encoding", "value": "gzip"}],
                        "content": {"size": 200 << 20, "mimeType": "application/json", "encoding": "base64",
                                    "text": base64.b64encode(gzip.compress(bytes(200 << 20))).decode()}}
    text = har_with([entry(), {"deep": "placeholder"}, surrogate, bomb, entry()])
    text = text.replace('{"deep": "placeholder"}', "[" * 50_000 + "]" * 50_000)
    (tmp_path / "hostile.har").write_text(text)
    result = run_import(real_day, tmp_path / "c", tmp_path / "hostile.har")
    assert result.exit_code == 0, result.output
    assert "4 imported, 1 skipped" in result.output
    assert "entry 1: is nested too deep to read" in result.output
    got = stored(tmp_path / "c")
    assert [ex.path for ex in got] == ["/v1/things", "/v1/odd", "/v1/bomb", "/v1/things"]
    assert got[2].response_truncated and len(got[2].response_body) == 4 * 1024 * 1024  # the default max body
    assert "Traceback" not in result.output

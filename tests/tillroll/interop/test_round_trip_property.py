"""Any HAR entry tillroll can hold comes back from cassette -> HAR as it went in."""

import base64
import json
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tillroll.interop.exporter import export_cassette
from tillroll.interop.importer import import_files

# values with nothing a redaction rule or detector would touch: the round trip is exact
safe = st.text(string.ascii_letters + " -_.,;/()", min_size=1, max_size=12)
header_names = st.sampled_from(["Accept", "X-Trace", "User-Agent", "X-Request-Id", "Cache-Control", "X-Thing"])


@st.composite
def entries(draw):
    binary = draw(st.booleans())
    body = draw(st.binary(min_size=1, max_size=64)) if binary else draw(safe).encode()
    mime = "application/octet-stream" if binary else "text/plain"
    content = ({"text": base64.b64encode(body).decode(), "encoding": "base64"} if binary
               else {"text": body.decode()})
    query = draw(st.lists(st.tuples(st.sampled_from("abcxyz"), st.text(string.ascii_lowercase, max_size=5)),
                          max_size=3))
    qs = "&".join(f"{k}={v}" for k, v in query)
    send, wait, receive = (draw(st.floats(0, top).map(lambda x: round(x, 3))) for top in (50, 900, 50))
    return {
        "startedDateTime": f"2026-11-{draw(st.integers(1, 28)):02d}T{draw(st.integers(0, 23)):02d}:00:00.{draw(st.integers(0, 999999)):06d}Z",
        "time": round(send + wait + receive, 3),  # HAR 1.2: the sum of the timings that are known
        "request": {"method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])),
                    "url": f"http://127.0.0.1:{draw(st.integers(1024, 65000))}/{draw(safe).replace(' ', '')}"
                           + (f"?{qs}" if qs else ""),
                    "httpVersion": "HTTP/1.1",
                    "headers": [{"name": n, "value": v} for n, v in draw(st.lists(st.tuples(header_names, safe),
                                                                                   max_size=5))],
                    "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
        "response": {"status": draw(st.sampled_from([200, 201, 204, 301, 404, 500, 503])),
                     "statusText": draw(safe), "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": "Content-Type", "value": mime}],
                     "content": {"size": len(body), "mimeType": mime, **content},
                     "redirectURL": "", "headersSize": -1, "bodySize": len(body)},
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": send, "wait": wait,
                    "receive": receive},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=st.lists(entries(), min_size=1, max_size=5))
def test_an_entry_comes_back_with_its_method_url_headers_status_body_and_timings(sent):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in.har").write_text(json.dumps({"log": {"version": "1.2", "entries": sent}}))
        summary = import_files([tmp / "in.har"], tmp / "c", b"property-test-key-0123456789")
        assert summary.imported == len(sent), summary.text()
        export_cassette(tmp / "c", "har", tmp / "out.har")
        back = json.loads((tmp / "out.har").read_text())["log"]["entries"]
    # recorded order is by time; equal times keep the file's order
    expected = sorted(sent, key=lambda e: e["startedDateTime"])
    for a, b in zip(expected, back):
        assert b["startedDateTime"] == a["startedDateTime"]
        assert (b["request"]["method"], b["request"]["url"]) == (a["request"]["method"], a["request"]["url"])
        assert b["request"]["headers"] == a["request"]["headers"]
        assert (b["response"]["status"], b["response"]["statusText"]) == (a["response"]["status"],
                                                                            a["response"]["statusText"])
        assert b["response"]["headers"] == a["response"]["headers"]
        assert b["response"]["content"].get("text") == a["response"]["content"]["text"]
        assert b["response"]["content"].get("encoding") == a["response"]["content"].get("encoding")
        assert b["time"] == a["time"]
        for key in ("send", "wait", "receive", "connect", "ssl"):
            assert b["timings"][key] == a["timings"][key]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=st.lists(entries(), min_size=1, max_size=4))
def test_a_flow_file_carries_the_same_exchanges_as_the_har(sent):
    key = b"property-test-key-0123456789"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in.har").write_text(json.dumps({"log": {"version": "1.2", "entries": sent}}))
        import_files([tmp / "in.har"], tmp / "a", key)
        export_cassette(tmp / "a", "har", tmp / "a.har")
        export_cassette(tmp / "a", "mitm", tmp / "a.mitm")
        summary = import_files([tmp / "a.mitm"], tmp / "b", key)
        assert summary.imported == len(sent), summary.text()
        export_cassette(tmp / "b", "har", tmp / "b.har")
        via_har, via_flows = (json.loads((tmp / n).read_text())["log"]["entries"] for n in ("a.har", "b.har"))
    strip = lambda e: {k: v for k, v in e.items() if k != "_tillroll"}  # noqa: E731  (new exchange ids)
    assert [strip(e) for e in via_flows] == [strip(e) for e in via_har]

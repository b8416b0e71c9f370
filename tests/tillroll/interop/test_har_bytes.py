"""HAR entries cut into bytes by the reader and decoded by the capturers import exactly
what the standard reader imports: the same rows in the same order, the same counts, the
same messages, for real HAR files and hostile ones; and whatever the cut is not sure of is
read the standard way."""

import dataclasses
import gzip
import json
import urllib.parse

import pytest
from hypothesis import given, settings, strategies as st

from tillroll.demo.synthetic import generate
from tillroll.interop import entry_spans, har_bytes, importer
from tillroll.interop.har import decoded_bodies, entry_from_exchange
from tillroll.interop.importer import import_files
from tillroll.store import open_cassette

from .test_bad_input import entry, har_with

KEY = b"interop-test-key-0123456789abcdef"


def rows(cassette):
    if not list(cassette.glob("date=*/*.parquet")):
        return []
    return [{k: v for k, v in dataclasses.asdict(ex).items() if k not in ("exchange_id", "session_id")}
            for ex in open_cassette(cassette).exchanges()]


def without_seq(stored):
    """The rows without their seq, in an order of their own: with two workers, which one took a
    batch (so each row's session, seq and place among rows of the same time) is chance."""
    return sorted(({k: v for k, v in row.items() if k != "seq"} for row in stored), key=repr)


def outcome(summary):
    return [(f.format, f.imported, f.skipped, f.reasons, f.failed, f.kept_partial, f.notes) for f in summary.files]


def both_ways(tmp_path, monkeypatch, path, **kwargs):
    """Import *path* the standard way and cut into bytes; returns both (outcome, rows) and
    whether the cut import had to let the standard reader read the file."""
    fell_back = []
    standard = importer._import_entries

    def counted(*args):
        fell_back.append(args[0].path)
        return standard(*args)

    got = {}
    for cut in (False, True):
        monkeypatch.setattr(importer, "CUT_HAR", cut)
        monkeypatch.setattr(importer, "_import_entries", counted if cut else standard)
        cassette = tmp_path / ("cut" if cut else "standard") / "c"
        summary = import_files([path], cassette, KEY, **kwargs)
        assert not list(cassette.glob(".import-*")), "a staging folder was left behind"
        got[cut] = (outcome(summary), rows(cassette))
    return got[False], got[True], bool(fell_back)


def synthetic_har(path, n, *, indent=None, bom=False):
    entries = []
    for ex in generate(n, seed=3):
        rq, rs = decoded_bodies(ex)
        entries.append(entry_from_exchange(ex, request_body=rq, response_body=rs))
    text = json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}},
                      indent=indent, ensure_ascii=False)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


# -- real files ---------------------------------------------------------------------------------------

def test_mitmproxys_har_imports_the_same_cut_into_bytes(real_day, tmp_path, monkeypatch):
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, real_day.har)
    assert not fell_back
    assert cut == standard
    assert standard[0][0][1] == len(real_day.calls) and len(standard[1]) == len(real_day.calls)


@pytest.mark.parametrize("indent,bom", [(None, False), (2, True)])
def test_vendor_traffic_imports_the_same_compact_or_indented_with_a_bom(tmp_path, monkeypatch, indent, bom):
    path = synthetic_har(tmp_path / "day.har", 120, indent=indent, bom=bom)
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path)
    assert not fell_back
    assert cut == standard and len(cut[1]) == 120


def test_worker_processes_decoding_bytes_store_the_same_rows(tmp_path, monkeypatch):
    """The hand-over across processes: small batches over two workers."""
    monkeypatch.setattr(importer, "PARALLEL_FROM", 0)
    monkeypatch.setattr(importer, "BATCH", 7)
    path = synthetic_har(tmp_path / "day.har", 100)
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path, workers=2)
    assert not fell_back
    # seq numbers an exchange within its writer's session: which worker took a batch is chance
    assert cut[0] == standard[0] and without_seq(cut[1]) == without_seq(standard[1]) and len(cut[1]) == 100


def test_worker_processes_skip_broken_entries_with_the_same_reasons_in_the_same_order(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "PARALLEL_FROM", 0)
    monkeypatch.setattr(importer, "BATCH", 2)
    bad_base64 = entry()
    bad_base64["response"] = {**bad_base64["response"],
                              "content": {"mimeType": "text/plain", "encoding": "base64", "text": "%%%"}}
    entries = [entry(), 5, bad_base64, *odd_entries(), entry(response=None), "x", entry(), {"request": {}}, entry()]
    path = tmp_path / "mixed.har"
    path.write_text(har_with(entries))
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path, workers=2)
    assert not fell_back
    assert cut[0] == standard[0] and without_seq(cut[1]) == without_seq(standard[1])
    assert cut[0][0][1:3] == (6, 5) and [r.split(":")[0] for r in cut[0][0][3]] == \
        ["entry 1", "entry 2", "entry 6", "entry 7", "entry 9"]


def test_a_gzipped_har_imports_the_same(tmp_path, monkeypatch):
    path = tmp_path / "day.har.gz"
    path.write_bytes(gzip.compress(synthetic_har(tmp_path / "day.har", 40).read_bytes()))
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path)
    assert not fell_back and cut == standard and len(cut[1]) == 40


# -- hostile files ------------------------------------------------------------------------------------

def odd_entries():
    """Entries whose text has what a byte scanner can get wrong: quotes, backslashes and
    brackets inside strings, non-ASCII, escapes of every kind."""
    a = entry()
    a["request"] = {**a["request"], "url": "http://127.0.0.1:9/v1/a?q=%5B%7B%22%5D",
                    "headers": [{"name": "X-Odd", "value": 'say "]}" and \\ then [{'}]}
    b = entry()
    b["request"] = {**b["request"], "method": "POST", "url": "http://127.0.0.1:9/v1/b",
                    "postData": {"mimeType": "application/json",
                                 "text": json.dumps({"k": "]]]}}}\\\"[[{", "née": "日本語 🍕",
                                                     "n": [1, [2, {"x": "}"}]]}, ensure_ascii=False)}}
    c = entry()
    c["response"] = {**c["response"], "content": {"mimeType": "text/plain", "text": "\\\"\\\\\"\u2028\x01end"}}
    return [a, b, c]


HOSTILE = {
    "escapes and brackets in strings": lambda: har_with(odd_entries()),
    "the same, ASCII-escaped": lambda: json.dumps({"log": {"version": "1.2", "entries": odd_entries()}},
                                                  ensure_ascii=True),
    "entries that are not objects": lambda: har_with([entry(), 1, "x", None, [], {}, True, -0.5e3, entry()]),
    "unicode escapes inside the keys of entries": lambda: har_with([entry()]).replace('"request"', '"\\u0072equest"'),
    "members before and after the entries": lambda: json.dumps(
        {"comment": "[{\"", "log": {"version": "1.2", "pages": [{"id": "p]"}], "entries": [entry(), entry()],
                                    "browser": {"name": "}"}, "n": 1}, "z": [[], {}]}, separators=(",", ":")),
    "CRLF and tabs between everything": lambda: json.dumps({"log": {"version": "1.2", "entries": [entry(), 7]}},
                                                           indent="\t").replace("\n", "\r\n"),
    "an entry nested 50,000 deep (standard reader)": lambda: har_with([entry(), "DEEP", entry()]).replace(
        '"DEEP"', "[" * 50_000 + "]" * 50_000),
    "an entry nested 300 deep (standard reader)": lambda: har_with([entry(), "DEEP"]).replace(
        '"DEEP"', "[" * 300 + "]" * 300),
    "no entries": lambda: har_with([]),
    "invalid JSON inside an entry (standard reader)": lambda: har_with([entry(), entry(), entry()]).replace(
        '"time": 12.5', '"time": 12.5.5', 1),
    "a literal cut inside an entry (standard reader)": lambda: har_with([entry(), {"x": "TRUE"}]).replace(
        '"TRUE"', "tru"),
    "a trailing comma (standard reader)": lambda: har_with([entry(), entry()])[:-3] + ",]}}",
    "garbage between entries (standard reader)": lambda: har_with([entry(), entry()]).replace("}}, {", "}} x, {", 1),
    "garbage after the document (standard reader)": lambda: har_with([entry()]) + " {}",
    "a second entries array (standard reader)": lambda: har_with([entry()])[:-2] + ', "entries": [' +
    json.dumps(entry()) + "]}}",
    "an escaped log key (standard reader)": lambda: '{"x": {"log": 1}, ' + har_with([entry()]).replace(
        '{"log"', '"\\u006cog"', 1),
    "an unknown version after the entries (standard reader)": lambda: json.dumps(
        {"log": {"entries": [entry()], "version": "2.0"}}),
    "no log.entries (standard reader)": lambda: json.dumps({"log": {"version": "1.2", "pages": []}}),
    "a lone surrogate and NaN": lambda: har_with([entry(time=float("nan"), comment="x\ud800y"), entry()]),
}


@pytest.mark.parametrize("scanner", ["as built", "pure Python"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_hars_import_the_same_cut_into_bytes(tmp_path, monkeypatch, case, scanner):
    if scanner == "pure Python":  # as with TILLROLL_NO_EXTENSIONS=1
        monkeypatch.setattr(har_bytes, "scan_elements", entry_spans.py_scan_elements)
    path = tmp_path / "hostile.har"
    path.write_text(HOSTILE[case]())
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path)
    assert cut == standard
    assert fell_back == case.endswith("(standard reader)")


def test_the_deep_entry_is_skipped_by_name(tmp_path, monkeypatch):
    path = tmp_path / "deep.har"
    path.write_text(HOSTILE["an entry nested 50,000 deep (standard reader)"]())
    _, (files, stored), _ = both_ways(tmp_path, monkeypatch, path)
    assert files == [("har", 2, 1, ["entry 1: is nested too deep to read (more levels than any HAR entry has)"],
                      None, False, [])]
    assert len(stored) == 2


@pytest.mark.parametrize("partial", [False, True])
def test_a_truncated_har_is_judged_by_the_standard_reader(tmp_path, monkeypatch, partial):
    whole = synthetic_har(tmp_path / "day.har", 60).read_bytes()
    path = tmp_path / "cut.har"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path, partial=partial)
    assert fell_back and cut == standard
    assert "is truncated" in cut[0][0][4]
    assert (len(cut[1]) > 0) == partial


@pytest.mark.parametrize("where", ["in an entry", "between entries' bytes", "in the creator"])
def test_bytes_that_are_not_utf8_are_judged_by_the_standard_reader(tmp_path, monkeypatch, where):
    text = har_with([entry(), entry(comment="MARK"), entry()]).replace('"1"}', '"1", "c": "MARK"}', 1)
    data = text.encode()
    data = {"in an entry": data.replace(b'"comment": "MARK"', b'"comment": "\xc3\x28"', 1),
            "between entries' bytes": data.replace(b"}, {", b"}\xa0, {", 1),
            "in the creator": data.replace(b'"c": "MARK"', b'"c": "\xed\xa0\x80"', 1)}[where]
    path = tmp_path / "bad.har"
    path.write_bytes(data)
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path)
    assert fell_back and cut == standard
    assert cut[0][0][4] is not None  # the file is refused, as it always was


def test_an_entry_json_refuses_in_a_worker_process_is_judged_by_the_standard_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "PARALLEL_FROM", 0)
    monkeypatch.setattr(importer, "BATCH", 5)
    path = tmp_path / "broken.har"
    text = json.dumps({"log": {"version": "1.2", "entries": [entry() for _ in range(30)]}})
    at = text.index('"time": 12.5', len(text) * 3 // 4)
    path.write_text(text[:at] + '"time": 12.5e' + text[at + len('"time": 12.5'):])
    standard, cut, fell_back = both_ways(tmp_path, monkeypatch, path, workers=2, partial=True)
    assert fell_back and cut[0] == standard[0] and without_seq(cut[1]) == without_seq(standard[1])
    assert "not valid JSON" in cut[0][0][4] and 0 < len(cut[1]) < 30  # the entries before it, kept


# -- the scanner: compiled and pure ------------------------------------------------------------------

SCANNER_CORPUS = [
    b'[]', b'[ ]', b'[1]', b'[1,2 , 3]', b'["a,]", "b\\"]"]', b'[{"a": [1, {"b": "}"}]}, [[]], {}]',
    b'[\n  {"x": "\\\\"},\r\n\t{"y": "\\\\\\""}\n]', b'[1}', b'[,1]', b'[1,]', b'[1 2]', b'[{"a": 1}} ]',
    b'[tru, nul, -1e5, NaN]', b'["\xc3\xa9\xe2\x82\xac", "\xff"]', b'[{"a": "\\', b'[{"a": "x"', b'[12',
    b'["abc', b'[{"a": [1, 2]', b'[[[[[[]]]]]]', b'[{]', b'[1]]', b'[:1]', b'[}',
]


def scan_all(scan, data, pos=1, state=entry_spans.OPENED):
    out = []
    status, pos, state = scan(data, pos, state, out)
    return status, pos, state, out


@pytest.mark.parametrize("data", SCANNER_CORPUS)
def test_the_compiled_scanner_cuts_as_the_reference_does_at_every_length(data):
    if not entry_spans.compiled:
        pytest.skip("the compiled scanner is not built (or TILLROLL_NO_EXTENSIONS is set)")
    for n in range(1, len(data) + 1):
        for state in (entry_spans.OPENED, entry_spans.AFTER_COMMA, entry_spans.AFTER_ELEMENT):
            assert entry_spans.scan_elements(data[:n], 1, state, []) == \
                entry_spans.py_scan_elements(data[:n], 1, state, []), (data[:n], state)
            out_c, out_p = [], []
            assert entry_spans.scan_elements(data[:n], 1, state, out_c) == \
                entry_spans.py_scan_elements(data[:n], 1, state, out_p) and out_c == out_p


def test_spans_are_the_elements_json_decodes():
    values = [{"a": "]}\\\"", "b": [1, {"c": None}]}, "s\u00e9\"", 1.5, [], {}, None, [[["x"]]], -3]
    data = json.dumps(values, ensure_ascii=False).encode()
    for scan in {entry_spans.scan_elements, entry_spans.py_scan_elements}:
        status, pos, _, out = scan_all(scan, data)
        assert (status, pos) == (entry_spans.CLOSED, len(data))
        assert [json.loads(data[out[i]:out[i + 1]]) for i in range(0, len(out), 3)] == values
        assert out[2::3] == [3, 0, 0, 1, 1, 0, 3, 0]  # how deep each one nests


def test_a_batch_never_exceeds_its_size_and_covers_every_entry(tmp_path):
    path = synthetic_har(tmp_path / "day.har", 50)
    with open(path, "rb") as f:
        batches = list(har_bytes.cut_har(f, batch=8))
    assert all(len(b.spans) <= 3 * 8 for b in batches)
    indexes = [i for b in batches for i in b.spans[::3]]
    assert indexes == list(range(50))
    decoded = [e for b in batches for _, e in har_bytes.decode_entries(b, 1 << 20)[0]]
    assert [raw.request.path for raw in decoded] == \
        [urllib.parse.urlsplit(e["request"]["url"]).path for e in json.loads(path.read_text())["log"]["entries"]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(alphabet=st.characters(), max_size=12)
    | st.sampled_from(['\\', '"', '\\"', '"]}', "\\\\\"", "[{", "é€😀"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(json_values, max_size=6), ascii_only=st.booleans(), indent=st.sampled_from([None, 1, "\t"]),
       cut=st.integers(min_value=1, max_value=10_000), flip=st.integers(min_value=0, max_value=10_000),
       byte=st.integers(min_value=0, max_value=255))
def test_the_twins_agree_on_any_array_whole_cut_or_damaged(values, ascii_only, indent, cut, flip, byte):
    """Valid arrays are cut into exactly their elements; the compiled scanner and the
    reference agree byte for byte on those, on their every prefix and on a damaged copy."""
    data = json.dumps(values, ensure_ascii=ascii_only, indent=indent).encode("utf-8", "surrogatepass")
    for scan in {entry_spans.scan_elements, entry_spans.py_scan_elements}:
        status, pos, _, out = scan_all(scan, data)
        assert (status, pos) == (entry_spans.CLOSED, len(data))
        assert len(out) == 3 * len(values)
        spans = [data[out[i]:out[i + 1]].decode("utf-8", "surrogatepass") for i in range(0, len(out), 3)]
        assert [json.dumps(json.loads(text)) for text in spans] == [json.dumps(v) for v in values]
    damaged = bytearray(data)
    damaged[flip % len(data)] = byte
    for sample in (data[: 1 + cut % len(data)], bytes(damaged)):
        assert scan_all(entry_spans.scan_elements, sample) == scan_all(entry_spans.py_scan_elements, sample)


def test_the_progress_of_a_cut_har_rises_to_its_size(tmp_path, monkeypatch):
    monkeypatch.setattr(har_bytes, "CHUNK", 64 << 10)  # several reads for a small file
    path = synthetic_har(tmp_path / "day.har", 80)
    seen = []
    summary = import_files([path], tmp_path / "c", KEY, progress=lambda p, done, size: seen.append((done, size)))
    assert summary.imported == 80
    size = path.stat().st_size
    assert len(seen) > 3 and all(s == size for _, s in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == size

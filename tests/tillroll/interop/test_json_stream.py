"""The streaming HAR cursor reads any document as json.loads does, whatever the chunking."""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.interop import json_stream
from tillroll.interop.har import read_har
from tillroll.interop.json_stream import JsonStream, JsonStreamError


def walk(stream: JsonStream) -> list:
    """log.entries of the document on *stream*, every other value skipped."""
    out = []
    for key in stream.members("doc"):
        if key != "log":
            stream.skip(key)
            continue
        for field in stream.members("log"):
            if field == "entries":
                out.extend(stream.items("entries"))
            else:
                stream.skip(field)
    assert stream.at_end()
    return out


def entries_of(text: str, chunk: int, monkeypatch) -> list:
    monkeypatch.setattr(json_stream, "CHUNK", chunk)
    return walk(JsonStream(io.BytesIO(text.encode())))


DOC = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"},
               "pages": [{"id": "p", "title": "\u00e9t\u00e9 \"quoted\" \\ back"}],
               "entries": [{"n": i, "text": "\u2603" * i + "\\\"", "big": 12345678901234567890, "f": -1.5e-3,
                            "nested": {"a": [1, [2, {"b": None}]], "t": True}} for i in range(40)]},
       "extra": [1, 2, 3]}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_every_entry_comes_back_as_json_loads_gives_it_at_any_chunk_size(chunk, indent, monkeypatch):
    text = json.dumps(DOC, indent=indent, ensure_ascii=False)
    assert entries_of(text, chunk, monkeypatch) == json.loads(text)["log"]["entries"]


def test_a_byte_order_mark_and_an_empty_entries_array_are_fine(monkeypatch):
    assert entries_of("\ufeff" + '{"log": {"entries": []}}', 3, monkeypatch) == []


@pytest.mark.parametrize("cut", [1, 10, 100, 1000, -2])
def test_a_document_cut_anywhere_is_reported_as_truncated(cut, monkeypatch):
    text = json.dumps(DOC)
    with pytest.raises(JsonStreamError) as err:
        entries_of(text[:cut], 5, monkeypatch)
    assert err.value.truncated, str(err.value)


def test_broken_json_in_the_middle_is_not_mistaken_for_a_truncation(monkeypatch):
    text = json.dumps(DOC).replace('"n": 7,', '"n": 7,,', 1)
    with pytest.raises(JsonStreamError) as err:
        entries_of(text, 64, monkeypatch)
    assert not err.value.truncated and "entries[7] is not valid JSON" in str(err.value)


def test_a_broken_entry_does_not_make_the_reader_hold_the_rest_of_the_file(monkeypatch):
    # the reader must give up at the damage, not read on to the end looking for more
    text = json.dumps(DOC).replace('"n": 3,', '"n": 3 ]', 1) + " " * (4 << 20)
    monkeypatch.setattr(json_stream, "CHUNK", 1024)
    raw = io.BytesIO(text.encode())
    stream = JsonStream(raw)
    with pytest.raises(JsonStreamError):
        list(read_har(stream, max_body=1 << 20))
    assert stream.bytes_read < 1 << 20


def test_text_that_is_not_utf8_is_named_with_its_position(monkeypatch):
    data = json.dumps(DOC).encode()
    data = data[:500] + b"\xff\xfe" + data[500:]
    with pytest.raises(JsonStreamError, match="not UTF-8 text near byte"):
        entries_of_bytes = JsonStream(io.BytesIO(data))
        list(read_har(entries_of_bytes, max_body=1 << 20))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(json_values, max_size=6), before=st.dictionaries(st.sampled_from(["version", "pages"]),
                                                                          json_values, max_size=2),
       chunk=st.integers(1, 40), indent=st.sampled_from([None, 1]))
def test_any_json_document_streams_entry_for_entry_as_json_loads_reads_it(entries, before, chunk, indent):
    text = json.dumps({"log": {**before, "entries": entries}, "tail": before}, indent=indent, ensure_ascii=False)
    json_stream.CHUNK, saved = chunk, json_stream.CHUNK
    try:
        got = walk(JsonStream(io.BytesIO(text.encode())))
    finally:
        json_stream.CHUNK = saved
    assert got == json.loads(text)["log"]["entries"]


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(0, 10_000), chunk=st.integers(1, 64))
def test_a_har_cut_anywhere_reads_as_whole_or_as_truncated_never_as_something_else(cut, chunk):
    entries = [{"startedDateTime": "2026-11-20T09:00:00Z", "time": i, "request": {"method": "GET",
                "url": f"http://127.0.0.1:9/x/{i}?q=\u00e9", "headers": []},
                "response": {"status": 200, "headers": [], "content": {"text": "{\"n\": %d}" % i}}}
               for i in range(20)]
    data = json.dumps({"log": {"version": "1.2", "entries": entries}}).encode()
    json_stream.CHUNK, saved = chunk, json_stream.CHUNK
    try:
        stream = JsonStream(io.BytesIO(data[:cut]))
        try:
            got = list(read_har(stream, max_body=1 << 20))
        except JsonStreamError as exc:
            # a cut inside a multi-byte character is "not UTF-8" at the end; anything else is a truncation
            assert exc.truncated or "not UTF-8" in str(exc), str(exc)
            return
    finally:
        json_stream.CHUNK = saved
    assert cut >= len(data.rstrip()) and len(got) == 20


@pytest.mark.parametrize("chunk", [7, 1000, 1 << 20])
def test_a_value_nested_too_deep_is_skipped_and_the_next_entries_still_read(chunk, monkeypatch):
    deep = "[" * 30_000 + '"a ] string [ with \\" brackets"' + "]" * 30_000
    text = '{"log": {"entries": [1, ' + deep + ', {"after": "]"}, 3], "tail": ' + deep + '}}'
    got = entries_of(text, chunk, monkeypatch)
    assert got[0] == 1 and isinstance(got[1], json_stream.TooDeep) and got[2:] == [{"after": "]"}, 3]


def test_a_deep_value_cut_by_the_end_of_the_file_is_a_truncation(monkeypatch):
    with pytest.raises(JsonStreamError) as err:
        entries_of('{"log": {"entries": [' + "[" * 5000, 64, monkeypatch)
    assert err.value.truncated

"""The streaming HAR cursor reads any document as json.loads does, whatever the chunking."""

import io
import json

import pytest

from tillroll.interop import json_stream
from tillroll.interop.har import read_har
from tillroll.interop.json_stream import JsonStream, JsonStreamError


def entries_of(text: str, chunk: int, monkeypatch) -> list:
    monkeypatch.setattr(json_stream, "CHUNK", chunk)
    stream = JsonStream(io.BytesIO(text.encode()))
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

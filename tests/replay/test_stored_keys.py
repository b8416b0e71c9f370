"""The stored match keys replay keeps on disk, and the index that holds only their digests:
every row reads back its own text, every key finds its rows, and nothing is written
beside the user's cassette."""

from __future__ import annotations

import errno
import os
import tempfile

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import Redactor, capture
from tillroll.capture.match_doc import match_key
from tillroll.replay.key_index import KeyIndex, ident
from tillroll.replay.matching import Matching
from tillroll.replay.recordings import load
from tillroll.replay import stored_keys
from tillroll.replay.stored_keys import StoredKeys
from tillroll.store import CassetteWriter

from .test_recordings import numbered

KEYS = st.text(alphabet=st.sampled_from('ab{}":,é€😀tilro\\'), max_size=30)


def _chunked(texts: list[str], cut: int) -> pa.ChunkedArray:
    """*texts* as Arrow holds a column read from several files: chunks, one of them a slice."""
    whole = pa.array(["padding", *texts], pa.string()).slice(1)
    return pa.chunked_array([whole.slice(0, cut), whole.slice(cut)], pa.string())


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(KEYS, max_size=25), data=st.data())
def test_every_row_reads_back_its_text_and_every_key_finds_its_rows(texts, data):
    stored = StoredKeys(_chunked(texts, data.draw(st.integers(0, len(texts)))))
    assert len(stored) == len(texts)
    assert [stored.text(row) for row in range(len(texts))] == texts == list(stored.texts())
    index = stored.index()
    assert len(index) == len(set(texts))
    for text in texts:
        assert index.get(text) == [row for row, t in enumerate(texts) if t == text]
        assert text in index and index[text] == index.rows[ident(text)]
    assert index.get("not stored" + "x" * 40) is None and "not stored" not in index
    again = stored.index()  # asked again (another matching went back): made from the texts on disk
    assert again.rows == index.rows


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(KEYS, max_size=25), needle=st.sampled_from(["tillroll:", "a", "é€", "😀\\"]))
def test_the_rows_holding_a_text_are_found_on_disk_and_only_they(texts, needle):
    stored = StoredKeys(_chunked(texts, len(texts) // 2))
    assert stored.rows_holding(needle) == [row for row, text in enumerate(texts) if needle in text]


def test_a_needle_across_two_stored_texts_is_not_found():
    stored = StoredKeys(pa.chunked_array([["{\"q\": \"till", "roll:email\"}", "tillroll:x"]]))
    assert stored.rows_holding("tillroll:") == [2]


def test_a_missing_stored_key_is_refused():
    with pytest.raises(ValueError, match="missing"):
        StoredKeys(pa.chunked_array([["a", None]]))


def test_the_index_grows_with_keys_added_while_serving():
    index = KeyIndex.of(map(ident, ["a", "b", "a"]))
    index.add("b", 3)
    assert (index["a"], index.get("b"), len(index)) == ([0, 2], [1, 3], 2)
    assert sorted(map(sorted, index.groups())) == [[0, 2], [1, 3]]


def test_replay_keeps_its_keys_in_an_anonymous_file_not_beside_the_cassette(tmp_path, monkeypatch):
    r = Redactor(b"k" * 32)
    writer = CassetteWriter(tmp_path / "c", batch_rows=100)
    for i in range(300):
        ex = capture(numbered(i), r)
        ex.match_key = match_key(ex, r)
        writer.append(ex)
    writer.close()
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    recordings = load(tmp_path / "c", Matching(), r)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if temp not in p.parents
                  and p != temp) == before
    assert os.listdir(temp) == []  # no name on disk: gone with the process, even killed
    for i in (0, 150, 299):
        [row] = recordings.index[match_key(capture(numbered(i), r), r)]
        assert row == i and recordings.doc(row)["path"] == capture(numbered(i), r).path


_REAL_TEMPORARY_FILE = tempfile.TemporaryFile


class _FullDisk:
    """A temporary file whose disk fills up after *room* writes."""

    def __init__(self, room: int):
        self._file, self._room = _REAL_TEMPORARY_FILE(), room

    def write(self, data):
        if self._room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= 1
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.mark.parametrize("room", [None, 0, 2])
def test_without_a_writable_temporary_folder_the_texts_stay_in_memory_and_it_is_said(monkeypatch, room):
    texts = [f'{{"q": "tillroll:email:{i:012x}", "n": {i}}}' if i % 3 else f'{{"n": {i}}}' for i in range(40)]
    if room is None:
        def refused(*_a, **_k):
            raise OSError(errno.EROFS, "Read-only file system")
        monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    else:
        monkeypatch.setattr(tempfile, "TemporaryFile", lambda *_a, **_k: _FullDisk(room))
        monkeypatch.setattr(stored_keys, "_WRITE_CHUNK", 100)  # several writes: the disk fills between them
    stored = StoredKeys(_chunked(texts, 17))
    assert "kept in memory" in stored.notice and ("Read-only" in stored.notice or "No space" in stored.notice)
    assert list(stored.texts()) == texts
    assert stored.rows_holding("tillroll:") == [row for row, text in enumerate(texts) if "tillroll:" in text]
    assert stored.index().get(texts[5]) == [5]


def test_a_replay_that_keeps_its_keys_in_memory_says_so_at_start(tmp_path, monkeypatch):
    r = Redactor(b"k" * 32)
    writer = CassetteWriter(tmp_path / "c")
    ex = capture(numbered(1), r)
    ex.match_key = match_key(ex, r)
    writer.append(ex)
    writer.close()

    def refused(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    recordings = load(tmp_path / "c", Matching(), r)
    assert any("kept in memory" in notice for notice in recordings.notices)
    assert recordings.index.get(ex.match_key) == [0]

"""A HAR file's entries handed over as bytes: cut by the reader, decoded by the workers.

The reader of a big HAR file does the least it can: :func:`cut_har` finds the byte span of
each element of ``log.entries`` (:mod:`.entry_spans`) and yields them in batches
(:class:`EntryBytes`: the bytes of consecutive entries and where each lies), building no
object per entry. A worker turns a batch into raw exchanges with :func:`decode_entries`:
``json`` decodes each entry and :func:`~.har.raw_from_entry` reads it, as the standard
reader (:func:`~.har.read_har` over a :class:`~.json_stream.JsonStream`) does.

That standard reader stays the judge of every file this one is not sure of. The cut
raises :class:`NotSure` at anything a well-formed HAR file does not have (a byte out of
place, the file's end inside the document, an unreadable gzip, an entry nested deeper than
any HAR entry is), and a worker reports an entry ``json`` refuses or that is not UTF-8;
the importer then reads the file again the standard way, which words what is wrong and
keeps, with ``--partial``, exactly the entries it always kept. The members around the
entries (version, creator, pages) are checked by that reader too: their bytes, with the
entries left out, are read by it before the file counts as read.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, NamedTuple

from .entry_spans import CLOSED, OPENED, UNSURE, scan_elements, value_end
from .har import BrokenEntry, raw_from_entry, read_har
from .json_stream import JsonStream, JsonStreamError

CHUNK = 1 << 22  # bytes read at a time
BATCH_BYTES = 1 << 20  # a batch ends after this many bytes of entries (or ``batch`` entries)
TAIL_BYTES = 64 << 20  # more after the entries than this: the standard reader reads the file
DOUBT_DEPTH = 200  # a file with a deeper entry is left to the standard reader (a HAR entry has ~5 levels)
_BOM = b"\xef\xbb\xbf"
_WS = b" \t\r\n"
_DECODER = json.JSONDecoder()  # as JsonStream's: the same values from the same text


class NotSure(Exception):
    """This file is not one the fast reading is sure of: the standard reader reads it."""


class EntryBytes(NamedTuple):
    """Entries as the file holds them: *spans* is ``index, start, end`` for each entry,
    into *blob* (the bytes from the first entry's start to the last one's end)."""
    blob: bytes
    spans: list[int]


# -- the reader's side ------------------------------------------------------------------------------

def cut_har(fo: BinaryIO, *, batch: int, on_read: Callable[[], None] | None = None) -> Iterator[EntryBytes]:
    """The entries of the HAR document on *fo* as :class:`EntryBytes` of at most *batch*
    entries. Raises :class:`NotSure` (see the module's docstring); *on_read* is called
    after each read."""
    cut = _Cut(fo, on_read)
    try:
        yield from cut.entries(batch)
        cut.check_around()
    except (OSError, EOFError, zlib.error):  # a damaged gzip or disk: where it breaks is the standard reader's to say
        raise NotSure from None


class _Cut:
    def __init__(self, fo: BinaryIO, on_read: Callable[[], None] | None):
        self._fo, self._on_read = fo, on_read
        self._buf, self._pos, self._eof = b"", 0, False
        self._mark: int | None = None  # bytes from here on are kept by _more (the members around the entries)
        self._head = b""  # the document up to the entries' '[' (kept for check_around)

    def _more(self, at_least: int = 0) -> bool:
        """Read more, keeping the buffer from ``_pos`` (or ``_mark``) on; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._fo.read(max(CHUNK, at_least))
        if self._on_read is not None:
            self._on_read()
        if not chunk:
            self._eof = True
            return False
        cut = self._pos if self._mark is None else min(self._pos, self._mark)
        self._buf, self._pos = self._buf[cut:] + chunk, self._pos - cut
        if self._mark is not None:
            self._mark -= cut
        return True

    # -- the members around the entries: a few bytes, read byte by byte ----------------------------
    def _peek(self) -> int:
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._more():
                return -1

    def _take(self, char: bytes) -> None:
        if self._peek() != char[0]:
            raise NotSure
        self._pos += 1

    def _value(self, key: bool = False) -> bytes:
        """The bytes of the value starting here (of the key starting here)."""
        first = self._peek()
        if first < 0 or (key and first != 0x22):  # a key is a string
            raise NotSure
        while (end := value_end(self._buf, self._pos)) is None:
            if not self._more(len(self._buf)):
                raise NotSure
        if end < 0:
            raise NotSure
        value, self._pos = self._buf[self._pos:end], end
        return value

    def _to_entries(self) -> None:
        """Move to just inside ``log.entries``'s '[' (the first of each, as written)."""
        self._more()
        if self._buf.startswith(_BOM):
            self._pos = len(_BOM)  # as utf-8-sig reads the file
        self._mark = self._pos
        for wanted in (b'"log"', b'"entries"'):
            self._take(b"{")
            while True:
                key = self._value(key=True)
                self._take(b":")
                if key == wanted and self._peek() == (b"[" if wanted == b'"entries"' else b"{")[0]:
                    break
                self._value()
                self._take(b",")  # a '}': the object ends without what is looked for
        self._take(b"[")
        self._head, self._mark = self._buf[self._mark:self._pos], None

    def entries(self, batch: int) -> Iterator[EntryBytes]:
        self._to_entries()
        state, index, spans = OPENED, 0, []
        while True:
            status, pos, state = scan_elements(self._buf, self._pos, state, spans)
            buf, first, i = self._buf, 0, 0
            while i < len(spans):
                end, depth = spans[i + 1], spans[i + 2]
                if depth > DOUBT_DEPTH:
                    # whether a reader decodes it, skips it as too deep or finds it broken
                    # first depends on its stack: the standard reader's to say
                    raise NotSure
                if i > first and (i - first >= 3 * batch or end - spans[first] > BATCH_BYTES):
                    yield _batch(buf, spans, first, i, index - (i - first) // 3)
                    first = i
                index += 1
                i += 3
            if i > first:
                yield _batch(buf, spans, first, i, index - (i - first) // 3)
            spans.clear()
            self._pos = pos
            if status == CLOSED:
                return
            if status == UNSURE or not self._more(len(self._buf) - pos):
                raise NotSure

    def check_around(self) -> None:
        """The document with its entries left out, read by the standard reader: it must
        find nothing wrong and no other entry (a second ``log``, a key written with escapes)."""
        self._mark = self._pos - 1  # the entries' ']'
        while self._more():  # the rest of the document: the members after the entries
            if len(self._buf) > TAIL_BYTES:
                raise NotSure
        skeleton, self._buf = self._head + self._buf[self._mark:], b""
        try:
            for _ in read_har(JsonStream(io.BytesIO(skeleton)), max_body=0):
                raise NotSure
        except JsonStreamError:
            raise NotSure from None


def _batch(buf: bytes, spans: list[int], first: int, stop: int, index: int) -> EntryBytes:
    base = spans[first]
    out = []
    for i in range(first, stop, 3):
        out += (index, spans[i] - base, spans[i + 1] - base)
        index += 1
    return EntryBytes(buf[base:spans[stop - 2]], out)


# -- the worker's side ------------------------------------------------------------------------------

def decode_entries(batch: EntryBytes, max_body: int) -> tuple[list[tuple[int, Any]], list[tuple[int, str]], int | None]:
    """``(index, raw exchange)`` of each entry of *batch*, ``(index, why)`` of each one that
    cannot be a raw exchange (:class:`~.har.BrokenEntry`), and the index of the first entry
    the standard reader must judge (not UTF-8, not JSON; None when there is none: the
    entries after such a one are not read)."""
    blob, spans = batch
    pairs: list[tuple[int, Any]] = []
    broken: list[tuple[int, str]] = []
    ascii_only = blob.isascii()  # then byte offsets are character offsets: one text for the batch
    text = blob.decode("ascii") if ascii_only else ""
    for i in range(0, len(spans), 3):
        index, start, end = spans[i], spans[i + 1], spans[i + 2]
        try:
            if ascii_only:
                entry, stop = _DECODER.raw_decode(text, start)
                if stop != end:
                    return pairs, broken, index
            else:
                entry = _DECODER.decode(blob[start:end].decode("utf-8"))  # strict, as the file is read
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return pairs, broken, index
        try:
            pairs.append((index, raw_from_entry(entry, max_body=max_body)))
        except BrokenEntry as exc:
            broken.append((index, str(exc)))
        except Exception:  # a bug the standard reader meets too: it raises it the same way
            return pairs, broken, index
    return pairs, broken, None

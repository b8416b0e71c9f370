"""The entries of a huge JSON document, one at a time, in bounded memory.

A HAR file is one JSON object whose ``log.entries`` array can hold millions of entries
(gigabytes). :class:`JsonStream` walks the outer objects token by token and decodes each
element of the array with the standard library's C decoder (``raw_decode``), so memory
is bounded by the largest single entry, not by the file, and decoding runs at
``json.loads`` speed (a pure-Python or event-based parser is several times slower).
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, BinaryIO, Iterator

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"
CHUNK = 1 << 20
_LOOKAHEAD = 32  # characters that must follow a decoded value unless the file ends


class JsonStreamError(Exception):
    """The document is not what was expected. ``truncated`` says it ended too early."""

    def __init__(self, message: str, *, truncated: bool = False, offset: int | None = None):
        super().__init__(message)
        self.truncated = truncated
        self.offset = offset


class TooDeep(JsonStreamError):
    """A value nested deeper than the decoder goes (it would recurse past Python's
    limit). It has been skipped: the stream is positioned after it."""


_STRUCTURE = re.compile(r'["\[\]{}]')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.S)  # the rest of a string, closing quote included


class _Counting(io.RawIOBase):
    """A binary reader that counts the bytes read (for the progress bar)."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b)
        self.count += n or 0
        return n


class JsonStream:
    """A cursor over the text of a JSON document read from *raw* (bytes, UTF-8)."""

    def __init__(self, raw: BinaryIO):
        self._counter = _Counting(raw)
        self._text = io.TextIOWrapper(io.BufferedReader(self._counter, CHUNK), encoding="utf-8-sig",
                                      errors="strict")
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._dropped = 0  # characters consumed and dropped before _buf

    @property
    def bytes_read(self) -> int:
        return self._counter.count

    # -- the cursor ---------------------------------------------------------------------------
    def _more(self, at_least: int = 0) -> bool:
        """Read more text; False at the end of the document."""
        if self._eof:
            return False
        try:
            chunk = self._text.read(max(at_least, CHUNK))
        except UnicodeDecodeError as exc:
            raise JsonStreamError(f"not UTF-8 text near byte {self.bytes_read:,} ({exc.reason})") from None
        if not chunk:  # the buffer stays as it is: positions into it are still good
            self._eof = True
            return False
        if self._pos:  # drop what was consumed (callers re-read from _pos after a True)
            self._dropped += self._pos
            self._buf, self._pos = self._buf[self._pos:], 0
        self._buf += chunk
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if char == "":
            raise JsonStreamError(f"the file ends where {what} should be", truncated=True, offset=self.bytes_read)
        if char not in chars:
            raise JsonStreamError(f"expected {what} at character {self._dropped + self._pos:,}, found {char!r}",
                                  offset=self.bytes_read)
        self._pos += 1
        return char

    def value(self, what: str) -> Any:
        """Decode the next complete JSON value."""
        if self.peek() == "":
            raise JsonStreamError(f"the file ends where {what} should be", truncated=True, offset=self.bytes_read)
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except RecursionError:
                self._skip_nested(what)
                raise TooDeep(f"{what} is nested too deep to read", offset=self.bytes_read) from None
            except json.JSONDecodeError as exc:
                # cut by the end of the buffer, or really broken?
                if self._needs_more(exc) and self._more(len(self._buf)):
                    continue  # doubles the buffer each time: linear in the entry's size
                if self._eof and self._needs_more(exc):
                    raise JsonStreamError(f"the file ends inside {what}", truncated=True, offset=self.bytes_read) \
                        from None
                raise JsonStreamError(f"{what} is not valid JSON ({exc.msg} at character "
                                      f"{self._dropped + exc.pos:,})", offset=self.bytes_read) from None
            if len(self._buf) - end < _LOOKAHEAD and not self._eof and self._more():
                continue  # a number cut by the chunk ("0" of "0.5") decodes too: look further first
            self._pos = end
            return value

    def _skip_nested(self, what: str) -> None:
        """Move past the array or object starting here, without decoding it: brackets
        counted, strings jumped over (no recursion, whatever the depth)."""
        depth, pos = 0, self._pos
        while True:
            m = _STRUCTURE.search(self._buf, pos)
            token_at = None if m is None else m.start()
            if m is not None and m.group() == '"':
                rest = _STRING_REST.match(self._buf, token_at + 1)
                if rest is not None:
                    pos = rest.end()
                    continue
            elif m is not None:
                depth += 1 if m.group() in "[{" else -1
                pos = token_at + 1
                if depth == 0:
                    self._pos = pos
                    return
                continue
            # the buffer ends inside a string or before the value's end: read on (a string
            # cut by the buffer is scanned again from its quote)
            self._pos = len(self._buf) if token_at is None else token_at
            if not self._more(len(self._buf)):
                raise JsonStreamError(f"the file ends inside {what}", truncated=True, offset=self.bytes_read)
            pos = self._pos

    def _needs_more(self, exc: json.JSONDecodeError) -> bool:
        return exc.pos >= len(self._buf) - 8 or exc.msg.startswith("Unterminated string")

    # -- objects and arrays -------------------------------------------------------------------
    def members(self, what: str) -> Iterator[str]:
        """The keys of the object starting here; the caller consumes each value
        (:meth:`value`, :meth:`skip`, or by descending) before asking for the next key."""
        self.expect("{", f"the start of {what}")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.value(f"a key of {what}")
            if not isinstance(key, str):
                raise JsonStreamError(f"{what} has a key that is not a string")
            self.expect(":", f"':' after the key {key!r} of {what}")
            yield key
            if self.expect(",}", f"',' or '}}' in {what}") == "}":
                return

    def items(self, what: str) -> Iterator[Any]:
        """The elements of the array starting here, decoded one at a time."""
        self.expect("[", f"the start of {what}")
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            try:
                yield self.value(f"{what}[{index}]")
            except TooDeep as exc:  # skipped: the caller decides what a skipped element means
                yield exc
            index += 1
            if self.expect(",]", f"',' or ']' after {what}[{index - 1}]") == "]":
                return

    def skip(self, what: str) -> None:
        try:
            self.value(what)
        except TooDeep:
            pass  # skipped all the same

    def at_end(self) -> bool:
        return self.peek() == ""

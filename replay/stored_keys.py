"""The stored match key text of every recording, kept on disk while replay runs.

Serving needs only each key's identity (:mod:`replay.key_index`); the texts are read to
explain a miss (the nearest recordings' documents), to find the recordings whose key holds
a pseudonym, and to index again for another matching. So the texts are written once, at
load, to an anonymous temporary file (deleted by the system when replay ends, even when it
is killed) and each is read back by its place in it: at a million recordings ~250 MB of
Python strings that no longer stay resident. Nothing is written anywhere else; where no
temporary file can be written (a read-only or full temporary folder) the texts stay in
memory, one buffer, and :attr:`StoredKeys.notice` says so.
"""

from __future__ import annotations

import array
import bisect
import contextlib
import mmap
import os
import tempfile
import threading
from collections.abc import Iterator

import pyarrow as pa

from .key_index import KeyIndex, ident, idents

_WRITE_CHUNK = 16 << 20


class StoredKeys:
    """Row -> its stored match key text, for a column of texts with no nulls."""

    def __init__(self, column: pa.ChunkedArray | pa.Array):
        if column.null_count:
            raise ValueError("a stored match key is missing")
        self.notice: str | None = None  # why the texts are kept in memory, if they are
        self._offsets = array.array("q", [0])  # row i's text is at [offsets[i], offsets[i + 1]) in the file
        self._idents: list[bytes] | None = []  # each row's (replay.key_index), until indexed
        self._memory: bytearray | None = None  # the texts, when no temporary file could hold them
        try:
            self._file = tempfile.TemporaryFile(prefix="tillroll-keys-")
        except OSError as exc:
            self._to_memory(exc)
        for chunk in getattr(column, "chunks", [column]):
            if len(chunk):
                self._append(chunk.cast(pa.large_string()))  # 64-bit offsets: no 2 GiB limit
        if self._memory is None:
            try:
                self._file.flush()
            except OSError as exc:
                self._to_memory(exc)
        self._lock = threading.Lock()  # for systems without os.pread

    def _append(self, chunk: pa.Array) -> None:
        """Write *chunk*'s texts to the file as Arrow holds them (one after the other) and
        digest each, in C where compiled: no Python object made for a text."""
        offsets = memoryview(chunk.buffers()[1]).cast("q")[chunk.offset:chunk.offset + len(chunk) + 1]
        data = memoryview(chunk.buffers()[2] or b"")
        self._idents += idents(data, offsets)
        start, end, written = offsets[0], offsets[-1], self._offsets[-1]
        for at in range(start, end, _WRITE_CHUNK):
            piece = data[at:min(end, at + _WRITE_CHUNK)]
            if self._memory is None:
                try:
                    self._file.write(piece)
                    continue
                except OSError as exc:
                    self._to_memory(exc)
            self._memory += piece
        self._offsets.extend(at - start + written for at in offsets[1:])

    def _to_memory(self, exc: OSError) -> None:
        """Keep the texts in memory from now on: those written so far read back first."""
        self._memory = bytearray()
        file, self._file = getattr(self, "_file", None), None
        if file is not None:
            try:
                file.seek(0)
                self._memory += file.read()
            finally:
                file.close()
        self.notice = (f"the stored match keys are kept in memory: no temporary file could hold them "
                       f"({exc.strerror or type(exc).__name__} in {tempfile.gettempdir()})")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def index(self) -> KeyIndex:
        """The rows by key, for the stored-key matching (made once from the digests of the
        load, without reading a text back; again from the texts if asked again)."""
        if self._idents is None:
            return KeyIndex.of(map(ident, self.texts()))
        index, self._idents = KeyIndex.of(self._idents), None
        return index

    def text(self, row: int) -> str:
        start, end = self._offsets[row], self._offsets[row + 1]
        return self._read(end - start, start).decode("utf-8")

    def texts(self) -> Iterator[str]:
        """Every row's text, in row order."""
        for row in range(len(self)):
            yield self.text(row)

    def rows_holding(self, needle: str) -> list[int]:
        """The rows whose text contains *needle*, in row order (one pass over the file)."""
        found: list[int] = []
        size, wanted = self._offsets[-1], needle.encode("utf-8")
        if not size or not wanted:
            return list(range(len(self))) if not wanted else found
        with (mmap.mmap(self._file.fileno(), size, access=mmap.ACCESS_READ) if self._memory is None
              else contextlib.nullcontext(self._memory)) as view:
            at = view.find(wanted)
            while at >= 0:
                row = bisect.bisect_right(self._offsets, at) - 1
                end = self._offsets[row + 1]
                if at + len(wanted) <= end:  # not a match across two texts
                    found.append(row)
                    at = view.find(wanted, end)  # on to the next row
                else:
                    at = view.find(wanted, at + 1)
        return found

    def _read(self, size: int, at: int) -> bytes:
        if self._memory is not None:
            return bytes(self._memory[at:at + size])
        if hasattr(os, "pread"):
            return os.pread(self._file.fileno(), size, at)
        with self._lock:
            self._file.seek(at)
            return self._file.read(size)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


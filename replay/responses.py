"""Recorded responses, read when first served.

Loading a cassette reads only what identifies its requests; the response columns (the
bulk of a cassette: a million exchanges hold gigabytes of bodies) are read one Parquet
row group at a time (the store writes groups of about a thousand rows) when one of its
rows is first served; a few groups are kept, decoded or as read (within a share of the
``--memory`` budget), and what is kept of single rows is :mod:`replay.memory`'s.
"""

from __future__ import annotations

import bisect
import collections
import threading
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tillroll.capture.content import UndecodableContent, encode_content
from tillroll.store.exchange import join_body

COLUMNS = ["exchange_id", "duration_ms", "status", "reason", "response_headers", "response_content_encoding",
           "response_body_text", "response_body_bytes", "response_body_size", "response_truncated", "error",
           "vendor"]
# Never replayed as recorded: they describe the recorded connection, not the response.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length"})
# Decoded row groups are kept up to this many bytes by default (least recently used out
# first): only a few, for rows served in recorded order. A sequence's next recordings are not
# found here but in replay.memory (built when their group was read): keeping whole groups
# for them held 4 GB at a million exchanges (RESULTS.md, "Why spread requests are slower").
GROUP_BYTES_KEPT = 64 << 20
# Converted to Python when a row group is read (about 1 ms for a thousand rows): a row is then
# a few list lookups. The headers too, as one flat list of the pairs served (a row's own
# conversion cost 2.5 us, five times its share of the group's: a request recorded
# thousands of times is served a row never served before each time). A body's text is
# copied as the UTF-8 bytes it is in Arrow's buffer, when served.
_AT_ONCE = tuple(c for c in COLUMNS if c not in ("response_headers", "response_body_text"))


@dataclass(slots=True)  # up to hundreds of thousands kept (replay.memory)
class Recorded:
    """What is served for one recording."""

    exchange_id: str
    status: int | None  # None: the recording is a transport error (no response)
    reason: str | None
    headers: list[tuple[str, str]]
    body: bytes
    duration_s: float
    error: str | None = None
    vendor: str | None = None
    wire: object = None  # the bytes replay writes for it (replay.wire), built when first served; False: none


class ResponseReader:
    """The response columns of a cassette's files: ``(source, row)`` -> :class:`Recorded`."""

    def __init__(self, sources: list[Path | pa.Table], group_bytes: int = GROUP_BYTES_KEPT):
        self._sources = sources  # a Parquet path, or a table already in memory (a live segment)
        self.group_bytes = group_bytes  # decoded row groups kept up to this many bytes
        self.groups_read = 0  # row groups read and decoded so far
        self._files: dict[int, tuple[pq.ParquetFile, list[int], threading.Lock]] = {}
        self._groups: collections.OrderedDict[tuple[int, int], tuple[dict, int]] = collections.OrderedDict()
        self._group_bytes = 0
        self._lock = threading.Lock()  # the caches change from worker threads too

    @property
    def cached_bytes(self) -> int:
        """The bytes of the row groups kept (an estimate, see :meth:`_keep`)."""
        return self._group_bytes

    def in_memory(self, source: int, row: int) -> bool:
        """Whether :meth:`get` can answer without reading the disk, nor decoding a group."""
        key = self._key(source, row, open_file=False)
        hit = self._groups.get(key) if key is not None else None
        return hit is not None and isinstance(hit[0], dict)

    def get(self, source: int, row: int) -> Recorded:
        """The response of *row* of *source*, built anew (reads its row group when needed;
        safe from several threads: the lock covers the group cache, never a read)."""
        group, offset = self._group_for(source, row)
        return _row_of(group, row - offset)

    def get_with(self, source: int, row: int, also) -> tuple[Recorded, list[tuple[int, Recorded]]]:
        """:meth:`get`, and the other rows of its row group that ``also(source, first, count)``
        names (rows of *source*, from ``first``, ``count`` of them), built too. A group not
        decoded before is read and only those rows of it decoded (a group decoded whole cost
        ~10 ms at a million exchanges, 2 of them Parquet's); it is kept as read, undecoded."""
        key, start = self._key(source, row), 0
        if key[1]:
            start = self._files[source][1][key[1]]
        hit = self._hit(key)
        if isinstance(hit, dict):
            more = [r for r in also(source, start, len(hit["status"])) if r != row]
            return _row_of(hit, row - start), [(r, _row_of(hit, r - start)) for r in more]
        table = hit if hit is not None else self._read(source, key)
        more = [r for r in also(source, start, table.num_rows) if r != row]
        wanted = [row - start] + [r - start for r in more]
        group = _decoded(table.take(pa.array(wanted, pa.int64())))
        if hit is None:
            self._keep(key, table, table.nbytes)
        return _row_of(group, 0), [(r, _row_of(group, i)) for i, r in enumerate(more, 1)]

    def _group_for(self, source: int, row: int) -> tuple[dict[str, tuple | pa.Array], int]:
        """The response columns of the row group holding *row*, decoded (a tuple of Python
        values, or an array for the bulky ones), and its first row."""
        key, start = self._key(source, row), 0
        if key[1]:
            start = self._files[source][1][key[1]]
        hit = self._hit(key)
        if isinstance(hit, dict):
            return hit, start
        table = hit if hit is not None else self._read(source, key)
        group = _decoded(table)
        # (the Python pairs: about as many bytes again as their Arrow form, and the objects)
        self._keep(key, group, table.nbytes + 2 * table.column("response_headers").nbytes
                   + 120 * len(group["_served_headers"]))
        return group, start

    def _key(self, source: int, row: int, open_file: bool = True) -> tuple[int, int] | None:
        """``(source, row group)`` of *row* (the file's row groups are listed when first asked)."""
        src = self._sources[source]
        if isinstance(src, pa.Table):
            return source, 0
        files = self._files.get(source)
        if files is None:
            if not open_file:
                return None
            with self._lock:
                files = self._files.get(source)
                if files is None:
                    pf = pq.ParquetFile(src)
                    starts, total = [], 0
                    for i in range(pf.metadata.num_row_groups):
                        starts.append(total)
                        total += pf.metadata.row_group(i).num_rows
                    # one reader per file, one read at a time: a ParquetFile is not thread-safe
                    files = self._files[source] = (pf, starts, threading.Lock())
        return source, bisect.bisect_right(files[1], row) - 1

    def _hit(self, key: tuple[int, int]) -> dict | pa.Table | None:
        """The group kept for *key*: decoded (a dict), as read (a table), or None."""
        hit = self._groups.get(key)
        if hit is None:
            return None
        try:
            self._groups.move_to_end(key)
        except KeyError:
            pass
        return hit[0]

    def _read(self, source: int, key: tuple[int, int]) -> pa.Table:
        self.groups_read += 1
        src = self._sources[source]
        if isinstance(src, pa.Table):
            return src
        pf, _, reading = self._files[source]
        with reading:
            return pf.read_row_group(key[1], columns=COLUMNS)

    def _keep(self, key: tuple[int, int], group: dict | pa.Table, size: int) -> None:
        """Keep a row group, decoded or as read, within ``group_bytes`` (least recently used out first)."""
        with self._lock:
            old = self._groups.pop(key, None)
            if old is not None:
                self._group_bytes -= old[1]
            self._groups[key] = (group, size)
            self._group_bytes += size
            while self._group_bytes > self.group_bytes and self._groups:
                _, (_, out) = self._groups.popitem(last=False)
                self._group_bytes -= out


def _decoded(table: pa.Table) -> dict:
    """The response columns of *table* (a row group, or rows of one) converted to Python at
    once (see :data:`_AT_ONCE`); tuples of atomic values are left alone by the cyclic GC."""
    group = {name: tuple(table.column(name).to_pylist()) for name in _AT_ONCE}
    group["_body_text"] = _utf8_rows(table.column("response_body_text").combine_chunks())
    group["_served_headers"], group["_bounds"] = _served_headers(table.column("response_headers").combine_chunks())
    return group


def _row_of(group: dict, i: int) -> Recorded:
    """The response of row *i* of a decoded row group (see ``ResponseReader._group_for``)."""
    bounds = group["_bounds"]
    data, starts, valid = group["_body_text"]
    body = bytes(data[starts[i]:starts[i + 1]]) if valid is None or valid[i] else group["response_body_bytes"][i]
    return answer(group["exchange_id"][i], group["status"][i], group["reason"][i],
                  list(group["_served_headers"][bounds[i]:bounds[i + 1]]), body,
                  group["response_body_size"][i], group["response_truncated"][i],
                  group["response_content_encoding"][i], group["duration_ms"][i], group["error"][i],
                  group["vendor"][i])


def from_exchange(ex) -> Recorded:
    """What replay serves for a just-captured exchange: the same as once it is read back
    from the cassette (redacted body and headers, re-encoded as recorded)."""
    row = {name: getattr(ex, name) for name in COLUMNS}
    row["response_headers"] = [{"name": k, "value": v} for k, v in ex.response_headers or ()]
    return build(row)


def build(r: dict) -> Recorded:
    """The response to serve from a recorded row (a dict of :data:`COLUMNS`): see :func:`answer`."""
    headers = [(h["name"], h["value"]) for h in (r["response_headers"] or []) if _served(h["name"])]
    return answer(r["exchange_id"], r["status"], r["reason"], headers,
                  join_body(r["response_body_text"], r["response_body_bytes"]), r["response_body_size"],
                  r["response_truncated"], r["response_content_encoding"], r["duration_ms"], r["error"], r["vendor"])


def _served(name: str) -> bool:
    """Whether a recorded header is served: hop-by-hop ones and Content-Length are left to
    the server, HTTP/2 pseudo-headers (a HAR from a browser has them) are not headers an
    HTTP/1.1 answer can carry."""
    return name.lower() not in HOP_BY_HOP and not name.startswith(":")


def _served_headers(column: pa.ListArray) -> tuple[tuple[tuple[str, str], ...], tuple[int, ...]]:
    """The served header pairs of every row of *column* (``response_headers``) in one flat
    list, and where each row's begin: row i's are ``pairs[bounds[i]:bounds[i + 1]]``."""
    names, values = (f.to_pylist() for f in column.values.flatten())
    offsets = column.offsets.to_pylist()
    keep = [_served(name) for name in names]
    pairs, bounds = [], [0]
    for i in range(len(column)):
        pairs.extend([(names[j], values[j]) for j in range(offsets[i], offsets[i + 1]) if keep[j]])
        bounds.append(len(pairs))
    # tuples: once the cyclic GC has seen them it leaves them alone (a list of a thousand
    # groups' pairs would be walked by every full collection)
    return tuple(pairs), tuple(bounds)


def _utf8_rows(column: pa.Array) -> tuple[memoryview | bytes, tuple[int, ...], tuple[bool, ...] | None]:
    """A text column as ``(data, starts, valid)``: row i's UTF-8 bytes are
    ``data[starts[i]:starts[i + 1]]`` when ``valid`` is None or ``valid[i]``."""
    if column.type != pa.large_string():
        column = column.cast(pa.large_string())
    _, offsets, data = column.buffers()
    starts = tuple(memoryview(offsets).cast("q")[column.offset:column.offset + len(column) + 1])
    return (memoryview(data) if data is not None else b""), starts, (tuple(column.is_valid().to_pylist())
                                                                      if column.null_count else None)


def answer(exchange_id: str, status: int | None, reason: str | None, headers: list[tuple[str, str]],
           body: bytes | None, body_size: int | None, truncated: bool, encoding: str | None,
           duration_ms: float | None, error: str | None, vendor: str | None) -> Recorded:
    """The response to serve from a recorded row: redacted body re-encoded as recorded, the
    served *headers*, and a note when the body is not all there (truncated at record time,
    or dropped by redaction)."""
    body = body or b""
    notes = []
    if truncated:
        notes.append("truncated")
    if not body and (body_size or 0) > 0:
        notes.append("dropped")  # redaction kept nothing of it (see the record's redactions)
    if body and encoding:
        try:
            body = encode_content(body, encoding)
        except UndecodableContent:
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    elif encoding:  # no body to encode: do not announce one
        headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    if notes:
        headers.append(("X-Tillroll-Body", ",".join(notes)))
    return Recorded(exchange_id=exchange_id, status=status, reason=reason, headers=headers, body=body,
                    duration_s=(duration_ms or 0.0) / 1000, error=error, vendor=vendor)

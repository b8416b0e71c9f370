"""A cassette loaded for replay: the recordings, indexed by match key.

Loading reads only what identifies each request (its match key, method, path,
operation, host and order), puts the rows in recorded order and indexes them by key
(:mod:`replay.key_index`: a digest of each; the texts wait on disk, :mod:`replay.stored_keys`):
a million exchanges load in seconds. Responses are read when first served
(:mod:`replay.responses`) and kept within a byte budget (:mod:`replay.memory`), with the
recordings that the sequences being walked serve next. Cassettes recorded before match
keys were stored get them computed here, with the same code as at record time.
"""

from __future__ import annotations

import array
import asyncio
import collections
import json
import threading
import types
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tillroll.capture import key_text, match_document
from tillroll.capture import Redactor
from tillroll.store import parquet_files as pqf
from tillroll.store import Source, dedupe, in_order, open_cassette

from .key_index import KeyIndex, ident
from .matching import Matching, NearMiss, compare
from .memory import DEFAULT_MEMORY, GROUPS_SHARE, PASSED, SERVED, KeptResponses
from .pseudonyms import Holes
from .responses import COLUMNS as RESPONSE_COLUMNS
from .responses import Recorded, ResponseReader
from .stored_keys import StoredKeys

INDEX_COLUMNS = ["exchange_id", "started_at", "session_id", "seq", "method", "host", "port", "path", "operation",
                 "match_key", "redaction_key_id"]
# What match_document reads, for cassettes recorded before match keys were stored.
REQUEST_COLUMNS = ["exchange_id", "method", "host", "port", "path", "query", "vendor", "operation", "params_json",
                   "request_body_text", "request_body_bytes"]
# What is kept of the index columns once the rows are ordered and indexed.
KEPT_COLUMNS = ["exchange_id", "method", "host", "port", "path", "operation", "_source", "_row"]
_DOCS_KEPT = 20_000
NEAR_MISS_BUDGET = 5_000  # distinct requests compared on a miss, at most


@dataclass
class Extra:
    """A recording added while serving (``--on-miss record``)."""

    recorded: Recorded
    doc: dict
    summary: str


@dataclass
class Recordings:
    path: str  # as the user named it: a folder, or an s3:// URL
    table: pa.Table  # INDEX_COLUMNS + _source, _row, in recorded order
    matching: Matching
    index: KeyIndex
    key_ids: set[str]
    responses: ResponseReader
    notices: list[str] = field(default_factory=list)  # what opening the cassette did (recovery, quarantine)
    extra: list[Extra] = field(default_factory=list)
    _stored: StoredKeys | None = None  # the stored match key by row, on disk (see load)
    kept: KeptResponses = field(default_factory=lambda: KeptResponses(DEFAULT_MEMORY))
    # Where each sequence stands (replay.playback.Playback: ``position(key)``, how many of the
    # key's recordings were served): set by the replayer; None: nothing is read ahead.
    sequences: object = None
    _location: tuple[array.array, array.array] | None = None  # (source, row in it) by row
    _docs: collections.OrderedDict = field(default_factory=collections.OrderedDict)
    _walks: "_Walks | None" = None
    _walks_made: threading.Lock = field(default_factory=threading.Lock)
    _by_operation: dict[tuple, list[int]] | None = None
    _holes: Holes | None = None

    def __len__(self) -> int:
        return self.table.num_rows + len(self.extra)

    # -- serving ------------------------------------------------------------------------------
    async def response(self, row: int) -> Recorded:
        """The response of *row*; read from disk in a worker thread the first time."""
        hit = self.response_cached(row)
        if hit is not None:
            return hit
        if self.responses.in_memory(*self.location(row)):  # no disk read: no thread hop either
            return self._read(row)
        return await asyncio.get_running_loop().run_in_executor(None, self._read, row)

    def response_cached(self, row: int) -> Recorded | None:
        """The response of *row* when it is kept (no coroutine for the common case: one
        lookup by row number)."""
        hit = self.kept.get(row)
        if hit is not None:
            return hit
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].recorded
        return None

    def response_now(self, row: int) -> Recorded:
        """:meth:`response`, reading on this thread (for tools and tests)."""
        return self.response_cached(row) or self._read(row)

    def _read(self, row: int) -> Recorded:
        """Read *row*'s response (any thread) and keep it, with the recordings in its row group
        that the sequences being walked serve next (see :mod:`replay.memory`)."""
        source, physical = self.location(row)
        if self.sequences is None:
            recorded, more = self.responses.get(source, physical), []
        else:
            recorded, more = self.responses.get_with(source, physical, self._ahead_in)
        walks = self._walks
        self.kept.serve(row, recorded, PASSED if walks is not None and walks.passes(row) else SERVED)
        if more:
            logical, ahead = walks.logical[source], []
            for p, r in more:
                row = logical[p]
                served = self.sequences.position(walks.keys[walks.key_of[row]]) or 1
                ahead.append((row, r, PASSED if walks.passes(row) else SERVED,
                              (walks.position[row] - served) / served))  # how late it is needed (replay.memory)
            self.kept.keep_ahead(ahead)
        return recorded

    def memory_use(self) -> dict:
        """What is kept of the responses against the budget (``--memory``), for the health API."""
        kept, reader = self.kept, self.responses
        return {"budget": kept.budget + reader.group_bytes, "responses_bytes": kept.bytes, "responses": kept.pools(),
                "row_groups_bytes": reader.cached_bytes, "row_groups_read": reader.groups_read}

    def _ahead_in(self, source: int, first: int, count: int) -> list[int]:
        """The rows of *source* from *first* (*count* of them) that a sequence being walked
        serves later: rows of a request recorded more than once, served at least once,
        and not yet as far as them (rows in the source's own numbering)."""
        walks = self._walks or self._make_walks()
        logical, key_of, position_in = walks.logical[source], walks.key_of, walks.position
        keys, kept, at = walks.keys, self.kept, self.sequences.position
        out = []
        for p in range(first, first + count):
            row = logical[p]
            k = key_of[row]
            if k >= 0 and row not in kept:
                served = at(keys[k])
                if served and position_in[row] >= served:
                    out.append(p)
        return out

    def _make_walks(self) -> "_Walks":
        with self._walks_made:
            if self._walks is None:
                self._walks = _Walks(self)
            return self._walks

    def location(self, row: int) -> tuple[int, int]:
        """``(source, row in it)`` of *row*. Kept in two arrays of machine integers: a list of
        a million pairs, made while serving (after ``gc.freeze``), was walked by each of the
        cyclic GC's full collections (tens of milliseconds, every second under load)."""
        sources, rows = self._location or self.locations()
        return sources[row], rows[row]

    def locations(self) -> tuple[array.array, array.array]:
        """The source and the row in it of every row (see :meth:`location`)."""
        if self._location is None:
            self._location = (array.array("q", self.table.column("_source").to_pylist()),
                              array.array("q", self.table.column("_row").to_pylist()))
        return self._location

    # -- describing and comparing ---------------------------------------------------------------
    def doc(self, row: int) -> dict:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].doc
        hit = self._docs.get(row)
        if hit is None:
            hit = json.loads(self._stored.text(row))
            hit["host"] = f"{self._value('host', row)}:{self._value('port', row)}"
            self._docs[row] = hit
            if len(self._docs) > _DOCS_KEPT:
                self._docs.popitem(last=False)
        return hit

    def _value(self, column: str, row: int):
        return self.table.column(column)[row].as_py()

    def summary(self, row: int) -> str:
        """``POST /q (GetCustomer)``: the redacted request line and the operation."""
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].summary
        return summary_line(*(self._value(c, row) for c in ("method", "path", "operation")))

    def exchange_id(self, row: int) -> str:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].recorded.exchange_id
        return self._value("exchange_id", row)

    def near_misses(self, live: dict, limit: int = 3) -> list[NearMiss]:
        """The recordings closest to *live*, one per distinct request, nearest first. Only
        requests of the same method and operation are compared when there are any, and
        at most :data:`NEAR_MISS_BUDGET` of them, so a miss costs the same on any cassette."""
        firsts = self._first_rows_by_operation()
        candidates = firsts.get((live.get("method"), live.get("operation")))
        if not candidates:
            candidates = [row for rows in firsts.values() for row in rows[:50]]
        ranked = []
        for row in candidates[:NEAR_MISS_BUDGET]:
            miss = compare(live, self.doc(row), self.matching)
            miss.row = row
            ranked.append(miss)
        ranked.sort(key=lambda m: (m.distance, m.row))
        return ranked[:limit]

    def key_by_pseudonyms(self, live: dict, redactor: Redactor) -> str | None:
        """The key of the recording that *live* is once the pseudonyms in its recorded
        document are explained by *live*'s clear values (see :mod:`replay.pseudonyms`)."""
        if self._holes is None:
            # the distinct recorded requests holding a pseudonym (not by index key: one may merge
            # several), found by one pass over the stored texts on disk
            stored = self._stored
            rows = stored.rows_holding("tillroll:")
            hosts, ports = self.table.column("host"), self.table.column("port")
            distinct = list(dict.fromkeys((stored.text(row), f"{hosts[row].as_py()}:{ports[row].as_py()}")
                                          for row in rows))
            self._holes = Holes(self.matching, redactor if self.matching.pii else None, distinct)
        return self._holes.key_for(live)

    def _first_rows_by_operation(self) -> dict[tuple, list[int]]:
        """``(method, operation)`` -> the first row of each distinct request (built on the first miss)."""
        if self._by_operation is None:
            methods, operations = self.table.column("method").to_pylist(), self.table.column("operation").to_pylist()
            groups: dict[tuple, list[int]] = {}
            for rows in self.index.groups():
                row = rows[0]
                if row < self.table.num_rows:
                    groups.setdefault((methods[row], operations[row]), []).append(row)
            self._by_operation = groups
        return self._by_operation

    # -- changing -----------------------------------------------------------------------------------
    def reindex(self, matching: Matching) -> None:
        """Index the recordings for another matching (other matchers, or PII left out)."""
        self.matching = matching
        self.index = _index(self._stored, matching, self.table)
        self._by_operation = None
        self._walks = None
        self._holes = None
        for i, extra in enumerate(self.extra):
            self.index.add(matching.key(extra.doc), self.table.num_rows + i)

    def add(self, key: str, extra: Extra) -> int:
        self.extra.append(extra)
        row = self.table.num_rows + len(self.extra) - 1
        self.index.add(key, row)
        return row


class _Walks:
    """Where each row stands in its request's sequence, made when first needed (a pass over
    the index, ~0.4 s at a million rows): the key it was recorded with (by number; -1 when
    recorded once), its position among that key's recordings, whether it is the last, and
    the other way round from :meth:`Recordings.location` (a source's row -> the row).
    Arrays of machine integers, not lists: the cyclic GC never walks them."""

    def __init__(self, recordings: Recordings):
        n = recordings.table.num_rows
        self.keys: list[bytes] = []  # the keys' idents (replay.key_index)
        self.key_of = array.array("i", [-1]) * n
        self.position = array.array("i", [0]) * n
        self.last = bytearray(n)  # 1: the last recording of its key (then served again, not passed)
        for key, rows in recordings.index.rows.items():
            if len(rows) < 2:
                continue
            k = len(self.keys)
            self.keys.append(key)
            for i, row in enumerate(rows):
                if row < n:
                    self.key_of[row] = k
                    self.position[row] = i
            if rows[-1] < n:
                self.last[rows[-1]] = 1
        sources, physical = recordings.locations()
        self.logical: dict[int, array.array] = {}
        for source, size in collections.Counter(sources).items():
            self.logical[source] = array.array("q", [0]) * size
        for row in range(n):
            self.logical[sources[row]][physical[row]] = row

    def passes(self, row: int) -> bool:
        """Whether the sequence moves past *row* once it is served (not its key's last)."""
        return row < len(self.key_of) and self.key_of[row] >= 0 and not self.last[row]


def summary_line(method: str, path: str, operation: str | None) -> str:
    """``POST /q (GetCustomer)``; the operation is left out when it only repeats the request line."""
    return f"{method} {path}" + (f" ({operation})" if operation and operation != f"{method} {path}" else "")


def load(path: str | Path, matching: Matching, redactor: Redactor, memory: int = DEFAULT_MEMORY) -> Recordings:
    """Read the cassette at *path* for replay (raises ``CassetteError`` with the fix); its
    responses are kept within about *memory* bytes once read."""
    cassette = open_cassette(path)
    sources = cassette.read_sources(INDEX_COLUMNS)
    tables, source = [], None
    for i, source in enumerate(sources):
        table = source.table
        if table.column("match_key").null_count:
            table = _with_match_keys(source, table, redactor)
        n = table.num_rows
        tables.append(table.append_column("_source", pa.array([i] * n, pa.int32()))
                      .append_column("_row", pa.array(range(n), pa.int64())))
    if tables:
        table = in_order(dedupe(pa.concat_tables(tables)))
    else:
        table = pa.table({c: pa.array([], pa.string()) for c in INDEX_COLUMNS})
        table = table.append_column("_source", pa.array([], pa.int32())).append_column("_row", pa.array([], pa.int64()))
    stored = StoredKeys(table.column("match_key"))
    key_ids = set(table.column("redaction_key_id").unique().to_pylist()) - {None}
    # what serving reads of each row; the rest (the match keys: 300 MB at a million) only ordered them
    table = table.select(KEPT_COLUMNS)
    reader = ResponseReader([s.path if s.path is not None else s.everything.select(RESPONSE_COLUMNS) for s in sources],
                            group_bytes=memory // GROUPS_SHARE)
    recordings = Recordings(path=cassette.location, table=table, matching=matching,
                            index=_index(stored, matching, table), key_ids=key_ids, responses=reader,
                            notices=cassette.notices + ([stored.notice] if stored.notice else []), _stored=stored,
                            kept=KeptResponses(memory - memory // GROUPS_SHARE))
    # Arrow's allocator keeps what loading freed (the files' columns, the copies made to order
    # them: 1.2 GB at a million exchanges) for later allocations that serving never makes.
    del sources, tables, source
    pa.default_memory_pool().release_unused()
    return recordings


def _with_match_keys(source: Source, table: pa.Table, redactor: Redactor) -> pa.Table:
    """*table* with the missing match keys computed from its request columns."""
    whole = source.everything if source.path is None else pqf.read_file(source.path, REQUEST_COLUMNS)
    requests = whole.select(REQUEST_COLUMNS).to_pylist()
    keys = table.column("match_key").to_pylist()
    for i, key in enumerate(keys):
        if key is None:
            keys[i] = key_text(match_document(types.SimpleNamespace(**requests[i]), redactor))
    return table.set_column(table.schema.get_field_index("match_key"), "match_key", pa.array(keys, pa.string()))


def _index(stored: StoredKeys, matching: Matching, table: pa.Table) -> KeyIndex:
    if matching.uses_stored_key:
        return stored.index()
    key = matching.key_of_stored
    hosts = [f"{h}:{p}" for h, p in zip(table.column("host").to_pylist(), table.column("port").to_pylist())]
    return KeyIndex.of(ident(key(text, hosts[row])) for row, text in enumerate(stored.texts()))


def describe_key_ids(key_ids: set[str]) -> str:
    return ", ".join(sorted(key_ids)) or "none"


"""A cassette loaded for replay: the recordings, indexed by match key.

Loading reads only what identifies each request (its match key, method, path,
operation, host and order), puts the rows in recorded order and indexes them by key:
a million exchanges load in seconds. Responses are read when first served
(:mod:`replay.responses`). Cassettes recorded before match keys were stored get them
computed here, with the same code as at record time.
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
import pyarrow.compute as pc

from tillroll.capture import key_text, match_document
from tillroll.capture import Redactor
from tillroll.store import parquet_files as pqf
from tillroll.store import Source, dedupe, in_order, open_cassette

from .matching import Matching, NearMiss, compare
from .pseudonyms import Holes
from .responses import COLUMNS as RESPONSE_COLUMNS
from .responses import RESPONSE_BYTES_KEPT, RESPONSES_KEPT, Recorded, ResponseReader

INDEX_COLUMNS = ["exchange_id", "started_at", "session_id", "seq", "method", "host", "port", "path", "operation",
                 "match_key", "redaction_key_id"]
# What match_document reads, for cassettes recorded before match keys were stored.
REQUEST_COLUMNS = ["exchange_id", "method", "host", "port", "path", "query", "vendor", "operation", "params_json",
                   "request_body_text", "request_body_bytes"]
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
    index: dict[str, list[int]]
    key_ids: set[str]
    responses: ResponseReader
    notices: list[str] = field(default_factory=list)  # what opening the cassette did (recovery, quarantine)
    extra: list[Extra] = field(default_factory=list)
    _stored: list[str] = field(default_factory=list)
    _location: tuple[array.array, array.array] | None = None  # (source, row in it) by row
    _docs: collections.OrderedDict = field(default_factory=collections.OrderedDict)
    _built: collections.OrderedDict = field(default_factory=collections.OrderedDict)  # row -> Recorded, LRU
    _built_bytes: int = 0
    _keeping: threading.Lock = field(default_factory=threading.Lock)  # _built's bookkeeping (response_now: any thread)
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
        source, physical = self.location(row)
        if self.responses.in_memory(source, physical):  # no disk read: no thread hop either
            return self._keep(row, self.responses.get(source, physical))
        recorded = await asyncio.get_running_loop().run_in_executor(None, self.responses.get, source, physical)
        return self._keep(row, recorded)

    def response_cached(self, row: int) -> Recorded | None:
        """The response of *row* when it was built before (no coroutine for the common case:
        one lookup by row number)."""
        hit = self._built.get(row)
        if hit is not None:
            try:
                self._built.move_to_end(row)
            except KeyError:  # evicted meanwhile by another thread (response_now): still a good answer
                pass
            return hit
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].recorded
        return None

    def response_now(self, row: int) -> Recorded:
        """:meth:`response`, reading on this thread (for tools and tests)."""
        return self.response_cached(row) or self._keep(row, self.responses.get(*self.location(row)))

    def _keep(self, row: int, recorded: Recorded) -> Recorded:
        """Keep *recorded* for later serves: at most RESPONSES_KEPT of them and about
        RESPONSE_BYTES_KEPT of bodies (each counted twice: replay.wire keeps its bytes
        too), least recently served out first."""
        with self._keeping:
            built = self._built
            old = built.pop(row, None)
            if old is not None:  # built twice at once by two threads
                self._built_bytes -= _kept_bytes(old)
            built[row] = recorded
            self._built_bytes += _kept_bytes(recorded)
            while built and (len(built) > RESPONSES_KEPT or self._built_bytes > RESPONSE_BYTES_KEPT):
                _, out = built.popitem(last=False)
                self._built_bytes -= _kept_bytes(out)
        return recorded

    def location(self, row: int) -> tuple[int, int]:
        """``(source, row in it)`` of *row*. Kept in two arrays of machine integers: a list of
        a million pairs, made while serving (after ``gc.freeze``), was walked by each of the
        cyclic GC's full collections (tens of milliseconds, every second under load)."""
        if self._location is None:
            self._location = (array.array("q", self.table.column("_source").to_pylist()),
                              array.array("q", self.table.column("_row").to_pylist()))
        sources, rows = self._location
        return sources[row], rows[row]

    # -- describing and comparing ---------------------------------------------------------------
    def doc(self, row: int) -> dict:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].doc
        hit = self._docs.get(row)
        if hit is None:
            hit = json.loads(self._stored[row])
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
            # several), found by Arrow: a million-exchange cassette is not walked in Python
            table = self.table.select(["match_key", "host", "port"])
            if table.num_rows:
                table = table.filter(pc.fill_null(pc.match_substring(table["match_key"], "tillroll:"), False))
                table = table.group_by(["match_key", "host", "port"], use_threads=False).aggregate([])
            distinct = [(row["match_key"], f"{row['host']}:{row['port']}") for row in table.to_pylist()]
            self._holes = Holes(self.matching, redactor if self.matching.pii else None, distinct)
        return self._holes.key_for(live)

    def _first_rows_by_operation(self) -> dict[tuple, list[int]]:
        """``(method, operation)`` -> the first row of each distinct request (built on the first miss)."""
        if self._by_operation is None:
            methods, operations = self.table.column("method").to_pylist(), self.table.column("operation").to_pylist()
            groups: dict[tuple, list[int]] = {}
            for rows in self.index.values():
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
        self._holes = None
        for i, extra in enumerate(self.extra):
            self.index.setdefault(matching.key(extra.doc), []).append(self.table.num_rows + i)

    def add(self, key: str, extra: Extra) -> int:
        self.extra.append(extra)
        row = self.table.num_rows + len(self.extra) - 1
        self.index.setdefault(key, []).append(row)
        return row


def _kept_bytes(recorded: Recorded) -> int:
    """What keeping *recorded* costs against RESPONSE_BYTES_KEPT: its body twice (once more
    as replay.wire's bytes) and a little for the rest."""
    return 2 * len(recorded.body) + 512


def summary_line(method: str, path: str, operation: str | None) -> str:
    """``POST /q (GetCustomer)``; the operation is left out when it only repeats the request line."""
    return f"{method} {path}" + (f" ({operation})" if operation and operation != f"{method} {path}" else "")


def load(path: str | Path, matching: Matching, redactor: Redactor) -> Recordings:
    """Read the cassette at *path* for replay (raises ``CassetteError`` with the fix)."""
    cassette = open_cassette(path)
    sources = cassette.read_sources(INDEX_COLUMNS)
    tables = []
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
    stored = table.column("match_key").to_pylist()
    key_ids = set(table.column("redaction_key_id").unique().to_pylist()) - {None}
    reader = ResponseReader([s.path if s.path is not None else s.everything.select(RESPONSE_COLUMNS) for s in sources])
    return Recordings(path=cassette.location, table=table, matching=matching, index=_index(stored, matching, table),
                      key_ids=key_ids, responses=reader, notices=cassette.notices, _stored=stored)


def _with_match_keys(source: Source, table: pa.Table, redactor: Redactor) -> pa.Table:
    """*table* with the missing match keys computed from its request columns."""
    whole = source.everything if source.path is None else pqf.read_file(source.path, REQUEST_COLUMNS)
    requests = whole.select(REQUEST_COLUMNS).to_pylist()
    keys = table.column("match_key").to_pylist()
    for i, key in enumerate(keys):
        if key is None:
            keys[i] = key_text(match_document(types.SimpleNamespace(**requests[i]), redactor))
    return table.set_column(table.schema.get_field_index("match_key"), "match_key", pa.array(keys, pa.string()))


def _index(stored_keys: list[str], matching: Matching, table: pa.Table) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    if matching.uses_stored_key:
        for row, stored in enumerate(stored_keys):
            index.setdefault(stored, []).append(row)
        return index
    key = matching.key_of_stored
    hosts = [f"{h}:{p}" for h, p in zip(table.column("host").to_pylist(), table.column("port").to_pylist())]
    for row, stored in enumerate(stored_keys):
        index.setdefault(key(stored, hosts[row]), []).append(row)
    return index


def describe_key_ids(key_ids: set[str]) -> str:
    return ", ".join(sorted(key_ids)) or "none"


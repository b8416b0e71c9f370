"""A cassette loaded for replay: the recordings, indexed by match key.

Only the columns replay needs are read, into Arrow memory (not Python objects); the
index maps each match key to the rows recorded with it, in recorded order. A response is
built from its row the first time it is served and kept. Cassettes recorded before match
keys were stored get them computed here, with the same code as at record time.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tillroll.content import UndecodableContent, encode_content
from tillroll.exchange import join_body
from tillroll.match_doc import key_text, match_document
from tillroll.redact import Redactor
from tillroll.store import open_cassette

from .matching import Matching, NearMiss, compare

COLUMNS = ["exchange_id", "started_at", "duration_ms", "method", "scheme", "host", "port", "path", "query",
           "vendor", "operation", "params_json", "request_body_text", "request_body_bytes", "status", "reason",
           "response_headers", "response_content_encoding", "response_body_text", "response_body_bytes",
           "response_body_size", "response_truncated", "error", "match_key", "redaction_key_id"]
# Never replayed as recorded: they describe the recorded connection, not the response.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "content-length"})


@dataclass
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


@dataclass
class Extra:
    """A recording added while serving (``--on-miss record``)."""

    recorded: Recorded
    doc: dict
    summary: str


@dataclass
class Recordings:
    path: Path
    table: pa.Table
    matching: Matching
    index: dict[str, list[int]]
    key_ids: set[str]
    notices: list[str] = field(default_factory=list)  # what opening the cassette did (recovery, quarantine)
    extra: list[Extra] = field(default_factory=list)
    _responses: dict[int, Recorded] = field(default_factory=dict)
    _docs: dict[int, dict] = field(default_factory=dict)
    _stored: list[str] | None = None

    def __len__(self) -> int:
        return self.table.num_rows + len(self.extra)

    # -- serving ------------------------------------------------------------------------------
    def response(self, row: int) -> Recorded:
        hit = self._responses.get(row)
        if hit is None:
            hit = self._responses[row] = self._build(row)
        return hit

    def _build(self, row: int) -> Recorded:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].recorded
        r = {name: self.table.column(name)[row].as_py() for name in COLUMNS
             if name not in ("params_json", "request_body_text", "request_body_bytes", "match_key")}
        body = join_body(r["response_body_text"], r["response_body_bytes"]) or b""
        headers = [(h["name"], h["value"]) for h in (r["response_headers"] or [])
                   if h["name"].lower() not in HOP_BY_HOP]
        notes = []
        if r["response_truncated"]:
            notes.append("truncated")
        if not body and (r["response_body_size"] or 0) > 0:
            notes.append("dropped")  # redaction kept nothing of it (see the record's redactions)
        encoding = r["response_content_encoding"]
        if body and encoding:
            try:
                body = encode_content(body, encoding)
            except UndecodableContent:
                headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        elif encoding:  # no body to encode: do not announce one
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        if notes:
            headers.append(("X-Tillroll-Body", ",".join(notes)))
        return Recorded(exchange_id=r["exchange_id"], status=r["status"], reason=r["reason"], headers=headers,
                        body=body, duration_s=(r["duration_ms"] or 0.0) / 1000, error=r["error"], vendor=r["vendor"])

    # -- describing and comparing ---------------------------------------------------------------
    def doc(self, row: int) -> dict:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].doc
        hit = self._docs.get(row)
        if hit is None:
            hit = json.loads(self.stored_key(row))
            hit["host"] = f"{self.table.column('host')[row].as_py()}:{self.table.column('port')[row].as_py()}"
            self._docs[row] = hit
        return hit

    def stored_key(self, row: int) -> str:
        if self._stored is None:
            self._stored = self.table.column("match_key").to_pylist()
        return self._stored[row]

    def summary(self, row: int) -> str:
        """``POST /q GetCustomer`` (the redacted request line and the operation)."""
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].summary
        method, path, op = (self.table.column(c)[row].as_py() for c in ("method", "path", "operation"))
        return f"{method} {path}" + (f" ({op})" if op and op not in (f"{method} {path}",) else "")

    def exchange_id(self, row: int) -> str:
        if row >= self.table.num_rows:
            return self.extra[row - self.table.num_rows].recorded.exchange_id
        return self.table.column("exchange_id")[row].as_py()

    def near_misses(self, live: dict, limit: int = 3, budget: int = 20_000) -> list[NearMiss]:
        """The recordings closest to *live*, one per distinct request, nearest first."""
        firsts = [rows[0] for rows in self.index.values()]
        same_op = [r for r in firsts if self.doc(r).get("operation") == live.get("operation")]
        candidates = (same_op or firsts)[:budget]
        ranked = []
        for row in candidates:
            miss = compare(live, self.doc(row), self.matching)
            miss.row = row
            ranked.append(miss)
        ranked.sort(key=lambda m: (m.distance, m.row))
        return ranked[:limit]

    def reindex(self, matching: Matching) -> None:
        """Index the recordings for another matching (other matchers, or PII left out)."""
        self.matching = matching
        self.index = _index(self._stored or [], matching, self.table)
        for i, extra in enumerate(self.extra):
            self.index.setdefault(matching.key(extra.doc), []).append(self.table.num_rows + i)

    def add(self, key: str, extra: Extra) -> int:
        self.extra.append(extra)
        row = self.table.num_rows + len(self.extra) - 1
        self.index.setdefault(key, []).append(row)
        return row


def load(path: str | Path, matching: Matching, redactor: Redactor) -> Recordings:
    """Read the cassette at *path* for replay (raises ``CassetteError`` with the fix)."""
    cassette = open_cassette(path)
    table = cassette.read_table(COLUMNS)
    keys = table.column("match_key").to_pylist()
    missing = [i for i, k in enumerate(keys) if k is None]
    if missing:  # recorded before match keys were stored: compute them the recording's way
        rows = table.select([c for c in COLUMNS if c != "match_key"]).take(missing).to_pylist()
        for i, row in zip(missing, rows):
            keys[i] = key_text(match_document(types.SimpleNamespace(**row), redactor))
        table = table.set_column(table.schema.get_field_index("match_key"), "match_key", pa.array(keys, pa.string()))
    index = _index(keys, matching, table)
    key_ids = set(table.column("redaction_key_id").unique().to_pylist()) - {None}
    recordings = Recordings(path=Path(path), table=table, matching=matching, index=index, key_ids=key_ids,
                            notices=cassette.notices)
    recordings._stored = keys
    return recordings


def _index(stored_keys: list[str], matching: Matching, table: pa.Table) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    key = matching.key_of_stored
    if matching.uses_stored_key:
        for row, stored in enumerate(stored_keys):
            index.setdefault(stored, []).append(row)
        return index
    hosts = [f"{h}:{p}" for h, p in zip(table.column("host").to_pylist(), table.column("port").to_pylist())]
    for row, stored in enumerate(stored_keys):
        index.setdefault(key(stored, hosts[row]), []).append(row)
    return index


def describe_key_ids(key_ids: set[str]) -> str:
    return ", ".join(sorted(key_ids)) or "none"


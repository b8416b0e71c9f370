"""The exchange record: one row per HTTP exchange, with a versioned Arrow schema.

An :class:`Exchange` is what every other part of tillroll produces or consumes: the
recording addon and the importers build them, the store writes them, replay and the
analysis views read them. Its fields are the columns of the stored table, one to one,
so that SQL users and Python users see the same names.

Bodies are stored *decoded* (after any ``Content-Encoding`` is undone) and redacted:
as text when they are valid UTF-8 (``*_body_text``), as bytes otherwise
(``*_body_bytes``). ``*_body_size`` is the size on the wire, before decoding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import os
import threading
import time
from typing import Any, Iterable, Sequence

import pyarrow as pa

#: Bumped whenever a column is added, removed or changes meaning. Stored in every
#: Parquet file's key/value metadata under ``SCHEMA_VERSION_KEY``.
SCHEMA_VERSION = 1
SCHEMA_VERSION_KEY = b"tillroll.schema_version"

OUTCOMES = ("ok", "partial", "failed", "error")
#: Outcomes where the vendor said no (all of it, or part: an XGL redemption with a declined
#: reward inside an authorised answer), even in an HTTP 200.
FAILURES = ("failed", "partial")


def hidden_failure(outcome: str | None, status: int | None) -> bool:
    """Whether the vendor said no inside a successful HTTP answer (the failures that hide)."""
    return outcome in FAILURES and status is not None and status < 400

Header = tuple[str, str]
Redaction = tuple[str, str]  # (where, rule) — never the value

HEADERS_TYPE = pa.list_(pa.struct([("name", pa.string()), ("value", pa.string())]))
REDACTIONS_TYPE = pa.list_(pa.struct([("location", pa.string()), ("rule", pa.string())]))
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")

# (column, arrow type, nullable, description). The description is the documentation of
# the stored format (`tillroll schema` prints it) — keep it accurate.
_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    # identity and order
    ("exchange_id", pa.string(), False, "UUIDv7, time-ordered, unique across writers"),
    ("cassette", pa.string(), False, "name of the cassette the exchange was recorded into"),
    ("session_id", pa.string(), False, "recording session (one writer process) id"),
    ("seq", pa.int64(), False, "sequence number within the recording session, from 0"),
    ("schema_version", pa.int16(), False, "version of this schema the row was written with"),
    ("redaction_policy", pa.string(), True, "name of the redaction policy applied"),
    ("redaction_key_id", pa.string(), True, "fingerprint of the redaction key (never the key)"),
    # timing (HAR 1.2 definitions, milliseconds)
    ("started_at", TIMESTAMP_TYPE, False, "request start, UTC, microseconds"),
    ("duration_ms", pa.float64(), True, "total time from request start to response end"),
    ("connect_ms", pa.float64(), True, "time to open the TCP connection (HAR connect)"),
    ("tls_ms", pa.float64(), True, "TLS handshake time (HAR ssl)"),
    ("send_ms", pa.float64(), True, "time to send the request (HAR send)"),
    ("wait_ms", pa.float64(), True, "time waiting for the first response byte (HAR wait)"),
    ("receive_ms", pa.float64(), True, "time to read the response (HAR receive)"),
    # request
    ("method", pa.string(), False, "HTTP method"),
    ("scheme", pa.string(), False, "http or https"),
    ("host", pa.string(), False, "upstream host as the client addressed it"),
    ("port", pa.int32(), False, "upstream port"),
    ("path", pa.string(), False, "request path without the query (redacted)"),
    ("query", pa.string(), True, "raw query string without '?' (redacted)"),
    ("path_template", pa.string(), True, "path with identifiers as {placeholders}"),
    ("http_version", pa.string(), True, "e.g. HTTP/1.1, HTTP/2.0"),
    ("request_headers", HEADERS_TYPE, False, "ordered name/value pairs, duplicates kept"),
    ("request_content_type", pa.string(), True, "Content-Type of the request"),
    ("request_content_encoding", pa.string(), True, "Content-Encoding on the wire"),
    ("request_body_text", pa.large_string(), True, "decoded body when valid UTF-8"),
    ("request_body_bytes", pa.large_binary(), True, "decoded body when not UTF-8"),
    ("request_body_size", pa.int64(), True, "body size on the wire, bytes"),
    ("request_truncated", pa.bool_(), False, "body stored only up to the size limit"),
    # vendor view
    ("vendor", pa.string(), True, "spot, spoton, xgl, spoonity, generic"),
    ("api", pa.string(), True, "the vendor API, e.g. CustomerConnect, posexport; for another vendor, the "
     "imported file's own grouping (a Postman collection's folders)"),
    ("operation", pa.string(), True, "RequestType, action_type, cash-deposits.list, ..."),
    ("params_json", pa.large_string(), True, "decoded, redacted request parameters (JSON)"),
    ("params_encoding", pa.string(), True, "Parameters, Params, Body (Base64), query, json"),
    # response
    ("status", pa.int32(), True, "HTTP status; null when no response was received"),
    ("reason", pa.string(), True, "HTTP reason phrase"),
    ("response_headers", HEADERS_TYPE, True, "ordered name/value pairs, duplicates kept"),
    ("response_content_type", pa.string(), True, "Content-Type of the response"),
    ("response_content_encoding", pa.string(), True, "Content-Encoding on the wire"),
    ("response_body_text", pa.large_string(), True, "decoded body when valid UTF-8"),
    ("response_body_bytes", pa.large_binary(), True, "decoded body when not UTF-8"),
    ("response_body_size", pa.int64(), True, "body size on the wire, bytes"),
    ("response_truncated", pa.bool_(), False, "body stored only up to the size limit"),
    ("outcome", pa.string(), False, "ok, partial (part of it declined, e.g. an XGL reward inside an authorised answer), failed (vendor said no, even in a 200) or error"),
    ("outcome_message", pa.string(), True, "the vendor's error message, if any"),
    ("error", pa.string(), True, "transport error when there is no response"),
    # replay and audit
    ("match_key", pa.string(), True, "replay match key of the request"),
    ("redactions", REDACTIONS_TYPE, False, "where and by which rule values were redacted"),
]

COLUMN_NAMES: tuple[str, ...] = tuple(c[0] for c in _COLUMNS)
COLUMN_DOCS: dict[str, str] = {c[0]: c[3] for c in _COLUMNS}

SCHEMA = pa.schema(
    [pa.field(name, typ, nullable=nullable) for name, typ, nullable, _ in _COLUMNS],
    metadata={SCHEMA_VERSION_KEY: str(SCHEMA_VERSION).encode()},
)


@dataclasses.dataclass(slots=True)
class Exchange:
    """One HTTP exchange. Field names are the stored column names."""

    method: str
    scheme: str
    host: str
    port: int
    path: str
    started_at: dt.datetime
    exchange_id: str = ""
    cassette: str = ""
    session_id: str = ""
    seq: int = -1
    schema_version: int = SCHEMA_VERSION
    redaction_policy: str | None = None
    redaction_key_id: str | None = None
    duration_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    send_ms: float | None = None
    wait_ms: float | None = None
    receive_ms: float | None = None
    query: str | None = None
    path_template: str | None = None
    http_version: str | None = None
    request_headers: list[Header] = dataclasses.field(default_factory=list)
    request_content_type: str | None = None
    request_content_encoding: str | None = None
    request_body_text: str | None = None
    request_body_bytes: bytes | None = None
    request_body_size: int | None = None
    request_truncated: bool = False
    vendor: str | None = None
    api: str | None = None
    operation: str | None = None
    params_json: str | None = None
    params_encoding: str | None = None
    status: int | None = None
    reason: str | None = None
    response_headers: list[Header] | None = None
    response_content_type: str | None = None
    response_content_encoding: str | None = None
    response_body_text: str | None = None
    response_body_bytes: bytes | None = None
    response_body_size: int | None = None
    response_truncated: bool = False
    outcome: str = "ok"
    outcome_message: str | None = None
    error: str | None = None
    match_key: str | None = None
    redactions: list[Redaction] = dataclasses.field(default_factory=list)

    # -- bodies ------------------------------------------------------------------
    @property
    def request_body(self) -> bytes | None:
        return join_body(self.request_body_text, self.request_body_bytes)

    @request_body.setter
    def request_body(self, body: bytes | None) -> None:
        self.request_body_text, self.request_body_bytes = split_body(body)

    @property
    def response_body(self) -> bytes | None:
        return join_body(self.response_body_text, self.response_body_bytes)

    @response_body.setter
    def response_body(self, body: bytes | None) -> None:
        self.response_body_text, self.response_body_bytes = split_body(body)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        netloc = host if self.port == {"http": 80, "https": 443}.get(self.scheme) else f"{host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def date(self) -> str:
        """The UTC date of the request start: the store's partition value."""
        return self.started_at.astimezone(dt.timezone.utc).date().isoformat()


def split_body(body: bytes | None) -> tuple[str | None, bytes | None]:
    """Return ``(text, None)`` when *body* is UTF-8, ``(None, body)`` otherwise."""
    if body is None:
        return None, None
    try:
        return body.decode("utf-8"), None
    except UnicodeDecodeError:
        return None, bytes(body)


def join_body(text: str | None, raw: bytes | None) -> bytes | None:
    if text is not None:
        return text.encode("utf-8")
    return raw


# -- identity -------------------------------------------------------------------------

_uuid7_lock = threading.Lock()
_uuid7_state = {"ms": 0, "counter": 0, "pool": b"", "pos": 0}
_POOL_BYTES = 8 * 4096


def new_exchange_id(now_ns: int | None = None) -> str:
    """A UUIDv7 (RFC 9562) string, monotonic within this process.

    Uses the 12-bit ``rand_a`` field as a counter within one millisecond (RFC 9562
    method 1), so ids made in the same process sort in creation order. Random bits come
    from a buffer refilled 4096 ids at a time: one ``os.urandom`` call per id would release
    the GIL on every append and stall the recording thread behind the writer thread.
    """
    ms = (now_ns if now_ns is not None else time.time_ns()) // 1_000_000
    st = _uuid7_state
    with _uuid7_lock:
        if ms <= st["ms"]:
            ms, counter = st["ms"], st["counter"] + 1
            if counter > 0xFFF:  # counter overflow: borrow the next millisecond
                ms, counter = ms + 1, 0
        else:
            counter = 0
        st["ms"], st["counter"] = ms, counter
        if st["pos"] >= len(st["pool"]):
            st["pool"], st["pos"] = os.urandom(_POOL_BYTES), 0
        rand = int.from_bytes(st["pool"][st["pos"]:st["pos"] + 8], "big") & 0x3FFF_FFFF_FFFF_FFFF
        st["pos"] += 8
    h = f"{ms:012x}7{counter:03x}{(0b10 << 62) | rand:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# -- Arrow conversion -----------------------------------------------------------------

#: An exchange's values in :data:`SCHEMA` column order, in one C-level call.
to_row = operator.attrgetter(*COLUMN_NAMES)


def rows_to_record_batch(rows: Sequence[tuple]) -> pa.RecordBatch:
    """Rows made by :func:`to_row` as one Arrow record batch with :data:`SCHEMA`."""
    columns = zip(*rows) if rows else [()] * len(SCHEMA)
    arrays = [pa.array(values, type=field.type) for field, values in zip(SCHEMA, columns)]
    return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)


def to_record_batch(exchanges: Sequence[Exchange]) -> pa.RecordBatch:
    """Columns of *exchanges* as one Arrow record batch with :data:`SCHEMA`."""
    return rows_to_record_batch([to_row(e) for e in exchanges])


def from_rows(rows: Iterable[dict[str, Any]]) -> list[Exchange]:
    """Exchanges from row dicts as returned by ``Table.to_pylist()``."""
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k in _FIELD_NAMES}
        row["request_headers"] = _pairs(row.get("request_headers"), "name", "value") or []
        row["response_headers"] = _pairs(row.get("response_headers"), "name", "value")
        row["redactions"] = _pairs(row.get("redactions"), "location", "rule") or []
        out.append(Exchange(**row))
    return out


def from_table(table: pa.Table) -> list[Exchange]:
    return from_rows(table.to_pylist())


def _pairs(items: list[dict] | None, a: str, b: str) -> list[tuple[str, str]] | None:
    if items is None:
        return None
    return [(item[a], item[b]) for item in items]


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(Exchange))
assert _FIELD_NAMES == set(COLUMN_NAMES), "Exchange fields and SCHEMA columns differ"

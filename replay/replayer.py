"""The replay decision for one live request, and what was served (pure of HTTP).

A live request is captured exactly like a recorded one (vendor decoding, redaction),
its match document computed, and its key looked up. With the default matching the key is
the stored one, read as a recording's was (``match_key``: straight from the parameters'
text where compiled), and a request it finds is never built into its document unless
something reads it (the journal). The journal keeps every request served (matched or not),
bounded.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from tillroll.capture import capture
from tillroll.capture import match_document
from tillroll.capture.match_doc import match_key
from tillroll.capture import RawExchange
from tillroll.capture import Redactor

from .faults import Injector
from .key_index import ident
from .matching import Matching
from .playback import Exhausted, Playback
from .recordings import Recordings, summary_line

JOURNAL_SIZE = 10_000
_CACHE_SIZE = 4096
CACHE_MAX_BODY = 64 * 1024  # larger request bodies are not cached (nor kept as cache keys)


class Understood(NamedTuple):
    key: str
    doc: Mapping[str, Any]  # the match document (or a DocumentOnDemand)
    vendor: str | None
    problem: str | None  # why the request cannot be replayed (its body lies about its coding)
    ident: bytes  # the key's digest, by which the recordings are indexed (replay.key_index)


class DocumentOnDemand(Mapping):
    """The match document of a request found by its stored key alone: made from its
    capture when first read (the journal), not for every request served."""

    __slots__ = ("_doc", "_ex", "_redactor")

    def __init__(self, ex: Any, redactor: Redactor):
        self._ex, self._redactor, self._doc = ex, redactor, None

    def _made(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = match_document(self._ex, self._redactor)
            self._ex = None
        return self._doc

    def __getitem__(self, name: str) -> Any:
        return self._made()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


@dataclass(slots=True)  # one per request served
class Decision:
    kind: str  # "match", "miss", "exhausted", "undecodable"
    key: str
    doc: Mapping[str, Any]
    vendor: str | None
    row: int | None = None
    fault: str | None = None
    recorded: int = 0  # for "exhausted": how many recordings the request had
    problem: str | None = None  # for "undecodable": what is wrong with the request


class Replayer:
    def __init__(self, recordings: Recordings, redactor: Redactor, *, sequence: str = "repeat",
                 injector: Injector | None = None):
        self.recordings = recordings
        self.matching: Matching = recordings.matching
        self.redactor = redactor
        self.playback = Playback(recordings.index.rows, sequence)  # sequences by the keys' idents
        self.injector = injector or Injector([])
        self.journal: collections.deque[tuple] = collections.deque(maxlen=JOURNAL_SIZE)
        self.misses: collections.Counter[str] = collections.Counter()  # summary -> count
        self.served = 0
        self._cache: collections.OrderedDict[tuple, tuple[str, dict, str | None]] = collections.OrderedDict()

    def understand(self, raw: RawExchange, ck: tuple | None = None) -> Understood:
        """Key, match document and vendor of a live request; repeated requests are cached
        (the capture is a pure function of the request). *ck*: the cache key an adapter
        already computed for this request (:meth:`decide_known`), else one is made here."""
        req = raw.request
        if ck is None and (req.body is None or len(req.body) <= CACHE_MAX_BODY):
            ck = (req.method, req.host, req.port, req.path, req.query, req.body, _ctype(req.headers))
        if ck is not None:
            hit = self._cache.get(ck)
            if hit is not None:
                self._cache.move_to_end(ck)
                return hit
        ex = capture(raw, self.redactor)
        problem = None
        if ("request.body", "body.undecodable") in ex.redactions:
            problem = (f"the request body does not decode as its Content-Encoding header says "
                       f"({_token(ex.request_content_encoding)})")
        recorded = self.recordings.index.rows
        key = match_key(ex, self.redactor) if problem is None and self.matching.uses_stored_key else None
        if key is not None and (digest := ident(key)) in recorded:
            result = Understood(key, DocumentOnDemand(ex, self.redactor), ex.vendor, None, digest)
        else:
            doc = match_document(ex, self.redactor)
            key = self.matching.key(doc)
            digest = ident(key)
            if digest not in recorded and problem is None:
                # a value its recording's own response showed to be PII is a pseudonym there
                explained = self.recordings.key_by_pseudonyms(doc, self.redactor)
                if explained is not None:
                    key, digest = explained, ident(explained)
            result = Understood(key, doc, ex.vendor, problem, digest)
        if ck is not None:
            self._cache[ck] = result
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def decide(self, raw: RawExchange, ck: tuple | None = None) -> Decision:
        return self._decision(self.understand(raw, ck))

    def decide_known(self, ck: tuple | None) -> Decision | None:
        """:meth:`decide` for a request understood before under the cache key *ck*, without
        building its raw exchange; None when it was not (then call :meth:`decide`)."""
        hit = self._cache.get(ck) if ck is not None else None
        if hit is None:
            return None
        self._cache.move_to_end(ck)
        return self._decision(hit)

    def _decision(self, understood: Understood) -> Decision:
        key, doc, vendor, problem, digest = understood
        if problem is not None:
            return Decision("undecodable", key, doc, vendor, problem=problem)
        try:
            row = self.playback.next(digest)
        except Exhausted as exc:
            return Decision("exhausted", key, doc, vendor, recorded=exc.recorded)
        if row is None:
            return Decision("miss", key, doc, vendor)
        return Decision("match", key, doc, vendor, row=row, fault=self.injector.draw(vendor))

    def near_miss_report(self, decision: Decision, limit: int = 3) -> list[dict]:
        out = []
        for miss in self.recordings.near_misses(decision.doc, limit):
            out.append({"exchange_id": self.recordings.exchange_id(miss.row),
                        "request": self.recordings.summary(miss.row), "distance": round(miss.distance, 2),
                        "failed_matchers": miss.failed, "diff": miss.diff})
        return out

    def note(self, method: str, decision: Decision, status: int | None, how: str,
             exchange_id: str | None = None) -> None:
        """Journal one request (cheap: it runs for every request; see :meth:`journal_entries`)."""
        self.served += 1
        self.journal.append((time.time(), method, decision, status, how, exchange_id))
        if decision.kind != "match":
            self.misses[f"{method} {decision.doc.get('path')} ({decision.doc.get('operation')})"] += 1

    def journal_entries(self) -> list[dict[str, Any]]:
        """The journal, oldest first, as JSON-able entries."""
        out = []
        for at, method, decision, status, how, exchange_id in self.journal:
            entry: dict[str, Any] = {
                "at": dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="milliseconds"),
                "method": method, "path": decision.doc.get("path"), "operation": decision.doc.get("operation"),
                "vendor": decision.vendor, "matched": decision.kind == "match", "how": how, "status": status,
                "key": hashlib.sha256(decision.key.encode()).hexdigest()[:16],
            }
            if exchange_id is not None:
                entry["exchange_id"] = exchange_id
            if decision.fault:
                entry["fault"] = decision.fault
            out.append(entry)
        return out

    def unmatched_explained(self, explain: int = 10, nearest: int = 2) -> list[dict]:
        """The distinct requests in the journal that matched no recording, oldest first, each
        with how often it came and why it missed: the first *explain* of them with their
        *nearest* recordings (see :func:`replay.misses.explain_misses`)."""
        distinct: dict[tuple, dict] = {}
        for _, method, decision, *_ in self.journal:
            if decision.kind == "match":
                continue
            seen = distinct.get((decision.kind, decision.key))
            if seen is not None:
                seen["count"] += 1
                continue
            doc = decision.doc
            entry = {"request": summary_line(method, doc.get("path"), doc.get("operation")), "kind": decision.kind,
                     "count": 1, "recorded": decision.recorded, "problem": decision.problem, "nearest": []}
            if decision.kind == "miss" and len(distinct) < explain:
                entry["nearest"] = self.near_miss_report(decision, nearest)
            distinct[(decision.kind, decision.key)] = entry
        return list(distinct.values())

    def unused(self) -> list[dict]:
        return [{"exchange_id": self.recordings.exchange_id(r), "request": self.recordings.summary(r)}
                for r in self.playback.unused()]

    def reset(self) -> None:
        self.playback.reset()
        self.injector.reset()
        self.journal.clear()
        self.misses.clear()
        self.served = 0

    def report(self) -> str:
        """What a user wants to know at exit: recordings never used, requests that missed."""
        unused = self.unused()
        lines = [f"tillroll replay: {self.served} request(s) served, {sum(self.misses.values())} missed, "
                 f"{len(unused)} of {len(self.recordings)} recording(s) never used"]
        if self.misses:
            lines.append("missed:")
            lines += [f"  {n:>5} × {what}" for what, n in self.misses.most_common()]
        if unused:
            lines.append("never used:")
            lines += [f"  {u['exchange_id']}  {u['request']}" for u in unused[:50]]
            if len(unused) > 50:
                lines.append(f"  … and {len(unused) - 50} more")
        return "\n".join(lines)


def _token(value: str | None) -> str:
    """A header value fit for an error message: a coding name, or nothing of it."""
    value = (value or "").strip().lower()
    return value if re.fullmatch(r"[a-z0-9 ,._-]{1,40}", value) else "not a known coding"


def _ctype(headers: list[tuple[str, str]]) -> tuple:
    """What of the headers can change how a request is understood: the body's type and
    encoding, and which headers there are (a vendor may be recognised by one)."""
    ctype = enc = None
    names = []
    for k, v in headers:
        lk = k.lower()
        names.append(lk)
        if lk == "content-type":
            ctype = v
        elif lk == "content-encoding":
            enc = v
    return ctype, enc, tuple(names)

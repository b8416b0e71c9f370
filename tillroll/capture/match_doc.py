"""What a request is, for replay matching: the match document and the stored match key.

Both sides of a replay go through this one function: a recorded exchange (at record
time, into the ``match_key`` column) and a live request (captured by the same vendor
decoding and redaction first). The document holds what identifies a request:

* ``method``, ``host`` (``host:port``), ``operation``;
* ``path``: the redacted path, with secret segments as ``*``;
* ``params``: the decoded vendor parameters (so ``Parameters``, ``Params`` and a Base64
  ``Body`` give the same document), without secrets, dropped values and the vendor's
  volatile fields;
* ``query``: the query pairs, sorted (a multiset: order does not matter), without
  secrets and volatile fields;
* ``body``: only when there are no parameters: the JSON body the way ``params`` is
  (without secrets and volatile fields), else a digest of the redacted body.

``host`` (``host:port``) is in the document but not in the stored key: replay ignores
host and port unless asked (``--match-host``), and a cassette's rows know their host.

Secrets never take part (CI has no real credentials). PII stays as its keyed pseudonym:
with the same redaction key a live request pseudonymises to the same value;
:func:`without_pii` removes PII for a replay without that key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Callable
from urllib.parse import parse_qsl

from tillroll.store.exchange import Exchange

from . import jsonish, native
from .pipeline import DEFAULT_MAX_BODY, capture
from .policy import Rule, normalise
from .raw import RawExchange
from .redact import DROPPED, PREFIX, Redactor
from .storable import storable
from .vendors import BY_NAME, GENERIC
from .vendors.base import Profile

# Pseudonyms made by value detectors for secrets (not PII): never matched on.
SECRET_LABELS = ("jwt", "bearer", "private-key")
_UNMATCHED = ("secret", "drop")
COMPONENTS = ("method", "host", "path", "operation", "params", "query", "body")


def match_document(ex: Exchange, redactor: Redactor) -> dict[str, Any]:
    """The match document of the (redacted) request of *ex*."""
    profile = BY_NAME.get(ex.vendor or "", GENERIC)
    rule_for, skipped, _ = _judged(redactor, profile)
    volatile = profile.volatile
    params = None
    if ex.params_json:
        try:
            params = _clean(json.loads(ex.params_json), rule_for, volatile, skipped)
        except ValueError:
            params = None
    body = None
    if params is None:
        body = _body(ex.request_body_text, ex.request_body_bytes, rule_for, volatile, skipped)
    return {
        "method": ex.method,
        "host": f"{ex.host}:{ex.port}",
        "path": _path(ex.path),
        "operation": ex.operation,
        "params": params,
        "query": _query(ex.query, rule_for, volatile, skipped),
        "body": body,
    }


def _query(query: str | None, rule_for, volatile: frozenset[str], skipped: dict[str, bool]) -> list[list[str]]:
    """The query pairs that take part in matching, sorted (a multiset: order does not matter)."""
    if not query:
        return []
    return sorted(
        [k, v] for k, v in parse_qsl(query, keep_blank_values=True)
        if not _skipped(k, rule_for, volatile, skipped) and not _secret_value(v)
    )


def _path(path: str | None) -> str:
    """The redacted path with its secret segments as ``*``."""
    return "/".join("*" if _secret_value(seg) else seg for seg in (path or "").split("/"))


STORED = tuple(c for c in COMPONENTS if c != "host")


def key_text(doc: dict[str, Any], components: tuple[str, ...] = STORED) -> str:
    """The canonical text of *doc* restricted to *components* (by default what is stored
    as ``match_key``: everything but the host)."""
    return storable(_canonical({c: doc.get(c) for c in components}))


# One encoder for every key: json.dumps with options makes a new one per call (a third of
# the key of a small request). A document is parsed JSON and new dicts: it holds no cycle
# to look for (the search is 8 % of encoding an XGL order's key).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)
_canonical = _CANONICAL.encode


def match_key(ex: Exchange, redactor: Redactor) -> str:
    """The stored match key of *ex*: :func:`key_text` of its :func:`match_document`."""
    if _clean_canonical is not None:
        fast = _key_from_text(ex, redactor)
        if fast is not None:
            return fast
    return key_text(match_document(ex, redactor))


def _key_from_text(ex: Exchange, redactor: Redactor) -> str | None:
    """:func:`match_key` with the parameters (or the JSON body) read from their stored text
    into the key's text at once (compiled: ``_match_key.clean_canonical``), not parsed into
    values, cleaned and encoded; None where that reader is not sure, and the document decides."""
    profile = BY_NAME.get(ex.vendor or "", GENERIC)
    rule_for, skipped, table = _judged(redactor, profile)
    volatile = profile.volatile
    params = body = "null"
    if ex.params_json:
        params = _clean_canonical(ex.params_json, rule_for, volatile, skipped, table)
        if params is None or params == "null":  # unsure; or no parameters after all: the body decides
            return None
    else:
        text = ex.request_body_text
        if text is not None and text.lstrip()[:1] in ("{", "["):
            body = _clean_canonical(text, rule_for, volatile, skipped, table)
            if body is None:
                return None
        else:
            body = _canonical(_body(text, ex.request_body_bytes, rule_for, volatile, skipped))
    return storable(f'{{"body":{body},"method":{_canonical(ex.method)},"operation":{_canonical(ex.operation)},'
                    f'"params":{params},"path":{_canonical(_path(ex.path))},'
                    f'"query":{_canonical(_query(ex.query, rule_for, volatile, skipped))}}}')


def capture_keyed(raw: RawExchange, redactor: Redactor, *, max_body: int = DEFAULT_MAX_BODY) -> Exchange:
    """What every writer stores for *raw* (the recording proxy, an import): the captured,
    redacted exchange with the match key replay looks it up by."""
    ex = capture(raw, redactor, max_body=max_body)
    ex.match_key = match_key(ex, redactor)
    return ex


def _judged(redactor: Redactor, profile: Profile) -> tuple[Callable[[str], Rule | None], dict[str, bool], Any]:
    """The rule lookup of *profile* under *redactor*'s policy, the key names already judged
    left out of matching or not, and the compiled reader's table of the same judgements
    (None on the pure path): kept from one exchange to the next (a name is judged once,
    not once per document), at most :data:`JUDGED_KEPT` names a vendor."""
    judged = redactor.match_memo.get(profile.name)
    if judged is None:
        table = native.table_ext.KeyTable() if native.table_ext is not None else None  # the compiled reader's
        judged = redactor.match_memo.setdefault(profile.name, (redactor.start(profile.rule).rule_for, {}, table))
    return judged


JUDGED_KEPT = 4096  # key names come from the traffic: the memo of each vendor is bounded


def _body(text: str | None, raw: bytes | None, rule_for, volatile, skipped: dict[str, bool]) -> Any:
    if text is not None and text.lstrip()[:1] in ("{", "["):
        try:
            return _clean(jsonish.loads(text), rule_for, volatile, skipped)
        except ValueError:
            pass
    data = text.encode("utf-8") if text is not None else raw
    return f"sha256:{hashlib.sha256(data).hexdigest()[:32]}" if data else None


def without_pii(value: Any) -> Any:
    """*value* with every pseudonym (what is left of PII after :func:`match_document`) removed."""
    if isinstance(value, dict):
        return {k: without_pii(v) for k, v in value.items() if not _pseudonym(v)}
    if isinstance(value, list):
        return [without_pii(v) for v in value if not _pseudonym(v)]
    return value


def _clean(value: Any, rule_for: Callable[[str], Rule | None], volatile: frozenset[str],
           skipped: dict[str, bool] | None = None) -> Any:
    """*value* without the members a rule or the vendor leaves out of matching and without
    secret pseudonyms. *skipped*: the names already judged (filled in, up to
    :data:`JUDGED_KEPT`)."""
    if skipped is None:
        skipped = {}
    if isinstance(value, dict):
        return {k: _clean(v, rule_for, volatile, skipped) for k, v in value.items()
                if not _skipped(k, rule_for, volatile, skipped) and not _secret_value(v)}
    if isinstance(value, list):
        return [_clean(v, rule_for, volatile, skipped) for v in value if not _secret_value(v)]
    return value


def _skipped(name: str, rule_for: Callable[[str], Rule | None], volatile: frozenset[str],
             skipped: dict[str, bool]) -> bool:
    known = skipped.get(name)
    if known is None:
        rule = rule_for(name)
        known = (rule is not None and rule.action in _UNMATCHED) or normalise(name) in volatile
        if len(skipped) < JUDGED_KEPT:
            skipped[name] = known
    return known


def _secret_value(value: Any) -> bool:
    if type(value) is not str or not value.startswith(PREFIX):
        return False
    return value == DROPPED or value.split(":", 2)[1] in SECRET_LABELS


def _pseudonym(value: Any) -> bool:
    return type(value) is str and value.startswith(PREFIX)


pure_clean, pure_canonical = _clean, _canonical  # the oracles of the compiled ones
if native.match_ext is not None:
    native.match_ext.configure_match(PREFIX, DROPPED, SECRET_LABELS, _UNMATCHED, normalise, JUDGED_KEPT,
                                     pure_canonical, 2 * jsonish.MAX_DEPTH)
    _clean, _canonical = native.match_ext.clean, native.match_ext.canonical  # noqa: F811
_clean_canonical = None  # the compiled reader of the key from text (None: the document path)
if native.reader_ext is not None:
    native.reader_ext.configure_reader(PREFIX, DROPPED, SECRET_LABELS, _UNMATCHED, normalise, JUDGED_KEPT, jsonish.MAX_DEPTH)
    _clean_canonical = native.reader_ext.clean_canonical

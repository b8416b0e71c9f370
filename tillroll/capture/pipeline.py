"""The one pipeline: a neutral raw exchange -> vendor decoding -> redaction -> the record.

Recording (the mitmproxy addon), importing (HAR, flow files) and replay (the live
request before matching) all call :func:`capture`, so a recorded request and a live
request are understood by the same code.

What is never done: return anything that was not redacted. When a body cannot be
understood and a detector still sees a secret in it, the body is dropped and only its
size and content type are kept (fail closed).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from tillroll.store.exchange import Exchange, split_body

from . import jsonish, native
from .content import UndecodableContent, decode_content
from .detectors import has_secret
from .raw import RawExchange
from .redact import PSEUDONYM, Pass, Redactor
from .scrub import scrub
from .storable import storable
from .vendors import REQUEST_READS, detect
from .vendors.base import NOT_JSON, Profile, RequestView, VendorView

QUERY_ENCODINGS = ("query", "query-json")  # parameters that do not come from the body
DEFAULT_MAX_BODY = 4 * 1024 * 1024  # bytes of a decoded body kept (the proxy's tillroll_max_body)


def capture(raw: RawExchange, redactor: Redactor, *, max_body: int = DEFAULT_MAX_BODY) -> Exchange:
    """The redacted, vendor-decoded :class:`Exchange` for *raw*.

    Never gives up on an exchange because of what it carries: a body that is too deep,
    not finite, not UTF-8, lies about its coding or is cut is handled like any body that
    cannot be parsed, and the rest of the exchange is recorded. Compressed bodies are
    inflated to at most *max_body* bytes (the rest is not read: a decompression bomb
    costs *max_body*, and the body is flagged truncated); an adapter that limits raw
    body sizes cuts them before and sets the ``truncated`` flags. Every text of the
    record can be written as UTF-8 (lone surrogates become U+FFFD).
    """
    req = raw.request
    req_ctype, req_coding = _content_headers(req.headers)
    req_body, req_problem, req_cut = _decoded(req.body, req_coding, max_body, req.truncated, req.decoded)
    req_text, req_json, req_strict = _parsed(req_body, req_ctype, REQUEST_READS)
    view = RequestView(
        method=req.method.upper(), host=req.host.lower(), path=unquote(req.path),
        query=parse_qsl(req.query, keep_blank_values=True), headers=req.headers,
        content_type=req_ctype, json=req_json, text=req_text,
    )
    profile = detect(view)
    vendor = _decode(profile, view)

    p = redactor.start(profile.rule)
    p.base64_fields = profile.base64_json_fields
    policy = redactor.policy
    ex = Exchange(
        method=view.method, scheme=req.scheme, host=req.host, port=req.port, path=req.path,
        started_at=raw.started_at, redaction_policy=policy.name, redaction_key_id=redactor.key_id,
        duration_ms=raw.duration_ms, connect_ms=raw.connect_ms, tls_ms=raw.tls_ms, send_ms=raw.send_ms,
        wait_ms=raw.wait_ms, receive_ms=raw.receive_ms, http_version=req.http_version,
        request_content_type=req_ctype, request_content_encoding=req_coding,
        request_body_size=req.body_size if req.body_size is not None else _len(req.body),
        request_truncated=req.truncated or req_cut, vendor=profile.name, api=vendor.api or raw.group, operation=vendor.operation,
        params_encoding=vendor.params_encoding, path_template=vendor.path_template, error=raw.error,
    )
    ex.error = scrub(raw.error, p) if raw.error else None  # may quote the request's bytes
    ex.request_headers = p.headers(req.headers, "request.header")
    ex.query = p.query(req.query, "request.query") or None
    ex.path = p.value(req.path, "request.path")
    if raw.group and not vendor.api:  # a name its author wrote (a Postman folder): free text
        ex.api = p.text(raw.group, "source.group")
    drop = policy.drops_body(view.path)
    at = _path_to(req_json, vendor.params) if req_strict and vendor.params is not None else ()
    in_body = 0  # how much of params_json, from its start, is a slice of the stored request body
    ex.request_body, params_text = _stored_body(p, req_body, req_text, req_json, req_strict, req_problem, drop,
                                                "request.body", at)
    if vendor.params is None or (drop and vendor.params_encoding not in QUERY_ENCODINGS):
        pass  # no parameters, or they come from a body the policy says not to store
    elif vendor.params is req_json and req_strict and ex.request_body_text:
        ex.params_json = ex.request_body_text  # the parameters are the whole (redacted) body
        in_body = len(ex.params_json)
    elif params_text is not None:
        ex.params_json = params_text  # a part of the body: its redacted text, as stored there
        in_body = len(params_text)
    else:
        # A view of the request: its redactions are already listed (and a part of a
        # repaired body, walked there, comes from the pass's memo).
        p.recording = False
        ex.params_json = _json_text(p.json(vendor.params, "params"))
        p.recording = True
    if vendor.params_beside and type(vendor.params) is dict and (ex.params_json or "").rstrip().endswith("}"):
        ex.params_json, head = _with_members(ex.params_json, p, vendor.params_beside)
        in_body = in_body and head  # the added members are a copy of the body's values: the sweep searches them

    resp_json: Any = NOT_JSON
    if raw.response is not None:
        resp = raw.response
        ex.status, ex.reason = resp.status, resp.reason
        ex.response_content_type, ex.response_content_encoding = _content_headers(resp.headers)
        ex.response_body_size = resp.body_size if resp.body_size is not None else _len(resp.body)
        ex.response_headers = p.headers(resp.headers, "response.header")
        body, problem, cut = _decoded(resp.body, ex.response_content_encoding, max_body, resp.truncated, resp.decoded)
        ex.response_truncated = resp.truncated or cut
        text, resp_json, strict = _parsed(body, ex.response_content_type, profile.outcome_reads)
        ex.response_body, _ = _stored_body(p, body, text, resp_json, strict, problem, drop, "response.body")
    try:
        ex.outcome, message = profile.outcome(ex.status, None if resp_json is NOT_JSON else resp_json, raw.error)
    except Exception:  # a profile bug must not stop recording
        ex.outcome, message = ("error", raw.error) if ex.status is None else ("ok", None)
    if message and message == raw.error:
        ex.outcome_message = ex.error  # already scrubbed: a transport error may quote the request
    else:
        ex.outcome_message = p.value(message, "outcome_message") if message else None
    _sweep(p, ex, in_body)
    ex.redactions = p.redactions
    _make_storable(ex)
    return ex


def _with_members(params_json: str, p: Pass, members: dict) -> tuple[str, int]:
    """The JSON object *params_json* with *members* (redacted) added after its own, and how
    much of *params_json* it keeps before them (all of it but its closing brace and the
    blanks around that). They come from the same request body, whose redactions are
    already listed."""
    p.recording = False
    extra = _json_text(p.json(members, "params"))[1:-1]
    p.recording = True
    head = params_json.rstrip()[:-1].rstrip()  # without its closing brace
    return (f"{head}, {extra}}}" if head != "{" else f"{{{extra}}}"), len(head)


# json.dumps(value, ensure_ascii=False) without a new encoder made for each call
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _path_to(root: Any, target: Any, levels: int = 3) -> tuple[str, ...]:
    """The keys from the JSON object *root* down to *target* (a container in it, found by
    identity, at most *levels* deep), or ``()``: where the vendor's parameters stand in
    the request body, so that their redacted text is cut from the redacted body."""
    if type(root) is not dict:
        return ()
    level = [(root, ())]
    for _ in range(levels):
        below = []
        for node, path in level:
            for key, value in node.items():
                if value is target:
                    return (*path, key)
                if type(value) is dict:
                    below.append((value, (*path, key)))
        level = below
    return ()


def _content_headers(headers: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """``(Content-Type, Content-Encoding)``: the first value of each (``raw.header``), in one pass."""
    ctype = coding = None
    for name, value in headers:
        if len(name) == 12 and ctype is None and name.lower() == "content-type":
            ctype = value
        elif len(name) == 16 and coding is None and name.lower() == "content-encoding":
            coding = value
    return ctype, coding


def _decode(profile: Profile, view: RequestView) -> VendorView:
    try:
        return profile.decode(view)
    except Exception:  # a profile bug, or a shape it did not expect: still record
        return VendorView(operation=f"{view.method} {view.path}", path_template=view.path)


def _decoded(body: bytes | None, encoding: str | None, limit: int,
             truncated: bool, decoded: bool = False) -> tuple[bytes | None, str | None, bool]:
    """``(decoded body, problem, cut)``; *decoded*: the adapter gave it decoded already.
    A body cut anywhere (by the adapter, or here at *limit*) loses its last, partial token
    when something came before it (a value cut in two, ``{"card": "41111111``): a secret
    cut in two is no longer recognisable, so what is left of it is not kept. A body that
    is one single token is kept as cut."""
    if not body:
        return body, None, False
    if decoded:
        body, cut = body[:limit], len(body) > limit
    else:
        try:
            body, cut = decode_content(body, encoding, limit)
        except UndecodableContent as exc:
            return None, str(exc), False
    if cut or truncated:
        body = _without_partial_tail(body)
    return body, None, cut


def _without_partial_tail(body: bytes) -> bytes:
    """A cut text body without its last, partial token; a binary body as it is (there is
    no token to cut, and its bytes are kept only when nothing in them looks secret)."""
    trimmed = _PARTIAL_TAIL.sub(b"", body)
    if trimmed is body or len(trimmed) == len(body):
        return body
    return trimmed if split_body(trimmed)[0] is not None else body


# The run of bytes after the last delimiter of a cut body (bytes >= 0x80 included: the
# start of a multi-byte character cut in two goes with it).
_PARTIAL_TAIL = re.compile(rb"""(?<=[\s"',:;&=<>{}\[\]()])[^\s"',:;&=<>{}\[\]()]+\Z""")


def _parsed(body: bytes | None, content_type: str | None, reads: dict | None) -> tuple[str | None, Any, bool]:
    """``(text, json, strict)``: the body as text when it is UTF-8, its JSON value if
    any (on the compiled path, only what *reads* declares of it: what the profiles read),
    and whether that JSON was valid as is (not repaired)."""
    if not body:
        return None, NOT_JSON, False
    text, _ = split_body(body)
    if text is None:
        return None, NOT_JSON, False
    if "x-www-form-urlencoded" in (content_type or ""):
        return text, NOT_JSON, False
    value, strict = jsonish.parse_reading(text, reads)
    return text, value, strict


def _stored_body(p: Pass, body: bytes | None, text: str | None, value: Any, strict: bool, problem: str | None,
                 drop: bool, where: str, at: tuple[str, ...] = ()) -> tuple[bytes | None, str | None]:
    """What may be stored of a body (redacted, or None with the reason recorded), and the
    redacted text of the part of it the keys *at* lead to (None when there is none)."""
    if problem is not None:  # compressed but undecodable: we cannot look inside, so keep nothing
        p.redactions.append((where, "body.undecodable"))
        return None, None
    if not body:
        return body, None
    if drop:
        p.redactions.append((where, "policy.drop-body"))
        return None, None
    if text is None:  # not UTF-8: binary, or text in another charset. Read it as Latin-1
        # (one character per byte, never fails) and keep it only if nothing in it is
        # named like a secret or looks like one: the bytes cannot be rewritten safely.
        latin = body.decode("latin-1")
        if has_secret(latin) or p.named(latin, where) != latin:
            p.redactions.append((where, "body.binary-with-secret"))
            return None, None
        return body, None
    if value is not NOT_JSON:
        if strict:
            redacted, part = p.json_text_at(text, where, at)
            return (body if redacted is text else _utf8(redacted)), part
        p.json(value, where)  # repaired JSON: the walk finds the values; the free-text path below keeps the original
    if "=" in text and "\n" not in text and not text.lstrip().startswith(("{", "[", "<")):
        return _utf8(p.form(text, where)), None
    # Values found by walking a leniently parsed structure are swept out whole first,
    # so the free-text pass does not cut a multi-line value in two.
    redacted = p.named(p.sweep(text), where)
    if has_secret(_unredacted(redacted)):  # a secret we cannot place: keep nothing
        p.redactions.append((where, "body.unparseable-with-secret"))
        return None, None
    return _utf8(redacted), None


def _utf8(text: str) -> bytes:
    """*text* as UTF-8; a lone surrogate (a ``\udc00`` escape the redaction re-serialised,
    or a form value percent-decoded from bytes that are not UTF-8) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return storable(text).encode("utf-8")


def _unredacted(text: str) -> str:
    """*text* without tillroll's own pseudonyms (which contain a card's last four digits)."""
    return PSEUDONYM.sub("", text)


def _sweep(p: Pass, ex: Exchange, in_body: int) -> None:
    """Fail closed: no value redacted anywhere survives anywhere else in the record.
    *in_body*: how much of ``params_json``, from its start, is a slice of the stored
    request body."""
    if not p.seen:
        return
    texts = [getattr(ex, field) for field in _SWEPT]
    headers = [*(v for _, v in ex.request_headers), *(v for _, v in ex.response_headers or ())]
    searched = [t for field, t in zip(_SWEPT, texts) if t and field != "params_json"]
    params = _params_searched(p, ex.params_json, in_body)
    if params:
        searched.append(params)
    if not p.sweep_needed("\n".join(searched + [h for h in headers if h])):
        return  # the common case: every redacted value was replaced where it stood
    for field, value in zip(_SWEPT, texts):
        if value:
            swept = p.sweep_json(value) if field in _JSON_TEXTS else p.sweep(value)
            if swept != value:
                setattr(ex, field, swept)
                p.redactions.append((_SWEPT_WHERE.get(field, field), "sweep"))
    ex.request_headers = _swept_headers(p, ex.request_headers, "request.header")
    if ex.response_headers:
        ex.response_headers = _swept_headers(p, ex.response_headers, "response.header")


def _params_searched(p: Pass, params_json: str | None, in_body: int) -> str | None:
    """What of *params_json* the sweep's check must search beside the stored body: the
    part of it cut from the body holds nothing the body does not (when ASCII: a lone
    surrogate in it was made U+FFFD in the body's bytes, not in it), so only what follows
    it, with as much before it as the longest form of a remembered value could reach into."""
    if not params_json or not in_body or not params_json.isascii():
        return params_json
    if in_body >= len(params_json):
        return None
    reach = _LONGEST_FORM * max(map(len, p.seen))
    return params_json[max(0, in_body - reach):]


# a form of a value is at most this many times longer than the value: two \\uXXXX escapes, or
# four %XX, for a character beyond the BMP
_LONGEST_FORM = 12


def _swept_headers(p: Pass, headers: list[tuple[str, str]], where: str) -> list[tuple[str, str]]:
    out = []
    for name, value in headers:
        swept = p.sweep(value)
        if swept != value:
            p.redactions.append((f"{where}.{name.lower()}", "sweep"))
        out.append((name, swept))
    return out


# The record's text columns besides the headers: everything the sweep must cover,
# including what a profile derived from the unredacted request (template, operation).
_SWEPT = ("path", "path_template", "api", "operation", "query", "request_body_text", "response_body_text",
          "params_json", "outcome_message", "error")


# Where a swept text is listed in the redactions (a value found elsewhere in the exchange).
_SWEPT_WHERE = {"path": "request.path", "query": "request.query", "request_body_text": "request.body",
                "response_body_text": "response.body", "params_json": "params"}
_JSON_TEXTS = frozenset({"params_json", "request_body_text", "response_body_text"})  # kept valid JSON


def _len(body: bytes | None) -> int | None:
    return None if body is None else len(body)


_TEXT_FIELDS = ("method", "scheme", "host", "path", "query", "path_template", "http_version", "request_content_type",
                "request_content_encoding", "request_body_text", "api", "operation", "params_json", "params_encoding",
                "reason", "response_content_type", "response_content_encoding", "response_body_text",
                "outcome_message", "error")


def _make_storable(ex: Exchange) -> None:
    """Every text of *ex* encodable as UTF-8: a lone surrogate (from a ``\\ud800`` JSON
    escape, or a header byte mitmproxy kept with ``surrogateescape``) becomes U+FFFD.
    Arrow refuses such text, and one refused row must not cost a whole recording."""
    for name in _non_ascii_fields(ex, _TEXT_FIELDS):
        setattr(ex, name, storable(getattr(ex, name)))
    ex.request_headers = _storable_pairs(ex.request_headers)
    if ex.response_headers:
        ex.response_headers = _storable_pairs(ex.response_headers)
    ex.redactions = _storable_pairs(ex.redactions)


def _storable_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if _ascii_pairs(pairs):
        return pairs
    return [(storable(a), storable(b)) for a, b in pairs]


def _non_ascii_fields(ex: Exchange, names: tuple[str, ...]) -> list[str]:
    """The names of *ex*'s text fields that are not ASCII (only they can hold a surrogate)."""
    return [name for name in names if (value := getattr(ex, name)) is not None and not value.isascii()]


def _ascii_pairs(pairs: list[tuple[str, str]]) -> bool:
    return all(a.isascii() and b.isascii() for a, b in pairs)


pure_storable_checks = (_non_ascii_fields, _ascii_pairs)  # the oracles of the compiled checks
if native.ext is not None:
    _non_ascii_fields, _ascii_pairs = native.record_ext.non_ascii_fields, native.record_ext.ascii_pairs  # noqa: F811

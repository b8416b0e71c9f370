"""HAR 1.2 entries <-> tillroll.

Reading: a HAR entry becomes a :class:`~tillroll.capture.raw.RawExchange`, so imported traffic
goes through the same decoding and redaction as live traffic. HAR holds bodies decoded
(``content.text``, base64 when ``content.encoding`` says so); they are re-encoded with the
entry's ``Content-Encoding`` so the raw exchange is as it was on the wire.

Writing: a stored (redacted) :class:`~tillroll.store.exchange.Exchange` becomes an entry with
everything HAR has a place for: header order, query, bodies, status, timings; tillroll's
own findings go in ``_tillroll`` (HAR's custom-field convention). A recording with no
response (a transport error) is written as Chrome does: status 0 and ``_error``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import urllib.parse
from typing import Any, Iterator

from tillroll.capture.content import UndecodableContent, decode_content, encode_content, known_coding
from tillroll.store.exchange import Exchange, join_body
from tillroll.capture import RawExchange, RawRequest, RawResponse, header
from .json_stream import JsonStream, JsonStreamError, TooDeep

HAR_VERSION = "1.2"
DEFAULT_PORTS = {"http": 80, "https": 443}
_PEEK = 64 * 1024  # bytes inflated to tell an encoded body from a decoded one
# Text a HAR viewer shows as is; anything else is written as base64.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml",
               "application/x-www-form-urlencoded")


class BrokenEntry(Exception):
    """One entry cannot be imported: one sentence saying why (never a value from it)."""


# -- a HAR file -------------------------------------------------------------------------------

def read_har(stream: JsonStream, *, max_body: int) -> Iterator[RawExchange | BrokenEntry]:
    """Every entry of the HAR document on *stream*, as a raw exchange or, when it cannot
    be one, a :class:`BrokenEntry` saying why. Raises :class:`JsonStreamError` when the
    document itself is broken (truncated, not JSON, not HAR, an unknown HAR version)."""
    entries_seen = False
    for key in stream.members("the HAR file"):
        if key != "log":
            stream.skip(key)
            continue
        for field in stream.members("log"):
            if field == "version":
                version = stream.value("log.version")
                if not isinstance(version, str) or not version.startswith("1."):
                    raise JsonStreamError(f"HAR version {str(version)[:10]!r} is not supported (tillroll reads 1.1 and 1.2)")
            elif field == "entries":
                entries_seen = True
                for entry in stream.items("log.entries"):
                    if isinstance(entry, TooDeep):
                        yield BrokenEntry("is nested too deep to read (more levels than any HAR entry has)")
                        continue
                    try:
                        yield raw_from_entry(entry, max_body=max_body)
                    except BrokenEntry as exc:
                        yield exc
            else:
                stream.skip(f"log.{field}")
    if not stream.at_end():
        raise JsonStreamError("there is more after the HAR object: not one JSON document")
    if not entries_seen:
        raise JsonStreamError("there is no log.entries array: not a HAR file")


# -- HAR -> raw ---------------------------------------------------------------------------------

def raw_from_entry(entry: Any, *, max_body: int) -> RawExchange:
    """The raw exchange of one HAR entry. Raises :class:`BrokenEntry`."""
    if not isinstance(entry, dict):
        raise BrokenEntry("is not an object")
    req = _object(entry, "request")
    parts, port = http_url(_string(req, "url", "request"), "URL")
    headers = _headers(req, "request")
    body, decoded = _request_body(req.get("postData"), headers, req.get("bodySize"))
    body, size, cut = cut_body(body, max_body, req.get("bodySize"), decoded)
    if body is None and isinstance(req.get("bodySize"), int) and req["bodySize"] > 0:
        # the request had a body the exporter left out (mitmproxy's savehar does for DELETE)
        body, size, cut = b"", req["bodySize"], True
    request = RawRequest(method=_string(req, "method", "request"), scheme=parts.scheme, host=parts.hostname,
                         port=port, path=parts.path or "/", query=parts.query,
                         http_version=req.get("httpVersion") or None, headers=headers, body=body, body_size=size,
                         truncated=cut, decoded=decoded)
    raw = RawExchange(request=request, started_at=_started(entry))
    resp = entry.get("response")
    if not isinstance(resp, dict):
        raise BrokenEntry("has no response (HAR 1.2 requires one; status 0 marks a request that failed)")
    status = resp.get("status")
    if not isinstance(status, int) or status < 0 or status > 999:
        raise BrokenEntry("has a response status that is not a number from 0 to 999")
    if status == 0:  # Chrome's and Firefox's way of saying the request got no response
        error = entry.get("_error") or resp.get("_error") or resp.get("statusText")
        raw.error = str(error) if error else "no response (HAR status 0)"
    else:
        rheaders = _headers(resp, "response")
        rbody, rheaders, decoded = _response_body(resp.get("content"), rheaders, resp.get("bodySize"))
        rbody, size, cut = cut_body(rbody, max_body, resp.get("bodySize"), decoded)
        raw.response = RawResponse(status=status, reason=resp.get("statusText") or None,
                                   http_version=resp.get("httpVersion") or None, headers=rheaders, body=rbody,
                                   body_size=size, truncated=cut, decoded=decoded)
    _timings(entry, raw)
    return raw


def _object(parent: dict, key: str) -> dict:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise BrokenEntry(f"has no {key} object")
    return value


def _string(parent: dict, key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise BrokenEntry(f"has no {where}.{key}")
    return value


def _headers(message: dict, where: str) -> list[tuple[str, str]]:
    items = message.get("headers") or []
    if not isinstance(items, list):
        raise BrokenEntry(f"has {where}.headers that is not a list")
    out = []
    for h in items:
        if not isinstance(h, dict) or not isinstance(h.get("name"), str):
            raise BrokenEntry(f"has a {where} header without a name")
        out.append((h["name"], str(h.get("value", ""))))
    return out


def _request_body(post: Any, headers: list[tuple[str, str]], wire_size: Any) -> tuple[bytes | None, bool]:
    """``(body, decoded)`` (see :func:`as_recorded`)."""
    if not post:
        return None, False
    if not isinstance(post, dict):
        raise BrokenEntry("has request.postData that is not an object")
    text = post.get("text")
    if text is None and post.get("params"):  # a form given as params only
        pairs = [(p.get("name", ""), p.get("value", "")) for p in post["params"] if isinstance(p, dict)]
        return urllib.parse.urlencode(pairs).encode(), False
    if text is None:
        return None, False
    body = _decode_text(text, post.get("encoding"), "request.postData")
    body, decoded, _ = as_recorded(body, header(headers, "content-encoding"), wire_size,
                                   binary=post.get("encoding") == "base64")
    return body, decoded


def _response_body(content: Any, headers: list[tuple[str, str]],
                   wire_size: Any) -> tuple[bytes | None, list[tuple[str, str]], bool]:
    """``(body, headers, decoded)`` (see :func:`as_recorded`)."""
    if not isinstance(content, dict) or content.get("text") is None:
        return None, headers, False
    body = _decode_text(content["text"], content.get("encoding"), "response.content")
    body, decoded, undone = as_recorded(body, header(headers, "content-encoding"), wire_size,
                                        binary=content.get("encoding") == "base64")
    if undone:  # a coding we cannot redo: the body stays decoded, so the header must go
        headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    return body, headers, decoded


def _decode_text(text: Any, encoding: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise BrokenEntry(f"has {where}.text that is not a string")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BrokenEntry(f"has {where}.text marked base64 that is not valid base64") from None
    if encoding:
        raise BrokenEntry(f"has a {where}.encoding other than base64 (the only one HAR 1.2 knows)")
    return text.encode("utf-8", "surrogatepass")


def as_recorded(body: bytes, coding: str | None, wire_size: Any, *, binary: bool) -> tuple[bytes, bool, bool]:
    """``(body, decoded, undone)``: HAR keeps bodies decoded, and says the size they had on
    the wire (*wire_size*, HAR's bodySize). When it does and the coding is one tillroll
    knows, the body is handed on decoded and marked so (``RawResponse.decoded``): nothing is
    encoded only to be decoded again (a Brotli body took milliseconds). Else it is put back
    as it went over the wire (:func:`as_on_the_wire`, whose *undone* this passes on). Only
    a *binary* body (base64 in the HAR) may hold the encoded bytes already."""
    if not coding or coding.strip().lower() == "identity":
        return body, False, False
    if _known_size(wire_size) and known_coding(coding) and not (binary and _encoded_already(body, coding)):
        return body, True, False
    wire, undone = as_on_the_wire(body, coding, binary=binary)
    return wire, False, undone


def as_on_the_wire(body: bytes, coding: str | None, *, binary: bool = True) -> tuple[bytes, bool]:
    """HAR keeps bodies decoded; the raw exchange holds them as sent. Returns the body and
    whether the declared coding could not be redone (then the body is left decoded). A
    *binary* body may be the encoded bytes already (some exporters keep them, in base64);
    a text one is not taken for them (JSON text starting with ``{`` reads as raw deflate)."""
    if not coding or coding.strip().lower() == "identity" or (binary and _encoded_already(body, coding)):
        return body, False
    try:
        return encode_content(body, coding), False
    except KeyError:
        return body, True


def _encoded_already(body: bytes, coding: str) -> bool:
    """Some exporters keep the encoded bytes (base64): already on the wire. (Does it
    decode? A bomb is not inflated to find out.)"""
    try:
        decode_content(body, coding, limit=_PEEK)
        return True
    except UndecodableContent:
        return False


def _known_size(size: Any) -> bool:
    """Whether HAR's bodySize *size* says a size (-1, absent or 0: unknown or none)."""
    return isinstance(size, int) and not isinstance(size, bool) and size > 0


def http_url(url: str, what: str) -> tuple[urllib.parse.SplitResult, int]:
    """The parts and port of an entry's http(s) *url* (*what* names it in the error, "URL"
    or "URI"). Raises :class:`BrokenEntry`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise BrokenEntry(f"is not an HTTP exchange (a {parts.scheme or 'relative'}: {what})")
    try:
        return parts, parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise BrokenEntry(f"has a {what} with an invalid port") from None


def cut_body(body: bytes | None, max_body: int, wire_size: Any = None,
             decoded: bool = False) -> tuple[bytes | None, int | None, bool]:
    """``(body kept, size on the wire, truncated)``: HAR's bodySize is the size on the wire
    (compressed, before any redaction) when the exporter knew it; the size of a body as
    sent (not *decoded*) is at least its length."""
    if body is None:
        return None, None, False
    size = wire_size if _known_size(wire_size) else len(body)
    if len(body) > max_body:
        return body[:max_body], (size if decoded else max(size, len(body))), True
    return body, size, False


def _started(entry: dict) -> dt.datetime:
    text = entry.get("startedDateTime")
    if not isinstance(text, str):
        raise BrokenEntry("has no startedDateTime")
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BrokenEntry("has a startedDateTime that is not an ISO 8601 date") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc)


def _timings(entry: dict, raw: RawExchange) -> None:
    t = entry.get("timings") if isinstance(entry.get("timings"), dict) else {}

    def ms(value: Any) -> float | None:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 \
            else None

    raw.duration_ms = ms(entry.get("time"))
    raw.send_ms, raw.wait_ms, raw.receive_ms = ms(t.get("send")), ms(t.get("wait")), ms(t.get("receive"))
    ssl, connect = ms(t.get("ssl")), ms(t.get("connect"))
    raw.tls_ms = ssl
    # HAR's connect includes the TLS handshake; tillroll keeps the two apart (as mitmproxy does)
    raw.connect_ms = max(0.0, connect - ssl) if connect is not None and ssl is not None else connect


# -- tillroll -> HAR ----------------------------------------------------------------------------

def entry_from_exchange(ex: Exchange, *, request_body: bytes | None, response_body: bytes | None) -> dict:
    """The HAR 1.2 entry of a stored exchange; bodies are passed decoded (as HAR holds them)."""
    request = {
        "method": ex.method, "url": url_of(ex), "httpVersion": ex.http_version or "HTTP/1.1", "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in ex.request_headers or ()],
        "queryString": [{"name": k, "value": v}
                        for k, v in urllib.parse.parse_qsl(ex.query or "", keep_blank_values=True)],
        "headersSize": -1, "bodySize": ex.request_body_size if ex.request_body_size is not None else 0,
    }
    if request_body is not None:
        request["postData"] = {"mimeType": ex.request_content_type or "", **_content_text(request_body,
                                                                                            ex.request_content_type)}
    entry: dict[str, Any] = {
        "startedDateTime": ex.started_at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
        .replace("+00:00", "Z"),  # all the precision stored (JavaScript's Date reads it too)
        "time": round(ex.duration_ms, 3) if ex.duration_ms is not None else 0,  # µs: what is stored
        "request": request,
    }
    if ex.status is None:
        entry["response"] = {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                             "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1,
                             "bodySize": -1}
        entry["_error"] = ex.error or "no response"
    else:
        headers = ex.response_headers or []
        content = {"size": len(response_body or b""), "mimeType": ex.response_content_type or ""}
        if response_body is not None:
            content.update(_content_text(response_body, ex.response_content_type))
        entry["response"] = {
            "status": ex.status, "statusText": ex.reason or "", "httpVersion": ex.http_version or "HTTP/1.1",
            "cookies": [], "headers": [{"name": k, "value": v} for k, v in headers], "content": content,
            "redirectURL": header(headers, "location") or "", "headersSize": -1,
            "bodySize": ex.response_body_size if ex.response_body_size is not None else -1,
        }
    entry["cache"] = {}
    entry["timings"] = _har_timings(ex)
    entry["_tillroll"] = {"exchange_id": ex.exchange_id, "vendor": ex.vendor, "operation": ex.operation,
                          "outcome": ex.outcome, "outcome_message": ex.outcome_message}
    return entry


def url_of(ex: Exchange, query: str | None = None) -> str:
    scheme = ex.scheme or "http"
    netloc = ex.host if ":" not in ex.host else f"[{ex.host}]"
    if ex.port and ex.port != DEFAULT_PORTS.get(scheme):
        netloc += f":{ex.port}"
    query = ex.query if query is None else query
    return f"{scheme}://{netloc}{ex.path}" + (f"?{query}" if query else "")


def decoded_bodies(ex: Exchange) -> tuple[bytes | None, bytes | None]:
    """The stored request and response bodies (tillroll stores them decoded)."""
    return join_body(ex.request_body_text, ex.request_body_bytes), join_body(ex.response_body_text,
                                                                             ex.response_body_bytes)


def _content_text(body: bytes, content_type: str | None) -> dict:
    textual = not content_type or any(t in content_type.lower() for t in _TEXT_TYPES)
    if textual:
        try:
            return {"text": body.decode("utf-8")}
        except UnicodeDecodeError:
            pass
    return {"text": base64.b64encode(body).decode("ascii"), "encoding": "base64"}


def _har_timings(ex: Exchange) -> dict:
    def ms(value: float | None) -> float:
        return round(value, 3) if value is not None else -1

    connect = None
    if ex.connect_ms is not None:
        connect = ex.connect_ms + (ex.tls_ms or 0.0)  # HAR's connect includes TLS
    return {"blocked": -1, "dns": -1, "connect": ms(connect), "ssl": ms(ex.tls_ms),
            "send": max(0, ms(ex.send_ms)), "wait": max(0, ms(ex.wait_ms)), "receive": max(0, ms(ex.receive_ms))}

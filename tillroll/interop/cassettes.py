"""What the test-cassette formats share (vcrpy, Ruby VCR, Betamax, Postman): the document
read whole as plain data, and one interaction turned into a raw exchange.

These files are test fixtures (kilobytes to a few megabytes), so each is read whole;
the HAR and flow readers stream because their files run to gigabytes. Nothing here
decodes or redacts: bodies are put back as they were on the wire (re-encoded when a
header says gzip but the cassette kept them decoded) and :func:`capture_keyed` does the rest.
Messages never quote a value from the file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.utils
import json
from typing import Any, BinaryIO, Callable, Iterator

from tillroll.capture import RawExchange, RawRequest, RawResponse, header
from .har import BrokenEntry, as_on_the_wire, cut_body, http_url
from .safe_yaml import UnsafeYaml, load_yaml

Headers = list[tuple[str, str]]
_BOM = b"\xef\xbb\xbf"
_SCALARS = (str, int, float, bool)


class NotACassette(Exception):
    """The file as a whole cannot be imported: one sentence, no content from it."""


class Skipped(BrokenEntry):
    """An entry skipped for a reason that names the entry itself (a Postman request or example)."""


class Note(str):
    """A line the import prints under the file (which time it used, what stayed unresolved)."""


def load_document(fo: BinaryIO) -> Any:
    """The JSON or YAML document in *fo* as plain data (YAML tags that would run code refused)."""
    data = fo.read()
    data = data[len(_BOM):] if data.startswith(_BOM) else data
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise NotACassette(f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        except (UnicodeDecodeError, RecursionError, ValueError):
            raise NotACassette("is not valid JSON (not UTF-8, or nested deeper than any cassette)") from None
    try:
        return load_yaml(data)
    except UnsafeYaml as exc:
        raise NotACassette(str(exc)) from None


def interactions(doc: Any, key: str, what: str) -> list:
    """``doc[key]``, which must be a list, or :class:`NotACassette`."""
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise NotACassette(f"is not a {what} (no {key} list)")
    return items


def mapping(parent: Any, key: str, where: str) -> dict:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, dict):
        raise BrokenEntry(f"has no {where}{key} mapping")
    return value


def headers_of(value: Any, where: str) -> Headers:
    """Headers as a cassette holds them: ``{name: [values]}`` (vcrpy 1, Ruby VCR, Betamax),
    ``{name: value}`` (Betamax legacy, old vcrpy JSON), ``["name: value\\r\\n", ...]`` (old
    vcrpy responses) or ``[[name, value], ...]`` (old vcrpy requests). Order is kept."""
    if value is None:
        return []
    out: Headers = []
    if isinstance(value, dict):
        for name, values in value.items():
            for v in values if isinstance(values, list) else [values]:
                out.append((_scalar(name, where), _scalar(v, where)))
        return out
    if not isinstance(value, list):
        raise BrokenEntry(f"has {where}headers that are neither a mapping nor a list")
    for item in value:
        if isinstance(item, str) and ":" in item:
            name, _, v = item.partition(":")
            out.append((name.strip(), v.strip()))
        elif isinstance(item, list) and len(item) == 2:
            out.append((_scalar(item[0], where), _scalar(item[1], where)))
        else:
            raise BrokenEntry(f"has a {where}header that is not a name and a value")
    return out


def _scalar(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, _SCALARS):
        raise BrokenEntry(f"has a {where}header value that is not text")
    return str(value).lower() if isinstance(value, bool) else str(value)


def body_of(value: Any, where: str, *, charset: str | None = None) -> bytes | None:
    """A body as a cassette holds it: text, bytes (YAML ``!!binary`` / ``!binary``), or a
    mapping with ``string`` or ``base64_string`` (and Ruby's ``encoding``)."""
    if isinstance(value, dict):
        charset = value.get("encoding") if isinstance(value.get("encoding"), str) else charset
        if value.get("base64_string") is not None:
            text = value["base64_string"]
            try:
                return base64.b64decode("".join(str(text).split()), validate=True)
            except (binascii.Error, ValueError):
                raise BrokenEntry(f"has a {where}body marked base64 that is not valid base64") from None
        value = value.get("string")
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # YAML read an unquoted number
    if not isinstance(value, str):
        raise BrokenEntry(f"has a {where}body that is neither text nor bytes")
    return _encoded_text(value, charset)


def _encoded_text(text: str, charset: str | None) -> bytes:
    """*text* in the charset the cassette says it had (Ruby keeps ``encoding: ISO-8859-1``)."""
    if charset and charset.upper() not in ("UTF-8", "ASCII-8BIT", "US-ASCII", "BINARY"):
        try:
            return text.encode(charset)
        except (LookupError, UnicodeEncodeError):
            pass
    return text.encode("utf-8", "surrogatepass")


def status_of(response: dict) -> tuple[int, str | None]:
    """``status: {code, message}`` or Betamax's legacy ``status_code``."""
    status = response.get("status")
    code, message = (status.get("code"), status.get("message")) if isinstance(status, dict) else \
        (response.get("status_code", status), None)
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 999:
        raise BrokenEntry("has a response status that is not a number from 100 to 999")
    return code, message if isinstance(message, str) and message else None


def exchange(*, method: Any, uri: Any, request_headers: Headers, request_body: bytes | None, status: int,
             reason: str | None, response_headers: Headers, response_body: bytes | None, started_at: dt.datetime,
             max_body: int, http_version: str | None = None) -> RawExchange:
    """The raw exchange of one recorded interaction. Raises :class:`BrokenEntry`."""
    if not isinstance(method, str) or not method.strip():
        raise BrokenEntry("has no request method")
    if not isinstance(uri, str):
        raise BrokenEntry("has no request URI")
    parts, port = http_url(uri.strip(), "URI")
    request_body, _ = as_on_the_wire(request_body, header(request_headers, "content-encoding")) \
        if request_body else (request_body, False)
    body, size, cut = cut_body(request_body, max_body)
    version = f"HTTP/{http_version}" if http_version and not http_version.upper().startswith("HTTP") \
        else (http_version or "HTTP/1.1")
    request = RawRequest(method=method.strip().upper(), scheme=parts.scheme, host=parts.hostname, port=port,
                         path=parts.path or "/", query=parts.query, http_version=version, headers=request_headers,
                         body=body, body_size=size, truncated=cut)
    if response_body:
        response_body, undone = as_on_the_wire(response_body, header(response_headers, "content-encoding"))
        if undone:  # a coding we cannot redo: the body stays decoded, so the header must go
            response_headers = [(k, v) for k, v in response_headers if k.lower() != "content-encoding"]
    rbody, rsize, rcut = cut_body(response_body, max_body)
    response = RawResponse(status=status, reason=reason, http_version=version, headers=response_headers,
                           body=rbody, body_size=rsize, truncated=rcut)
    return RawExchange(request=request, started_at=started_at, response=response)


def each_exchange(items: list, exchange_of: Callable[[Any, int], RawExchange], times: "Times",
                  why_no_times: str) -> Iterator[RawExchange | BrokenEntry | Note]:
    """The raw exchange of every interaction in *items* (a broken one as its
    :class:`BrokenEntry`), then the note on the times used where none was recorded."""
    for index, item in enumerate(items):
        try:
            yield exchange_of(item, index)
        except BrokenEntry as exc:
            yield exc
    yield from times.notes(why_no_times)


class Times:
    """When each interaction happened: its recorded time where the format has one, else the
    response's ``Date`` header, else the import's start; counted, so the import can say
    which it used. Entry *index* microseconds are added so that interactions stamped
    with the same second (formats keep whole seconds) keep their order in the file."""

    def __init__(self, now: dt.datetime):
        self.now = now.astimezone(dt.timezone.utc)
        self.by_date = self.by_now = 0

    def started(self, index: int, recorded: dt.datetime | None, response_headers: Headers) -> dt.datetime:
        when = recorded
        if when is None:
            when = http_date(header(response_headers, "date"))
            if when is not None:
                self.by_date += 1
        if when is None:
            self.by_now += 1
            when = self.now
        return when + dt.timedelta(microseconds=index)

    def notes(self, why: str) -> Iterator[Note]:
        """The note on which times were used, when any were not recorded (*why*: the format's case)."""
        used = []
        if self.by_date:
            used.append(f"{self.by_date:,} from the response's Date header")
        if self.by_now:
            used.append(f"{self.by_now:,} at the import time {self.now.isoformat(timespec='seconds')}")
        if used:
            yield Note(f"{why}: timed {' and '.join(used)}")


def http_date(text: Any) -> dt.datetime | None:
    """An RFC 2822 / HTTP date (``Thu, 11 May 2017 07:33:50 GMT``) in UTC, or None."""
    if not isinstance(text, str):
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def iso_date(text: Any) -> dt.datetime | None:
    """An ISO 8601 time (Betamax's ``recorded_at``; naive means UTC), or None."""
    if isinstance(text, dt.datetime):  # YAML read a timestamp itself
        when = text
    elif isinstance(text, str):
        try:
            when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)

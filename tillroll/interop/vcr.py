"""tillroll -> vcrpy cassettes (YAML, format version 1), for Python users of vcrpy and
pytest-recording.

vcrpy matches on method and URI by default, so the URI written is the recorded one
minus the query parameters tillroll redacted (a Spoonity ``api_key``): configure vcrpy
with ``filter_query_parameters`` for them (the export prints which) and live requests
carrying real credentials still match. Headers tillroll redacted are left out, as
vcrpy's ``filter_headers`` would. Bodies are written decoded, without their
Content-Encoding, as vcrpy's ``decode_compressed_response`` writes them.
"""

from __future__ import annotations

import urllib.parse
from typing import IO, Iterable

import yaml

from tillroll.store.exchange import Exchange
from tillroll.capture import PREFIX
from .har import url_of

VCR_FORMAT = 1
_DROP_RESPONSE = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection",
                            "keep-alive"})

try:  # libyaml when present: several times faster on big cassettes
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover
    _Dumper = yaml.SafeDumper


def redacted_query_names(ex: Exchange) -> set[str]:
    """The query parameters of *ex* that redaction replaced."""
    return {k for k, v in urllib.parse.parse_qsl(ex.query or "", keep_blank_values=True) if _redacted(v)}


def interaction(ex: Exchange, *, request_body: bytes | None, response_body: bytes | None) -> dict | None:
    """One vcrpy interaction, or None for a recording without a response (vcrpy has no
    way to replay a transport error)."""
    if ex.status is None:
        return None
    pairs = urllib.parse.parse_qsl(ex.query or "", keep_blank_values=True)
    query = urllib.parse.urlencode([(k, v) for k, v in pairs if not _redacted(v)])
    request_headers: dict[str, list[str]] = {}
    for k, v in ex.request_headers or ():
        if not _redacted(v) and k.lower() not in ("host", "content-length"):
            request_headers.setdefault(k, []).append(v)
    response_headers: dict[str, list[str]] = {}
    for k, v in ex.response_headers or ():
        if k.lower() not in _DROP_RESPONSE:
            response_headers.setdefault(k, []).append(v)
    body = response_body or b""
    response_headers["Content-Length"] = [str(len(body))]
    return {
        "request": {"method": ex.method, "uri": url_of(ex, query), "body": _text_or_bytes(request_body),
                    "headers": request_headers},
        "response": {"status": {"code": ex.status, "message": ex.reason or ""}, "headers": response_headers,
                     "body": {"string": _text_or_bytes(body)}},
    }


def write_cassette(out: IO[str], interactions: Iterable[dict]) -> int:
    """Write a vcrpy cassette to *out*, streaming: one interaction at a time."""
    out.write(f"version: {VCR_FORMAT}\n")
    n = 0
    for item in interactions:
        if n == 0:
            out.write("interactions:\n")
        out.write(yaml.dump([item], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1 << 30))
        n += 1
    if n == 0:
        out.write("interactions: []\n")
    return n


def _redacted(value: str) -> bool:
    return PREFIX in value  # every value redaction writes holds it


def _text_or_bytes(body: bytes | None) -> str | bytes | None:
    if body is None:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # YAML !!binary

"""Postman collections (schema v2.0 and v2.1) -> raw exchanges: every saved example (its
``originalRequest`` and its response) is one exchange.

A request without a saved example recorded nothing and is listed as skipped.
``{{variables}}`` are resolved from the environment (``--environment``, a Postman
environment export) over the collection's own ``variable`` list, as Postman does; what
stays unresolved is left as written and named in the summary. ``:name`` path variables
take their ``url.variable`` value when it has one. The request's auth (its own, else the
nearest folder's, else the collection's) becomes its header or query parameter, so the
pipeline redacts it like any credential. The folders above a request become the
exchange's group (stored in ``api``), so ``where api = 'Payments / Captures'`` finds them.
Examples carry no time: each is timed by its response's ``Date`` header, else the import
time, and the import says which.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import urllib.parse
from typing import Any, Iterator

from tillroll.capture import RawExchange
from .cassettes import NotACassette, Note, Skipped, Times, exchange, headers_of
from .har import BrokenEntry

SCHEMAS = ("v2.0.0", "v2.1.0")
_VARIABLE = re.compile(r"\{\{([^{}]{1,200})\}\}")
_NO_BODY = frozenset({204, 205, 304})
_CONTENT_TYPES = {"json": "application/json", "xml": "application/xml", "html": "text/html", "text": "text/plain",
                  "javascript": "application/javascript"}
_BOUNDARY = "----tillrollPostmanFormBoundary"


class BrokenEnvironment(Exception):
    """The environment file cannot be used: one sentence."""


def load_environment(data: bytes, name: str) -> dict[str, str]:
    """The enabled values of a Postman environment export (``{"values": [{key, value, enabled}]}``)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise BrokenEnvironment(f"{name} is not a Postman environment (not valid JSON)") from None
    values = doc.get("values") if isinstance(doc, dict) else None
    if not isinstance(values, list):
        raise BrokenEnvironment(f"{name} is not a Postman environment (no \"values\" list: export it from "
                                "Postman's Environments tab)")
    return _variables(values)


def _variables(items: Any) -> dict[str, str]:
    out = {}
    for v in items if isinstance(items, list) else []:
        if isinstance(v, dict) and isinstance(v.get("key"), str) and v.get("enabled", True) is not False \
                and not v.get("disabled"):
            out[v["key"]] = "" if v.get("value") is None else str(v["value"])
    return out


def read_postman(doc: Any, *, max_body: int, now: dt.datetime,
                 environment: dict[str, str] | None = None) -> Iterator[RawExchange | BrokenEntry | Note]:
    """Every saved example of the collection *doc*; each request without one as a :class:`Skipped`."""
    schema = doc.get("info", {}).get("schema") if isinstance(doc, dict) and isinstance(doc.get("info"), dict) else None
    if schema is None and isinstance(doc, dict) and isinstance(doc.get("requests"), list):
        schema = "/v1/"  # Postman's first format: no info, a flat list of requests
    if not isinstance(schema, str) or not ("getpostman.com" in schema or schema == "/v1/"):
        raise NotACassette("is not a Postman collection (no info.schema)")
    version = next((v for v in SCHEMAS if f"/{v}/" in schema), None)
    if version is None or not isinstance(doc.get("item"), list):
        found = re.search(r"/(v\d+(?:\.\d+)*)/", schema)
        raise NotACassette(f"is a Postman collection of schema {found.group(1) if found else 'unknown'} "
                           "(tillroll reads v2.0 and v2.1: export it from Postman as Collection v2.1)")
    resolver = _Resolver({**_variables(doc.get("variable")), **(environment or {})})
    times = Times(now)
    count = 0
    for folders, auth, item in _requests(doc["item"], [], doc.get("auth")):
        name = " / ".join([*folders, str(item.get("name") or "unnamed")])
        examples = item.get("response")
        if not isinstance(examples, list) or not examples:
            yield Skipped(f"request {name!r}: has no saved example (nothing recorded to import)")
            continue
        for example in examples:
            try:
                yield _exchange(example, item, folders, auth, resolver, times, count, max_body)
            except BrokenEntry as exc:
                yield Skipped(f"example {str(example.get('name') if isinstance(example, dict) else '')!r} "
                              f"of {name!r}: {exc}")
            count += 1
    if resolver.unresolved:
        names = sorted(resolver.unresolved)
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        yield Note(f"unresolved variables, left as written: {shown} (define them in the collection or pass "
                   "--environment)")
    yield from times.notes("Postman examples keep no time")


def _requests(items: list, folders: list[str], auth: Any) -> Iterator[tuple[list[str], Any, dict]]:
    """``(folder names, inherited auth, item)`` of every request, depth first."""
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("item"), list):  # a folder
            yield from _requests(item["item"], [*folders, str(item.get("name") or "unnamed")],
                                 item.get("auth") or auth)
        elif "request" in item:
            yield folders, auth, item


class _Resolver:
    def __init__(self, variables: dict[str, str]):
        self.variables = variables
        self.unresolved: set[str] = set()

    def __call__(self, text: Any) -> str:
        if not isinstance(text, str):
            return "" if text is None else str(text)

        def value(m: re.Match) -> str:
            name = m.group(1).strip()
            if name in self.variables:
                return self.variables[name]
            self.unresolved.add(f"{{{{{name}}}}}")
            return m.group(0)

        return _VARIABLE.sub(value, text)


def _exchange(example: Any, item: dict, folders: list[str], auth: Any, resolve: _Resolver, times: Times,
              index: int, max_body: int) -> RawExchange:
    if not isinstance(example, dict):
        raise BrokenEntry("is not an object")
    request = example.get("originalRequest") or item.get("request")
    if isinstance(request, str):  # a bare URL
        request = {"method": "GET", "url": request}
    if not isinstance(request, dict):
        raise BrokenEntry("has no original request")
    code = example.get("code")
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 999:
        raise BrokenEntry("has a response code that is not a number from 100 to 999")
    method = resolve(request.get("method") or "GET").upper()
    body = example.get("body")
    if body is None and code not in _NO_BODY and method != "HEAD" and code >= 200:
        raise BrokenEntry("has a response without a body (Postman saved none)")
    headers = [(resolve(k), resolve(v)) for k, v in _header_list(request.get("header"))]
    uri, query = _url(request.get("url"), resolve)
    declared = next((v for k, v in headers if k.lower() == "content-type"), None)
    request_body, content_type = _body(request.get("body"), resolve, declared)
    if content_type and not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", content_type))
    headers, query = _with_auth(request.get("auth") or item.get("request", {}).get("auth") or auth,
                                headers, query, resolve)
    response_headers = _header_list(example.get("header"))
    raw = exchange(method=method, uri=uri + (f"?{query}" if query else ""), request_headers=headers,
                   request_body=request_body, status=code,
                   reason=example.get("status") if isinstance(example.get("status"), str) else None,
                   response_headers=response_headers, response_body=None if body is None else str(body).encode(),
                   started_at=times.started(index, None, response_headers), max_body=max_body)
    raw.group = " / ".join(folders) or None
    return raw


def _header_list(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, str):  # v2.0 allows "Name: value\n..."
        return headers_of([line for line in value.splitlines() if ":" in line], "")
    out = []
    for h in value if isinstance(value, list) else []:
        if isinstance(h, dict) and isinstance(h.get("key"), str) and not h.get("disabled"):
            out.append((h["key"], "" if h.get("value") is None else str(h["value"])))
    return out


def _url(url: Any, resolve: _Resolver) -> tuple[str, str]:
    """``(scheme://host/path, query)`` with variables resolved (``http://`` when none is given, as Postman)."""
    if isinstance(url, str):
        url = {"raw": url}
    if not isinstance(url, dict) or not isinstance(url.get("raw"), str):
        raise BrokenEntry("has a request without a URL")
    raw = resolve(url["raw"]).strip()
    if "://" not in raw.split("?", 1)[0]:
        raw = "http://" + raw
    parts = urllib.parse.urlsplit(raw)
    if "{{" in parts.netloc or not parts.hostname:
        raise BrokenEntry("has a URL whose host is an unresolved variable (pass --environment)")
    path_values = {v["key"]: resolve(v.get("value")) for v in url.get("variable") or []
                   if isinstance(v, dict) and isinstance(v.get("key"), str)}
    segments = []
    for segment in parts.path.split("/"):
        if segment.startswith(":") and len(segment) > 1:
            if path_values.get(segment[1:]):
                segment = urllib.parse.quote(path_values[segment[1:]], safe="")
            else:
                resolve.unresolved.add(segment)
        segments.append(segment)
    query = parts.query
    if isinstance(url.get("query"), list):  # the enabled parameters, as Postman sends them
        query = "&".join(f"{resolve(q.get('key'))}" + ("" if q.get("value") is None else f"={resolve(q['value'])}")
                         for q in url["query"] if isinstance(q, dict) and not q.get("disabled"))
    return f"{parts.scheme}://{parts.netloc}{'/'.join(segments) or '/'}", query


def _body(body: Any, resolve: _Resolver, declared: str | None) -> tuple[bytes | None, str | None]:
    if not isinstance(body, dict) or body.get("disabled"):
        return None, None
    mode = body.get("mode")
    if mode == "raw":
        text = resolve(body.get("raw"))
        language = (((body.get("options") or {}).get("raw") or {}).get("language") or "")
        return (text.encode() if text else None), _CONTENT_TYPES.get(language) if text else None
    if mode == "urlencoded" or (mode == "formdata" and "x-www-form-urlencoded" in (declared or "")):
        # (form data under a declared urlencoded Content-Type: what the server took, so what was sent)
        pairs = [(resolve(p.get("key")), resolve(p.get("value"))) for p in body.get(mode) or []
                 if isinstance(p, dict) and not p.get("disabled")]
        return urllib.parse.urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    if mode == "formdata":
        parts = []
        for p in body.get("formdata") or []:
            if not isinstance(p, dict) or p.get("disabled"):
                continue
            if p.get("type") == "file":
                raise BrokenEntry("has a form-data file part (Postman saves no file contents)")
            parts.append(f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="{resolve(p.get("key"))}"'
                         f'\r\n\r\n{resolve(p.get("value"))}\r\n')
        return "".join(parts).encode() + f"--{_BOUNDARY}--\r\n".encode(), \
            f"multipart/form-data; boundary={_BOUNDARY}"
    if mode == "graphql":
        graphql = body.get("graphql") or {}
        return json.dumps({"query": resolve(graphql.get("query")),
                           "variables": resolve(graphql.get("variables")) or None}).encode(), "application/json"
    if mode == "file":
        raise BrokenEntry("has a file body (Postman saves no file contents)")
    return None, None


def _with_auth(auth: Any, headers: list, query: str, resolve: _Resolver) -> tuple[list, str]:
    """The request with its auth applied (apikey, bearer, basic; other kinds are not applied)."""
    if not isinstance(auth, dict) or auth.get("type") in (None, "noauth"):
        return headers, query
    kind = auth["type"]
    fields = {f.get("key"): resolve(f.get("value")) for f in auth.get(kind) or [] if isinstance(f, dict)}
    if kind == "bearer" and fields.get("token"):
        return [*headers, ("Authorization", f"Bearer {fields['token']}")], query
    if kind == "basic" and (fields.get("username") or fields.get("password")):
        pair = base64.b64encode(f"{fields.get('username', '')}:{fields.get('password', '')}".encode()).decode()
        return [*headers, ("Authorization", f"Basic {pair}")], query
    if kind == "apikey" and fields.get("key") and fields.get("value"):
        if fields.get("in") == "query":
            extra = urllib.parse.urlencode([(fields["key"], fields["value"])])
            return headers, f"{query}&{extra}" if query else extra
        return [*headers, (fields["key"], fields["value"])], query
    return headers, query

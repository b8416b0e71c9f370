"""atheris target: tillroll.capture.pipeline.capture, the one pipeline every exchange goes through.

Each input is turned into a RawExchange: the last bytes choose the request and the
response (see ``CHOICES``; FuzzedDataProvider takes integers from the end of the data),
the bytes before them are the request body followed by the response body. Checked for
every input:

* ``capture(raw, redactor, max_body=...)`` never raises.
* The Exchange it returns is storable: ``to_record_batch([ex])`` and ``to_pylist()`` work.
* When the input plants the canary (a ``password`` field holding ``CANARY`` in a JSON or
  form body, about one input in four), the canary appears nowhere in the stored record
  (every column of ``to_record_batch([ex]).to_pylist()``) nor in ``ex.request_body`` /
  ``ex.response_body``: not as is, lower- or upper-cased, hex-encoded or Base64-encoded.

Run: ``make fuzz`` (see fuzz/README.md). ``python fuzz/fuzz_capture.py --describe FILE``
prints the exchange an input (a seed, a crash file) builds, without fuzzing.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json

import atheris
from findings import run

with atheris.instrument_imports(include=["tillroll"]):
    from tillroll.capture import pipeline as capture_mod
    from tillroll.capture.content import encode_content
    from tillroll.store.exchange import to_record_batch
    from tillroll.capture import RawExchange, RawRequest, RawResponse
    from tillroll.capture import Redactor

CANARY = "FUZZCANARY7d3f9a2b"
KEY = b"fuzz-key-0123456789abcdef0123456789"
T0 = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)

HOSTS = ["api.spoonity.com", "spot.xplorspot.example", "api.mydrycleaner.com", "api.spoton.com",
         "xgl.xenial.example", "pos.example", "API.Spoonity.COM", "127.0.0.1"]
PATHS = ["/", "/q", "/f/", "/g", "/r", "/k", "/api/v1/order", "/api/v1/order/payments/loyalty", "/gift-card",
         "/onscreen_close", "/posexport/v1/locations/LOC123/cash-deposits",
         "/posexport/v1/locations/LOC123/paid-in-outs/987", "/xgl", "/v2/xgl/", "/login", "/api/%70assword/x",
         "/a%ffb", "/customers/4111111111111111"]
QUERIES = ["", "RequestType=GetCustomer&AccountKey=abc", "locationId=LOC123&updatedAtStart=2026-01-01T00:00:00Z",
           "a=1&a=2", "%ff%fe=x", "token=abc", "q", "RequestType=%ff"]
METHODS = ["POST", "GET", "PUT", "DELETE", "PATCH", "post"]
CONTENT_TYPES = [None, "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded",
                 "text/plain", "text/xml", "application/octet-stream", "application/vnd.api+json"]
ENCODINGS = [None, "gzip", "deflate", "br", "zstd", "identity", "gzip, br", "x-garbage", "GZIP ", "x-gzip"]
STATUSES = [200, 201, 204, 400, 401, 404, 500, None]  # None: no response, a transport error
MAX_BODIES = [capture_mod.DEFAULT_MAX_BODY, 16, 256, 4096]
SECRET_KEYS = ["password", "Password", "PASSWORD", "password"]
CONTAINERS = ["Parameters", "customer", "body"]

# The choices, in the order they are consumed (from the end of the input: the last byte
# is the first choice). Every choice takes one byte.
CHOICES = ("host", "path", "query", "method", "req_type", "req_encoding", "resp_type", "resp_encoding",
           "status", "flags", "canary", "split", "req_cut", "resp_cut")
# flags: bit 0 request truncated, bit 1 response truncated, bit 2 request body sent as is
# under its Content-Encoding (not encoded), bit 3 the same for the response, bits 4-5
# max_body, bit 6 an Authorization header, bit 7 an x-company-id header.
# canary: planted when the low two bits are 0; bit 2 in the response (else the request);
# bits 3-4 how it is written (compact JSON, indented JSON, JSON with raw non-ASCII, form);
# bits 5-6 how deep (0-2 objects down); bit 7 which spelling of "password".


def pick(options, byte):
    return options[byte % len(options)]


def choices(fdp: atheris.FuzzedDataProvider) -> dict[str, int]:
    return {name: fdp.ConsumeIntInRange(0, 255) for name in CHOICES}


def _clean(text: str) -> str:
    while CANARY in text:  # the canary only ever stands where the harness put it
        text = text.replace(CANARY, "")
    return text


def plant(body: bytes, how: int) -> bytes:
    """*body* with a ``password`` field holding CANARY added, as JSON or as a form."""
    text = _clean(body.decode("utf-8", "surrogatepass") if _surrogatepass_ok(body) else body.decode("utf-8", "replace"))
    key = SECRET_KEYS[(how >> 7) & 1]
    style = (how >> 3) & 3
    if style == 3:
        pair = f"{key}={CANARY}"
        return (f"{pair}&{text}" if how & 0x20 else f"{text}&{pair}" if text else pair).encode("utf-8", "surrogatepass")
    try:
        base = json.loads(text)
    except Exception:  # not JSON (or too deep for json): the text becomes a value
        base = text
    if not isinstance(base, dict):
        base = {"data": base}
    target = base
    for name in CONTAINERS[:(how >> 5) & 3]:
        child = target.get(name)
        if not isinstance(child, dict):
            target[name] = child = {"id": 1}
        target = child
    target[key] = CANARY
    try:
        if style == 0:
            out = json.dumps(base, separators=(",", ":"))
        elif style == 1:
            out = json.dumps(base, indent=2)
        else:
            out = json.dumps(base, ensure_ascii=False)
    except (RecursionError, ValueError):
        out = json.dumps({"data": text[:64], key: CANARY})
    return out.encode("utf-8", "surrogatepass")


def _surrogatepass_ok(body: bytes) -> bool:
    try:
        body.decode("utf-8", "surrogatepass")
        return True
    except UnicodeDecodeError:
        return False


def wire(body: bytes, encoding: str | None, raw: bool, truncated: bool, cut: int) -> bytes:
    """The body as it would be on the wire: encoded (unless *raw*, or the coding is
    unknown), then cut at *cut*/256 of its length when *truncated*."""
    if not raw and encoding:
        try:
            body = encode_content(body, encoding)
        except KeyError:  # an unknown coding: sent as is, capture must refuse it
            pass
    if truncated:
        body = body[: len(body) * cut // 256]
    return body


def build(data: bytes) -> tuple[RawExchange, int, bool]:
    """``(raw exchange, max_body, canary planted)`` for one fuzz input."""
    fdp = atheris.FuzzedDataProvider(data)
    c = choices(fdp)
    bodies = fdp.ConsumeBytes(fdp.remaining_bytes())
    split = len(bodies) * c["split"] // 255
    req_body, resp_body = bodies[:split], bodies[split:]
    flags, how = c["flags"], c["canary"]
    status = pick(STATUSES, c["status"])

    planted = how & 3 == 0
    if planted and (how & 4 and status is not None):
        resp_body = plant(resp_body, how)
    elif planted:
        req_body = plant(req_body, how)

    req_type, req_enc = pick(CONTENT_TYPES, c["req_type"]), pick(ENCODINGS, c["req_encoding"])
    headers = [("Host", pick(HOSTS, c["host"]))]
    if req_type:
        headers.append(("Content-Type", req_type))
    if req_enc:
        headers.append(("Content-Encoding", req_enc))
    if flags & 0x40:
        headers.append(("Authorization", "Bearer not-the-canary"))
    if flags & 0x80:
        headers.append(("x-company-id", "C1"))
    req = RawRequest(pick(METHODS, c["method"]), "https", pick(HOSTS, c["host"]), 443, pick(PATHS, c["path"]),
                     query=pick(QUERIES, c["query"]), headers=headers,
                     body=wire(req_body, req_enc, bool(flags & 4), bool(flags & 1), c["req_cut"]) or None,
                     truncated=bool(flags & 1))
    resp = None
    if status is not None:
        resp_type, resp_enc = pick(CONTENT_TYPES, c["resp_type"]), pick(ENCODINGS, c["resp_encoding"])
        resp_headers = [(name, value) for name, value in (("Content-Type", resp_type), ("Content-Encoding", resp_enc))
                        if value]
        resp = RawResponse(status, "OK" if status < 400 else "Error", headers=resp_headers,
                           body=wire(resp_body, resp_enc, bool(flags & 8), bool(flags & 2), c["resp_cut"]) or None,
                           truncated=bool(flags & 2))
    raw = RawExchange(req, T0, resp, error=None if resp else "connection reset by peer", duration_ms=12.0)
    return raw, MAX_BODIES[(flags >> 4) & 3], planted


def _canary_forms() -> list[bytes]:
    raw = CANARY.encode()
    forms = {raw, raw.lower(), raw.upper(), binascii.hexlify(raw), binascii.hexlify(raw).upper()}
    for offset in range(3):  # Base64 at every alignment: the middle does not depend on the neighbours
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw)
            forms.add(encoded[(offset * 4 + 2) // 3 + 1: -4])
    return sorted(f for f in forms if len(f) >= 8)


CANARY_FORMS = _canary_forms()
REDACTOR = Redactor(KEY)


class CanaryLeak(AssertionError):
    def __init__(self, fields: list[str], data: bytes):
        super().__init__(f"canary stored in {', '.join(fields)}; the exchange: {describe(data)}")
        self.signature = "+".join(fields)


def _leaked(value) -> bool:
    stored = repr(value).encode("utf-8", "backslashreplace") if not isinstance(value, bytes) else value
    return any(form in stored for form in CANARY_FORMS)


def TestOneInput(data: bytes) -> None:
    raw, max_body, planted = build(data)
    ex = capture_mod.capture(raw, REDACTOR, max_body=max_body)  # must never raise
    rows = to_record_batch([ex]).to_pylist()  # the record must be storable
    if planted:
        fields = [name for name, value in rows[0].items() if value is not None and _leaked(value)]
        fields += [name for name in ("request_body", "response_body") if _leaked(getattr(ex, name) or b"")]
        if fields:
            raise CanaryLeak(fields, data)


def describe(data: bytes) -> str:
    raw, max_body, planted = build(data)
    return f"max_body={max_body} canary_planted={planted}\n{raw!r}"


def main() -> None:
    run(TestOneInput, describe)


if __name__ == "__main__":
    main()

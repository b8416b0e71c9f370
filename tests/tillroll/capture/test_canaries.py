"""The canary suite: fresh secrets planted in every position, across all vendors, written
through the real store; then every stored byte is scanned for them in plain, Base64,
URL-encoded, hex and JSON-escaped forms. Zero hits is the only passing result."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import zlib
from urllib.parse import quote

import brotli
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.canaries import card_number, email, jwt, leaks, token
from tests.samples import exchange, redactor, sample
from tillroll.capture import capture
from tillroll.capture import capture_keyed
from tillroll.store.exchange import SCHEMA, to_record_batch
from tillroll.store import CassetteWriter

import pyarrow as pa
import pyarrow.types as pat


def fresh_canaries() -> dict[str, str]:
    return {
        "security_id": token("SEC-"), "session_id": token("SES-"), "returned_session": token("RET-"),
        "password": token("PW-"), "legacy_password": token("LPW-"), "legacy_session": token("LSE-"),
        "get_session": token("GSE-"), "spoton_key": token("SOK-"), "spoonity_key": token("SPK-"),
        "spoonity_card": card_number(), "spoonity_email": email(), "xgl_email": email(),
        "xgl_phone": "+1 " + token("", 0) + "".join(str(d) for d in card_number()[:10]),
        "xgl_name": token("Name"), "xgl_card": card_number(), "bearer": jwt(), "cookie": token("CK-"),
        "set_cookie": token("SCK-"), "form_password": token("FPW-"), "deep_token": token("DEEP-"),
        "path_card": card_number(), "xml_password": token("XPW-"), "invalid_json_secret": token("INV-"),
        "gzip_session": token("GZS-"), "brotli_email": email(), "deflate_key": token("DFK-"),
        "echoed_session": token("ECH-"), "query_json_card": card_number(), "employee_name": token("Emp"),
        "binary_card": card_number(), "header_card": card_number(),
        # request values that only their own response shows to be PII (a lookup)
        "lookup_phone": "".join(str(d) for d in card_number()[:10]), "lookup_name": token("Lkp"),
        "lookup_number": str(7_000_000_000 + int(card_number()[:9])),
        # Base64 of JSON outside SPOT's declared Body: any vendor, body, query or header
        "b64_body_password": token("B64PW-"), "b64_query_token": token("B64Q-"), "b64_header_card": card_number(),
    }


def planted(c: dict[str, str]) -> list:
    """One exchange per position, each carrying some canaries."""
    spot = "api.mydrycleaner.com"
    legacy = base64.b64encode(json.dumps({"Password": c["legacy_password"], "Nested": {
        "SessionID": c["legacy_session"]}}).encode()).decode()
    deep = {"a": {"b": [{"c": {"d": {"e": {"api_token": c["deep_token"]}}}}]}}
    xgl_response = json.loads(sample("xgl/01-identifyCustomers-response.json"))
    info = xgl_response["customers"][0]["information"]
    info.update(email=c["xgl_email"], phone=c["xgl_phone"], first_name=c["xgl_name"])
    xgl_response["customers"][0]["cards"][0]["card_number"] = c["xgl_card"]
    xgl_request = json.loads(sample("xgl/02-simulateAccrual-request.json"))
    xgl_request["outHTTP"]["body"]["order"]["contributors"][0]["employee"]["name"] = c["employee_name"]
    return [
        exchange("POST", spot, "/q", body=json.dumps({"RequestType": "GetToken", "AccountKey": "ABCD1234",
                                                      "SecurityID": c["security_id"]}).encode(),
                 response=json.dumps({"Failed": False, "ReturnObject": {"SessionID": c["returned_session"]}}).encode()),
        # the vendor echoes the request's own SessionID in a free-text error message
        exchange("POST", spot, "/q", body=json.dumps({"RequestType": "Login", "SessionID": c["echoed_session"],
                                                      "Parameters": {"UserName": "u", "Password": c["password"]}}).encode(),
                 response=json.dumps({"Failed": True, "Message": f"Session {c['echoed_session']} expired"}).encode()),
        exchange("POST", spot, "/q", body=json.dumps({"RequestType": "GetCustomer", "AccountKey": "A",
                                                      "SessionID": c["session_id"], "Body": legacy}).encode(),
                 response=b'{"Failed": false}'),
        exchange("GET", spot, "/g", query=f"RequestType=GetStoreList&SessionID={c['get_session']}", response=b"{}"),
        exchange("GET", "restaurantapi.spoton.com", "/posexport/v1/locations/L1/paid-in-outs",
                 headers=[("x-api-key", c["spoton_key"])],
                 response=gzip.compress(json.dumps([{"employeeName": c["employee_name"],
                                                     "sessionToken": c["gzip_session"]}]).encode()),
                 response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")]),
        exchange("POST", "api.spoonity.com", "/order", query=f"api_key={c['spoonity_key']}",
                 body=json.dumps({"card_number": c["spoonity_card"], "receipt_number": "R1"}).encode(),
                 response=json.dumps({"success": True, "receipt_data": {"user": {"card_number": c["spoonity_email"]}}}).encode()),
        exchange("GET", "api.spoonity.com", "/order",
                 query=f"api_key={c['spoonity_key']}&" + quote(json.dumps({"card_number": c["query_json_card"]})),
                 response=b'{"success": true}'),
        exchange("POST", "xgl.example.com", "/api/xgl", body=json.dumps(xgl_request).encode(),
                 response=json.dumps(xgl_response).encode()),
        exchange("POST", "api.example.com", "/v1/login",
                 headers=[("Authorization", f"Bearer {c['bearer']}"), ("Cookie", f"sid={c['cookie']}"),
                          ("Content-Type", "application/x-www-form-urlencoded"), ("X-Card", c["header_card"])],
                 body=f"user=bob&password={c['form_password']}".encode(),
                 response=json.dumps(deep).encode(),
                 response_headers=[("Set-Cookie", f"sid={c['set_cookie']}; Path=/; HttpOnly")]),
        exchange("GET", "api.example.com", f"/v1/cards/{c['path_card']}/balance", response=b"{}"),
        exchange("POST", spot, "/q", headers=[("Content-Type", "text/xml")],
                 body=f"<Request><RequestType>Login</RequestType><Password>{c['xml_password']}</Password></Request>".encode(),
                 response=b"<ok/>"),
        exchange("POST", spot, "/q",
                 body=f'{{"RequestType": "GetToken", "SecurityID": "{c["invalid_json_secret"]}",}}'.encode(),
                 response=b"{}"),
        exchange("POST", "api.example.com", "/v1/profile", response=brotli.compress(json.dumps(
            {"profile": {"email": c["brotli_email"]}}).encode()),
            response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "br")]),
        exchange("POST", "api.example.com", "/v1/keys",
                 body=zlib.compress(json.dumps({"client_secret": c["deflate_key"]}).encode()),
                 headers=[("Content-Type", "application/json"), ("Content-Encoding", "deflate")], response=b"{}"),
        exchange("POST", "xgl.example.com", "/api/xgl", headers=[("Content-Type", "application/json"),
                                                                  ("x-company-id", "c1")],
                 body=json.dumps({"outHTTP": {"body": {"action_type": "identifyCustomers",
                                                       "customer_id": c["lookup_phone"]}}}).encode(),
                 response=json.dumps({"customers": [{"information": {"phone": c["lookup_phone"]}}]}).encode()),
        exchange("POST", spot, "/f", body=json.dumps({"RequestType": "FindCustomer", "Parameters": {
            "Search": c["lookup_name"], "StoreNumber": int(c["lookup_number"])}}).encode(),
                 response=json.dumps({"Failed": False, "ReturnObject": [
                     {"LastName": c["lookup_name"], "Phone": c["lookup_number"]}]}).encode()),
        exchange("POST", "api.example.com", "/v1/session",
                 query="state=" + base64.urlsafe_b64encode(json.dumps(
                     [{"access_token": c["b64_query_token"]}]).encode()).decode(),
                 headers=[("Content-Type", "application/json"), ("X-Context", base64.b64encode(json.dumps(
                     {"card": c["b64_header_card"]}, indent=1).encode()).decode())],
                 body=json.dumps({"data": base64.b64encode(json.dumps(
                     {"user": "bob", "password": c["b64_body_password"]}).encode()).decode()}).encode(),
                 response=b'{"ok": true}'),
        exchange("POST", "api.example.com", "/v1/upload", headers=[("Content-Type", "application/octet-stream")],
                 body=b"\x00\xff\xfe binary " + c["binary_card"].encode() + b" \x80\x81", response=b"{}"),
    ]


def text_columns(table: pa.Table) -> list[str]:
    return [f.name for f in table.schema if not pat.is_timestamp(f.type) and not pat.is_integer(f.type)
            and not pat.is_floating(f.type) and not pat.is_boolean(f.type)]


def test_no_canary_reaches_the_disk_the_database_or_the_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    canaries = fresh_canaries()
    red = redactor()
    with CassetteWriter(tmp_path / "c", compression="none") as writer:
        for raw in planted(canaries):
            writer.append(capture_keyed(raw, red))  # with the match key replay looks it up by
    files = [p for p in (tmp_path / "c").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        assert leaks(path.read_bytes(), canaries) == [], path
    glob = f"{tmp_path}/c/**/*.parquet"
    con = duckdb.connect()
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()]
    for column in columns:
        values = con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM read_parquet(\'{glob}\')').fetchall()
        blob = "\n".join(str(v[0]) for v in values).encode()
        assert leaks(blob, canaries) == [], column
    assert leaks(caplog.text.encode(), canaries) == []


def test_the_canaries_are_really_planted():
    """Without redaction, every canary would be found: the scan is not vacuous."""
    canaries = fresh_canaries()
    blob = b"\n".join((raw.request.path + raw.request.query + str(raw.request.headers)).encode()
                      + (raw.request.body or b"") + (raw.response.body or b"") + str(raw.response.headers).encode()
                      for raw in planted(canaries))
    found = set(leaks(blob, canaries))
    # compressed bodies hide their canaries from a byte scan; everything else is in clear
    assert found >= set(canaries) - {"gzip_session", "brotli_email", "deflate_key", "employee_name"}


# -- property tests: canaries at random depths ---------------------------------------------

SECRET_NAMES = ["SecurityID", "SessionID", "Password", "x-api-key", "api_key", "access_token", "client_secret",
                "card_number", "email", "phone", "first_name", "birth_date", "cvv", "pin", "Authorization"]
neutral_keys = st.sampled_from(["data", "items", "order", "meta", "outHTTP", "body", "customer", "list", "x"])
leaf = st.one_of(st.integers(-1000, 1000), st.booleans(), st.none(), st.text(max_size=12))


@st.composite
def document_with_canary(draw):
    canary_kind = draw(st.sampled_from(["named", "card", "jwt"]))
    canary = {"named": token("CAN-"), "card": card_number(), "jwt": jwt()}[canary_kind]
    depth = draw(st.integers(0, 8))
    key = draw(st.sampled_from(SECRET_NAMES)) if canary_kind == "named" else draw(neutral_keys)
    node: object = {key: canary}
    for _ in range(depth):
        siblings = draw(st.dictionaries(neutral_keys, leaf, max_size=3))
        if draw(st.booleans()):
            node = [draw(leaf), node]
        siblings[draw(neutral_keys) + "_"] = node
        node = siblings
    return canary, node


@settings(max_examples=int(__import__("os").environ.get("TILLROLL_CANARY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document_with_canary(), st.sampled_from(["request", "response"]),
       st.sampled_from(["api.mydrycleaner.com", "api.spoonity.com", "xgl.example.com", "api.example.com"]),
       st.sampled_from([None, "gzip", "br"]))
def test_a_canary_at_any_depth_never_survives(doc_and_canary, side, host, coding):
    canary, doc = doc_and_canary
    body = json.dumps(doc).encode()
    headers = [("Content-Type", "application/json")]
    if coding:
        body = gzip.compress(body) if coding == "gzip" else brotli.compress(body)
        headers.append(("Content-Encoding", coding))
    if side == "request":
        raw = exchange("POST", host, "/q", body=body, headers=headers, response=b"{}")
    else:
        raw = exchange("POST", host, "/q", body=b"{}", response=body, response_headers=headers)
    ex = capture(raw, redactor())
    batch = to_record_batch([_identified(ex)])
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, SCHEMA) as stream:
        stream.write_batch(batch)
    assert leaks(sink.getvalue().to_pybytes(), {"canary": canary}) == []


def _identified(ex):
    ex.exchange_id, ex.cassette, ex.session_id, ex.seq = "id", "c", "s", 0
    return ex


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate"])
def test_undecodable_compressed_bodies_are_not_stored(coding):
    canary = token("BAD-")
    body = gzip.compress(json.dumps({"password": canary}).encode())
    body = body[:-8] + b"\x00" * 8  # bad CRC and length
    raw = exchange("POST", "api.example.com", "/x", body=body,
                   headers=[("Content-Type", "application/json"), ("Content-Encoding", coding)], response=b"{}")
    ex = capture(raw, redactor())
    assert ex.request_body_text is None and ex.request_body_bytes is None
    assert ex.request_body_size == len(body)
    assert ("request.body", "body.undecodable") in ex.redactions


def test_a_gzip_body_under_a_br_header_is_undecodable_whatever_its_timestamp():
    """Brotli has no magic number: at some gzip timestamps (about one second in eight) the gzip
    bytes read as the start of a brotli stream that yields nothing. That is not a body."""
    for mtime in (1796186352, 1796186353, 0):  # the first two read as such a stream
        body = gzip.compress(json.dumps({"password": "BAD-xxxxxxxxxxxxxxxxxxxxxxxx"}).encode(), mtime=mtime)
        raw = exchange("POST", "api.example.com", "/x", body=body[:-8] + b"\x00" * 8,
                       headers=[("Content-Type", "application/json"), ("Content-Encoding", "br")], response=b"{}")
        ex = capture(raw, redactor())
        assert ex.request_body_text is None and ex.request_body_bytes is None, mtime
        assert ("request.body", "body.undecodable") in ex.redactions

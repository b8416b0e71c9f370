"""The canary suite for the imported formats: secrets planted in the headers, query and
bodies of a vcrpy (YAML, JSON, pre-1.0), Ruby VCR, Betamax and Postman file never reach the
cassette, its database view or the import's output, in any encoding (tests/canaries.py)."""

from __future__ import annotations

import base64
import json
import logging

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from tests.canaries import card_number, email, jwt, leaks, token
from tillroll.cli import main


def fresh() -> dict[str, str]:
    return {"bearer": jwt(), "cookie": token("CK-"), "api_key_header": token("AKH-"), "query_key": token("QK-"),
            "query_token": token("QT-"), "password": token("PW-"), "card": card_number(), "email": email(),
            "access_token": token("AT-"), "customer_email": email(), "set_cookie": token("SC-")}


def parts(c: dict[str, str]) -> dict:
    """One exchange's worth of secrets, in the places every format has."""
    return {
        "uri": f"https://api.example.com/v1/orders?api_key={c['query_key']}&token={c['query_token']}&page=2",
        "request_headers": [("Authorization", f"Bearer {c['bearer']}"), ("Cookie", f"sid={c['cookie']}"),
                            ("X-Api-Key", c["api_key_header"]), ("Content-Type", "application/json")],
        "request_body": json.dumps({"password": c["password"], "card_number": c["card"], "email": c["email"],
                                    "amount": 1250}),
        "response_headers": [("Content-Type", "application/json"), ("Set-Cookie", f"sid={c['set_cookie']}; Path=/"),
                             ("Date", "Fri, 20 Nov 2026 09:00:00 GMT")],
        "response_body": json.dumps({"access_token": c["access_token"], "customer": {"email": c["customer_email"]},
                                     "ok": True}),
    }


def grouped(headers) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in headers:
        out.setdefault(k, []).append(v)
    return out


def vcrpy_yaml(p) -> str:
    return yaml.safe_dump(vcrpy_doc(p), sort_keys=False)


def vcrpy_doc(p) -> dict:
    return {"version": 1, "interactions": [{
        "request": {"body": p["request_body"], "headers": grouped(p["request_headers"]), "method": "POST",
                    "uri": p["uri"]},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": grouped(p["response_headers"]),
                     "body": {"string": p["response_body"]}}}]}


def vcrpy_old_yaml(p) -> str:
    uri = p["uri"].removeprefix("https://api.example.com")
    pairs = "\n".join(f"      - !!python/tuple [{k}, {json.dumps(v)}]" for k, v in p["request_headers"])
    lines = ", ".join(json.dumps(f"{k}: {v}\r\n") for k, v in p["response_headers"])
    return (f"- request: !!python/object:vcr.request.Request\n    body: {json.dumps(p['request_body'])}\n"
            f"    headers: !!python/object/apply:__builtin__.frozenset\n    - \n{pairs}\n"
            f"    host: api.example.com\n    method: POST\n    path: {json.dumps(uri)}\n    port: 443\n"
            f"    protocol: https\n"
            f"  response:\n    body: {{string: !!python/unicode {json.dumps(p['response_body'])}}}\n"
            f"    headers: [{lines}]\n    status: {{code: 200, message: OK}}\n")


def ruby_vcr(p) -> str:
    binary = base64.encodebytes(p["response_body"].encode()).decode()
    doc = {"http_interactions": [{
        "request": {"method": "post", "uri": p["uri"], "body": {"encoding": "UTF-8", "string": p["request_body"]},
                    "headers": grouped(p["request_headers"])},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": grouped(p["response_headers"]),
                     "body": {"encoding": "ASCII-8BIT", "string": "BINARY"}, "http_version": None},
        "recorded_at": "Fri, 20 Nov 2026 09:00:00 GMT"}], "recorded_with": "VCR 6.0.0"}
    text = "---\n" + yaml.safe_dump(doc, sort_keys=False)
    indented = "".join(f"          {line}\n" for line in binary.splitlines())
    return text.replace("string: BINARY\n", "string: !binary |-\n" + indented)  # as Psych writes it


def betamax(p) -> str:
    def b64(text):
        return {"base64_string": base64.b64encode(text.encode()).decode(), "encoding": "utf-8"}
    return json.dumps({"recorded_with": "betamax/0.8.1", "http_interactions": [{
        "recorded_at": "2026-11-20T09:00:00",
        "request": {"method": "POST", "uri": p["uri"], "headers": grouped(p["request_headers"]),
                    "body": b64(p["request_body"])},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": grouped(p["response_headers"]),
                     "body": b64(p["response_body"]), "url": p["uri"]}}]})


def postman(p, c) -> tuple[str, str]:
    """A collection whose auth and query come from variables (environment and collection)."""
    request = {"method": "POST", "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
               "header": [{"key": k, "value": v} for k, v in p["request_headers"] if k != "Authorization"],
               "body": {"mode": "raw", "raw": p["request_body"], "options": {"raw": {"language": "json"}}},
               "url": {"raw": "{{host}}/v1/orders?api_key={{key}}&token=" + c["query_token"],
                       "query": [{"key": "api_key", "value": "{{key}}"}, {"key": "token", "value": c["query_token"]}]}}
    example = {"name": "paid", "originalRequest": request, "code": 200, "status": "OK",
               "header": [{"key": k, "value": v} for k, v in p["response_headers"]], "body": p["response_body"]}
    collection = {"info": {"name": "canary", "schema":
                           "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
                  "variable": [{"key": "key", "value": c["query_key"]}],
                  "item": [{"name": "Orders", "item": [{"name": "pay", "request": request, "response": [example]}]}]}
    environment = {"name": "env", "values": [{"key": "host", "value": "https://api.example.com", "enabled": True},
                                             {"key": "token", "value": c["bearer"], "enabled": True}]}
    return json.dumps(collection), json.dumps(environment)


FORMATS = ["vcrpy-yaml", "vcrpy-json", "vcrpy-old", "ruby-vcr", "betamax", "postman"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_canary_of_an_imported_file_reaches_the_cassette_or_the_output(tmp_path, caplog, fmt):
    caplog.set_level(logging.DEBUG)
    canaries = fresh()
    p = parts(canaries)
    source, extra = tmp_path / f"in-{fmt}", []
    if fmt == "vcrpy-yaml":
        source.write_text(vcrpy_yaml(p))
    elif fmt == "vcrpy-json":
        source.write_text(json.dumps(vcrpy_doc(p)))
    elif fmt == "vcrpy-old":
        source.write_text(vcrpy_old_yaml(p))
    elif fmt == "ruby-vcr":
        source.write_text(ruby_vcr(p))
    elif fmt == "betamax":
        source.write_text(betamax(p))
    else:
        collection, environment = postman(p, canaries)
        source.write_text(collection)
        (tmp_path / "env.json").write_text(environment)
        extra = ["--environment", str(tmp_path / "env.json")]
    key = tmp_path / "key"
    key.write_text("canary-import-key-0123456789abcdef")
    cassette = tmp_path / "c"
    result = CliRunner().invoke(main, ["import", str(source), "--cassette", str(cassette), "--key-file", str(key),
                                       *extra])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 skipped" in result.output
    files = [f for f in cassette.rglob("*") if f.is_file()]
    assert any(f.suffix == ".parquet" for f in files)
    for f in files:
        assert leaks(f.read_bytes(), canaries) == [], f
    glob = f"{cassette}/**/*.parquet"
    con = duckdb.connect()
    row = con.execute(f"SELECT * FROM read_parquet('{glob}')").fetchone()
    assert leaks("\n".join(map(str, row)).encode(), canaries) == []
    assert leaks(result.output.encode(), canaries) == []
    assert leaks(caplog.text.encode(), canaries) == []
    # and the exchange is really there, its non-secret parts intact (the canaries were planted)
    query, body = con.execute(f"SELECT query, request_body_text FROM read_parquet('{glob}')").fetchone()
    assert query.endswith("&page=2") or fmt == "postman"
    assert json.loads(body)["amount"] == 1250


def test_the_canaries_are_in_the_files_before_import():
    """Each builder really plants every canary (else the test above proves nothing)."""
    c = fresh()
    p = parts(c)
    texts = [vcrpy_yaml(p), json.dumps(vcrpy_doc(p)), vcrpy_old_yaml(p), ruby_vcr(p), betamax(p),
             "".join(postman(p, c))]
    for text in texts:
        assert sorted(leaks(text.encode(), c)) == sorted(c), text[:80]


def test_names_a_collection_author_wrote_are_redacted_where_printed_or_stored(tmp_path):
    """Request and folder names are free text: a card or an email in one is redacted in the
    summary (a request without an example is listed by name) and in the stored group."""
    c = {"card": card_number(), "email": email()}
    example = {"name": "ok", "code": 200, "status": "OK", "header": [], "body": "{}",
               "originalRequest": {"method": "GET", "url": "http://127.0.0.1:9/v1/x"}}
    collection = {"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
                  "item": [{"name": f"Refunds for {c['email']}", "item": [
                      {"name": "with example", "request": {"method": "GET", "url": "http://127.0.0.1:9/v1/x"},
                       "response": [example]},
                      {"name": f"card {c['card']}", "request": {"method": "GET", "url": "http://127.0.0.1:9/v1/y"}}]}]}
    source = tmp_path / "named.postman_collection.json"
    source.write_text(json.dumps(collection))
    key = tmp_path / "key"
    key.write_text("canary-import-key-0123456789abcdef")
    result = CliRunner().invoke(main, ["import", str(source), "--cassette", str(tmp_path / "c"), "--key-file", str(key)])
    assert result.exit_code == 0, result.output
    assert "has no saved example" in result.output and leaks(result.output.encode(), c) == []
    for f in (tmp_path / "c").rglob("*.parquet"):
        assert leaks(f.read_bytes(), c) == []
    [api] = duckdb.connect().execute(f"SELECT api FROM read_parquet('{tmp_path}/c/**/*.parquet')").fetchone()
    assert api.startswith("Refunds for tillroll:")  # still there to group by, the address redacted

"""Real Postman collections (Adyen Checkout v71, Wise payouts with its environment): every
saved example is an exchange, requests without one are listed, variables are resolved or
named, folders are queryable, and the examples replay to a real HTTP client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tillroll.replay.app import make_app
from tillroll.replay.server import ReplayServer, open_replayer
from tillroll.store import open_cassette
from .conftest import run_cli, run_import

POSTMAN = Path(__file__).parents[2] / "fixtures" / "interop" / "postman"
ADYEN = POSTMAN / "adyen-CheckoutService-v71.postman_collection.json"
WISE = POSTMAN / "wise-payouts.postman_collection.json"
WISE_ENV = POSTMAN / "wise-payouts-sandbox.postman_environment.json"
requests = pytest.importorskip("requests")


def examples(collection: Path) -> list[tuple[list[str], dict, dict]]:
    """``(folders, item, example)`` of every saved example, read independently of tillroll."""
    out = []

    def walk(items, folders):
        for item in items:
            if "item" in item:
                walk(item["item"], [*folders, item["name"]])
            else:
                out.extend((folders, item, ex) for ex in item.get("response") or [])
    walk(json.loads(collection.read_text())["item"], [])
    return out


def test_every_saved_example_is_an_exchange_and_requests_without_one_are_listed(key_file, tmp_path):
    result = run_import(key_file, tmp_path / "c", ADYEN)
    assert result.exit_code == 0, result.output
    assert "postman, 51 imported, 9 skipped" in result.output
    assert "request 'Payments / /payments / Make a Klarna payment': has no saved example" in result.output
    # variables defined nowhere are named; the ones the collection defines are resolved
    assert "unresolved variables, left as written:" in result.output
    for name in ("{{number}}", "{{expiryMonth}}", "{{$guid}}", ":paymentPspReference"):
        assert name in result.output
    assert "{{baseUrl}}" not in result.output
    assert "Postman examples keep no time: timed 51 at the import time" in result.output
    got = open_cassette(tmp_path / "c").exchanges()
    assert len(got) == 51 and {ex.host for ex in got} == {"checkout-test.adyen.com"}
    assert all(ex.path.startswith("/v71/") for ex in got)
    assert sorted(ex.status for ex in got) == sorted(ex["code"] for _, _, ex in examples(ADYEN))


def test_folders_are_a_queryable_group(key_file, tmp_path):
    run_import(key_file, tmp_path / "c", ADYEN)
    result = run_cli("query", "SELECT api, count(*) AS n FROM exchanges WHERE api LIKE 'Modifications%' "
                 "GROUP BY api ORDER BY api", tmp_path / "c", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["api"]: row["n"] for row in json.loads(result.output)}
    expected: dict[str, int] = {}
    for folders, _, _ in examples(ADYEN):
        if folders[0] == "Modifications":
            expected[" / ".join(folders)] = expected.get(" / ".join(folders), 0) + 1
    assert rows == expected and rows["Modifications / /payments/:paymentPspReference/captures"] == 3


def test_the_environment_resolves_the_host_and_without_it_nothing_is_imported(key_file, tmp_path):
    without = run_import(key_file, tmp_path / "bare", WISE)
    assert without.exit_code == 1  # both examples need {{host}}: nothing could be imported
    assert "every one of its 33 entries was skipped (nothing imported from it)" in without.output
    assert "has a URL whose host is an unresolved variable (pass --environment)" in without.output

    result = run_import(key_file, tmp_path / "c", WISE, extra=["--environment", WISE_ENV])
    assert result.exit_code == 0, result.output
    assert "postman, 2 imported, 31 skipped" in result.output
    assert "timed 2 from the response's Date header" in result.output
    assert "unresolved variables" not in result.output  # {{refresh}}, {{token}}: in the environment, empty
    recipient, token = open_cassette(tmp_path / "c").exchanges()  # in recorded order (their Date headers)
    assert token.url == "https://api.sandbox.transferwise.tech/oauth/token"
    # form data under the declared urlencoded Content-Type, as the token endpoint took it
    assert token.request_content_type == "application/x-www-form-urlencoded"
    assert token.request_body_text.startswith("grant_type=refresh_token&refresh_token=")
    # the example says content-encoding: gzip over a plain body: kept as text, not inflated twice
    assert recipient.response_content_encoding == "gzip"
    assert recipient.response_body_text.startswith('{\n    "id": 14076196')
    assert recipient.api == "2. Transfer Flow / 2. Choose/create recipient / 2c. Create refund recipient"


def test_saved_examples_replay_to_a_real_client(key_file, tmp_path):
    """Each example whose request is unique in the collection answers that request with its
    own saved response (as stored: redacted where it holds PII)."""
    run_import(key_file, tmp_path / "c", ADYEN)
    seen: dict = {}
    for _, item, ex in examples(ADYEN):
        req = ex["originalRequest"]
        key = (req["method"], req["url"]["raw"], (req.get("body") or {}).get("raw"))
        seen.setdefault(key, []).append(ex)
    unique = [exs[0] for exs in seen.values() if len(exs) == 1]
    assert len(unique) >= 25
    variables = {v["key"]: v["value"] for v in json.loads(ADYEN.read_text())["variable"]}
    opened = open_replayer(tmp_path / "c", key_file=key_file)
    replayed = 0
    with ReplayServer(make_app(opened.replayer)) as server, requests.Session() as http:
        for ex in unique:
            req = ex["originalRequest"]
            path = req["url"]["raw"].split("?")[0].replace("{{baseUrl}}", "/v71")
            params = [(q["key"], q["value"]) for q in req["url"].get("query") or [] if not q.get("disabled")]
            body = (req.get("body") or {}).get("raw")
            for name, value in variables.items():  # as Postman sends it: the collection's variables filled in
                body = body.replace("{{%s}}" % name, value) if body else body
            got = http.request(req["method"], server.base_url + path, params=params,
                               data=body.encode() if body else None,
                               headers={"Content-Type": "application/json"}, timeout=10)
            assert got.status_code == ex["code"], (req["method"], path)
            if "tillroll:" not in got.text:  # nothing in it was redacted: the example, byte for byte
                assert got.text == ex["body"]
                replayed += 1
    assert replayed >= 15

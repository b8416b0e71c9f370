"""Spoonity golden tests from the documented requests and responses."""

import json
from urllib.parse import quote

import pytest

from tests.samples import exchange, redactor, sample, stored_text
from tillroll.capture import capture

HOST = "api.spoonity.com"
API_KEY = "3b9f0c2a7d1e4f5a8b6c"
CASES = [  # (sample stem, method, path, operation)
    ("01-order.process", "POST", "/order", "order.process"),
    ("02-gift-card", "POST", "/order", "gift-card"),
    ("03-payment.loyalty", "POST", "/order/payments/loyalty", "payment.loyalty"),
    ("04-order.void", "DELETE", "/order", "order.void"),
]


def spoonity(stem, method, path, response=None, status=200):
    return capture(exchange(method, HOST, path, query=f"api_key={API_KEY}",
                            body=sample(f"spoonity/{stem}-request.json"),
                            response=response or sample(f"spoonity/{stem}-response.json"), status=status),
                   redactor())


@pytest.mark.parametrize("stem,method,path,operation", CASES)
def test_documented_requests_decode_to_their_operation(stem, method, path, operation):
    ex = spoonity(stem, method, path)
    assert (ex.vendor, ex.operation, ex.outcome) == ("spoonity", operation, "ok")
    assert ex.query.startswith("api_key=tillroll:apikey:")
    assert API_KEY not in stored_text(ex)
    assert ("request.query.api_key", "spoonity.secret") in ex.redactions


def test_card_number_as_email_is_pseudonymised_as_an_email():
    ex = spoonity(*CASES[0][:3])
    params = json.loads(ex.params_json)
    assert params["card_number"].startswith("tillroll:email:")
    assert params["receipt_number"] == "BC-PROMO-005"  # an identifier, kept for the void checks
    assert "brandin@spoonity.com" not in stored_text(ex)


def test_card_number_as_a_card_keeps_its_last_four():
    body = json.dumps({"card_number": "6011 0009 9013 9424", "amount": 10}).encode()
    raw = exchange("POST", HOST, "/order/payments/loyalty", query=f"api_key={API_KEY}", body=body,
                   response=b'{"success": true}')
    params = json.loads(capture(raw, redactor()).params_json)
    assert params["card_number"].startswith("tillroll:card:9424:")


def test_the_string_false_is_a_failure_inside_a_200():
    response = json.dumps({"success": "false", "error": {"errors": ["Card not found"], "code": 404}}).encode()
    ex = spoonity(*CASES[0][:3], response=response)
    assert (ex.outcome, ex.outcome_message) == ("failed", "Card not found")


def test_a_void_that_did_not_void_is_a_failure():
    ex = spoonity(*CASES[3][:3], response=b'{"voided": false}')
    assert ex.outcome == "failed"


def test_curl_dash_g_json_in_the_query_is_decoded_and_redacted():
    doc = sample("spoonity/02-gift-card-request.json").decode()
    query = f"api_key={API_KEY}&{quote(doc)}"
    ex = capture(exchange("GET", HOST, "/order", query=query, body=None,
                          response=sample("spoonity/02-gift-card-response.json")), redactor())
    assert (ex.operation, ex.params_encoding) == ("gift-card", "query-json")
    assert json.loads(ex.params_json)["amount"] == 10.0
    assert "brandin" not in stored_text(ex) and API_KEY not in stored_text(ex)


def test_onscreen_close_is_the_session_close_operation():
    raw = exchange("DELETE", HOST, "/onscreen_close", query=f"api_key={API_KEY}", body=None,
                   response=b'{"success": true}')
    ex = capture(raw, redactor())
    assert (ex.vendor, ex.operation, ex.outcome) == ("spoonity", "session.close", "ok")
    assert API_KEY not in stored_text(ex)


def test_the_error_reference_id_is_kept_in_the_outcome_message():
    response = json.dumps({"success": False, "error": {"errors": ["Insufficient funds"], "code": 402,
                                                       "reference_id": "a1b2-c3"}}).encode()
    ex = spoonity(*CASES[1][:3], response=response)
    assert (ex.outcome, ex.outcome_message) == ("failed", "Insufficient funds (reference_id a1b2-c3)")


def test_without_errors_the_code_and_reference_id_explain_the_failure():
    response = json.dumps({"voided": "false", "error": {"errors": [], "code": 409, "reference_id": 77}}).encode()
    ex = spoonity(*CASES[3][:3], response=response)
    assert (ex.outcome, ex.outcome_message) == ("failed", "409 (reference_id 77)")

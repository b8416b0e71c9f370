"""XGL golden tests from every documented sample, including the invalid-JSON ones."""

import json

import pytest

from tests.samples import SAMPLES, exchange, redactor, sample, stored_text
from tillroll.capture import capture

MANIFEST = json.loads((SAMPLES / "manifest.json").read_text())
PAIRS = sorted({e["file"].rsplit("-", 1)[0] for e in MANIFEST if e["vendor"] == "xgl"})
HEADERS = [("Content-Type", "application/json"), ("x-company-id", "5f8a1c"), ("x-site-ids", "5f8a1d")]


def xgl_exchange(stem: str, path: str = "/api/xgl"):
    req = next(SAMPLES.glob(f"{stem}-request.*"))
    resp = next(SAMPLES.glob(f"{stem}-response.*"))
    return capture(exchange("POST", "xgl.example.com", path, body=req.read_bytes(), headers=HEADERS,
                            response=resp.read_bytes()), redactor())


def operation_of(stem: str) -> str:
    return stem.split("/")[-1].split("-", 1)[1]


@pytest.mark.parametrize("stem", PAIRS)
def test_every_sample_decodes_to_its_operation(stem):
    ex = xgl_exchange(f"xgl/{stem.split('/')[-1]}")
    op = operation_of(stem)
    assert ex.vendor == "xgl"
    if op == "redeemBalance":  # the documented "request" is a copy of the response: no action_type
        assert ex.operation is None
    else:
        assert ex.operation == op
    # the balance samples decline part of what was asked inside an authorised answer
    assert ex.outcome == ("partial" if op in ("redeemBalance", "reverseBalance") else "ok")


def test_outhttp_envelope_and_bare_body_give_the_same_operation():
    enveloped = xgl_exchange("xgl/01-identifyCustomers")
    assert (enveloped.params_encoding, enveloped.operation) == ("outHTTP", "identifyCustomers")
    bare = xgl_exchange("xgl/06-addCustomer")
    assert (bare.params_encoding, bare.operation) == ("json", "addCustomer")


def test_customer_pii_and_card_numbers_are_pseudonymised():
    ex = xgl_exchange("xgl/01-identifyCustomers")
    body = json.loads(ex.response_body_text)
    info = body["customers"][0]["information"]
    for field in ("email", "first_name", "last_name", "phone"):
        assert info[field].startswith("tillroll:"), field
    card = body["customers"][0]["cards"][0]["card_number"]
    assert card.startswith("tillroll:card:9999:")  # last four kept (PCI DSS 3.4)
    text = stored_text(ex)
    for value in ("john.doe@123company.com", "1111111111", '"John"', '"Doe"'):
        assert value not in text
    assert ("response.body.customers[0].information.email", "xgl.pii") in ex.redactions


def test_identifiers_stay_in_clear_and_the_outcome_is_read_from_merchant_data():
    ex = xgl_exchange("xgl/01-identifyCustomers")
    assert ("x-company-id", "5f8a1c") in ex.request_headers
    assert json.loads(ex.params_json)["transaction_token"] == "9999999999"
    assert ex.outcome == "ok"


def test_a_declined_response_is_a_failure_inside_a_200():
    body = json.dumps({"merchant_data": {"response_name": "declined", "response_code": 402,
                                         "response_message": "Insufficient points"}}).encode()
    raw = exchange("POST", "xgl.example.com", "/api/xgl", headers=HEADERS,
                   body=b'{"action_type": "redeemReward"}', response=body)
    ex = capture(raw, redactor())
    assert (ex.status, ex.outcome, ex.outcome_message) == (200, "failed", "Insufficient points")


def test_the_missing_brace_response_is_stored_verbatim_but_redacted():
    ex = xgl_exchange("xgl/04-submitOrder")
    original = sample("xgl/04-submitOrder-response.txt").decode()
    assert ex.response_body_text is not None
    assert ex.response_body_text.count("\n") == original.count("\n")  # not re-serialised


def test_raw_newlines_in_strings_still_decode_and_the_pii_in_them_is_redacted():
    ex = xgl_exchange("xgl/05-voidOrder", path="/prod/loyalty-services/CustomLoyaltyAdapter")
    assert (ex.vendor, ex.operation) == ("xgl", "voidOrder")
    original = sample("xgl/05-voidOrder-request.txt").decode()
    assert "7007 SeaWorld Dr" in original and '"name": "John Doe"' in original
    stored = stored_text(ex)
    # a customer address in a string with an escaped and a raw line break: all of it goes
    assert "SeaWorld Dr" not in stored and "Orlando, Florida" not in stored
    assert "John Doe" not in stored  # employee names are people's names
    assert '"name": "Discount 30%"' in ex.request_body_text  # product and discount names are not
    # the site's coordinates (PII) go whole: not only their opening bracket
    body = ex.request_body_text
    assert "-81.4619" not in body and "28.41115" not in body and '"coordinates": tillroll:' in body
    assert body[body.index('"coordinates": tillroll:'):].split("\n", 1)[0].endswith(",")


def test_the_unrepairable_response_is_kept_only_as_safe_text():
    ex = xgl_exchange("xgl/05-voidOrder", path="/prod/loyalty-services/CustomLoyaltyAdapter")
    # either stored with its named fields redacted, or dropped with the reason recorded
    if ex.response_body_text is None:
        assert ("response.body", "body.unparseable-with-secret") in ex.redactions
    else:
        assert "tillroll:" in ex.response_body_text or "card_number" not in ex.response_body_text


def test_a_decline_inside_an_authorised_answer_is_partial_with_its_code_and_message():
    for stem in ("xgl/08-redeemBalance", "xgl/09-reverseBalance"):
        ex = xgl_exchange(stem)
        assert (ex.status, ex.outcome, ex.outcome_message) == (200, "partial", "insufficient balance: Invalid"), stem


def test_a_declined_reward_under_rewards_data_is_partial_and_an_empty_list_is_not():
    def answer(declined):
        body = {"merchant_data": {"response_name": "success"},
                "rewards_data": {"redeemed_rewards": [{"reward_id": "12", "transaction_id": "99"}],
                                 "declined_rewards": declined}}
        raw = exchange("POST", "xgl.example.com", "/api/xgl", headers=HEADERS,
                       body=b'{"action_type": "redeemReward"}', response=json.dumps(body).encode())
        return capture(raw, redactor())

    declined = answer([{"reward_id": "13", "error": {"error_code": "not_qualified", "error_message": "Not enough points"}}])
    assert (declined.outcome, declined.outcome_message) == ("partial", "not_qualified: Not enough points")
    assert (answer([]).outcome, answer([]).outcome_message) == ("ok", None)


def test_a_refused_request_stays_failed_even_with_declined_entries():
    body = {"merchant_data": {"response_name": "declined", "response_code": 402, "response_message": "Not enough points"},
            "declined_balance": [{"error": {"error_code": "insufficient balance", "error_message": "Invalid"}}]}
    raw = exchange("POST", "xgl.example.com", "/api/xgl", headers=HEADERS,
                   body=b'{"action_type": "redeemBalance"}', response=json.dumps(body).encode())
    ex = capture(raw, redactor())
    assert (ex.outcome, ex.outcome_message) == ("failed", "Not enough points")


def test_the_envelope_headers_host_method_and_path_reach_the_params():
    ex = xgl_exchange("xgl/05-voidOrder", path="/prod/loyalty-services/CustomLoyaltyAdapter")
    envelope = json.loads(ex.params_json)["outHTTP"]
    assert envelope["headers"]["x-company-id"] == "62ea9f6ed4770e287c3ab373"
    assert envelope["headers"]["x-site-ids"] == "6463a0683d01ab9b50c90d73"
    assert (envelope["host"], envelope["method"], envelope["path"]) == (
        "gft2x6jqx5.execute-api.us-east-1.amazonaws.com", "POST", "/prod/loyalty-services/CustomLoyaltyAdapter")
    assert "body" not in envelope  # the body is the params themselves, not a copy
    assert json.loads(ex.params_json)["action_type"] == "voidOrder"


def test_envelope_header_names_are_lower_cased_and_a_bare_body_has_no_envelope():
    doc = {"outHTTP": {"body": {"action_type": "identifyCustomers"}, "headers": {"X-Company-Id": "62ea", "X-Site-Ids": "6463"},
                       "method": "POST", "path": "/api/xgl"}}
    ex = capture(exchange("POST", "xgl.example.com", "/api/xgl", body=json.dumps(doc).encode(),
                          headers=[("Content-Type", "application/json")], response=b"{}"), redactor())
    assert json.loads(ex.params_json)["outHTTP"]["headers"] == {"x-company-id": "62ea", "x-site-ids": "6463"}
    assert "outHTTP" not in json.loads(xgl_exchange("xgl/06-addCustomer").params_json)


def test_who_printed_the_receipt_and_the_site_coordinates_are_pii():
    doc = {"outHTTP": {"body": {
        "action_type": "voidOrder",
        "configuration": {"location": {"geo": {"coordinates": [-81.46193670000001, 28.411152], "type": "Point"}}},
        "order": {"_id": "7bd53c69", "print_info": [{"print_type": "customer", "printed_by": "Jane Roe",
                                                     "user_id": "6318df61d05afd2443425b6a"}]}},
        "headers": {"x-company-id": "62ea", "x-site-ids": "6463"}, "method": "POST", "path": "/api/xgl"}}
    ex = capture(exchange("POST", "xgl.example.com", "/api/xgl", body=json.dumps(doc).encode(),
                          headers=[("Content-Type", "application/json")], response=b"{}"), redactor())
    text = stored_text(ex)
    for value in ("Jane Roe", "81.4619367", "28.411152"):
        assert value not in text, value
    body = json.loads(ex.request_body_text)["outHTTP"]["body"]
    assert body["order"]["print_info"][0]["printed_by"].startswith("tillroll:")
    assert all(c.startswith("tillroll:") for c in body["configuration"]["location"]["geo"]["coordinates"])
    assert body["configuration"]["location"]["geo"]["type"] == "Point"
    assert body["order"]["print_info"][0]["user_id"] == "6318df61d05afd2443425b6a"
    assert ("request.body.outHTTP.body.order.print_info[0].printed_by", "xgl.pii") in ex.redactions


def test_the_sample_void_order_loses_its_printer_name_and_coordinates():
    ex = xgl_exchange("xgl/05-voidOrder", path="/prod/loyalty-services/CustomLoyaltyAdapter")
    text = stored_text(ex)
    assert "-81.46193670000001" not in text and "28.411152" not in text


def test_an_envelope_without_action_type_is_still_xgl():
    doc = {"outHTTP": {"body": {"transaction_token": "3257374927"}, "headers": {}, "method": "POST",
                       "path": "/prod/loyalty-services/CustomLoyaltyAdapter"}}
    ex = capture(exchange("POST", "gft2x6jqx5.execute-api.us-east-1.amazonaws.com",
                          "/prod/loyalty-services/CustomLoyaltyAdapter", body=json.dumps(doc).encode(),
                          headers=[("Content-Type", "application/json")], response=b"{}"), redactor())
    assert (ex.vendor, ex.operation, ex.params_encoding) == ("xgl", None, "outHTTP")

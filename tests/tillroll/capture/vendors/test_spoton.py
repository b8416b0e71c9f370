"""SpotOn POS export golden tests from the documented routes and responses."""

import json

import pytest

from tests.samples import exchange, redactor, sample, sample_json, stored_text
from tillroll.capture import capture

HOST = "restaurantapi-qa.spoton.com"
KEY = "sk_live_51Hc8dXyZ0123456789"


@pytest.mark.parametrize("endpoint", sample_json("spoton/endpoints.json"))
def test_documented_routes_give_resource_action_and_template(endpoint):
    path = endpoint["path"].replace(":locationId", "LocationX").replace(":cashDepositId", "cd1") \
        .replace(":paidInOutId", "pio1")
    raw = exchange("GET", HOST, path, query=endpoint["query"] or "", headers=[("x-api-key", KEY)],
                   response=b"[]")
    ex = capture(raw, redactor())
    resource = endpoint["path"].split("/")[5]
    action = "get" if endpoint["path"].count("/") == 6 else "list"
    assert (ex.vendor, ex.api, ex.operation) == ("spoton", "posexport", f"{resource}.{action}")
    assert ex.path_template == endpoint["path"].replace(":locationId", "{locationId}") \
        .replace(":cashDepositId", "{cashDepositId}").replace(":paidInOutId", "{paidInOutId}")
    params = json.loads(ex.params_json)
    assert params["locationId"] == "LocationX"
    assert ex.request_headers == [("x-api-key", ex.request_headers[0][1])]
    assert ex.request_headers[0][1].startswith("tillroll:xapikey:") and KEY not in stored_text(ex)


def test_window_parameters_are_queryable():
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/cash-deposits",
                   query="updatedAtStart=2020-02-28T00:00:00Z&updatedAtEnd=2020-02-28T22:20:00Z",
                   headers=[("x-api-key", KEY)], response=sample("spoton/01-cash-deposits-response.json"))
    params = json.loads(capture(raw, redactor()).params_json)
    assert params == {"locationId": "L1", "updatedAtStart": "2020-02-28T00:00:00Z",
                      "updatedAtEnd": "2020-02-28T22:20:00Z"}


def test_response_bodies_keep_their_formatting_when_nothing_is_redacted():
    body = sample("spoton/01-cash-deposits-response.json")
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/cash-deposits", response=body,
                   headers=[("x-api-key", KEY)])
    assert capture(raw, redactor()).response_body_text.encode() == body


def test_employee_names_in_paid_in_outs_are_pii():
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/paid-in-outs", headers=[("x-api-key", KEY)],
                   response=sample("spoton/02-paid-in-outs-response.json"))
    ex = capture(raw, redactor())
    row = json.loads(ex.response_body_text)[0]
    assert row["employeeName"].startswith("tillroll:employeename:") and row["employeeId"] == "abc12345"
    assert "Sandy Smith" not in stored_text(ex)


def test_a_400_is_an_error_with_the_vendor_message():
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/cash-deposits", status=400,
                   headers=[("x-api-key", KEY)],
                   response=b'{"message": "The duration of the date range cannot exceed 7 days."}')
    ex = capture(raw, redactor())
    assert (ex.outcome, ex.outcome_message) == ("error", "The duration of the date range cannot exceed 7 days.")


def test_recognised_behind_a_reverse_proxy_prefix():
    raw = exchange("GET", "127.0.0.1", "/spoton/posexport/v1/locations/L9/paid-in-outs/p1",
                   headers=[("x-api-key", KEY)], response=b"{}")
    ex = capture(raw, redactor())
    assert (ex.vendor, ex.operation) == ("spoton", "paid-in-outs.get")
    assert ex.path_template == "/spoton/posexport/v1/locations/{locationId}/paid-in-outs/{paidInOutId}"


def test_window_values_are_kept_verbatim_even_when_malformed():
    # the checks judge the documented format (RFC 3339 w/o milliseconds) on the text as sent
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/paid-in-outs",
                   query="createdAtStart=2020-02-28T00:00:00.000Z&createdAtEnd=yesterday",
                   headers=[("x-api-key", KEY)], response=b"[]")
    params = json.loads(capture(raw, redactor()).params_json)
    assert params == {"locationId": "L1", "createdAtStart": "2020-02-28T00:00:00.000Z", "createdAtEnd": "yesterday"}


def test_paid_in_out_void_and_delete_flags_are_stored_as_sent():
    # the spoton view counts them (voided_items, deleted_items) for the 3-day re-pull rule
    body = json.dumps([{"id": "a1", "locationId": "L1", "deleted": False, "voided": True, "amount": "5.2",
                        "employeeId": "e1", "employeeName": "Sandy Smith", "createdAt": "2020-01-31T11:15:42Z",
                        "kind": "OUT", "reason": "Supplies", "notes": "lemons"}]).encode()
    raw = exchange("GET", HOST, "/posexport/v1/locations/L1/paid-in-outs", headers=[("x-api-key", KEY)],
                   response=body)
    [row] = json.loads(capture(raw, redactor()).response_body_text)
    assert (row["voided"], row["deleted"], row["kind"]) == (True, False, "OUT")

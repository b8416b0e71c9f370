"""SPOT golden tests, from the documentation's example environment and error table."""

import base64
import json

import pytest

from tests.samples import exchange, redactor, sample, sample_json, stored_text
from tillroll.capture import capture

ENV = sample_json("spot/environment.json")
HOST = "api.mydrycleaner.com"


def spot_request(body: dict, path: str = "/q", host: str = HOST, response: dict | None = None, status=200):
    resp = json.dumps(response if response is not None else {"Failed": False, "ReturnObject": {}}).encode()
    return exchange("POST", host, path, body=json.dumps(body).encode(), response=resp, status=status)


def test_get_token_redacts_the_security_id_and_the_returned_session():
    raw = spot_request(
        {"RequestType": "GetToken", "AccountKey": ENV["AccountKey"], "SecurityID": ENV["SecurityID"],
         "UserAgent": "POS 4.2"},
        response={"Failed": False, "Message": None, "ReturnObject": {"SessionID": ENV["SessionID"]}},
    )
    ex = capture(raw, redactor())
    assert (ex.vendor, ex.api, ex.operation, ex.outcome) == ("spot", "CustomerConnect", "GetToken", "ok")
    assert ex.path_template == "/q"
    body = json.loads(ex.request_body_text)
    assert body["AccountKey"] == "ABCD1234"  # an identifier, visible by design
    assert body["SecurityID"].startswith("tillroll:securityid:")
    assert json.loads(ex.response_body_text)["ReturnObject"]["SessionID"].startswith("tillroll:sessionid:")
    assert ("request.body.SecurityID", "spot.secret") in ex.redactions
    assert ("response.body.ReturnObject.SessionID", "spot.secret") in ex.redactions
    text = stored_text(ex)
    assert ENV["SecurityID"] not in text and ENV["SessionID"] not in text


def test_login_drops_the_password_and_pseudonymises_the_user_name():
    raw = spot_request({"RequestType": "Login", "AccountKey": "ABCD1234", "SessionID": ENV["SessionID"],
                        "Parameters": {"UserName": ENV["UserName"], "Password": ENV["Password"]}})
    ex = capture(raw, redactor())
    params = json.loads(ex.params_json)
    assert ex.operation == "Login" and ex.params_encoding == "Parameters"
    assert params["Password"] == "tillroll:dropped"
    assert params["UserName"].startswith("tillroll:username:")
    assert ENV["Password"] not in stored_text(ex) and ENV["UserName"] not in stored_text(ex)


def test_the_legacy_base64_body_is_decoded_redacted_and_re_encoded():
    inner = json.loads(sample("spot/body-decoded.json"))
    inner["Password"] = ENV["Password"]
    body = base64.b64encode(json.dumps(inner).encode()).decode()
    ex = capture(spot_request({"RequestType": "LockerDropOff", "AccountKey": "ABCD1234",
                               "SessionID": ENV["SessionID"], "Body": body}, path="/r"), redactor())
    assert (ex.api, ex.operation, ex.params_encoding) == ("External Order Data", "LockerDropOff", "Body")
    params = json.loads(ex.params_json)
    assert params["EventType"] == "P" and params["LockerID"] == inner["LockerID"]
    assert params["Password"] == "tillroll:dropped"
    stored_inner = json.loads(base64.b64decode(json.loads(ex.request_body_text)["Body"]))
    assert stored_inner["Password"] == "tillroll:dropped"  # the wire body is safe too
    assert ("request.body.Body(base64).Password", "spot.drop") in ex.redactions


def test_the_documented_body_sample_decodes_to_its_parameters():
    ex = capture(spot_request({"RequestType": "X", "AccountKey": "A", "Body": ENV["Body"]}), redactor())
    assert json.loads(ex.params_json) == sample_json("spot/body-decoded.json")


@pytest.mark.parametrize("form", ["Parameters", "Params", "Body"])
def test_the_same_parameters_decode_alike_whatever_their_form(form):
    params = {"CustomerID": "C42", "StartDate": "2026-11-01"}
    value = base64.b64encode(json.dumps(params).encode()).decode() if form == "Body" else params
    ex = capture(spot_request({"RequestType": "GetInvoices", "AccountKey": "A", form: value}), redactor())
    assert json.loads(ex.params_json) == params and ex.params_encoding == form


def test_invalid_base64_body_is_recorded_not_fatal():
    ex = capture(spot_request({"RequestType": "X", "AccountKey": "A", "Body": "%%%not-base64"}), redactor())
    assert ex.operation == "X" and ex.params_encoding == "Body"
    assert json.loads(ex.params_json) == {"Body": "%%%not-base64"}


@pytest.mark.parametrize("error", sample_json("spot/errors.json"))
def test_documented_errors_are_failures_with_their_message(error):
    response = {"Failed": True, "Message": error["message"], "MessageDetails": None, "ReturnObject": None}
    ex = capture(spot_request({"RequestType": "GetCustomer", "AccountKey": "A"}, response=response,
                              status=error["http"]), redactor())
    assert ex.outcome == "error" and ex.outcome_message == error["message"]


def test_a_200_with_failed_true_is_a_hidden_failure():
    response = {"Failed": True, "Message": "Unable to load account.", "ReturnObject": None}
    ex = capture(spot_request({"RequestType": "GetCustomer", "AccountKey": "A"}, response=response), redactor())
    assert (ex.status, ex.outcome, ex.outcome_message) == (200, "failed", "Unable to load account.")


def test_get_actions_carry_parameters_in_the_query():
    raw = exchange("GET", HOST, "/g", query=f"RequestType=GetStoreList&AccountKey=ABCD1234&SessionID={ENV['SessionID']}&ID=7",
                   body=None, response=b'{"Failed": false}')
    ex = capture(raw, redactor())
    assert (ex.api, ex.operation, ex.params_encoding) == ("CustomerConnect GET", "GetStoreList", "query")
    assert json.loads(ex.params_json) == {"ID": "7"}
    assert ENV["SessionID"] not in ex.query and "SessionID=tillroll:sessionid:" in ex.query


def test_recognised_behind_a_reverse_proxy_base_url_and_renamed_host():
    ex = capture(spot_request({"RequestType": "GetToken", "AccountKey": "A", "SecurityID": "S3CR3T-VALUE-1"},
                              host="127.0.0.1", path="/spot-proxy/q"), redactor())
    assert (ex.vendor, ex.operation) == ("spot", "GetToken")
    assert "S3CR3T-VALUE-1" not in stored_text(ex)


def test_deprecated_xml_requests_are_recognised_and_redacted():
    xml = (f"<Request><RequestType>GetToken</RequestType><AccountKey>ABCD1234</AccountKey>"
           f"<SecurityID>{ENV['SecurityID']}</SecurityID></Request>").encode()
    raw = exchange("POST", HOST, "/q", body=xml, headers=[("Content-Type", "text/xml")], response=b"<ok/>")
    ex = capture(raw, redactor())
    assert (ex.vendor, ex.operation, ex.params_encoding) == ("spot", "GetToken", "xml")
    assert ENV["SecurityID"] not in stored_text(ex) and "<AccountKey>ABCD1234</AccountKey>" in ex.request_body_text


def test_message_details_of_a_server_error_follow_the_message():
    response = {"Failed": True, "Message": "Unable to load account.",
                "MessageDetails": "No account has the AccountKey 'NOSUCHACCOUNT'.", "ReturnObject": None}
    ex = capture(spot_request({"RequestType": "GetToken", "AccountKey": "NOSUCHACCOUNT"}, response=response,
                              status=500), redactor())
    assert (ex.outcome, ex.outcome_message) == \
        ("error", "Unable to load account. (No account has the AccountKey 'NOSUCHACCOUNT'.)")


def test_a_401_without_a_message_says_what_the_docs_say_it_means():
    raw = exchange("POST", HOST, "/q", body=json.dumps({"RequestType": "GetCustomer", "AccountKey": "A"}).encode(),
                   response=b"", status=401)
    ex = capture(raw, redactor())
    assert ex.outcome == "error"
    assert ex.outcome_message == ("HTTP 401: Unauthorized - Attempting to use a function that requires a logged in "
                                  "customer (Login first)")


def test_a_401_with_the_vendors_message_keeps_the_vendors_words():
    response = {"Failed": True, "Message": "GetCustomer requires a logged-in customer.", "MessageDetails": None}
    ex = capture(spot_request({"RequestType": "GetCustomer", "AccountKey": "A"}, response=response, status=401),
                 redactor())
    assert (ex.outcome, ex.outcome_message) == ("error", "GetCustomer requires a logged-in customer.")


def test_a_secret_quoted_in_message_details_is_not_stored():
    response = {"Failed": True, "Message": "Unexpected error",
                "MessageDetails": f"SessionID {ENV['SessionID']} could not be read", "ReturnObject": None}
    ex = capture(spot_request({"RequestType": "GetCustomer", "AccountKey": "A", "SessionID": ENV["SessionID"]},
                              response=response, status=500), redactor())
    assert ex.outcome_message.startswith("Unexpected error (SessionID ")
    assert ENV["SessionID"] not in stored_text(ex)


def test_a_long_stack_trace_in_message_details_is_cut_to_500_characters():
    response = {"Failed": True, "Message": "Unexpected error", "MessageDetails": "   at Spot.Api." * 200}
    ex = capture(spot_request({"RequestType": "GetCustomer", "AccountKey": "A"}, response=response, status=500),
                 redactor())
    assert ex.outcome_message.startswith("Unexpected error (   at Spot.Api.") and len(ex.outcome_message) == 500

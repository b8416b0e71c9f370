"""Any other API: secrets by name and by shape, operations by path template."""

import json

from tests.samples import exchange, redactor, stored_text
from tillroll.capture import capture

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def test_unknown_api_gets_a_templated_operation_and_its_secrets_redacted():
    body = json.dumps({"user": {"password": "pa55word!", "profile": {"notes": f"token is {JWT}"}},
                       "payment": {"cvv": "123", "pan": "4012888888881881"}}).encode()
    raw = exchange("POST", "api.example.com", "/v2/orders/123456/pay", body=body,
                   headers=[("Authorization", f"Bearer {JWT}"), ("Cookie", "sid=abcdef123456; theme=dark"),
                            ("Content-Type", "application/json")],
                   response=b'{"ok": true}', response_headers=[("Set-Cookie", "sid=zzzzzz999999; Path=/")])
    ex = capture(raw, redactor())
    assert (ex.vendor, ex.operation, ex.path_template) == ("generic", "POST /v2/orders/{id}/pay", "/v2/orders/{id}/pay")
    stored = stored_text(ex)
    for secret in (JWT, "pa55word!", "abcdef123456", "zzzzzz999999", "4012888888881881"):
        assert secret not in stored
    assert '"cvv": "tillroll:dropped"' in ex.request_body_text
    assert "tillroll:card:1881:" in ex.request_body_text
    headers = dict(ex.request_headers)
    assert headers["Authorization"].startswith("Bearer tillroll:authorization:")
    assert headers["Cookie"].startswith("sid=tillroll:cookie:") and "theme=tillroll:cookie:" in headers["Cookie"]


def test_a_connection_error_is_an_exchange_too():
    raw = exchange("GET", "api.example.com", "/health", status=None, error="connection refused")
    ex = capture(raw, redactor())
    assert (ex.status, ex.outcome, ex.outcome_message) == (None, "error", "connection refused")


def test_a_secret_in_the_path_leaves_no_trace_in_the_template_or_the_operation():
    raw = exchange("GET", "api.example.com", f"/v1/sessions/{JWT}/refresh", response=b"{}")
    ex = capture(raw, redactor())
    for column in (ex.path, ex.path_template, ex.operation):
        assert JWT not in column, column
    assert ex.path_template.startswith("/v1/sessions/tillroll:jwt:")

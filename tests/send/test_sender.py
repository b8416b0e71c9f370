"""What `send` keeps of a live exchange: the capture pipeline's record, failed closed on the
secrets it was given (a secret in a field the pipeline keeps in clear is replaced anyway)."""

from __future__ import annotations

from tillroll.send.secrets import Secrets
from tillroll.send.sender import capture_live
from tests.samples import exchange, redactor


def test_a_secret_in_a_field_the_pipeline_keeps_is_replaced_wherever_it_is_left():
    secret = "R-7c1e55aa90"  # given as a secret, but spoonity keeps "receipt" in clear
    raw = exchange("DELETE", "api.spoonity.com", "/order", query=f"receipt={secret}",
                   body=f'{{"receipt": "{secret}"}}'.encode(),
                   response=f'{{"voided": false, "error": {{"errors": ["no order {secret}"]}}}}'.encode(),
                   response_headers=[("Content-Type", "application/json"), ("X-Echo", secret)])
    r = redactor()
    ex = capture_live(raw, r, Secrets({"receipt": secret}), 1 << 20)
    stored = [ex.query, ex.request_body_text, ex.response_body_text, ex.params_json, ex.outcome_message,
              ex.match_key, *(v for _, v in ex.response_headers)]
    assert not any(secret in (text or "") for text in stored)
    assert r.pseudonym("secret", secret) in ex.request_body_text
    assert ("request_body_text", "send.secret") in ex.redactions
    assert ex.outcome == "failed"  # the record is still the vendor's answer, understood


def test_a_transport_error_is_kept_without_request_data_or_secrets():
    secret = "tok-5d21e8b4aa"
    raw = exchange("GET", "api.spoonity.com", "/order", query=f"api_key={secret}", status=None,
                   error=f"Cannot connect to host api.spoonity.com:443 for http://api.spoonity.com/order?api_key={secret}"
                         f" [{secret}]")
    ex = capture_live(raw, redactor(), Secrets({"api_key": secret}), 1 << 20)
    assert ex.status is None and ex.outcome == "error"
    assert secret not in ex.error and secret not in ex.outcome_message
    assert "Cannot connect to host api.spoonity.com:443" in ex.error

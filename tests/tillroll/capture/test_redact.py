"""The redaction engine on its own: pseudonyms, rules, forms, sweep."""

import base64
import json

from tillroll.capture.detectors import find_secrets, luhn_valid
from tillroll.capture.redact import DROPPED, Redactor

KEY = b"unit-test-key-0123456789abcdef"


def fresh():
    return Redactor(KEY).start()


def test_the_same_secret_always_gets_the_same_pseudonym_and_another_key_another():
    a = fresh().json({"SessionID": "abc-123"}, "x")["SessionID"]
    b = fresh().json({"sessionId": "abc-123"}, "x")["sessionId"]
    c = Redactor(b"another-key-0123456789abcdef").start().json({"SessionID": "abc-123"}, "x")["SessionID"]
    assert a == b != c and a.startswith("tillroll:sessionid:")


def test_passwords_cvv_and_pins_are_dropped_not_hashed():
    out = fresh().json({"Password": "p", "cvv": "123", "pin": "0000", "user": {"newPassword": "q"}}, "x")
    assert out == {"Password": DROPPED, "cvv": DROPPED, "pin": DROPPED, "user": {"newPassword": DROPPED}}


def test_card_numbers_keep_only_their_last_four():
    p = fresh()
    out = p.json({"note": "paid with 4111 1111 1111 1111 today", "card_number": 5500005555555559}, "x")
    assert out["note"].startswith("paid with tillroll:card:1111:") and out["note"].endswith(" today")
    assert out["card_number"].startswith("tillroll:card:5559:")
    assert ("x.note", "detector.card") in p.redactions


def test_redactions_say_where_and_which_rule_never_the_value():
    p = fresh()
    p.json({"a": {"api_key": "k-999999"}}, "request.body")
    assert p.redactions == [("request.body.a.api_key", "generic.secret")]
    assert "k-999999" not in repr(p.redactions)


def test_query_pairs_untouched_stay_byte_identical():
    p = fresh()
    out = p.query("b=2&token=sekrit-value-1&a=%20x&empty=", "q")
    assert out.startswith("b=2&token=tillroll:token:") and out.endswith("&a=%20x&empty=")


def test_free_text_redacts_json_like_xml_and_key_value_forms():
    p = fresh()
    text = 'broken {"SecurityID": "S-1234567", trailing,} <Password>hunter2</Password> session_id=zz-998877'
    out = p.text(text, "t")
    for secret in ("S-1234567", "hunter2", "zz-998877"):
        assert secret not in out
    assert "<Password>tillroll:dropped</Password>" in out


def test_free_text_redacted_twice_keeps_its_pseudonyms():
    """An exported cassette imported again: ``<email>tillroll:email:…</email>`` is not read as
    a field ``email`` inside a field ``tillroll`` and pseudonymised a second time."""
    text = "<customer><email>ann@example.com</email><first-name>Ann</first-name></customer> token=tk-99887766"
    once = fresh().text(text, "t")
    assert "ann@example.com" not in once and "tk-99887766" not in once
    assert fresh().text(once, "t") == once


def test_base64_json_members_are_decoded_redacted_and_re_encoded():
    p = Redactor(KEY).start()
    p.base64_fields = frozenset({"body"})
    encoded = base64.b64encode(json.dumps({"Password": "pw", "Keep": 1}).encode()).decode()
    out = p.json({"Body": encoded}, "r")
    assert json.loads(base64.b64decode(out["Body"])) == {"Password": DROPPED, "Keep": 1}
    unchanged = base64.b64encode(b'{"Keep": 1}').decode()
    assert p.json({"Body": unchanged}, "r") == {"Body": unchanged}  # byte-identical when nothing to redact


def test_the_sweep_removes_a_redacted_value_wherever_else_it_appears():
    p = fresh()
    p.json({"SessionID": "sess-0042-abcdef"}, "x")
    assert p.sweep("echo: sess-0042-abcdef; url: sess-0042-abcdef") == \
        "echo: {0}; url: {0}".format(p.seen["sess-0042-abcdef"])


def test_headers_authorization_keeps_its_scheme_and_set_cookie_its_attributes():
    p = fresh()
    out = dict(p.headers([("Authorization", "Basic dXNlcjpwYXNz"), ("Set-Cookie", "sid=abc123456; Path=/; Secure")], "h"))
    assert out["Authorization"].startswith("Basic tillroll:authorization:")
    assert out["Set-Cookie"].startswith("sid=tillroll:setcookie:") and out["Set-Cookie"].endswith("; Path=/; Secure")


def test_detectors_find_cards_tokens_and_keys_but_not_dates_or_ids():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert [k for k, *_ in find_secrets("Bearer abcdefghijklmnopqrstu")] == ["bearer"]
    assert [k for k, *_ in find_secrets("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----")] == ["private-key"]
    assert list(find_secrets("2026-11-22T10:00:00Z order 17074524 at 1422901482")) == []


def test_the_redactor_never_shows_its_key():
    red = Redactor(KEY)
    assert KEY.decode() not in repr(red) and KEY.decode() not in str(vars(red).get("key_id"))


def test_cards_grouped_in_threes_are_found():
    assert [k for k, *_ in find_secrets("amex 378-282-246-310-005 ok")] == ["card"]


def test_epoch_millisecond_timestamps_are_not_cards():
    # 13 digits, some Luhn-valid: a payment card never starts with 1
    stamps = [str(1_714_152_047_000 + i) for i in range(200)]
    assert [s for s in stamps if list(find_secrets(s))] == []
    assert fresh().json({"added_at": stamps}, "x") == {"added_at": stamps}


def test_emails_are_pseudonymised_whatever_their_field_name():
    out = fresh().json({"CustomerEmail": "jane.doe@example.org", "note": "cc ops@example.com"}, "x")
    assert out["CustomerEmail"].startswith("tillroll:email:")
    assert out["note"].startswith("cc tillroll:email:")


def test_urls_in_headers_have_their_query_redacted():
    p = fresh()
    out = dict(p.headers([("Referer", "https://pos.example/checkout?api_key=sk-live-998877&step=2"),
                          ("Location", "/next?session_id=abcdef123456")], "h"))
    assert out["Referer"].startswith("https://pos.example/checkout?api_key=tillroll:apikey:")
    assert out["Referer"].endswith("&step=2")
    assert "abcdef123456" not in out["Location"]


def test_a_flood_of_key_names_keeps_the_rule_memory_bounded_and_the_rules_applied():
    """Key names come from the traffic: bodies of random keys must not grow the
    redactor's memory without end, and the rules still apply once the memory is full."""
    from tests.samples import exchange
    from tillroll.capture import capture
    from tillroll.capture.redact import RULES_KEPT

    r = Redactor(KEY)
    for n in range(3):
        flood = json.dumps({f"k{n}x{i}": i for i in range(RULES_KEPT)}).encode()
        capture(exchange("POST", "api.example.com", "/orders", body=flood), r)
    assert all(len(rules) <= RULES_KEPT for rules in r._rule_caches.values())
    body = b'{"k0x1": 1, "newName7": {"Password": "hunter2-hunter2", "SessionID": "sess-abcdef-123"}}'
    ex = capture(exchange("POST", "api.example.com", "/orders", body=body), r)
    stored = json.loads(ex.request_body_text)["newName7"]
    assert stored["Password"] == DROPPED and stored["SessionID"].startswith("tillroll:sessionid:")
    assert "hunter2" not in ex.request_body_text and "sess-abcdef" not in ex.request_body_text


def test_an_array_or_object_a_rule_names_in_text_of_unknown_syntax_goes_whole():
    """Invalid JSON is redacted as text: a secret array is not left in clear behind its
    replaced opening bracket, and what is around it is kept."""
    p = fresh()
    text = '{"password": ["hunter2x", "other1"], "keep": 1, "client_secret": {"k": "s3cr3t-v4lue"}, "a": [1, 2],}'
    out = p.named(text, "request.body")
    assert "hunter2x" not in out and "other1" not in out and "s3cr3t-v4lue" not in out
    assert out.startswith(f'{{"password": {DROPPED}, "keep": 1, "client_secret": tillroll:') and out.endswith(
        ', "a": [1, 2],}')
    assert {"request.body.password", "request.body.client_secret"} <= {where for where, _ in p.redactions}


def test_a_named_array_left_open_by_a_cut_body_is_redacted_to_the_end():
    out = fresh().named('{"x": 1, "password": ["hunter2x", "oth', "request.body")
    assert out == f'{{"x": 1, "password": {DROPPED}'


def test_an_unnamed_array_keeps_its_named_members_redacted_one_by_one():
    out = fresh().named('{"items": [{"password": "hunter2x"}, {"password": [1, 2]}], "n": 1,}', "x")
    assert "hunter2x" not in out and "[1, 2]" not in out and out.count(DROPPED) == 2 and out.endswith('"n": 1,}')

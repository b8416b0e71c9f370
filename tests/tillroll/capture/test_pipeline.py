"""The pipeline on bodies: content codings, binary, empty, and what is stored of them."""

import gzip
import json

import pytest

from tests.samples import exchange, redactor
from tillroll.capture import capture
from tillroll.capture.content import UndecodableContent, decode_content, encode_content


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd", "gzip, br"])
def test_content_codings_round_trip(coding):
    body = json.dumps({"k": "v" * 100}).encode()
    assert decode_content(encode_content(body, coding), coding) == (body, False)  # (body, cut)


def test_unknown_coding_is_a_clear_error():
    with pytest.raises(UndecodableContent, match="unknown content-encoding 'lzma'"):
        decode_content(b"x", "lzma")


def test_compressed_bodies_are_stored_decoded_with_their_coding_and_wire_size():
    body = gzip.compress(b'{"Failed": true, "Message": "Unable to load account."}')
    raw = exchange("POST", "api.mydrycleaner.com", "/q", body=b'{"RequestType": "GetCustomer"}', response=body,
                   response_headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")])
    ex = capture(raw, redactor())
    assert ex.response_body_text == '{"Failed": true, "Message": "Unable to load account."}'
    assert (ex.response_content_encoding, ex.response_body_size) == ("gzip", len(body))
    assert (ex.outcome, ex.outcome_message) == ("failed", "Unable to load account.")


def test_binary_bodies_are_kept_as_bytes_when_nothing_looks_secret():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    raw = exchange("GET", "api.example.com", "/logo.png", response=png,
                   response_headers=[("Content-Type", "image/png")])
    ex = capture(raw, redactor())
    assert ex.response_body_bytes == png and ex.response_body_text is None


def test_binary_bodies_with_a_card_number_are_dropped_keeping_their_size():
    blob = b"\xff\xfe\x00 4111111111111111 \x80"
    raw = exchange("POST", "api.example.com", "/upload", body=blob,
                   headers=[("Content-Type", "application/octet-stream")], response=b"{}")
    ex = capture(raw, redactor())
    assert ex.request_body_bytes is None and ex.request_body_text is None and ex.request_body_size == len(blob)
    assert ("request.body", "body.binary-with-secret") in ex.redactions


def test_empty_bodies_and_missing_bodies_are_told_apart():
    ex = capture(exchange("POST", "api.example.com", "/x", body=b"", response=None), redactor())
    assert ex.request_body_text == "" and ex.response_body_text is None


def test_unparseable_text_with_a_detected_secret_is_dropped_keeping_size_and_type():
    text = b"garbage [[ { card 4111 1111 1111 1111 cvv 123 ;;"
    ex = capture(exchange("POST", "api.example.com", "/x", body=text,
                          headers=[("Content-Type", "text/plain")], response=b""), redactor())
    assert ex.request_body_text is None and ex.request_body_size == len(text)
    assert ex.request_content_type == "text/plain"
    assert ("request.body", "body.unparseable-with-secret") in ex.redactions


def test_unparseable_text_with_only_named_secrets_is_kept_redacted():
    text = b'{"SecurityID": "S-7654321", oops'
    ex = capture(exchange("POST", "api.example.com", "/x", body=text, response=b""), redactor())
    assert ex.request_body_text.startswith('{"SecurityID": "tillroll:securityid:') and "oops" in ex.request_body_text


def test_the_stored_json_keeps_its_formatting_and_number_spelling():
    body = b'{\n  "amount": 10.00,\n  "api_key": "k-123456789",\n  "n": 0.0\n}'
    ex = capture(exchange("POST", "api.example.com", "/x", body=body, response=b"{}"), redactor())
    assert ex.request_body_text.startswith('{\n  "amount": 10.00,\n  "api_key": "tillroll:apikey:')
    assert ex.request_body_text.endswith('",\n  "n": 0.0\n}')


def test_a_body_in_another_charset_with_a_named_secret_is_not_stored():
    body = '{"name": "José", "Password": "hunter2-latin"}'.encode("latin-1")  # not UTF-8
    ex = capture(exchange("POST", "api.example.com", "/x", body=body,
                          headers=[("Content-Type", "application/json; charset=iso-8859-1")], response=b""),
                 redactor())
    assert ex.request_body_bytes is None and ex.request_body_text is None
    assert ex.request_body_size == len(body)
    assert ("request.body", "body.binary-with-secret") in ex.redactions


def test_namespaced_xml_elements_are_redacted():
    xml = b'<s:Envelope><s:Body><a:Login><a:Password>hunter2-soap</a:Password></a:Login></s:Body></s:Envelope>'
    ex = capture(exchange("POST", "api.example.com", "/soap", body=xml,
                          headers=[("Content-Type", "text/xml")], response=b""), redactor())
    assert "hunter2-soap" not in ex.request_body_text
    assert "<a:Password>tillroll:dropped</a:Password>" in ex.request_body_text


def test_a_redacted_value_inside_a_longer_word_of_the_operation_is_left_alone():
    """A customer whose last name is "Customer" must not turn GetCustomer into Gettillroll:…"""
    body = b'{"RequestType": "GetCustomer", "AccountKey": "ABCD1234", "SessionID": "sess-0123456789"}'
    resp = b'{"Failed": false, "ReturnObject": {"FirstName": "John", "LastName": "Customer"}}'
    ex = capture(exchange("POST", "api.mydrycleaner.com", "/q", body=body, response=resp), redactor())
    assert ex.operation == "GetCustomer"
    assert '"Customer"' not in ex.response_body_text


@pytest.mark.parametrize("name", ["zebulonia-quarterfield", "zébulonïa-quärterfield", "zebulonia\U0001f600quarter"])
def test_a_value_redacted_in_an_xgl_body_is_swept_from_the_envelope_members_beside_the_parameters(name):
    """The envelope's transport is stored beside the parameters (cut from the stored body),
    its header names lower-cased: a value that stands only there is searched there."""
    body = {"outHTTP": {"body": {"action_type": "identifyCustomers", "customer": {"first_name": name}},
                        "headers": {name.upper(): "1"}, "path": "/api/xgl"}}
    for ensure_ascii in (True, False):
        text = json.dumps(body, ensure_ascii=ensure_ascii)
        ex = capture(exchange("POST", "xgl.example.com", "/api/xgl", body=text.encode(), response=b"{}"),
                     redactor())
        assert ex.operation == "identifyCustomers" and '"outHTTP"' in ex.params_json
        assert name not in ex.params_json and json.dumps(name)[1:-1] not in ex.params_json
        stored = json.loads(ex.params_json)
        assert stored["customer"]["first_name"].startswith("tillroll:")
        assert [k.startswith("tillroll:") for k in stored["outHTTP"]["headers"]] == [True]
        assert ("params", "sweep") in ex.redactions


def test_the_sweep_searches_across_the_end_of_the_parameters_cut_from_the_body():
    """A form of a remembered value that starts inside the slice of the body and ends in the
    members added after it is still searched (the slice's end is reached back into)."""
    from tillroll.capture import pipeline
    from tillroll.capture.sweep import stands_in

    p = redactor().start()
    value = 'ana", "outHTTP'
    p.sweeper.remember(value, "tillroll:x:000000000000")
    params = '{"k": "' + "z" * 500 + 'ana", "outHTTP": {"path": "/x"}}'
    in_body = params.index(', "outHTTP"')
    searched = pipeline._params_searched(p, params, in_body)
    assert stands_in(value, searched) and len(searched) < len(params)
    assert pipeline._params_searched(p, params, len(params)) is None  # all of it is the body's
    assert pipeline._params_searched(p, params, 0) == params  # none of it is

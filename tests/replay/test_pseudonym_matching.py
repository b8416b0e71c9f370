"""A recorded request matches itself at replay, whatever its own response taught the sweep.

Generated exchanges of the four vendors and the generic profile: request values (phone
numbers, emails, names, numeric ids, sentences holding them) in parameters, a Base64
``Body``, the query and headers; the response repeats some of them at random depths under
PII names, secret names and neutral names, so the record-time sweep turns them into
pseudonyms in the stored request. Replay captures the request alone: its key must be the
recording's key, with the cassette's redaction key and without it.

Not generated: a request value its response shows under a *dropped* field (a password, a
CVV). A dropped value leaves no digest on disk, so nothing can tell it apart at replay; the
recorded request's key leaves the field out (see README, "What a match key is made of").
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlencode

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tillroll.replay.matching import Matching
from tillroll.replay.recordings import Recordings, _index
from tillroll.replay.stored_keys import StoredKeys
from tillroll.replay.replayer import Replayer
from tillroll.replay.responses import ResponseReader

from tests.samples import exchange, redactor
from tillroll.capture import capture_keyed
from tillroll.capture.redact import PSEUDONYM, Redactor

PHONE = st.from_regex(r"\A[2-9][0-9]{9}\Z")
DASHED = st.from_regex(r"\A[2-9][0-9]{2}-[0-9]{3}-[0-9]{4}\Z")
EMAIL = st.from_regex(r"\A[a-z]{3,8}@[a-z]{3,8}\.com\Z")
NAME = st.from_regex(r"\A[A-Z][a-z]{5,9}\Z")
NUMBER = st.integers(10**6, 10**11)  # sent as a JSON number
ATOM = st.one_of(PHONE, DASHED, EMAIL, NAME, NUMBER)

REQUEST_NAMES = ["customer_id", "lookup", "Search", "reference", "note", "value", "card_number", "member"]
RESPONSE_PII = ["phone", "email", "first_name", "last_name", "address", "EmailAddress", "Phone", "name"]
RESPONSE_SECRET = ["token", "SessionID", "api_key", "x-api-key", "access_token"]
RESPONSE_NEUTRAL = ["note", "value", "label", "id"]


@st.composite
def nested(draw, value):
    """*value* wrapped in 0 to 3 levels of objects and lists."""
    for _ in range(draw(st.integers(0, 3))):
        value = {draw(st.sampled_from(RESPONSE_NEUTRAL + ["data", "items"])): value} if draw(st.booleans()) \
            else [value]
    return value


@st.composite
def exchanges(draw):
    atoms = draw(st.lists(ATOM, min_size=1, max_size=4))
    values = list(atoms)
    if draw(st.booleans()):  # a sentence holding a value: swept inside a longer text
        values.append(f"call {draw(st.sampled_from(atoms))} today")
    names = draw(st.lists(st.sampled_from(REQUEST_NAMES), min_size=len(values), max_size=len(values), unique=True))
    fields: dict = {}
    for name, value in zip(names, values):
        fields[name] = draw(nested(value)) if draw(st.booleans()) else value
    query_value = draw(st.sampled_from(atoms))
    header_value = str(draw(st.sampled_from(atoms)))

    repeated = draw(st.lists(st.sampled_from(atoms), min_size=1, max_size=4))
    response: dict = {}
    for value in repeated:
        name = draw(st.sampled_from(RESPONSE_PII + RESPONSE_SECRET + RESPONSE_NEUTRAL))
        as_text = draw(st.booleans()) or isinstance(value, str)
        response.setdefault("customers", []).append(draw(nested({name: str(value) if as_text else value})))

    vendor = draw(st.sampled_from(["spot", "spot-body", "spoton", "xgl", "spoonity", "generic"]))
    headers = [("Content-Type", "application/json"), ("X-Lookup", header_value)]
    if vendor.startswith("spot") and vendor != "spoton":
        doc = {"RequestType": "FindCustomer", "AccountKey": "ABCD1234", "SessionID": "s-0123456789abcdef",
               "UserAgent": "POS 4.2"}
        if vendor == "spot-body":
            doc["Body"] = base64.b64encode(json.dumps(fields).encode()).decode()
        else:
            doc["Parameters"] = fields
        raw = exchange("POST", "api.mydrycleaner.com", "/q", body=json.dumps(doc).encode(), headers=headers,
                       response=json.dumps({"Failed": False, "Message": None, "ReturnObject": response}).encode())
    elif vendor == "spoton":
        flat = {k: v if isinstance(v, (str, int)) else json.dumps(v) for k, v in fields.items()}
        raw = exchange("GET", "api.spoton.com", "/posexport/v1/locations/L1/paid-in-outs",
                       query=urlencode({**flat, "q": query_value}), headers=headers + [("x-api-key", "k-0123456789")],
                       response=json.dumps([response]).encode())
    elif vendor == "xgl":
        doc = {"outHTTP": {"body": {"action_type": "identifyCustomers", **fields}, "headers": {}, "method": "POST",
                           "path": "/api/xgl"}}
        raw = exchange("POST", "xgl.xenial.example", "/api/xgl", body=json.dumps(doc).encode(),
                       headers=headers + [("x-company-id", "65f0a1b2c3d4e5f60718293a")],
                       response=json.dumps(response).encode())
    elif vendor == "spoonity":
        raw = exchange("POST", "api.spoonity.com", "/order/payments/loyalty",
                       query=urlencode({"api_key": "sandbox-spoonity-5d21e8b4", "q": query_value}),
                       body=json.dumps(fields).encode(), headers=headers, response=json.dumps(response).encode())
    else:
        raw = exchange("POST", "pos.example", "/v1/customers/lookup", query=urlencode({"q": query_value}),
                       body=json.dumps(fields).encode(), headers=headers, response=json.dumps(response).encode())
    return raw, repeated, response


def cassette_of(recorded, matching: Matching) -> Recordings:
    """The recordings replay would load for *recorded* (in memory: no disk per example)."""
    table = pa.table({"host": [r.host for r in recorded], "port": [r.port for r in recorded],
                      "method": [r.method for r in recorded], "operation": [r.operation for r in recorded],
                      "match_key": [r.match_key for r in recorded]})
    stored = StoredKeys(table.column("match_key"))
    return Recordings(path="<memory>", table=table, matching=matching, index=_index(stored, matching, table),
                      key_ids=set(), responses=ResponseReader([]), _stored=stored)


def live_key(recordings: Recordings, redactor_at_replay: Redactor, raw) -> str:
    request_alone = type(raw)(raw.request, raw.started_at, None)
    return Replayer(recordings, redactor_at_replay).understand(request_alone).key


OTHER_KEY = Redactor(b"not-the-recording-key-0123456789abcdef")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=exchanges())
def test_a_recorded_request_has_the_key_of_its_request_captured_alone(case):
    raw, repeated, response = case
    r = redactor()
    recorded = capture_keyed(raw, r)

    with_key = cassette_of([recorded], Matching())
    assert live_key(with_key, r, raw) == recorded.match_key

    without_key = cassette_of([recorded], Matching(pii=False))
    assert live_key(without_key, OTHER_KEY, raw) == without_key.matching.key_of_stored(recorded.match_key)

    # what the sweep keeps out of the stored request never reaches the stored key
    kept_out = [str(v) for v in repeated if len(str(v)) >= 6 and str(v) not in (recorded.params_json or "")
                and str(v) not in (recorded.request_body_text or "") and str(v) not in (recorded.query or "")]
    clear_key = PSEUDONYM.sub("", recorded.match_key)
    assert [v for v in kept_out if re.search(rf"(?<![A-Za-z0-9]){re.escape(v)}(?![A-Za-z0-9])", clear_key)] == []


def test_a_lookup_by_a_phone_number_its_response_lists_as_pii_matches_only_that_phone_number():
    """The XGL case of the issue, by hand: the recorded key holds the pseudonym, the live
    request the number; another number does not match, a number as a JSON number does."""
    r = redactor()

    def lookup(customer_id):
        doc = {"outHTTP": {"body": {"action_type": "identifyCustomers", "customer_id": customer_id},
                           "headers": {}, "method": "POST", "path": "/api/xgl"}}
        return exchange("POST", "xgl.xenial.example", "/api/xgl", body=json.dumps(doc).encode(),
                        headers=[("Content-Type", "application/json"), ("x-company-id", "c1")],
                        response=json.dumps({"customers": [{"information": {"phone": "1111111111"}}]}).encode())

    recorded = capture_keyed(lookup("1111111111"), r)
    assert "1111111111" not in recorded.match_key and "tillroll:phone:" in recorded.match_key
    recordings = cassette_of([recorded], Matching())
    assert live_key(recordings, r, lookup("1111111111")) == recorded.match_key
    assert live_key(recordings, r, lookup("2222222222")) != recorded.match_key

    as_number = capture_keyed(lookup(1111111111), r)  # the sweep keeps the JSON valid
    assert json.loads(as_number.params_json)["customer_id"].startswith("tillroll:phone:")
    assert live_key(cassette_of([as_number], Matching()), r, lookup(1111111111)) == as_number.match_key


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=exchanges())
def test_a_request_found_by_its_stored_key_gets_its_document_only_when_read_and_the_same_one(case):
    """The live request is keyed as its recording was (no document made); the journal, which
    reads its path and operation, gets the document the document path makes."""
    from tillroll.replay.replayer import DocumentOnDemand

    from tillroll.capture import match_document

    raw, _, _ = case
    r = redactor()
    recorded = capture_keyed(raw, r)
    replayer = Replayer(cassette_of([recorded], Matching()), r)
    request_alone = type(raw)(raw.request, raw.started_at, None)
    understood = replayer.understand(request_alone)
    assert understood.key == recorded.match_key
    live = capture_keyed(request_alone, r)
    if live.match_key == recorded.match_key:  # found by its own key: no document made yet
        assert isinstance(understood.doc, DocumentOnDemand) and understood.doc._doc is None
    else:  # found through its recording's pseudonyms: the document path
        assert type(understood.doc) is dict
    decision = replayer.decide(request_alone)
    replayer.note(raw.request.method, decision, 200, "replayed")
    entry = replayer.journal_entries()[-1]
    expected = match_document(live, r)
    assert (entry["path"], entry["operation"], entry["matched"]) == (expected["path"], expected["operation"], True)
    assert dict(understood.doc) == expected

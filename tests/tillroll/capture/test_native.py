"""The compiled capture path (tillroll.capture._native) against its oracle, the pure one:
the same answers for every string, and byte-identical stored records for every exchange.

Skipped, and reported, when the extension is not built or TILLROLL_NO_EXTENSIONS is set
(``make test`` runs the capture tests once more that way: see the Makefile)."""

from __future__ import annotations

import base64
import json
import re
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.canaries import leaks
from tests.pure_path import pure_bindings, pure_path
from tests.replay.test_pseudonym_matching import exchanges as vendor_exchanges
from tests.samples import exchange, redactor
from tests.tillroll.capture.test_canaries import (
    document_with_canary,
    fresh_canaries,
    planted,
)
from tests.tillroll.capture.test_detectors import NUMBERISH as NUMBERISH_WITH_CARDS
from tests.tillroll.capture.test_detectors import SCHEMEY
from tests.tillroll.capture.test_json_text import (
    json_texts,
    path_to_last_container,
    walked,
)
from tests.tillroll.capture.test_pipeline_fuzz import hostile_exchanges
from tillroll.capture import (
    capture_keyed,
    detectors,
    json_text,
    jsonish,
    match_doc,
    native,
    pipeline,
    redact,
    sweep,
)
from tillroll.store.exchange import to_record_batch

pytestmark = pytest.mark.skipif(native.ext is None, reason=native.describe())


def stored(raw) -> list:
    """Every column of the record *raw* is stored as, and its bodies' bytes."""
    ex = capture_keyed(raw, redactor())
    return [to_record_batch([ex]).to_pylist(), ex.request_body, ex.response_body]


def both_paths(raw) -> tuple[list, list]:
    native_record = stored(raw)
    with pure_path():
        assert redact.Pass._dict is redact.pure_walk[0] and redact.maybe_secret is detectors.pure_maybe_secret
        pure_record = stored(raw)
    return native_record, pure_record


def test_the_compiled_path_is_the_one_that_runs():
    assert redact.Pass._dict is native.ext.redact_dict and detectors.maybe_secret is native.ext.maybe_secret
    assert "native" in native.describe()


def test_the_pure_path_leaves_no_compiled_function_bound():
    """A compiled binding added at import but not to tests/pure_path.py would make the
    differential tests compare the compiled path with itself."""
    def compiled(owner):
        return sorted(name for name, value in vars(owner).items()
                      if (getattr(value, "__module__", None) or "").startswith("tillroll.capture._")
                      and not isinstance(value, type))  # a compiled class (KeyTable, KeyedDigest) is a value's type
    owners = (detectors, jsonish, redact, redact.Pass, match_doc, pipeline, sweep)
    assert all(compiled(owner) for owner in (redact.Pass, match_doc))  # what the check looks for is there
    with pure_path():
        assert native.ext is None and [compiled(owner) for owner in owners] == [[] for _ in owners]
    assert all(getattr(owner, name) is not value for owner, name, value in pure_bindings())  # and put back


# -- the primitives, string by string ------------------------------------------------------------

SHAPED = st.text(alphabet=string.digits + " -@.eyJbBtTokenaricsEYR" + "\u212a\u0130é", max_size=40)


@settings(max_examples=3000, deadline=None)
@given(text=st.one_of(st.text(), SHAPED, st.text(alphabet=string.printable), NUMBERISH_WITH_CARDS,
                     SCHEMEY))
@example(text=" \t\\035692207372122")  # a digit after a backslash may open a card window (JSON text)
def test_maybe_secret_answers_as_the_pure_one(text):
    assert native.ext.maybe_secret(text) == detectors.pure_maybe_secret(text)




NUMBERISH = st.text(alphabet="0123456789eE+-.\u0663 ", max_size=40) | st.builds(lambda n: "9" * n, st.integers(300, 320))


@settings(max_examples=3000, deadline=None)
@given(text=st.one_of(NUMBERISH, st.text()))
def test_the_overflow_prefilter_answers_as_the_regex(text):
    assert native.ext.may_overflow(text) == jsonish.pure_may_overflow(text)


@settings(max_examples=2000, deadline=None)
@given(text=st.one_of(st.text(alphabet='{}[]"a,:é€😀 ', max_size=60), st.text()))
def test_the_depth_prefilter_counts_as_the_pure_one(text):
    assert native.ext.nesting_marks(text) == jsonish.pure_nesting_marks(text)


@settings(max_examples=1000, deadline=None)
@given(value=st.recursive(st.floats() | st.integers() | st.text(max_size=3) | st.none(),
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3)))
def test_finite_answers_as_the_pure_one(value):
    assert native.ext.finite(value) == jsonish.pure_finite(value)


@settings(max_examples=3000, deadline=None)
@given(text=json_texts(), base64=st.booleans())
def test_the_compiled_text_walk_redacts_as_the_pure_one(text, base64):
    fields = frozenset({"body"}) if base64 else frozenset()
    at = path_to_last_container(json.loads(text))
    pure = walked(lambda p, t: json_text.redact_text(p, t, "b", at), text, fields)
    assert walked(lambda p, t: native.text_ext.redact_json_text(p, t, "b", at), text, fields) == pure



# -- whole exchanges: byte-identical records -------------------------------------------------------

def test_the_canary_exchanges_store_the_same_bytes_and_no_canary():
    canaries = fresh_canaries()
    for raw in planted(canaries):
        native_record, pure_record = both_paths(raw)
        assert native_record == pure_record
        assert leaks(json.dumps(native_record, default=repr).encode(), canaries) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_exchanges())
def test_hostile_exchanges_store_the_same_bytes(case):
    raw, _ = case
    native_record, pure_record = both_paths(raw)
    assert native_record == pure_record


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=vendor_exchanges())
def test_vendor_exchanges_store_the_same_bytes(case):
    raw, _, _ = case
    native_record, pure_record = both_paths(raw)
    assert native_record == pure_record


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30),
              st.sampled_from(["4111 1111 1111 1111", "bob@example.com", "Bearer abcdefghijklmnopq", "{\"a\": 1}",
                               "\u212aelvin token xxxxxxxxx", "1111111111"])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["name", "Name", "customer", "password", "email", "note", "Body", "card",
                                         "id", "x\u212a", "bob@example.com", "items", "SessionID"]) | st.text(max_size=8),
                        children, max_size=4)),
    max_leaves=25)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=json_values, shape=st.sampled_from(["json", "escaped", "base64-body", "in-string"]),
       depth_doc=document_with_canary())
def test_random_json_at_any_depth_stores_the_same_bytes(doc, shape, depth_doc):
    if shape == "escaped":
        text = json.dumps(doc, ensure_ascii=True)
    elif shape == "base64-body":
        text = json.dumps({"RequestType": "GetCustomer", "Body": base64.b64encode(json.dumps(doc).encode()).decode()})
    elif shape == "in-string":
        text = json.dumps({"address": json.dumps(doc), "deep": depth_doc[0]})
    else:
        text = json.dumps(doc, ensure_ascii=False)
    raw = exchange("POST", "api.mydrycleaner.com", "/q", body=text.encode("utf-8", "surrogatepass"),
                   response=json.dumps({"echo": doc}, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    native_record, pure_record = both_paths(raw)
    assert native_record == pure_record


HEADER_NAMES = st.sampled_from(["Authorization", "Cookie", "Set-Cookie", "Referer", "Location", "x-api-key",
                                "X-Request-Id", "Content-Type", "User-Agent", "\u212aey", "SessionID"])
HEADER_VALUES = st.one_of(st.text(max_size=30), st.sampled_from([
    "Bearer abcdefghijklmnop1234", "a=1; sid=abcdefgh12345678", "https://h/p?api_key=k-123456789&x=1",
    "ann@example.com", "4111 1111 1111 1111", "application/json", "tillroll:email:0123456789ab", "?", ""]))


@settings(max_examples=2000, deadline=None)
@given(headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8))
def test_the_compiled_header_redaction_answers_as_the_pure_one(headers):
    def run(method):
        p = redactor().start()
        return method(p, headers, "request.header"), p.redactions, p.seen
    assert run(native.ext.redact_headers) == run(redact.pure_walk[4])


MATCH_LEAVES = st.one_of(st.none(), st.integers(), st.text(max_size=4), st.sampled_from([
    "tillroll:dropped", "tillroll:jwt:0123456789ab", "tillroll:email:0123456789ab", "tillroll:card:1111:0123456789ab",
    "tillroll:", "tillroll:bearer", "tillroll:x:y:z"]))
MATCH_KEYS = st.sampled_from(["a", "password", "SessionID", "timestamp", "created_at", "email", "Name", "x-api-key"])


@settings(max_examples=2000, deadline=None)
@given(value=st.recursive(MATCH_LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(MATCH_KEYS, c, max_size=4),
                          max_leaves=15),
       vendor=st.sampled_from(["spot", "xgl", "spoonity", "spoton", "generic"]))
def test_the_compiled_match_cleaning_answers_as_the_pure_one(value, vendor):
    profile = match_doc.BY_NAME[vendor]
    rule_for = redactor().start(profile.rule).rule_for
    assert native.match_ext.clean(value, rule_for, profile.volatile) == match_doc.pure_clean(value, rule_for,
                                                                                            profile.volatile)


# What a match document can hold, and what it never does (a tuple, a subclass, a key that is
# not text, a float that is not finite): the compiled text must be the standard encoder's.
KEY_TEXT_CHARS = st.characters(codec="utf-8") | st.sampled_from('"\\/\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f\u2028é€😀')
KEY_TEXT_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70),
                            st.floats(allow_nan=False, allow_infinity=False), st.text(KEY_TEXT_CHARS, max_size=12),
                            st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2))
ODD_VALUES = st.sampled_from([float("nan"), float("inf"), -float("inf"), (1, "a"), {1: "a"}, {None: 1, "b": 2},
                              type("Text", (str,), {})("x"), type("Number", (int,), {})(3), ["a", (2,)]])


@settings(max_examples=3000, deadline=None)
@given(value=st.recursive(KEY_TEXT_LEAVES | ODD_VALUES,
                          lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(KEY_TEXT_CHARS, max_size=6), c,
                                                                              max_size=5), max_leaves=25))
def test_the_compiled_key_text_is_the_standard_encoders(value):
    def run(encode):
        try:
            return encode(value)
        except Exception as exc:  # the same error either way (a key that cannot be sorted, ...)
            return type(exc)
    assert run(native.match_ext.canonical) == run(match_doc.pure_canonical)


def test_the_compiled_key_text_of_a_document_deeper_than_the_parser_allows_is_the_standard_encoders():
    deep: list = []
    inner = deep
    for _ in range(3 * jsonish.MAX_DEPTH):
        inner.append({"a": []})
        inner = inner[0]["a"]
    assert native.match_ext.canonical(deep) == match_doc.pure_canonical(deep)


APPLY_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=24),
                         st.sampled_from(["", "4111 1111 1111 1111", "4111-1111-1111-1111", "\u0664111111111111",
                                          "ann@example.com", "+1 (555) 010-0199", "tillroll:dropped",
                                          "tillroll:email:0123456789ab", "tillroll:not a pseudonym", "1234567890123"]),
                         st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                   max_size=2))


@settings(max_examples=3000, deadline=None)
@given(action=st.sampled_from(["keep", "drop", "card", "pii", "secret"]), value=APPLY_VALUES)
def test_the_compiled_apply_answers_as_the_pure_one(action, value):
    rule = redact.Rule(action, "label", "test.rule")
    def run(method):
        p = redactor().start()
        return method(p, rule, value, "where"), p.redactions, p.seen
    assert run(native.ext.apply) == run(redact.pure_walk[5])


SWEEP_CHARS = st.sampled_from("aZ09 +-_.~/@\"\\\n%&=éß€\u2028:\u0161\u0100😀\U0001F600")
PLAIN_CHARS = st.sampled_from("aZ09._~-")  # a value of these is its own only form


@settings(max_examples=3000, deadline=None)
@given(text=st.one_of(st.text(SWEEP_CHARS, max_size=80), st.text(PLAIN_CHARS, max_size=40)),
       values=st.lists(st.one_of(st.text(SWEEP_CHARS, max_size=12), st.text(PLAIN_CHARS, min_size=6, max_size=9)),
                       max_size=6),
       cut=st.integers(0, 80), tail=st.one_of(st.just(""), SWEEP_CHARS, PLAIN_CHARS))
def test_the_sweeps_filter_answers_as_the_pure_definition(text, values, cut, tail):
    values = values + [text[cut:cut + 8], text[cut:cut + 7] + tail]  # a part of the text, and one that goes on
    table = native.record_ext.Grams(text)
    candidates = native.record_ext.sweep_candidates(text, values, 6, table)
    assert candidates == [v for v in values if len(v) >= 6 and sweep.may_stand(text, v)
                          and (not sweep._needle(v) or sweep._needle(v) in text)]
    for v in values:
        assert table.may_hold(v) == sweep.grams_may_hold(text, v)
        if v in text:
            assert table.may_hold(v)
        if len(v) >= 6 and sweep.stands_in(v, text):  # never rules out a value that stands there
            assert native.record_ext.sweep_candidates(text, [v], 6, table) == [v]


# -- the match key read from the parameters' text (match_doc._key_from_text) ---------------------

def _texts_of(value):
    """Ways the same JSON value is written: compact, spaced, indented, ASCII-escaped, slashes escaped."""
    yield json.dumps(value, ensure_ascii=False)
    yield json.dumps(value, indent=2, ensure_ascii=True)
    yield json.dumps(value, separators=(" , ", " :\t")).replace("/", "\\/")


NUMBER_TOKENS = st.sampled_from(["0", "-0", "-0.0", "1.0", "1e5", "1E+5", "2.50", "1e-7", "-12.5e3", "123456789012345678901234567890",
                                 "1e400", "-1e400", "NaN", "Infinity", "01", "1.", ".5", "+1", "9" * 4500,
                                 "0.0", "0.00", "10.0", "10.50", "0.0001", "-0.0001", "0.00001", "0.000010", "1.05",
                                 "123456789012345.5", "12345678901234.5", "0.30000000000000004", "1234567890123456.0",
                                 "99999999999999999.0", "5e-324", "2.2250738585072014e-308"])
DECIMALS = st.builds(lambda sign, whole, fraction: f"{sign}{whole}.{fraction}", st.sampled_from(["", "-"]),
                     st.sampled_from(["0", "1", "10", "99999", "123456789012345", "1234567890123456"]),
                     st.text("0123456789", min_size=1, max_size=18))


@settings(max_examples=3000, deadline=None)
@given(token=DECIMALS | NUMBER_TOKENS)
def test_the_key_read_from_text_spells_numbers_as_the_parse_and_encoder(token):
    text = f'{{"amount": {token}, "items": [{token}]}}'
    rule_for = redactor().start(match_doc.BY_NAME["xgl"].rule).rule_for
    fast = native.reader_ext.clean_canonical(text, rule_for, frozenset(), {}, native.table_ext.KeyTable())
    try:
        oracle = match_doc.pure_canonical(match_doc.pure_clean(json.loads(text), rule_for, frozenset()))
    except ValueError:
        assert fast is None
        return
    assert fast is None or fast == oracle
    if re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", token) and len(token) < 40:
        assert fast == oracle  # every JSON number without an exponent is read


@settings(max_examples=3000, deadline=None)
@given(value=st.recursive(MATCH_LEAVES | KEY_TEXT_LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(
           MATCH_KEYS | st.text(KEY_TEXT_CHARS, max_size=5), c, max_size=4), max_leaves=15),
       vendor=st.sampled_from(["spot", "xgl", "spoonity", "spoton", "generic"]))
def test_the_key_read_from_text_is_the_cleaned_documents(value, vendor):
    profile = match_doc.BY_NAME[vendor]
    rule_for = redactor().start(profile.rule).rule_for
    one_byte = all(ord(c) < 256 for c in json.dumps(value, ensure_ascii=False))
    for text in _texts_of(value):
        oracle = match_doc.pure_canonical(match_doc.pure_clean(json.loads(text), rule_for, profile.volatile))
        fast = native.reader_ext.clean_canonical(text, rule_for, profile.volatile, {}, native.table_ext.KeyTable())
        if one_byte:
            assert fast is not None  # Latin-1 text json.dumps wrote is always read: the fast path is taken
        assert fast is None or fast == oracle  # wider text: left to the document path


@settings(max_examples=3000, deadline=None)
@given(parts=st.lists(st.one_of(NUMBER_TOKENS, st.sampled_from(['"a"', '"a\\u00e9\\n"', '"\\ud800"', '"bad\\x"', '"raw\tcontrol"',
                                                               "true", "false", "null", "tru", "nul", '"password"',
                                                               '"tillroll:jwt:0123456789ab"'])), min_size=1, max_size=4),
       shape=st.sampled_from(["array", "object", "duplicate", "bare", "trailing", "unclosed"]))
def test_the_key_read_from_text_is_none_or_the_documents_for_odd_texts(parts, shape):
    """Numbers json.loads turns into other spellings or refuses, escapes, keys named twice,
    broken texts: the reader gives the same text as the parse-clean-encode path, or None
    (that path then decides), never a different key."""
    if shape == "array":
        text = "[" + ",".join(parts) + "]"
    elif shape == "object":
        text = "{" + ",".join(f'"k{i}": {part}' for i, part in enumerate(parts)) + "}"
    elif shape == "duplicate":
        text = "{" + ",".join(f'"k": {part}' for part in parts) + "}"
    elif shape == "bare":
        text = parts[0]
    elif shape == "trailing":
        text = "[" + ",".join(parts) + ",]"
    else:
        text = "{\"a\": [" + ",".join(parts)
    profile = match_doc.BY_NAME["spot"]
    rule_for = redactor().start(profile.rule).rule_for
    fast = native.reader_ext.clean_canonical(text, rule_for, profile.volatile, {}, native.table_ext.KeyTable())
    try:
        oracle = match_doc.pure_canonical(match_doc.pure_clean(json.loads(text), rule_for, profile.volatile))
    except ValueError:
        assert fast is None  # json.loads refuses it: so does the reader
        return
    assert fast is None or fast == oracle
    if shape == "duplicate" and len(parts) > 1:
        assert fast is None

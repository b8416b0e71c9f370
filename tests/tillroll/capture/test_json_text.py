"""The redaction of a strict JSON body where it stands (tillroll.capture.json_text): the
stored text keeps every byte that is not replaced, and holds what the walk over the
parsed value would hold. Runs on the path that runs (compiled or pure)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.samples import redactor

KEYS = st.sampled_from(["a", "id", "name", "x y", "{", ",", ":", "\u00e9", "password", "email", "card_number",
                        "customer", "employee", "Parameters", "Body", "phone", "a\u0301", "ann@example.com"])
LEAVES = (st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False, allow_infinity=False)
          | st.sampled_from([4111111111111111, 5500005555555559, 10 ** 12 + 1, 2452778381])
          | st.text(alphabet='ab{}[],:"\\ \u00e9', max_size=5)
          | st.sampled_from(["ann@example.com", "card 4111 1111 1111 1111 ok", "Bearer abcdefghijklmnop1234",
                             "tillroll:email:0123456789ab", "eyJhIjoiYW5uQGV4YW1wbGUuY29tIn0=", "Ann Lee", "",
                             "a\u00e9@example.com", "4111-1111-1111-1111"]))


@st.composite
def json_texts(draw, duplicates=True):
    """Strict JSON texts with secrets and PII at any depth, in any spelling (escaped or
    not, indented or not), some with a key named twice in one object."""
    doc = draw(st.recursive(LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=3),
                            max_leaves=12))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    if duplicates and draw(st.booleans()) and "{" in text:  # name a key twice somewhere
        at = text.index("{", draw(st.integers(0, text.count("{") - 1)) and text.rindex("{"))
        key, value = json.dumps(draw(KEYS)), json.dumps(draw(LEAVES))
        text = text[:at + 1] + f"{key}: {value}, {key}: 2" + ("," if text[at + 1:].lstrip()[:1] not in ("}",) else "") + \
            text[at + 1:]
        try:
            json.loads(text)
        except ValueError:  # the brace was inside a string: no duplicate this time
            text = json.dumps(doc)
    return text


def path_to_last_container(value) -> tuple[str, ...]:
    """The keys to the last object or array in *value*, if any (the way to a part)."""
    path, node, found = [], value, ()
    while type(node) is dict and node:
        key = list(node)[-1]
        path.append(key)
        node = node[key]
        if type(node) in (dict, list):
            found = tuple(path)
    return found


def walked(walk, text: str, base64_fields=frozenset()):
    """What *walk* (a Pass, the text) gives, and the redactions and remembered values it left."""
    p = redactor().start()
    p.base64_fields = base64_fields
    out = walk(p, text)
    return out, p.redactions, p.seen


@settings(max_examples=1500, deadline=None)
@given(text=json_texts(duplicates=False))
def test_the_text_walk_redacts_what_the_walk_over_the_parsed_value_redacts(text):
    """Where no key is named twice, the redacted text parses to what the walk over the
    parsed value gives, with the same redactions listed in the same order."""
    value = json.loads(text)
    by_text = walked(lambda p, t: p.json_text(t, "b"), text)
    by_value = walked(lambda p, t: p.json(value, "b"), text)
    assert json.loads(by_text[0]) == by_value[0]
    assert by_text[1:] == by_value[1:]


def test_the_formatting_outside_the_replaced_values_is_kept_byte_for_byte():
    text = '{ "note" :"caf\\u00e9 \\/ ok",\n\t"email":  "ann@example.com" , "n": 1.50e1, "list": [ 1 ,2 ] }'
    out, redactions, _ = walked(lambda p, t: p.json_text(t, "b"), text)
    pseudonym = json.loads(out)["email"]
    assert pseudonym.startswith("tillroll:email:")
    assert out == text.replace('"ann@example.com"', f'"{pseudonym}"')
    assert [where for where, _ in redactions] == ["b.email"]


def test_a_key_named_twice_is_redacted_both_times():
    text = '{"password": "hunter2-first", "password": "hunter2-second"}'
    out, _, _ = walked(lambda p, t: p.json_text(t, "b"), text)
    assert "hunter2" not in out
    assert out == '{"password": "tillroll:dropped", "password": "tillroll:dropped"}'


@settings(max_examples=1500, deadline=None)
@given(text=json_texts())
def test_the_part_asked_for_is_the_redacted_text_of_that_value(text):
    """The vendor's parameters are cut from the redacted body: the part parses to the
    value the keys lead to in the redacted body (the last one, where a key is named twice,
    as the parse keeps it), whether the walk ran or the prefilter found nothing to do."""
    at = path_to_last_container(json.loads(text))
    if not at or any("@" in key for key in at):
        return  # (a key that is an email is renamed in the redacted body: nothing to look it up by)
    (redacted, part), _, _ = walked(lambda p, t: p.json_text_at(t, "b", at), text)
    if part is None:  # only inside a value a rule redacts whole (then the parameters are walked on their own)
        rule_for = redactor().start().rule_for
        assert any(key.lower() == "name" or (rule_for(key) is not None and rule_for(key).action != "keep")
                   for key in at[:-1])  # ("name" under a person: the contextual rule)
        return
    expected = json.loads(redacted)
    for key in at:
        expected = expected[key]
    assert json.loads(part) == expected


def test_a_clean_body_gives_its_part_as_written():
    text = '{"RequestType": "GetStores", "Parameters": {"Region" : "north", "n": [1, 2]}}'
    (redacted, part), redactions, _ = walked(lambda p, t: p.json_text_at(t, "b", ("Parameters",)), text)
    assert (redacted, part, redactions) == (text, '{"Region" : "north", "n": [1, 2]}', [])

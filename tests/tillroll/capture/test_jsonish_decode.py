"""jsonish parses with the JSON decoder's C scanner called directly: the same values and
the same errors as ``JSONDecoder.decode``."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import jsonish

PIECES = st.sampled_from(['{"a": 1}', "[", "]", "{", "}", '"x"', ",", ":", " ", "\n", "\t", "\r", "1", "-0.5e3",
                          "NaN", "true", "nul", '"\\ud800"', '"\\x"', "\ufeff", "x", '"a\nb"'])


def outcome(decode, text):
    try:
        return "value", decode(text)
    except json.JSONDecodeError as exc:
        return type(exc), exc.msg, exc.pos
    except ValueError as exc:  # parse_constant's NaN refusal
        return type(exc), str(exc)


@settings(max_examples=3000, deadline=None)
@given(text=st.lists(PIECES, max_size=8).map("".join) | st.text(max_size=12))
def test_the_direct_scan_decodes_as_the_decoder(text):
    for decoder in (jsonish._STRICT, jsonish._LENIENT):
        assert outcome(lambda t: jsonish._decoded(decoder, t), text) == outcome(decoder.decode, text)

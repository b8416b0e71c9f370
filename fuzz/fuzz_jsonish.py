"""atheris target: tillroll.capture.jsonish, the parser every vendor JSON text goes through.

Checked for every input (bytes decoded as UTF-8, lone surrogates kept where the bytes
spell them, anything else replaced by U+FFFD):

* ``loads(text)`` returns a value or raises ``ValueError`` (``json.JSONDecodeError``
  and ``jsonish.Unparseable`` are both ValueErrors). ``UnicodeError`` is a ValueError too,
  but it is not one loads means to raise, so it counts as a crash; so does any other
  exception (RecursionError, MemoryError, OverflowError, ...).
* A value that ``loads`` returns keeps the documented limits: at most ``MAX_DEPTH`` levels
  deep and no infinite or NaN float. Then the redaction of that text where it stands
  (``Pass.json_text``, compiled when built: it reads the characters of a text that only
  the parse vouched for) returns valid JSON, the same as the pure walk's; and the match
  key's canonical text of the value (compiled when built) is the standard encoder's.
* ``parse(text)`` never raises: it returns ``(value, strict)`` or ``(NOT_JSON, False)``
  (capture calls it without a try). A strict result is exactly what ``loads`` returned.

Run: ``make fuzz`` (see fuzz/README.md), or by hand
``.venv/bin/python fuzz/fuzz_jsonish.py [libFuzzer flags] [corpus dirs or a crash file]``.
"""

from __future__ import annotations

import json
import math

import atheris
from findings import run

with atheris.instrument_imports(include=["tillroll"]):
    from tillroll.capture import json_text, jsonish, match_doc
    from tillroll.capture.redact import Redactor

_REDACTOR = Redactor(b"fuzz-key-not-a-secret-0123456789")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


def _finite(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _same(a, b) -> bool:
    # json.dumps, not ==: NaN is never equal to itself (and must not occur anyway)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _check_text_walk(text: str) -> None:
    """The redaction in place of a text ``loads`` accepted: valid JSON, and the same text
    from the compiled walk (when built) as from the pure one."""
    out = _REDACTOR.start().json_text(text, "body")
    json.loads(out)  # a ValueError here escapes as a crash: the walk broke the JSON
    pure, _ = json_text.redact_text(_REDACTOR.start(), text, "body")
    if out != pure and out != text:  # (the pure prefilter may return the text unwalked)
        raise AssertionError("the compiled and the pure text walk disagree")


def TestOneInput(data: bytes) -> None:
    text = decode(data)

    value = loaded = jsonish.NOT_JSON
    try:
        value = jsonish.loads(text)
    except UnicodeError:
        raise  # a ValueError subclass, but not one loads means to raise
    except ValueError:
        pass
    else:
        loaded = value
        depth = jsonish.depth(value)
        if depth > jsonish.MAX_DEPTH:
            raise AssertionError(f"loads returned a value {depth} levels deep (limit {jsonish.MAX_DEPTH})")
        if not _finite(value):
            raise AssertionError("loads returned a value with an infinite or NaN float")
        _check_text_walk(text)
        if match_doc._canonical(value) != match_doc.pure_canonical(value):
            raise AssertionError("the compiled and the pure canonical text disagree")

    result = jsonish.parse(text)  # any exception here is a crash
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], bool)):
        raise AssertionError(f"parse returned {type(result).__name__}, not (value, strict)")
    parsed, strict = result
    if parsed is jsonish.NOT_JSON:
        if strict:
            raise AssertionError("parse returned (NOT_JSON, True)")
        return
    if jsonish.depth(parsed) > jsonish.MAX_DEPTH or not _finite(parsed):
        raise AssertionError("parse returned a value beyond the limits")
    if strict and loaded is not jsonish.NOT_JSON and text.strip() == text and not _same(parsed, loaded):
        raise AssertionError("parse(text) strict value differs from loads(text)")


def main() -> None:
    run(TestOneInput)


if __name__ == "__main__":
    main()

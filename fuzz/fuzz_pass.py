"""atheris target: the compiled capture path against its oracle, the pure one (differential).

Checked for every input:

* The exchange ``fuzz_capture.build`` makes of the input, stored by ``capture_keyed`` on
  the compiled path and on the pure path (every compiled binding pointed back at the pure
  function, as ``tests/pure_path.py`` does for the differential tests), gives the same
  record: every column of ``to_record_batch([ex]).to_pylist()`` (the match key included)
  and the bytes of ``ex.request_body`` and ``ex.response_body``. Each side gets a fresh
  Redactor, so an input alone reproduces its finding; the compiled path runs a second
  time on one Redactor kept across inputs (its key tables full of earlier inputs' names,
  as in a long recording), and a difference only that one shows is reported as such.
* ``_match_key.clean_canonical`` of the input as text, and of the bodies before its
  choice bytes as text (each decoded as UTF-8 as ``fuzz_jsonish`` does, and as Latin-1:
  one-byte text, which the ``_ByteCanon`` reader takes), under every vendor's rules, with
  no key table, a fresh ``KeyTable()`` and one kept across inputs, answers None or
  ``pure_canonical(pure_clean(json.loads(text), rule_for, volatile))``; and None where
  ``json.loads`` refuses the text.
* ``_outline.outline`` of the same texts, for the vendor profiles' request declaration and
  each profile's outcome declaration, answers UNSURE or ``jsonish.pruned`` of the strict
  parse: never a value where the parse refuses or repairs the text.

Only ``tillroll.*`` Python code is instrumented: the coverage that guides the run is the
pure path's and the pipeline's, not the compiled modules' C.

Run: ``make fuzz`` (see fuzz/README.md). ``python fuzz/fuzz_pass.py --describe FILE``
prints the exchange and the texts an input makes, without fuzzing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import atheris
import fuzz_capture  # its input decoding: build() and describe() (it instruments tillroll's imports)
from findings import run
from fuzz_jsonish import decode

sys.path.append(str(Path(__file__).resolve().parents[1]))  # for tests.pure_path, the one list of the bindings

with atheris.instrument_imports(include=["tillroll"]):
    from tests.pure_path import pure_path
    from tillroll.capture import Redactor, capture_keyed, jsonish, match_doc, native
    from tillroll.capture.vendors import BY_NAME, REQUEST_READS
    from tillroll.store.exchange import to_record_batch

if native.match_ext is None:
    sys.exit(f"fuzz_pass compares the compiled path with the pure one, and {native.describe()}")

clean_canonical = native.reader_ext.clean_canonical
KeyTable = native.table_ext.KeyTable

KEPT = Redactor(fuzz_capture.KEY)  # the compiled path's second run: one Redactor across inputs
VENDORS = [(name, Redactor(fuzz_capture.KEY).start(profile.rule).rule_for, profile.volatile)
           for name, profile in match_doc.BY_NAME.items()]
KEPT_TABLES = {name: KeyTable() for name, _, _ in VENDORS}
REFUSED = object()  # json.loads refused the text
outline, UNSURE = native.outline_ext.outline, native.outline_ext.UNSURE
READS = [("request", REQUEST_READS)] + [(f"{name} outcome", p.outcome_reads) for name, p in BY_NAME.items()]


class PathsDiffer(AssertionError):
    """The compiled path stored something else than the pure one; ``signature``: where."""

    def __init__(self, message: str, signature: str):
        super().__init__(message)
        self.signature = signature


def stored(raw, max_body: int, redactor: Redactor) -> dict:
    """Every column of the record *raw* is stored as, and its bodies' bytes."""
    ex = capture_keyed(raw, redactor, max_body=max_body)
    [row] = to_record_batch([ex]).to_pylist()
    return {**row, "ex.request_body": ex.request_body, "ex.response_body": ex.response_body}


def _differences(compiled: dict, pure: dict) -> list[str]:
    return [name for name in pure if compiled.get(name) != pure[name]] + sorted(set(compiled) - set(pure))


def check_exchange(data: bytes) -> None:
    raw, max_body, _ = fuzz_capture.build(data)
    compiled = stored(raw, max_body, Redactor(fuzz_capture.KEY))
    with pure_path():
        pure = stored(raw, max_body, Redactor(fuzz_capture.KEY))
    kept = stored(raw, max_body, KEPT)
    for record, how in ((compiled, "fresh Redactor"), (kept, "Redactor kept across inputs")):
        columns = _differences(record, pure)
        if columns:
            lines = [f"the compiled path ({how}) stores another record than the pure path: {', '.join(columns)}"]
            for name in columns:
                lines += [f"  {name}:", f"    compiled: {record.get(name)!r}", f"    pure:     {pure.get(name)!r}"]
            lines.append(f"the exchange: {fuzz_capture.describe(data)}")
            raise PathsDiffer("\n".join(lines), ("kept-" if record is kept else "") + "+".join(columns))


def _oracle(text: str, rule_for, volatile):
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested far past the reader's limit
        return REFUSED
    try:
        return match_doc.pure_canonical(match_doc.pure_clean(value, rule_for, volatile))
    except RecursionError:  # deeper than the pure clean goes: far past the reader's limit too
        return REFUSED


def texts(data: bytes) -> list[str]:
    """The input as text, and the bodies before its choice bytes (a seed's JSON body) as text:
    each decoded as UTF-8 (as fuzz_jsonish reads it) and as Latin-1 (always one-byte text)."""
    parts = [data, data[:-len(fuzz_capture.CHOICES)]] if len(data) > len(fuzz_capture.CHOICES) else [data]
    return list(dict.fromkeys(text for part in parts for text in (decode(part), part.decode("latin-1"))))


def check_key_text(text: str) -> None:
    for vendor, rule_for, volatile in VENDORS:
        oracle = _oracle(text, rule_for, volatile)
        for table, how in ((KeyTable(), "a fresh KeyTable"), (KEPT_TABLES[vendor], "the KeyTable kept across inputs")):
            fast = clean_canonical(text, rule_for, volatile, {}, table)
            if fast is None or fast == oracle:
                continue
            expected = "None (json.loads refuses the text)" if oracle is REFUSED else repr(oracle)
            raise PathsDiffer(f"clean_canonical ({vendor}, {how}) of {text!r}\n  gave     {fast!r}\n"
                              f"  expected {expected} or None",
                              f"clean_canonical-{'refused' if oracle is REFUSED else 'differs'}"
                              f"{'-kept' if table is KEPT_TABLES[vendor] else ''}")


def check_outline(text: str) -> None:
    """What the compiled outline builds of *text* for each declaration is UNSURE, or the
    standard parse (strict) pruned to it: it never accepts what the parse refuses or repairs."""
    stripped = text.strip()
    if not stripped:
        return
    value, strict = jsonish.parse(text)
    for name, reads in READS:
        got = outline(stripped, reads)
        if got is UNSURE:
            continue
        if not strict or got != jsonish.pruned(value, reads):
            raise PathsDiffer(f"outline ({name}) of {text!r}\n  gave     {got!r}\n  expected "
                              f"{'UNSURE (the parse is not strict)' if not strict else repr(jsonish.pruned(value, reads))}",
                              f"outline-{'not-strict' if not strict else 'differs'}")


def TestOneInput(data: bytes) -> None:
    check_exchange(data)
    for text in texts(data):
        check_key_text(text)
        check_outline(text)


def describe(data: bytes) -> str:
    return "\n".join([fuzz_capture.describe(data)] + [f"as text: {text!r}" for text in texts(data)])


def main() -> None:
    run(TestOneInput, describe)


if __name__ == "__main__":
    main()

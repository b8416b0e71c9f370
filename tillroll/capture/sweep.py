"""The sweep: fail closed. Every value a redaction pass replaced somewhere in an exchange
is removed from every other text of it about to be stored, in every form it can take
there (as is, JSON-escaped, URL-encoded, with its line breaks spelt either way).

Searching a text value by value costs the values times the text: a 1.2 MB answer listing
6,000 customers (18,000 values redacted) took 3.2 s in :meth:`Sweep.needed` alone. Past
:data:`_ONE_SCAN_FROM` the forms of every value are searched for at once, in one scan of
the text (an Aho-Corasick automaton, ``pyahocorasick``), with the same answers."""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import quote_plus

import ahocorasick

from . import native

_MIN_SWEEP = 6  # shorter remembered values are not swept from free text (too many false hits)
_FILTER_FROM = 512  # characters of text from which the table of runs pays (below, a search is as cheap)
# values (or forms) times characters of text from which one scan for all of them pays
# (building the automaton costs ~1 µs a form): measured with bench_big_answer.py's answers,
# about 500 customers (3 values each, 83 KB) on the compiled path, whose value-by-value
# search skips most values with a table of the text's runs; 50 on the pure path.
_ONE_SCAN_FROM = 1 << 28 if native.ext is not None else 1 << 20
# The automaton holds a form's first characters only: its scan costs up to the text times its
# longest word (a form of one character repeated, over a text of it: 25 s for a form of 200,000
# characters), so a longer form is found by its start, then searched for whole.
_WORD_CHARS = 64


class Sweep:
    """The values one pass replaced, and their removal from other texts."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}  # redacted value -> its replacement
        self._forms: list[tuple[str | re.Pattern, str]] | None = None
        self._automaton: ahocorasick.Automaton | None = None  # every literal form, for one scan

    def remember(self, value: str, replacement: str) -> None:
        if value not in self.seen:
            self.seen[value] = replacement
            self._forms = self._automaton = None

    def forms(self) -> list[tuple[str | re.Pattern, str]]:
        """Every form a remembered value takes in stored text (a string, or a pattern for
        values with line breaks, which invalid JSON spells either way), with its
        replacement, longest first: a street line must not be replaced inside the full
        address before the full address itself is."""
        if self._forms is None:
            forms: dict[str | re.Pattern, tuple[int, str]] = {}
            for value, replacement in self.seen.items():
                if len(value) < _MIN_SWEEP:
                    continue
                for form in (value, *_encodings(value)):
                    forms.setdefault(form, (len(form), replacement))
                if "\n" in value:
                    forms.setdefault(_any_newline(value), (len(value), replacement))
            ordered = sorted(forms.items(), key=lambda kv: kv[1][0], reverse=True)
            self._forms = [(form, replacement) for form, (_, replacement) in ordered]
        return self._forms

    def sweep(self, text: str) -> str:
        """Remove every other occurrence of an already-redacted value from *text*, where
        it stands as a value of its own: a last name "Customer" is not a part of the
        operation "GetCustomer" (nor of a product called "CustomerCare")."""
        forms = self.forms()
        if len(forms) * len(text) >= _ONE_SCAN_FROM:
            return self._swept_by_one_scan(text, forms)
        for form, replacement in forms:
            if type(form) is str:
                if form in text:
                    text = _word(form).sub(lambda _m, r=replacement: r, text)
            else:
                text = form.sub(lambda _m, r=replacement: r, text)
        return text

    def _swept_by_one_scan(self, text: str, forms: list[tuple[str | re.Pattern, str]]) -> str:
        """:meth:`sweep`, with which literal forms stand in the text found by one scan: the
        same forms are replaced, in the same order. A replacement can make a form stand where
        it did not only across the text it put in: after each change the text around every
        place the replacement stands is scanned again, so *present* always holds every
        literal form the text holds (and maybe some it no longer does, which change nothing)."""
        present = self._present(text)
        longest = max((len(form) for form, _ in forms if type(form) is str), default=0)
        for form, replacement in forms:
            if type(form) is str:
                if form not in present:
                    continue
                swept = _word(form).sub(lambda _m, r=replacement: r, text)
            else:
                swept = form.sub(lambda _m, r=replacement: r, text)
            if swept != text:
                text = swept
                present |= self._present_around(text, replacement, longest)
        return text

    def _present(self, text: str) -> set[str]:
        """The literal forms of :meth:`forms` that stand in *text* (one scan)."""
        automaton = self._all_forms()
        if not len(automaton):
            return set()
        started = {form for _, forms in automaton.iter(text) for form in forms}
        return {form for form in started if len(form) <= _WORD_CHARS or form in text}

    def _present_around(self, text: str, inserted: str, longest: int) -> set[str]:
        """The literal forms standing across any place *inserted* stands in *text*."""
        found: set[str] = set()
        at = text.find(inserted)
        while at >= 0 and inserted:
            found |= self._present(text[max(0, at - longest + 1):at + len(inserted) + longest - 1])
            at = text.find(inserted, at + 1)
        return found

    def _all_forms(self) -> ahocorasick.Automaton:
        """Every literal form's first :data:`_WORD_CHARS` characters -> the forms starting so."""
        if self._automaton is None:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
            for form, _ in self.forms():
                if type(form) is str:
                    start = form[:_WORD_CHARS]
                    starting = automaton.get(start, None)
                    if starting is None:
                        automaton.add_word(start, [form])
                    else:
                        starting.append(form)
            if len(automaton):
                automaton.make_automaton()
            self._automaton = automaton
        return self._automaton

    def sweep_json(self, text: str) -> str:
        """:meth:`sweep` for a JSON text that stays valid JSON: a remembered value that
        stands in it as a number (a phone number sent as ``1111111111``) becomes a string
        pseudonym, not a bare word."""
        swept = self.sweep(text)
        if swept == text:
            return text
        try:
            json.loads(swept)
            return swept
        except ValueError:
            pass
        try:
            value = json.loads(text)
        except ValueError:
            return swept  # it was not strict JSON either: swept as text
        return json.dumps(self._swept_value(value), ensure_ascii=False)

    def _swept_value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.sweep(value)
        if kind is dict:
            return {(self.sweep(k) if type(k) is str else k): self._swept_value(v) for k, v in value.items()}
        if kind is list:
            return [self._swept_value(v) for v in value]
        if kind is int or kind is float:
            text = json.dumps(value)
            swept = self.sweep(text)
            return value if swept == text else swept
        return value

    def needed(self, text: str) -> bool:
        """Whether :meth:`sweep` might change *text*: whether any form of a remembered value
        stands in it (the forms of :meth:`forms`, value by value, without sorting them).

        The common answer is no, and it is found with one search per value: the longest
        run of ASCII letters and digits of a value stands, unchanged, in each of its forms
        (JSON escapes and URL encoding leave letters and digits alone), so where that run
        is not in *text*, no form of the value is. On the compiled path a table of the
        text's runs of four characters, built in one pass, rules most values out before any
        search."""
        values = self.seen
        if values and len(values) * len(text) >= _ONE_SCAN_FROM:
            return self._any_form_in(text)
        if native.ext is not None and values:
            grams = native.record_ext.Grams(text) if len(text) >= _FILTER_FROM else None  # may_stand, compiled
            candidates = native.record_ext.sweep_candidates(text, values, _MIN_SWEEP, grams)
            return any(stands_in(value, text) for value in candidates)
        for value in values:
            if len(value) < _MIN_SWEEP:
                continue
            needle = _needle(value)
            if needle and needle not in text:  # no form of the value can be there
                continue
            if stands_in(value, text):
                return True
        return False

    def _any_form_in(self, text: str) -> bool:
        """:meth:`needed` by one scan for every form of every value (its definition: a
        form of a remembered value stands in *text*)."""
        automaton = self._all_forms()
        if len(automaton):
            searched: set[str] = set()  # long forms whose start stands: each searched for once
            for _, forms in automaton.iter(text):
                for form in forms:
                    if len(form) <= _WORD_CHARS:
                        return True
                    if form not in searched:
                        searched.add(form)
                        if form in text:
                            return True
        return any(form.search(text) for form, _ in self.forms() if type(form) is not str)


_PLAIN = re.compile(r"[A-Za-z0-9._~-]*")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def grams_may_hold(text: str, needle: str) -> bool:
    """Whether every run of four adjacent characters of *needle* is, hashed into a
    65,536-bit table (:func:`_gram`), one of *text*'s, each character folded to its low
    byte: false means *needle* is certainly not in *text* (a needle shorter than four:
    true). The definition the compiled ``Grams`` implements (and is tested against); the
    pure path searches directly instead."""
    return len(needle) < 4 or _grams(needle) <= _grams(text)


def _grams(s: str) -> set[int]:
    low = [ord(c) & 0xFF for c in s]
    return {_gram(low[i] << 24 | low[i + 1] << 16 | low[i + 2] << 8 | low[i + 3]) for i in range(len(low) - 3)}


def _gram(run: int) -> int:
    """Where a run of four folded characters (the first in the high byte) falls in the table."""
    return (run * 2654435761 & 0xFFFFFFFF) >> 16


def may_stand(text: str, value: str) -> bool:
    """False when no form of *value* can stand in *text*: the runs of four characters of
    its needle are not all in the text. The definition of the compiled filter's first test
    (``sweep_candidates`` given the text's ``Grams``)."""
    needle = _needle(value)
    return not needle or grams_may_hold(text, needle)


def stands_in(value: str, text: str) -> bool:
    """Whether any form of *value* (as is, JSON-escaped, URL-encoded, its line breaks
    spelt either way) stands in *text*: every form searched."""
    if value in text or any(form in text for form in _encodings(value)):
        return True
    return "\n" in value and _any_newline(value).search(text) is not None


def _needle(value: str) -> str:
    """What stands, unchanged, in every form of *value*: the value itself when every form
    is the value (tokens, ids, digits), else its longest run of ASCII letters and digits
    ("" when it has none: nothing to rule a form out with)."""
    if _PLAIN.fullmatch(value):
        return value
    return max(_ALNUM_RUN.findall(value), key=len, default="")


def _encodings(value: str) -> set[str]:
    """Other forms a value takes in stored text: JSON-escaped, URL-encoded."""
    if _PLAIN.fullmatch(value):  # tokens, ids, digits: every form is the value itself
        return set()
    escaped = value if _JSON_AS_IS.fullmatch(value) else json.dumps(value)[1:-1]
    forms = {escaped, value.translate(_QUOTE_PLUS) if value.isascii() else quote_plus(value)}
    return {f for f in forms if f}


_JSON_AS_IS = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but the quote and the backslash: json.dumps keeps it


# quote_plus for ASCII text in one C-level call: unreserved characters as they are, a
# space as "+", everything else %XX (quote_plus's default: no character is safe).
_QUOTE_PLUS = {c: (chr(c) if chr(c).isalnum() or chr(c) in "_.-~" else "+" if c == 32 else f"%{c:02X}")
               for c in range(128)}


@functools.lru_cache(maxsize=4096)
def _word(form: str) -> re.Pattern:
    """*form* not glued to letters or digits on a side where it starts or ends with one.
    The character before it is looked at after its first characters
    (``form(?<![A-Za-z0-9]form)``, with at most 16 of them), not before: a pattern that
    starts with literal text is searched for at C speed (``re`` skips to each place that
    text stands); one that starts with a look-behind is tried at every position of the text
    (7 ms a search of 340 KB, against 0.2)."""
    lead, rest = re.escape(form[:16]), re.escape(form[16:])
    head = rf"(?<![A-Za-z0-9]{lead})" if form[:1].isalnum() else ""
    tail = r"(?![A-Za-z0-9])" if form[-1:].isalnum() else ""
    return re.compile(lead + head + rest + tail)


def _any_newline(value: str) -> re.Pattern:
    escaped = json.dumps(value)[1:-1]
    return re.compile(re.escape(escaped).replace(re.escape("\\n"), r"(?:\\n|\n)"))

"""Redaction: keep every secret off disk, keep the traffic useful.

A :class:`Redactor` holds the key and the policy. :meth:`Redactor.start` opens a
:class:`Pass` for one exchange; the pass redacts headers, query, form, JSON at any depth,
free text and Base64-wrapped JSON, and records every redaction as ``(where, rule)`` —
never the value. Secrets become keyed pseudonyms (``tillroll:securityid:3f9a1c2b4d5e``),
the same secret always the same pseudonym, so joins and replay matching still work;
passwords, CVV and PIN data are dropped; card numbers keep their last four digits.

Fail closed: every value the pass redacted is remembered, and :meth:`Pass.sweep` removes
any other occurrence of it from any text that is about to be stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any, Callable
from urllib.parse import quote_plus, unquote_plus

from .detectors import find_secrets
from .keys import key_id
from .policy import DEFAULT_POLICY, Policy, Rule, contextual_rule, generic_rule, normalise

DROPPED = "tillroll:dropped"
PREFIX = "tillroll:"
_MIN_SWEEP = 6  # shorter remembered values are not swept from free text (too many false hits)

RuleLookup = Callable[[str], "Rule | None"]


class Redactor:
    """Pseudonymises values under a key; opens a :class:`Pass` per exchange."""

    def __init__(self, key: bytes, policy: Policy = DEFAULT_POLICY):
        self._key = key
        self.policy = policy
        self.key_id = key_id(key)

    def digest(self, value: str) -> str:
        return hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:12]

    def pseudonym(self, label: str, value: str) -> str:
        return f"{PREFIX}{label}:{self.digest(value)}"

    def card(self, value: str) -> str:
        digits = re.sub(r"\D", "", value)
        return f"{PREFIX}card:{digits[-4:]}:{self.digest(digits)}"

    def start(self, profile_rules: RuleLookup | None = None) -> "Pass":
        return Pass(self, profile_rules)

    def __repr__(self) -> str:  # never show the key
        return f"Redactor(key_id={self.key_id!r}, policy={self.policy.name!r})"


class Pass:
    """The redaction of one exchange. Not thread-safe; cheap to create."""

    def __init__(self, redactor: Redactor, profile_rules: RuleLookup | None = None):
        self.r = redactor
        self._profile_rules = profile_rules
        self.redactions: list[tuple[str, str]] = []
        self.seen: dict[str, str] = {}  # redacted value -> its replacement, for the sweep
        self.base64_fields: frozenset[str] = frozenset()
        self.base64_problems: list[str] = []

    # -- rules ---------------------------------------------------------------------------
    def rule_for(self, name: str) -> Rule | None:
        norm = normalise(name)
        rule = self.r.policy.fields.get(norm)
        if rule is None and self._profile_rules is not None:
            rule = self._profile_rules(norm)
        if rule is None:
            rule = generic_rule(norm)
        return rule

    def _apply(self, rule: Rule, value: Any, where: str) -> Any:
        """The replacement of *value* under *rule* (records the redaction)."""
        if rule.action == "keep" or value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, (dict, list)):  # a secret name over a structure: redact inside it all
            return self._all(value, rule, where)
        text = value if isinstance(value, str) else json.dumps(value)
        if text.startswith(PREFIX):
            return value  # already a pseudonym (a re-recorded cassette)
        if rule.action == "drop":
            out = DROPPED
        elif _looks_like_card(text) and rule.action in ("card", "pii"):
            out = self.r.card(text)
        elif rule.action == "card":  # a customer identifier that is not a card: say what it is
            out = self.r.pseudonym(_identifier_kind(text), text)
        else:
            out = self.r.pseudonym(rule.label, text)
        self.redactions.append((where, rule.source))
        self.seen[text] = out
        return out

    def _all(self, value: Any, rule: Rule, where: str) -> Any:
        if isinstance(value, dict):
            return {k: self._all(v, rule, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._all(v, rule, f"{where}[{i}]") for i, v in enumerate(value)]
        return self._apply(rule, value, where)

    # -- values ----------------------------------------------------------------------------
    def value(self, text: str, where: str) -> str:
        """*text* with detected secrets (cards, JWTs, bearer tokens, keys) replaced."""
        hits = list(find_secrets(text))
        if not hits:
            return text
        out, last = [], 0
        for kind, start, end in hits:
            found = text[start:end]
            replacement = self.r.card(found) if kind == "card" else self.r.pseudonym(kind, found)
            out += [text[last:start], replacement]
            last = end
            self.redactions.append((where, f"detector.{kind}"))
            self.seen[found] = replacement
        out.append(text[last:])
        return "".join(out)

    # -- JSON --------------------------------------------------------------------------------
    def json(self, obj: Any, where: str, parent: str | None = None) -> Any:
        """A redacted copy of the JSON value *obj* (the input is not modified).
        *parent* is the normalised key of the enclosing object, for contextual rules."""
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                path = f"{where}.{k}"
                rule = self.rule_for(k) if isinstance(k, str) else None
                norm = normalise(k) if isinstance(k, str) else None
                if rule is None and norm is not None:
                    rule = contextual_rule(parent, norm)
                if rule is not None and rule.action != "keep":
                    out[k] = self._apply(rule, v, path)
                elif isinstance(v, str) and norm in self.base64_fields:
                    out[k] = self._base64_json(v, path)
                else:
                    out[k] = self.json(v, path, norm)
            return out
        if isinstance(obj, list):
            return [self.json(v, f"{where}[{i}]", parent) for i, v in enumerate(obj)]
        if isinstance(obj, str):
            return self.value(obj, where)
        if isinstance(obj, int) and not isinstance(obj, bool) and obj > 10**12:
            text = str(obj)
            redacted = self.value(text, where)
            return obj if redacted == text else redacted
        return obj

    def _base64_json(self, value: str, where: str) -> str:
        """Decode a Base64 JSON member (SPOT's legacy ``Body``), redact it, re-encode it."""
        decoded = decode_base64_json(value)
        if decoded is None:
            self.base64_problems.append(f"{where} is not Base64-encoded JSON")
            return self.text(value, where)  # opaque: treat as free text
        redacted = self.json(decoded, f"{where}(base64)")
        if redacted == decoded:
            return value
        return base64.b64encode(json.dumps(redacted, separators=(",", ":")).encode()).decode()

    # -- headers, query, form ------------------------------------------------------------------
    def headers(self, headers: list[tuple[str, str]], where: str) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            rule = self.rule_for(name)
            path = f"{where}.{name.lower()}"
            if rule is not None and rule.action != "keep":
                out.append((name, self._header_value(name, value, rule, path)))
            else:
                out.append((name, self.value(value, path)))
        return out

    def _header_value(self, name: str, value: str, rule: Rule, where: str) -> str:
        lname = name.lower()
        if lname in ("cookie", "set-cookie"):
            return _cookie(value, lambda v: self._apply(rule, v, where), lname == "set-cookie")
        if lname in ("authorization", "proxy-authorization") and " " in value:
            scheme, _, cred = value.partition(" ")
            return f"{scheme} {self._apply(rule, cred, where)}"
        return self._apply(rule, value, where)

    def query(self, query: str, where: str) -> str:
        """The raw query string with secret values replaced; untouched pairs stay byte-identical."""
        if not query:
            return query
        parts = []
        for piece in query.split("&"):
            name, eq, raw_value = piece.partition("=")
            key, value = unquote_plus(name), unquote_plus(raw_value)
            if not value and key.lstrip()[:1] in ("{", "["):  # curl -G -d '{json}': JSON as a key
                new_key = self._json_text(key, f"{where}(json)")
                parts.append(piece if new_key == key else quote_plus(new_key, safe=":"))
                continue
            rule = self.rule_for(key)
            path = f"{where}.{key}"
            if rule is not None and rule.action != "keep":
                new = self._apply(rule, value, path)
            else:
                new = self.value(value, path)
            parts.append(piece if new == value else f"{name}{eq or '='}{quote_plus(str(new), safe=':')}")
        return "&".join(parts)

    def _json_text(self, text: str, where: str) -> str:
        try:
            value = json.loads(text)
        except ValueError:
            return self.text(text, where)
        redacted = self.json(value, where)
        return text if redacted == value else json.dumps(redacted, separators=(",", ":"))

    def form(self, body: str, where: str) -> str:
        return self.query(body, where)

    # -- free text ---------------------------------------------------------------------------
    def text(self, text: str, where: str) -> str:
        """Redact text of unknown syntax: :meth:`named` fields, then detected values."""
        return self.value(self.named(text, where), where)

    def named(self, text: str, where: str) -> str:
        """Redact named fields in text of unknown syntax (invalid JSON, XML, logs):
        ``"key": value``, ``key=value`` and ``<Key>value</Key>`` forms."""

        def keyed(m: re.Match) -> str:
            rule = self.rule_for(m.group("key"))
            if rule is None or rule.action == "keep":
                return m.group()
            raw = m.group("val")
            quote = raw[0] if raw[:1] in "\"'" else ""
            closed = bool(quote) and len(raw) > 1 and raw[-1] == quote
            inner = raw[1:-1] if closed else raw[len(quote):]
            if _PSEUDONYM_ONLY.fullmatch(inner):
                return m.group()
            new = self._apply(rule, inner, f"{where}.{m.group('key')}")
            return f"{m.group('lead')}{quote}{new}{quote if closed else ''}"

        def tagged(m: re.Match) -> str:
            rule = self.rule_for(m.group("tag"))
            if rule is None or rule.action == "keep" or not m.group("val"):
                return m.group()
            new = self._apply(rule, m.group("val"), f"{where}.{m.group('tag')}")
            return f"<{m.group('tag')}{m.group('attrs')}>{new}</{m.group('tag')}>"

        return _TAGGED.sub(tagged, _KEYED.sub(keyed, text))

    def sweep(self, text: str) -> str:
        """Remove every other occurrence of an already-redacted value from *text*."""
        # Longest first: a street line must not be replaced inside the full address
        # before the full address itself is.
        for value in sorted(self.seen, key=len, reverse=True):
            if len(value) < _MIN_SWEEP:
                break
            replacement = self.seen[value]
            for form in (value, *_encodings(value)):
                if form in text:
                    text = text.replace(form, replacement)
            if "\n" in value:  # invalid JSON mixes escaped and raw line breaks in one string
                text = _any_newline(value).sub(replacement.replace("\\", "\\\\"), text)
        return text


def decode_base64_json(value: str) -> Any | None:
    """The JSON value encoded in *value* (standard or URL-safe Base64), or None."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None,
                               validate=True)
        text = raw.decode("utf-8-sig")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _looks_like_card(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return digits.isdigit() and 12 <= len(digits) <= 19


def _identifier_kind(text: str) -> str:
    if "@" in text:
        return "email"
    if re.fullmatch(r"\+?[\d ().-]{7,}", text):
        return "phone"
    return "id"


def _cookie(value: str, replace: Callable[[str], str], set_cookie: bool) -> str:
    if set_cookie:  # "name=value; Path=/; HttpOnly": only the first pair is the secret
        first, sep, attrs = value.partition(";")
        name, eq, val = first.partition("=")
        return f"{name}{eq}{replace(val) if eq else replace(name)}{sep}{attrs}"
    pairs = []
    for pair in value.split(";"):
        name, eq, val = pair.partition("=")
        pairs.append(f"{name}{eq}{replace(val)}" if eq else replace(pair.strip()))
    return ";".join(pairs)


def _encodings(value: str) -> set[str]:
    """Other forms a value takes in stored text: JSON-escaped, URL-encoded."""
    forms = {json.dumps(value)[1:-1], quote_plus(value), quote_plus(value, safe="")}
    return {f for f in forms if f}


def _any_newline(value: str) -> re.Pattern:
    escaped = json.dumps(value)[1:-1]
    return re.compile(re.escape(escaped).replace(re.escape("\\n"), r"(?:\\n|\n)"))


# A quoted value may span raw line breaks (invalid JSON does that); unquoted ends at a separator.
_KEYED = re.compile(
    r"""(?P<lead>(?P<q>["']?)(?P<key>[A-Za-z_][\w.-]{0,63})(?P=q)\s*[:=]\s*)"""
    r"""(?P<val>"(?:[^"\\]|\\.)*"?|'[^'\n]*'?|[^\s,;&}<\]"']+)"""
)
_PSEUDONYM_ONLY = re.compile(r"tillroll:[a-z0-9-]+:[0-9a-f:]+")
_TAGGED = re.compile(r"<(?P<tag>[A-Za-z_][\w.-]{0,63})(?P<attrs>(?:\s[^<>]*)?)>(?P<val>[^<]*)</(?P=tag)>")

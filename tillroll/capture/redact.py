"""Redaction: keep every secret off disk, keep the traffic useful.

A :class:`Redactor` holds the key and the policy. :meth:`Redactor.start` opens a
:class:`Pass` for one exchange; the pass redacts headers, query, form, JSON at any depth,
free text and Base64-wrapped JSON, and records every redaction as ``(where, rule)`` —
never the value. Secrets become keyed pseudonyms (``tillroll:securityid:3f9a1c2b4d5e``),
the same secret always the same pseudonym, so joins and replay matching still work;
passwords, CVV and PIN data are dropped; card numbers keep their last four digits.

Fail closed: every value the pass redacted is remembered, and :meth:`Pass.sweep` removes
any other occurrence of it from any text that is about to be stored.

This is the recording hot path: rules are resolved once per field name and profile,
location strings are built only when something is redacted, and the forms a remembered
value can take are computed once.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Callable

from . import json_text, jsonish, native, querystring
from .detectors import BASE64_JSON_STARTS, MIN_LENGTH, maybe_secret, scan
from .jsonish import json_keys
from .keyed_digest import KeyedDigest
from .keys import key_id
from .named_containers import KEY_LEAD, named_containers
from .policy import (
    DEFAULT_POLICY,
    PERSON_CONTAINERS,
    Policy,
    Rule,
    contextual_rule,
    generic_rule,
    normalise,
)
from .sweep import Sweep

DROPPED = "tillroll:dropped"
PREFIX = "tillroll:"
_NO_RULE = Rule("keep", "", "none")  # cache marker for "no rule applies"

RuleLookup = Callable[[str], "Rule | None"]
# Key names come from the traffic (a body of random keys is a few thousand new ones): the
# rules resolved are kept per vendor for at most this many names, the rest resolved anew.
RULES_KEPT = 4096


class Redactor:
    """Pseudonymises values under a key; opens a :class:`Pass` per exchange."""

    def __init__(self, key: bytes, policy: Policy = DEFAULT_POLICY):
        self.digest = KeyedDigest(key).digest  # value -> its keyed digest; the key is not kept
        self.policy = policy
        self.key_id = key_id(key)
        self._rule_caches: dict[Any, dict[str, Rule]] = {}
        self.match_memo: dict[str, Any] = {}  # match_doc's, by vendor: what it judged of key names
        self.key_tables: dict[Any, Any] = {}  # the compiled walk's, by rule set: what it judged of key names

    def pseudonym(self, label: str, value: str) -> str:
        return f"{PREFIX}{label}:{self.digest(value)}"

    def card(self, value: str) -> str:
        digits = re.sub(r"\D", "", value)
        return f"{PREFIX}card:{digits[-4:]}:{self.digest(digits)}"

    def start(self, profile_rules: RuleLookup | None = None) -> "Pass":
        cache = self._rule_caches.setdefault(profile_rules, {})
        return Pass(self, profile_rules, cache)

    def __repr__(self) -> str:  # never show the key
        return f"Redactor(key_id={self.key_id!r}, policy={self.policy.name!r})"


class Pass:
    """The redaction of one exchange. Not thread-safe; cheap to create."""

    def __init__(self, redactor: Redactor, profile_rules: RuleLookup | None = None,
                 rule_cache: dict[str, Rule] | None = None):
        self.r = redactor
        self._profile_rules = profile_rules
        self._rules = rule_cache if rule_cache is not None else {}
        self.redactions: list[tuple[str, str]] = []
        self.sweeper = Sweep()
        self.seen = self.sweeper.seen  # redacted value -> its replacement, for the sweep
        self._memo: dict[int, tuple[Any, Any]] = {}  # id(container) -> (container, redacted)
        self.recording = True
        self.base64_fields: frozenset[str] = frozenset()

    # -- rules ---------------------------------------------------------------------------
    def rule_for(self, name: str) -> Rule | None:
        rule = self._rules.get(name)
        if rule is None:
            rule = self._resolve(name) or _NO_RULE
            if len(self._rules) < RULES_KEPT:
                self._rules[name] = rule
        return None if rule is _NO_RULE else rule

    def _resolve(self, name: str) -> Rule | None:
        norm = normalise(name)
        rule = self.r.policy.fields.get(norm)
        if rule is None and self._profile_rules is not None:
            rule = self._profile_rules(norm)
        if rule is None:
            rule = generic_rule(norm)
        return rule

    def _note(self, where: str, rule: str, value: str, replacement: str) -> None:
        if self.recording:
            self.redactions.append((where, rule))
        self._remember(value, replacement)

    def _remember(self, value: str, replacement: str) -> None:
        """*value* was replaced: sweep it from everything else in the exchange."""
        self.sweeper.remember(value, replacement)

    def _apply(self, rule: Rule, value: Any, where: str) -> Any:
        """The replacement of *value* under *rule* (records the redaction)."""
        if rule.action == "keep" or value is None or value == "" or isinstance(value, bool):
            return value
        if isinstance(value, (dict, list)):  # a secret name over a structure: redact inside it all
            return self._all(value, rule, where)
        text = value if isinstance(value, str) else json.dumps(value)
        if text.startswith(PREFIX) and (text == DROPPED or PSEUDONYM.fullmatch(text)):
            return value  # already a pseudonym (a re-recorded cassette); "tillroll:<anything>" is not
        if rule.action == "drop":
            out = DROPPED
        elif rule.action in ("card", "pii") and _looks_like_card(text):
            out = self.r.card(text)
        elif rule.action == "card":  # a customer identifier that is not a card: say what it is
            out = self.r.pseudonym(_identifier_kind(text), text)
        else:
            out = self.r.pseudonym(rule.label, text)
        self._note(where, rule.source, text, out)
        return out

    def _all(self, value: Any, rule: Rule, where: str) -> Any:
        if isinstance(value, dict):
            return {k: self._all(v, rule, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._all(v, rule, f"{where}[{i}]") for i, v in enumerate(value)]
        return self._apply(rule, value, where)

    # -- values ----------------------------------------------------------------------------
    def value(self, text: str, where: str) -> str:
        """*text* with detected secrets (cards, JWTs, bearer tokens, keys, emails) replaced."""
        if len(text) < MIN_LENGTH or not maybe_secret(text):
            return text
        return self._detected(text, where)

    def _detected(self, text: str, where: str) -> str:
        """:meth:`value` for text that already passed the prefilter (the walk checks inline).
        Base64 of JSON, whatever its field and vendor, is decoded and redacted inside."""
        if text[:2] in BASE64_JSON_STARTS:
            decoded = decode_base64_json(text)
            if type(decoded) is dict or type(decoded) is list:
                return self._base64_redacted(text, decoded, where)
        hits = list(scan(text))
        if not hits:
            return text
        out, last = [], 0
        for kind, start, end in hits:
            found = text[start:end]
            replacement = self.r.card(found) if kind == "card" else self.r.pseudonym(kind, found)
            out += [text[last:start], replacement]
            last = end
            self._note(where, f"detector.{kind}", found, replacement)
        out.append(text[last:])
        return "".join(out)

    # -- JSON --------------------------------------------------------------------------------
    def json(self, obj: Any, where: str, parent: str | None = None) -> Any:
        """A redacted copy of the JSON value *obj* (the input is not modified; containers
        with nothing to redact are returned as they are). *parent* is the normalised key
        of the enclosing object, for contextual rules. A container already redacted in
        this pass (the parameters are part of the body) is not walked again."""
        kind = type(obj)
        if kind is dict or kind is list:
            memo = self._memo.get(id(obj))
            if memo is not None and memo[0] is obj:
                return memo[1]
            out = self._dict(obj, where, parent) if kind is dict else self._list(obj, where, parent)
            self._memo[id(obj)] = (obj, out)
            return out
        if kind is str:
            if len(obj) < MIN_LENGTH or not maybe_secret(obj):
                return obj
            return self._detected(obj, where)
        if kind is int and obj > 10**12:
            text = str(obj)
            redacted = self.value(text, where)
            return obj if redacted == text else redacted
        return obj

    def json_text(self, text: str, where: str) -> str:
        """The strict JSON *text* with what :meth:`json` would redact replaced where it
        stands (:mod:`tillroll.capture.json_text`); *text* itself when nothing changes."""
        return self.json_text_at(text, where, ())[0]

    def json_text_at(self, text: str, where: str, at: tuple[str, ...]) -> tuple[str, str | None]:
        """:meth:`json_text`, and the redacted text of the value the keys *at* lead to
        (``json_text.redact_text``). The compiled walk replaces this method; here a
        prefilter first spares the Python-level walk of a text that provably holds
        nothing to redact."""
        if not self.json_needs_walk(text):
            return text, (json_text.locate(text, at) if at else None)
        return json_text.redact_text(self, text, where, at)


    def _dict(self, obj: dict, where: str, parent: str | None) -> dict:
        out = None
        rules, base64_fields = self._rules, self.base64_fields
        for k, v in obj.items():
            rule = rules.get(k)  # the rule cache, inlined: this loop is the hot path
            if rule is None:
                rule = self.rule_for(k) if type(k) is str else None
            elif rule is _NO_RULE:
                rule = None
            if rule is None and parent is not None and type(k) is str and len(k) == 4 and k.lower() == "name":
                rule = contextual_rule(parent, "name")
            if rule is not None and rule.action != "keep":
                new = self._apply(rule, v, f"{where}.{k}")
            elif type(v) is str:
                if base64_fields and normalise(k) in base64_fields:
                    new = self._base64_json(v, f"{where}.{k}")
                elif len(v) < MIN_LENGTH or not maybe_secret(v):
                    continue
                else:
                    new = self._detected(v, f"{where}.{k}")
            elif type(v) is dict or type(v) is list:
                new = self.json(v, f"{where}.{k}", normalise(k))
            elif type(v) is int and v > 10**12:
                new = self.json(v, f"{where}.{k}")
            else:
                continue
            if new is not v and new != v:
                if out is None:
                    out = dict(obj)
                out[k] = new
        return self._keys_redacted(obj if out is None else out, where)

    def _keys_redacted(self, obj: dict, where: str) -> dict:
        """*obj* with secrets in its keys replaced (a map keyed by email or card number,
        or a body that a form parser turned into one key)."""
        if not any(type(k) is str and len(k) >= MIN_LENGTH and maybe_secret(k) for k in obj):
            return obj
        return self._keys_rewritten(obj, where)

    def _keys_rewritten(self, obj: dict, where: str) -> dict:
        return {(self._detected(k, f"{where}.<key>") if type(k) is str and maybe_secret(k) else k): v
                for k, v in obj.items()}

    def _list(self, obj: list, where: str, parent: str | None) -> list:
        out = None
        for i, v in enumerate(obj):
            t = type(v)
            if t is str:
                if len(v) < MIN_LENGTH or not maybe_secret(v):
                    continue
                new = self._detected(v, f"{where}[{i}]")
            elif t is dict or t is list or t is int:
                new = self.json(v, f"{where}[{i}]", parent)
            else:
                continue
            if new is not v and new != v:
                if out is None:
                    out = list(obj)
                out[i] = new
        return obj if out is None else out

    def json_needs_walk(self, text: str) -> bool:
        """False when the JSON *text* provably holds nothing to redact: no key any rule
        names, no Base64 member, no person's ``name``, nothing a detector could match.
        A few C-level scans instead of a walk of every node (the common case) on the pure
        path; the compiled text walk is cheaper than these scans."""
        if maybe_secret(text) or "\\u" in text or '\\"' in text:
            return True  # a detector candidate, or keys spelled with escapes we cannot read
        keys = set(json_keys(text))
        for key in keys:
            rule = self.rule_for(key)
            if rule is not None and rule.action != "keep":
                return True
        if self.base64_fields and any(normalise(k) in self.base64_fields for k in keys):
            return True
        if any(k.lower() == "name" for k in keys) and any(normalise(k) in PERSON_CONTAINERS for k in keys):
            return True
        return False

    def _base64_json(self, value: str, where: str) -> str:
        """Decode a Base64 JSON member (SPOT's legacy ``Body``), redact it, re-encode it."""
        decoded = decode_base64_json(value)
        if decoded is None:  # not Base64 JSON after all: treat it as free text
            return self.text(value, where)
        return self._base64_redacted(value, decoded, where)

    def _base64_redacted(self, value: str, decoded: Any, where: str) -> str:
        redacted = self.json(decoded, f"{where}(base64)")
        if redacted is decoded or redacted == decoded:
            return value
        encoded = base64.b64encode(json.dumps(redacted, separators=(",", ":")).encode()).decode()
        self._remember(value, encoded)  # the old Base64 holds the secrets: it goes wherever it stands
        return encoded

    # -- headers, query, form ------------------------------------------------------------------
    def headers(self, headers: list[tuple[str, str]], where: str) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            rule = self.rule_for(name)
            if (rule is None or rule.action == "keep") and "?" not in value and \
                    (len(value) < MIN_LENGTH or not maybe_secret(value)):
                out.append((name, value))  # the common case: nothing to look at
            else:
                out.append((name, self._header(name, value, rule, where)))
        return out

    def _header(self, name: str, value: str, rule: Rule | None, where: str) -> str:
        """One header's stored value, where a rule, a URL or a detector may apply."""
        path = f"{where}.{name.lower()}"
        if rule is not None and rule.action != "keep":
            return self._header_value(name, value, rule, path)
        if "?" in value and name.lower() in _URL_HEADERS:  # a URL: its query is redacted like ours
            base, _, query = value.partition("?")
            return f"{self.value(base, path)}?{self.query(query, path)}"
        if len(value) < MIN_LENGTH or not maybe_secret(value):
            return value
        return self._detected(value, path)

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
        return querystring.rewrite(query, lambda key, value: self._pair(key, value, f"{where}.{key}"),
                                   lambda key: self._json_text(key, f"{where}(json)"), safe=":")

    def _pair(self, key: str, value: str, where: str) -> str:
        rule = self.rule_for(key)
        if rule is not None and rule.action != "keep":
            return str(self._apply(rule, value, where))
        return self.value(value, where)

    def _json_text(self, text: str, where: str) -> str:
        try:
            value = jsonish.loads(text)
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

        depth = 0

        def keyed(m: re.Match) -> str:
            nonlocal depth
            if m.group("key") == PREFIX[:-1] and PSEUDONYM.match(m.string, m.start("key")):
                return m.group()  # "tillroll:email:…" is a pseudonym, not a field "tillroll" holding "email:…"
            rule = self.rule_for(m.group("key"))
            if rule is None or rule.action == "keep":
                val = m.group("val")
                if depth < _NESTED_KEYS and ("=" in val or ":" in val):
                    # "error: password=hunter2": the value swallowed a field of its own
                    depth += 1
                    val = _KEYED.sub(keyed, val)
                    depth -= 1
                return m.group("lead") + val
            raw = m.group("val")
            quote = raw[0] if raw[:1] in "\"'" else ""
            closed = bool(quote) and len(raw) > 1 and raw[-1] == quote
            inner = raw[1:-1] if closed else raw[len(quote):]
            if PSEUDONYM.fullmatch(inner):
                return m.group()
            new = self._apply(rule, inner, f"{where}.{m.group('key')}")
            return f"{m.group('lead')}{quote}{new}{quote if closed else ''}"

        def tagged(m: re.Match) -> str:
            rule = self.rule_for(m.group("local"))
            if rule is None or rule.action == "keep" or not m.group("val"):
                return m.group()
            new = self._apply(rule, m.group("val"), f"{where}.{m.group('tag')}")
            return f"<{m.group('tag')}{m.group('attrs')}>{new}</{m.group('tag')}>"

        return _TAGGED.sub(tagged, _KEYED.sub(keyed, named_containers(self, text, where)))

    # -- the sweep (tillroll.capture.sweep) ---------------------------------------------------
    def sweep(self, text: str) -> str:
        return self.sweeper.sweep(text)

    def sweep_json(self, text: str) -> str:
        return self.sweeper.sweep_json(text)

    def sweep_needed(self, text: str) -> bool:
        return self.sweeper.needed(text)


def decode_base64_json(value: str) -> Any | None:
    """The JSON value encoded in *value* (standard or URL-safe Base64), or None."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None,
                               validate=True)
        text = raw.decode("utf-8-sig")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    try:
        return jsonish.loads(text)
    except ValueError:
        return None


def _looks_like_card(text: str) -> bool:
    digits = text.replace(" ", "").replace("-", "")
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


_URL_HEADERS = frozenset({"referer", "location", "content-location", "refresh", "link", "origin"})
# A quoted value may span raw line breaks (invalid JSON does that); unquoted ends at a separator.
_NESTED_KEYS = 8  # how deep named() looks into a value for another key=value (bounded: no recursion limit)
_KEYED = re.compile(
    # a key's closing quote is optional ("password": after a value that used up its opening
    # quote); a quoted value left open stops at the line's end (it must not swallow the
    # fields after it: 'UserName="x&password=…')
    rf"(?P<lead>{KEY_LEAD})"
    r"""(?P<val>"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s,;&}<\]"']+)"""
)
# Keys without escapes (a text with escaped quotes or \\u is walked instead): a JSON string
# token cannot contain a bare quote, so this never starts inside a string value.
PSEUDONYM = re.compile(r"tillroll:[a-z0-9-]+:[0-9a-f:]+")  # what _apply and value() write
# The same, read into its parts: (label, a card's last four or None, digest). A digest is 12
# hex digits (Redactor.digest); the sweep never glues a pseudonym to a letter or a digit.
PSEUDONYM_PARTS = re.compile(r"tillroll:([a-z0-9-]+):(?:(\d{1,4}):)?([0-9a-f]{12})(?![0-9a-f])")
# XML elements, namespace prefix allowed (<a:Password>); the rule is the local name's.
_TAGGED = re.compile(r"<(?P<tag>(?:[A-Za-z_][\w.-]{0,63}:)?(?P<local>[A-Za-z_][\w.-]{0,63}))"
                     r"(?P<attrs>(?:\s[^<>]*)?)>(?P<val>[^<]*)</(?P=tag)>")


pure_walk = (Pass._dict, Pass._list, Pass.json, Pass.json_text_at, Pass.headers, Pass._apply)  # the oracle of the compiled walk
if native.ext is not None:  # the walk, compiled; its rare branches call the methods above
    native.ext.configure_walk(_NO_RULE, contextual_rule, normalise, MIN_LENGTH, PERSON_CONTAINERS)
    Pass._dict = native.ext.redact_dict
    Pass._list = native.ext.redact_list
    Pass.json = native.ext.redact_json
    Pass.headers = native.ext.redact_headers
    native.ext.configure_apply(PREFIX, DROPPED, PSEUDONYM.fullmatch, _looks_like_card, _identifier_kind, Pass, Redactor,
                               Sweep)
    Pass._apply = native.ext.apply
    native.text_ext.configure(_NO_RULE, contextual_rule, normalise, MIN_LENGTH)
    Pass.json_text_at = native.text_ext.redact_json_text

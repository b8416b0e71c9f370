"""The real values behind a cassette's pseudonyms: loading them, and which one goes where.

A cassette holds ``tillroll:securityid:3f9a1c2b4d5e``; the user holds the SecurityID. They
are given as a TOML file (``--secrets FILE``: ``name = "value"`` lines) or as environment
variables ``TILLROLL_SECRET_<NAME>``. :func:`resolve` decides, before anything is sent,
which secret stands for which pseudonym:

* **by digest**: with the cassette's redaction key, a secret whose keyed digest is a
  pseudonym's digest is the recorded value itself, whatever its name or the pseudonym's
  label (one email can be a ``username`` and an ``email``);
* **by name**, for a secret that is *not* a recorded value (a sandbox's own key, a rotated
  password): it stands for the pseudonyms labelled with its name (``securityid``,
  ``x-api-key`` and ``api_key`` compare as ``securityid``, ``xapikey``, ``apikey``) that no
  recorded value explains, and for dropped values (``tillroll:dropped``) in fields of that
  name (``password``). A dropped value has no digest: it is filled by name only.

A secret that stands for nothing, and a pseudonym nothing stands for, are reported by
name before anything is sent. Values never leave this module in a message: errors and
:meth:`Secrets.__repr__` name secrets, never show them, and :meth:`Secrets.mask` takes
every value (and its usual encodings) out of a text about to be printed.
"""

from __future__ import annotations

import base64
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import quote, quote_plus

from tillroll.capture import Redactor
from tillroll.capture.policy import normalise

from .plan import DROPPED, digest_of, label_of

ENV_PREFIX = "TILLROLL_SECRET_"
MASK = "[secret]"


class SecretsError(Exception):
    """A secrets problem; the message names the secret or the file, never a value."""


class Secrets:
    """Secret values by name. Never printed: ``repr`` shows only how many there are."""

    def __init__(self, values: dict[str, str]):
        self._values = dict(values)

    def names(self) -> list[str]:
        return list(self._values)

    def value(self, name: str) -> str:
        return self._values[name]

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({len(self._values)} names)"

    __str__ = __repr__

    def mask(self, text: str, replacement: Callable[[str], str] | None = None) -> str:
        """*text* with every secret value, in the forms a request or a log may spell it
        (as is, percent-encoded, JSON-escaped, Base64), replaced by ``[secret]`` (or by
        ``replacement(value)``)."""
        for value in sorted(self._values.values(), key=len, reverse=True):
            if len(value) < 3:
                continue
            for form in _forms(value):
                if form and form in text:
                    text = text.replace(form, replacement(value) if replacement else MASK)
        return text


def _forms(value: str) -> set[str]:
    raw = value.encode("utf-8")
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1],
            base64.b64encode(raw).decode("ascii").rstrip("="), base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}


def load_secrets(path: str | os.PathLike | None, environ: dict[str, str] | None = None) -> Secrets:
    """The secrets of the TOML file at *path* (if any) and of ``TILLROLL_SECRET_*``
    variables; a variable wins over the file for the same (normalised) name."""
    values: dict[str, str] = {}
    if path is not None:
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise SecretsError(f"secrets file {path} does not exist: check the path") from None
        except (OSError, UnicodeDecodeError):
            raise SecretsError(f"secrets file {path} cannot be read as UTF-8 text: check it") from None
        except tomllib.TOMLDecodeError as exc:
            where = str(exc).rpartition("(")[2].rstrip(")") if "(" in str(exc) else "somewhere"
            raise SecretsError(f"secrets file {path} is not valid TOML ({where}): write name = \"value\" lines") \
                from None
        for name, value in doc.items():
            if not isinstance(value, str) or not value:
                raise SecretsError(f"secrets file {path}: {name} must be a non-empty string (name = \"value\")")
            values[name] = value
    for var, value in (os.environ if environ is None else environ).items():
        if var.startswith(ENV_PREFIX) and len(var) > len(ENV_PREFIX) and value:
            name = var[len(ENV_PREFIX):].lower()
            for known in [n for n in values if normalise(n) == normalise(name)]:
                del values[known]
            values[name] = value
    return Secrets(values)


@dataclass
class Resolution:
    """Which secret stands for which pseudonym (names only, never values)."""

    by_token: dict[str, str] = field(default_factory=dict)  # pseudonym -> secret name
    by_field: dict[str, str] = field(default_factory=dict)  # normalised field of a dropped value -> name
    unexplained: dict[str, set[str]] = field(default_factory=dict)  # pseudonym -> fields it stands in
    unused: list[str] = field(default_factory=list)  # secrets that stand for nothing
    how: dict[str, str] = field(default_factory=dict)  # secret name -> "by digest" / "by name"

    def lookup(self, secrets: Secrets):
        """``(pseudonym, field) -> clear value or None`` for :func:`tillroll.send.plan.fill`."""
        def value(token: str, field_name: str) -> str | None:
            if token == DROPPED:
                name = self.by_field.get(normalise(field_name))
            else:
                name = self.by_token.get(token)
            return None if name is None else secrets.value(name)

        return value


def resolve(needed: list[tuple[str, str]], secrets: Secrets, redactor: Redactor | None,
            chained: set[str] = frozenset()) -> Resolution:
    """Match *secrets* to the ``(pseudonym, field)`` pairs the requests hold. Pseudonyms
    whose digest is in *chained* come from live answers and need no secret (one that
    matches them is still used if the live answer lacks the value)."""
    out = Resolution()
    fields: dict[str, set[str]] = {}
    for token, field_name in needed:
        fields.setdefault(token, set()).add(field_name)
    recorded: set[str] = set()  # secrets that are a recorded value
    if redactor is not None:
        by_digest = {redactor.digest(secrets.value(n)): n for n in secrets.names()}
        for token in fields:
            name = by_digest.get(digest_of(token) or "")
            if name is not None:
                out.by_token[token] = name
                recorded.add(name)
                out.how[name] = "by digest (the recorded value)"
    fresh = {normalise(n): n for n in secrets.names() if n not in recorded}
    for token, where in fields.items():
        if token in out.by_token:
            continue
        if token == DROPPED:
            for f in where:
                if normalise(f) in fresh:
                    out.by_field[normalise(f)] = fresh[normalise(f)]
                    out.how[fresh[normalise(f)]] = "by name (a dropped value)"
            missing = {f for f in where if normalise(f) not in out.by_field}
            if missing:
                out.unexplained[token] = missing
            continue
        name = fresh.get(normalise(label_of(token) or "")) or next(
            (fresh[normalise(f)] for f in sorted(where) if normalise(f) in fresh), None)
        if name is not None:
            out.by_token[token] = name
            out.how[name] = "by name (a value the cassette never saw)"
        elif digest_of(token) not in chained:
            out.unexplained[token] = where
    out.unused = [n for n in secrets.names() if n not in out.how]
    return out

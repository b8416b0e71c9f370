"""Redaction policy: what is a secret, what is PII, what is kept in clear.

Field rules come from three places, first match wins: the user's policy file, the
vendor profile, then the generic names below (exact, then by substring). A policy file
is TOML::

    name = "store-42"
    [fields]
    secret = ["x-custom-auth"]   # keyed pseudonym
    pii    = ["loyalty_id"]      # keyed pseudonym (or dropped with pii = "drop")
    drop   = ["pin_block"]       # removed, not hashed
    card   = ["pan_token"]       # last four digits + pseudonym
    keep   = ["employeeName"]    # stored in clear
    [bodies]
    drop = ["/internal/*"]       # fnmatch patterns of paths whose bodies are not stored
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import re
import tomllib
from pathlib import Path

ACTIONS = ("secret", "pii", "drop", "card", "keep")


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    action: str  # one of ACTIONS
    label: str  # shown in pseudonyms: tillroll:<label>:<hash>
    source: str  # which rule matched, recorded with each redaction


class PolicyError(Exception):
    """A policy file problem; the message names the file and the fix."""


@functools.lru_cache(maxsize=16384)  # field names repeat: every exchange of a vendor has the same ones
def normalise(name: str) -> str:
    """``X-Api-Key``, ``api_key`` and ``ApiKey`` all become ``xapikey``/``apikey``."""
    return _NOT_ALNUM.sub("", name.lower())


_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def rules(names: dict[str, list[str] | tuple[str, ...]], source: str) -> dict[str, Rule]:
    """``{"secret": ["SecurityID"]}`` -> ``{"securityid": Rule("secret", "securityid", source)}``."""
    out = {}
    for action, fields in names.items():
        for field in fields:
            out[normalise(field)] = Rule(action, normalise(field), f"{source}.{action}")
    return out


GENERIC_EXACT = rules({
    "secret": ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api_key",
               "apikey", "token", "access_token", "refresh_token", "id_token", "client_secret", "secret",
               "session", "session_id", "sessionid", "x-auth-token", "x-session-id", "private_key",
               "securityid", "security_id", "signature", "x-amz-security-token"],
    "drop": ["password", "passwd", "pwd", "pass", "new_password", "old_password", "pin", "pin_block",
             "cvv", "cvv2", "cvc", "cvc2", "cid", "security_code", "card_security_code", "track1",
             "track2", "track_data"],
    "pii": ["first_name", "last_name", "middle_name", "full_name", "customer_name", "employee_name",
            "cardholder_name", "holder_name", "email", "email_address", "phone", "phone_number",
            "mobile", "mobile_phone", "cell_phone", "address", "address_1", "address_2", "address1",
            "address2", "street", "street_address", "birth_date", "birthdate", "date_of_birth", "dob",
            "birthday", "ssn", "cedula", "passport", "passport_number", "username", "user_name", "login"],
    "card": ["card_number", "cardnumber", "pan", "account_number", "loyalty_card_number",
             "gift_card_number", "credit_card", "creditcard"],
}, "generic")

# Substrings of normalised names that make a field secret when nothing else matched.
GENERIC_SECRET_PARTS = ("password", "passwd", "secret", "token", "apikey", "sessionid", "credential",
                        "privatekey", "auth")
GENERIC_DROP_PARTS = ("password", "passwd", "cvv", "pinblock")


@functools.lru_cache(maxsize=8192)
def generic_rule(norm: str) -> Rule | None:
    rule = GENERIC_EXACT.get(norm)
    if rule is not None:
        return rule
    for part in GENERIC_DROP_PARTS:
        if part in norm:
            return Rule("drop", part, "generic.drop")
    for part in GENERIC_SECRET_PARTS:
        if part in norm:
            return Rule("secret", norm, "generic.secret-name")
    return None


# A plain "name" is a product or a tax most of the time, but a person's name inside these.
PERSON_CONTAINERS = frozenset({"employee", "customer", "cashier", "owner", "user", "creator", "contact",
                               "guest", "member", "clerk", "server", "driver", "cardholder", "recipient",
                               "sender", "payer", "information", "profile"})
PERSON_NAME = Rule("pii", "name", "generic.person-name")


def contextual_rule(parent: str | None, norm: str) -> Rule | None:
    """A rule that depends on the enclosing object's key (normalised names)."""
    if norm == "name" and parent in PERSON_CONTAINERS:
        return PERSON_NAME
    return None


@dataclasses.dataclass(frozen=True)
class Policy:
    name: str = "default"
    fields: dict[str, Rule] = dataclasses.field(default_factory=dict)
    drop_body_paths: tuple[str, ...] = ()

    def drops_body(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.drop_body_paths)


DEFAULT_POLICY = Policy()


def load_policy(path: str | Path | None) -> Policy:
    """The policy in the TOML file at *path*, or the default policy when *path* is None."""
    if path is None:
        return DEFAULT_POLICY
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"policy file {path} does not exist: check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"policy file {path} is not valid TOML ({exc}): fix the syntax") from None
    fields = data.get("fields", {})
    unknown = set(fields) - set(ACTIONS)
    if unknown:
        raise PolicyError(f"policy file {path}: unknown [fields] key(s) {sorted(unknown)}; use {list(ACTIONS)}")
    for action, names in fields.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise PolicyError(f"policy file {path}: [fields] {action} must be a list of field names")
    bodies = data.get("bodies", {}).get("drop", [])
    return Policy(name=str(data.get("name", path.stem)), fields=rules(fields, "policy"),
                  drop_body_paths=tuple(bodies))

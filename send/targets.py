"""Where ``tillroll send`` sends each vendor's requests, and whether that looks like production.

``--to URL`` sends everything there; ``--to spot=URL`` (repeatable) sends one vendor's
requests there. The scheme, host and port (and a path prefix, if the URL has one) replace
the recorded ones; the recorded path and query are kept.

Sending a POS day places orders and voids them, so a URL that looks like a known vendor's
production API (its domain, without a sandbox, staging or test marker) is refused unless
the user says ``--yes-production``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Known vendors' production domains (from their public docs' base URLs).
PRODUCTION_DOMAINS = {
    "spot": ("mydrycleaner.com", "spotpos.com"),
    "spoton": ("spoton.com",),
    "spoonity": ("spoonity.com",),
    "xgl": ("xenial.com", "xenialinc.com"),
}
NOT_PRODUCTION = ("sandbox", "staging", "stage", "test", "dev", "uat", "qa", "demo", "preprod", "localhost")


class TargetError(ValueError):
    """A --to problem; one sentence naming the value and the fix."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    prefix: str  # path prefix, without a trailing slash

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}[self.scheme]
        return f"{self.scheme}://{host}{'' if self.port == default else f':{self.port}'}{self.prefix}"


def parse_targets(values: tuple[str, ...] | list[str]) -> dict[str | None, Target]:
    """``{vendor or None: Target}`` from ``--to`` values (None: every other vendor)."""
    if not values:
        raise TargetError("say where to send: --to URL (or --to VENDOR=URL, repeatable)")
    out: dict[str | None, Target] = {}
    for value in values:
        vendor, eq, url = value.partition("=")
        if not eq or "://" in vendor:
            vendor, url = None, value
        vendor = vendor.strip().lower() if vendor else None
        if vendor in out:
            raise TargetError(f"--to names {vendor or 'the default target'} twice: give each vendor one URL")
        out[vendor] = _target(url.strip())
    return out


def _target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--to {url!r} is not an http(s) URL: write e.g. https://sandbox.example.com")
    try:
        port = parts.port or {"http": 80, "https": 443}[parts.scheme]
    except ValueError:
        raise TargetError(f"--to {url!r} has an invalid port: write e.g. http://127.0.0.1:8700") from None
    if parts.query or parts.fragment:
        raise TargetError(f"--to {url!r} has a query or fragment: give only scheme, host, port and a path prefix")
    return Target(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def target_for(targets: dict[str | None, Target], vendor: str | None) -> Target | None:
    return targets.get(vendor) or targets.get(None)


def production_vendor(target: Target) -> str | None:
    """The vendor whose production API *target* looks like, or None."""
    host = target.host.lower().rstrip(".")
    labels = host.split(".")
    words = {word.rstrip("0123456789") for label in labels[:-2] for word in re.split(r"[-_]", label)}
    if words & set(NOT_PRODUCTION):  # sandbox.…, api-staging.…, qa2.… (not devices.… nor latest.…)
        return None
    for vendor, domains in PRODUCTION_DOMAINS.items():
        if any(host == d or host.endswith("." + d) for d in domains):
            return vendor
    return None

"""Vendor profiles. A vendor is a module here exposing ``PROFILE``; adding a vendor means
adding one module (and its tests), nothing else: modules are discovered, not listed."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Profile, Reads, RequestView, merge_reads
from .generic import PROFILE as GENERIC

MIN_SCORE = 50
MAX_SCORE = 100  # Profile.recognise answers 0 to 100


def _discover() -> list[Profile]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in ("base", "generic"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "PROFILE", None), Profile):
            found.append(module.PROFILE)
    return sorted(found, key=lambda p: p.name)


PROFILES: list[Profile] = _discover()
BY_NAME: dict[str, Profile] = {p.name: p for p in [*PROFILES, GENERIC]}
#: what detection and decoding read of a JSON request body: every profile is asked
REQUEST_READS: Reads | None = merge_reads(*(p.reads for p in [*PROFILES, GENERIC]))


def detect(req: RequestView) -> Profile:
    """The profile most sure of *req* (at least :data:`MIN_SCORE`), else the generic one;
    the first in name order among equals. A profile sure at :data:`MAX_SCORE` ends the
    search (no later one can be surer)."""
    best, best_score = GENERIC, MIN_SCORE - 1
    for profile in PROFILES:
        try:
            score = min(profile.recognise(req), MAX_SCORE)
        except Exception:  # a profile bug must not stop recording
            continue
        if score > best_score:
            best, best_score = profile, score
            if score == MAX_SCORE:
                break
    return best

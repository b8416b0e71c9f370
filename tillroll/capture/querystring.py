"""Rewriting the values of a query string or a form body, pair by pair (pure).

Redaction replaces secrets in it and ``tillroll send`` puts real values back, both the
same way: each pair decoded, its value handed to a function, and only a pair whose value
changed re-encoded, so untouched pairs stay byte-identical. A key that is JSON with no
value (``curl -G -d '{json}'``) is handed over whole.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import quote_plus, unquote_plus


def rewrite(query: str, value: Callable[[str, str], str], json_key: Callable[[str], str], *,
            safe: str = "") -> str:
    """*query* with each value replaced by ``value(name, value)`` and each JSON key by
    ``json_key(key)`` (both decoded; what they return is encoded with *safe* kept)."""
    if not query:
        return query
    parts = []
    for piece in query.split("&"):
        name, eq, raw = piece.partition("=")
        key, old = unquote_plus(name), unquote_plus(raw)
        if not old and key.lstrip()[:1] in ("{", "["):
            new_key = json_key(key)
            parts.append(piece if new_key == key else quote_plus(new_key, safe=safe))
            continue
        new = value(key, old)
        parts.append(piece if new == old else f"{name}{eq or '='}{quote_plus(new, safe=safe)}")
    return "&".join(parts)

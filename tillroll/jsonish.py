"""JSON as vendors really send it: strict first, then the common breakages repaired.

Repairs (seen in the vendors' own documentation): raw control characters (line breaks)
inside strings, trailing commas, a missing opening brace. The repaired parse is for
*understanding* a body (operation, parameters, outcome); the stored body keeps its
original text.
"""

from __future__ import annotations

import json
import re
from typing import Any

NOT_JSON = object()
_STRING_OR_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=\s*[}\]])', re.S)


def parse(text: str) -> tuple[Any, bool]:
    """``(value, strict)``: the parsed value and whether it was valid JSON as is.
    ``(NOT_JSON, False)`` when even the repairs do not make it JSON."""
    stripped = text.strip()
    if not stripped or stripped[0] not in '{["' and not _looks_scalar(stripped):
        return NOT_JSON, False
    try:
        return json.loads(stripped), True
    except ValueError:
        pass
    candidate = _drop_trailing_commas(stripped)
    if candidate.startswith('"') and candidate.endswith("}") and re.match(r'"[^"]*"\s*:', candidate):
        candidate = "{" + candidate
    try:
        return json.loads(candidate, strict=False), False
    except ValueError:
        return NOT_JSON, False


def _drop_trailing_commas(text: str) -> str:
    # commas inside strings are kept: the regex consumes whole strings first
    return _STRING_OR_COMMA.sub(lambda m: "" if m.group() == "," else m.group(), text)


def _looks_scalar(text: str) -> bool:
    return text in ("true", "false", "null") or bool(re.fullmatch(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text))

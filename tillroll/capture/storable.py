"""Text every store can write: Arrow, Parquet and DuckDB take UTF-8 only.

A lone surrogate (``"\\ud800"`` in JSON, a header byte mitmproxy kept with
``surrogateescape``, a percent-escape of bytes that are not UTF-8) is a valid Python
string that no UTF-8 encoder accepts. It becomes U+FFFD, the same way wherever text is
made for the store, so that a key computed at record time and one computed at replay
time from the same request stay equal.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """*text* with every lone surrogate replaced by U+FFFD (ASCII text is returned as is)."""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() and _SURROGATE.search(text) else text

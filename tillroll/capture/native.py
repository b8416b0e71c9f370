"""Which implementation of the capture hot path runs: the compiled one
(:mod:`tillroll.capture._native`, :mod:`tillroll.capture._json_text`,
:mod:`tillroll.capture._keyed_digest` and :mod:`tillroll.capture._match_key`, Cython, built
at install when a C compiler is there)
or the pure-Python one it accelerates, which is the oracle and the fallback.

``TILLROLL_NO_EXTENSIONS=1`` runs the pure path even where the extension is built (as
aiohttp's ``AIOHTTP_NO_EXTENSIONS``). The choice is made once, at import.
"""

from __future__ import annotations

import os

DISABLED = os.environ.get("TILLROLL_NO_EXTENSIONS", "") not in ("", "0")

ext = None  # the compiled detectors, JSON checks and walk over parsed values
text_ext = None  # the compiled walk over a JSON text (tillroll.capture._json_text)
digest_ext = None  # the compiled keyed digest of pseudonyms (tillroll.capture._keyed_digest)
match_ext = None  # the compiled cleaning and canonical text of match documents (tillroll.capture._match_key)
_why = "TILLROLL_NO_EXTENSIONS is set"
if not DISABLED:
    try:
        from . import _json_text as text_ext  # type: ignore[no-redef]
        from . import _keyed_digest as digest_ext  # type: ignore[no-redef]
        from . import _match_key as match_ext  # type: ignore[no-redef]
        from . import _native as ext  # type: ignore[no-redef]
    except ImportError:
        ext = text_ext = digest_ext = match_ext = None  # all or none: the paths are never mixed
        _why = "the compiled extension is not built (no C compiler at install?)"


def describe() -> str:
    """One line for ``tillroll --version`` and the install: which capture path runs."""
    if ext is not None:
        return "capture: native (Cython extensions tillroll.capture._native, _json_text, _keyed_digest, _match_key)"
    return f"capture: pure Python ({_why})"

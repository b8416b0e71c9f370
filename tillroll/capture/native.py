"""Which implementation of the capture hot path runs: the compiled one
(:mod:`tillroll.capture._native`, :mod:`tillroll.capture._json_text`,
:mod:`tillroll.capture._byte_walk`, :mod:`tillroll.capture._key_table`,
:mod:`tillroll.capture._keyed_digest`, :mod:`tillroll.capture._match_key`,
:mod:`tillroll.capture._key_reader`, :mod:`tillroll.capture._record` and
:mod:`tillroll.capture._outline`, Cython, built at
install when a C compiler is there)
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
reader_ext = None  # the match key read straight from a JSON text (tillroll.capture._key_reader)
table_ext = None  # key names judged once, found by their bytes (tillroll.capture._key_table)
record_ext = None  # the whole record's storable-text check and the sweep's needles (tillroll.capture._record)
outline_ext = None  # what the vendor profiles read of a JSON body, without parsing it (tillroll.capture._outline)
_why = "TILLROLL_NO_EXTENSIONS is set"
if not DISABLED:
    try:
        from . import _json_text as text_ext  # type: ignore[no-redef]
        from . import _key_reader as reader_ext  # type: ignore[no-redef]
        from . import _key_table as table_ext  # type: ignore[no-redef]
        from . import _keyed_digest as digest_ext  # type: ignore[no-redef]
        from . import _match_key as match_ext  # type: ignore[no-redef]
        from . import _record as record_ext  # type: ignore[no-redef]
        from . import _outline as outline_ext  # type: ignore[no-redef]
        from . import _native as ext  # type: ignore[no-redef]
    except ImportError:  # all or none: the paths are never mixed
        ext = text_ext = digest_ext = match_ext = reader_ext = table_ext = record_ext = outline_ext = None
        _why = "the compiled extension is not built (no C compiler at install?)"


def describe() -> str:
    """One line for ``tillroll --version`` and the install: which capture path runs."""
    if ext is not None:
        sha = "SHA-256 on the CPU's SHA extensions" if digest_ext.sha_extensions_available() else "SHA-256 in C"
        return ("capture: native (Cython extensions tillroll.capture._native, _json_text, _byte_walk, _key_table, "
                f"_keyed_digest, _match_key, _key_reader, _record, _outline; {sha})")
    return f"capture: pure Python ({_why})"

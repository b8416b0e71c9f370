"""Text that may quote a request (a library's log line, an error message), made fit to
print or store.

Such text has no structure to redact by: mitmproxy's "Unexpected data from server:
b'…'", "Bad HTTP request line: b'GET /order?api_key=…'", an error echoing a URL. So it
keeps what a person needs to tell what happened — the words, the scheme, host and port —
and drops what is request data: byte strings as Python prints them, the path and query
of a URL, the target of a request line, a query anywhere. What is left goes through a
redaction pass when one is given (named fields, detectors), as any free text would.
"""

from __future__ import annotations

import re

from .redact import Pass

ELIDED = "…"
_BYTES = re.compile(r"""\bb(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?)""", re.S)  # b'…', b"…", cut or whole
_URL = re.compile(r"""\b([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s'"<>?#)\]]*)([^\s'"<>)\]]*)""")
_REQUEST_LINE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|CONNECT|TRACE)\s+\S+")
_QUERY = re.compile(r"""\?[^\s'"<>]+""")


def scrub(text: str, redaction: Pass | None = None) -> str:
    """*text* without request data (see the module's docstring)."""
    text = _BYTES.sub(f"b'{ELIDED}'", text)
    text = _URL.sub(lambda m: m.group(1) + (f"/{ELIDED}" if m.group(2) else ""), text)
    text = _REQUEST_LINE.sub(lambda m: f"{m.group(1)} {ELIDED}", text)
    text = _QUERY.sub(f"?{ELIDED}", text)
    return redaction.text(text, "log") if redaction is not None else text

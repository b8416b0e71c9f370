"""Which format a traffic file is in, from its first bytes (never from its name)."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import BinaryIO

HAR, MITM = "har", "mitm"
VCRPY, RUBY_VCR, BETAMAX, POSTMAN = "vcrpy", "ruby-vcr", "betamax", "postman"
FORMATS = (HAR, MITM, VCRPY, RUBY_VCR, BETAMAX, POSTMAN)
CASSETTES = (VCRPY, RUBY_VCR, BETAMAX, POSTMAN)  # read whole as documents (cassettes.py)
_KNOWN = ("HAR, a mitmproxy flow file (mitmdump -w), a vcrpy, Ruby VCR or Betamax cassette, "
          "or a Postman collection")
_POSTMAN = re.compile(rb'schema\.getpostman\.com|"_postman_id"\s*:')
_BETAMAX = re.compile(rb'"?recorded_with"?\s*:\s*"?betamax', re.IGNORECASE)
_FIRST_KEY = re.compile(rb'\s*\{\s*"(\w+)"\s*:')
_BY_FIRST_KEY = {b"log": HAR, b"interactions": VCRPY, b"info": POSTMAN}
_YAML_KEY = re.compile(rb"^(?:---\s*\n|#[^\n]*\n|\s*\n)*(-\s+request\s*:|[\w\"'-]+\s*:)", re.MULTILINE)
_TNETSTRING = re.compile(rb"^(\d{1,12}):")
_BOM = b"\xef\xbb\xbf"
_GZIP = b"\x1f\x8b"


class UnknownFormat(Exception):
    """The file is in none of the formats tillroll imports."""


def open_traffic(path: Path) -> BinaryIO:
    """*path* opened for reading, gunzipped on the fly when it is gzip (a ``.har.gz``)."""
    fo = open(path, "rb")
    if fo.read(2) == _GZIP:
        fo.close()
        return gzip.open(path, "rb")
    fo.seek(0)
    return fo


def unpacked_size(path: Path) -> int:
    """How many bytes there are to read in *path*: a gzip file says its uncompressed size
    (modulo 4 GiB) in its last four bytes."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if f.read(2) == _GZIP and size > 18:
                f.seek(-4, os.SEEK_END)
                return max(size, int.from_bytes(f.read(4), "little"))
    except OSError:
        return 0
    return size


def detect(fo: BinaryIO, name: str) -> str:
    """The format of *fo* from its first bytes (its position is kept): one of :data:`FORMATS`.
    Raises :class:`UnknownFormat` with a sentence that names the file, never its bytes."""
    head = fo.read(64 << 10)
    fo.seek(0)
    if not head:
        raise UnknownFormat(f"{name} is empty: nothing to import")
    text = head[3:] if head.startswith(_BOM) else head
    start = text.lstrip()[:1]
    if start == b"{":
        first = _FIRST_KEY.match(text)
        if first and first.group(1) in _BY_FIRST_KEY:  # the document's first key is the surest sign
            return _BY_FIRST_KEY[first.group(1)]
        if _POSTMAN.search(text) and b'"_postman_variable_scope"' not in text:
            return POSTMAN
        if re.search(rb'"_postman_variable_scope"\s*:', text):
            raise UnknownFormat(f"{name} is a Postman environment, not a collection: "
                                "pass it with --environment beside the collection")
        if re.search(rb'"log"\s*:', text):
            return HAR
        if re.search(rb'"requests"\s*:\s*\[', text) and re.search(rb'"order"\s*:\s*\[', text):
            return POSTMAN  # a Postman collection v1: refused by its reader with a clear line
        if re.search(rb'"http_interactions"\s*:', text):
            return RUBY_VCR if re.search(rb'"recorded_with"\s*:\s*"VCR', text) else BETAMAX
        if re.search(rb'"interactions"\s*:', text):
            return VCRPY
        raise UnknownFormat(f"{name} is JSON but not a HAR file, a cassette or a Postman collection "
                            "(no \"log\", \"interactions\", \"http_interactions\" or Postman \"info\" at its start)")
    if start == b"[" and re.search(rb'"request"\s*:', text):
        return VCRPY  # before vcrpy 1.0: a list of interactions
    match = _TNETSTRING.match(head)
    if match and int(match.group(1)) > 0:
        return MITM
    if re.search(rb"^http_interactions\s*:", text, re.MULTILINE):
        return BETAMAX if _BETAMAX.search(text) else RUBY_VCR
    if re.search(rb"^interactions\s*:|^-\s+request\s*:", text, re.MULTILINE):
        return VCRPY
    if _looks_like_yaml(text):
        raise UnknownFormat(f"{name} is YAML but not a cassette (a vcrpy cassette has interactions:, "
                            "a Ruby VCR cassette http_interactions:)")
    raise UnknownFormat(f"{name} is in none of the formats tillroll imports ({_KNOWN})")


def _looks_like_yaml(text: bytes) -> bool:
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(text) - 4:  # not a multi-byte character cut by the 64 KiB head
            return False
    return bool(_YAML_KEY.match(text))

"""Which format a traffic file is in, from its first bytes (never from its name)."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import BinaryIO

HAR, MITM = "har", "mitm"
FORMATS = (HAR, MITM)
_TNETSTRING = re.compile(rb"^(\d{1,12}):")
_BOM = b"\xef\xbb\xbf"
_GZIP = b"\x1f\x8b"


class UnknownFormat(Exception):
    """The file is neither a HAR file nor a mitmproxy flow file."""


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
    """``"har"`` or ``"mitm"`` from the first bytes of *fo* (its position is kept).
    Raises :class:`UnknownFormat` with a sentence that names the file, never its bytes."""
    head = fo.read(64 << 10)
    fo.seek(0)
    if not head:
        raise UnknownFormat(f"{name} is empty: nothing to import")
    text = head[3:] if head.startswith(_BOM) else head
    if text.lstrip()[:1] == b"{":
        if re.search(rb'"log"\s*:', text):
            return HAR
        raise UnknownFormat(f"{name} is JSON but not a HAR file (no \"log\" object at its start)")
    match = _TNETSTRING.match(head)
    if match and int(match.group(1)) > 0:
        return MITM
    raise UnknownFormat(f"{name} is neither a HAR file nor a mitmproxy flow file "
                        "(HAR is JSON starting with {\"log\": …}; a flow file is written by mitmdump -w)")

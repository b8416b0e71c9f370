"""HTTP content codings: undo them to look inside a body, redo them to replay it."""

from __future__ import annotations

import gzip
import zlib

import brotli
import zstandard


class UndecodableContent(Exception):
    """The body does not decode with its declared Content-Encoding."""


def decode_content(body: bytes, encoding: str | None) -> bytes:
    """*body* with every coding in *encoding* (e.g. ``"gzip"``, ``"br"``) undone."""
    if not encoding:
        return body
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        try:
            body = _DECODERS[coding](body)
        except KeyError:
            raise UndecodableContent(f"unknown content-encoding {coding!r}") from None
        except Exception as exc:  # each codec has its own error types
            raise UndecodableContent(f"{coding} body does not decode ({type(exc).__name__})") from None
    return body


def encode_content(body: bytes, encoding: str | None) -> bytes:
    """*body* with the codings in *encoding* applied, in order."""
    if not encoding:
        return body
    for coding in [c.strip().lower() for c in encoding.split(",") if c.strip()]:
        body = _ENCODERS[coding](body)
    return body


def _inflate(body: bytes) -> bytes:
    try:
        return zlib.decompress(body)
    except zlib.error:  # raw deflate, as some servers send it
        return zlib.decompress(body, -zlib.MAX_WBITS)


def _unzstd(body: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompress(body, max_output_size=1 << 30)


_DECODERS = {
    "identity": lambda b: b,
    "gzip": gzip.decompress,
    "x-gzip": gzip.decompress,
    "deflate": _inflate,
    "br": brotli.decompress,
    "zstd": _unzstd,
}
_ENCODERS = {
    "identity": lambda b: b,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "x-gzip": lambda b: gzip.compress(b, mtime=0),
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}

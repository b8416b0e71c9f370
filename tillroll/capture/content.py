"""HTTP content codings: undo them to look inside a body, redo them to replay it.

Decoding is bounded: :func:`decode_content` inflates in a stream and stops at *limit*
bytes, so a body of a megabyte that inflates to a gigabyte (a decompression bomb) costs
*limit* bytes of memory, never the gigabyte. ``brotlicffi`` is used for ``br`` because
its decompressor takes an output limit (the ``Brotli`` package that mitmproxy pins has
none); encoding keeps using ``Brotli``.
"""

from __future__ import annotations

import gzip
import zlib

import brotli
import brotlicffi
import zstandard

_CHUNK = 64 * 1024
_ZSTD_PIECE = 256


class UndecodableContent(Exception):
    """The body does not decode with its declared Content-Encoding."""


def decode_content(body: bytes, encoding: str | None, limit: int | None = None) -> tuple[bytes, bool]:
    """``(body, cut)``: *body* with every coding in *encoding* (``"gzip"``, ``"br"``,
    ``"gzip, br"``) undone, at most *limit* bytes of it, and whether it was cut there or
    ended before its coding's end marker (a truncated body)."""
    if not encoding:
        return body, False
    cut = False
    for coding in reversed(_codings(encoding)):
        try:
            decoder = _DECODERS[coding]
        except KeyError:
            raise UndecodableContent(f"unknown content-encoding {coding!r}") from None
        try:
            body, shorter = decoder(body, limit)
        except Exception as exc:  # each codec has its own error types
            raise UndecodableContent(f"{coding} body does not decode ({type(exc).__name__})") from None
        cut = cut or shorter
    return body, cut


def encode_content(body: bytes, encoding: str | None) -> bytes:
    """*body* with the codings in *encoding* applied, in order."""
    if not encoding:
        return body
    for coding in _codings(encoding):
        body = _ENCODERS[coding](body)
    return body


def _bounded(limit: int | None) -> int:
    return (1 << 62) if limit is None else limit


def _zlib_stream(body: bytes, limit: int | None, wbits: int, members: bool) -> tuple[bytes, bool]:
    """Inflate *body* (zlib, raw deflate or gzip by *wbits*) up to *limit* bytes; with
    *members*, one gzip member after another, as ``gzip.decompress`` does."""
    room = _bounded(limit)
    out: list[bytes] = []
    data = body
    first = True
    while data:
        d = zlib.decompressobj(wbits)
        try:
            chunk = d.decompress(data, room + 1 if room < _CHUNK else _CHUNK)
        except zlib.error:
            if first:
                raise
            break  # trailing bytes that are not another member: ignored, as browsers do
        first = False
        while True:
            if len(chunk) > room:
                out.append(chunk[:room])
                return b"".join(out), True
            out.append(chunk)
            room -= len(chunk)
            if d.eof or not d.unconsumed_tail and not chunk:
                break
            chunk = d.decompress(d.unconsumed_tail, room + 1 if room < _CHUNK else _CHUNK)
        if not d.eof:
            return b"".join(out), True  # the stream ends before its end marker: truncated
        data = d.unused_data if members else b""
        if members and data.strip(b"\x00") == b"":
            break  # zero padding after the last member
    return b"".join(out), False


def _gunzip(body: bytes, limit: int | None) -> tuple[bytes, bool]:
    return _zlib_stream(body, limit, 16 + zlib.MAX_WBITS, members=True)


def _inflate(body: bytes, limit: int | None) -> tuple[bytes, bool]:
    try:
        return _zlib_stream(body, limit, zlib.MAX_WBITS, members=False)
    except zlib.error:  # raw deflate, as some servers send it
        pass
    out, cut = _zlib_stream(body, limit, -zlib.MAX_WBITS, members=False)
    if cut and (limit is None or len(out) < limit):
        # Raw deflate has no header to check: almost any bytes start a stream. One that
        # ends before its end marker is taken for what it most likely is, not deflate.
        raise zlib.error("not a deflate stream")
    return out, cut


def _unbrotli(body: bytes, limit: int | None) -> tuple[bytes, bool]:
    room = _bounded(limit)
    d = brotlicffi.Decompressor()
    out = [d.process(body, output_buffer_limit=min(room + 1, 1 << 30))]
    size = len(out[0])
    while size <= room and not d.is_finished() and not d.can_accept_more_data():
        chunk = d.process(b"", output_buffer_limit=min(room + 1 - size, 1 << 30))
        if not chunk:
            break
        out.append(chunk)
        size += len(chunk)
    data = b"".join(out)
    if size > room:
        return data[:room], True
    if not data and not d.is_finished():
        # br has no magic number: other bytes (a gzip body under a wrong header, depending on
        # its timestamp) can read as the start of a stream that never yields a byte. Nothing
        # decoded and no end marker is taken for what it most likely is, not brotli.
        raise ValueError("not a brotli stream")
    return data, not d.is_finished()


def _unzstd(body: bytes, limit: int | None) -> tuple[bytes, bool]:
    # zstandard's decompressobj has no output limit: feed it small pieces of input. A
    # piece of _ZSTD_PIECE bytes holds at most a few 128 KiB blocks, so the output can
    # pass the limit by a few hundred KiB at most before it is cut.
    room = _bounded(limit)
    out: list[bytes] = []
    data = body
    while data:
        d = zstandard.ZstdDecompressor().decompressobj()
        pos = 0
        while pos < len(data) and not d.eof:
            chunk = d.decompress(data[pos:pos + _ZSTD_PIECE])
            pos += _ZSTD_PIECE
            if len(chunk) > room:
                out.append(chunk[:room])
                return b"".join(out), True
            out.append(chunk)
            room -= len(chunk)
        if not d.eof:
            return b"".join(out), True  # ends before the end of its frame: truncated
        data = d.unused_data + data[pos:]
    return b"".join(out), False


_DECODERS = {
    "identity": lambda b, limit: (b, False) if limit is None or len(b) <= limit else (b[:limit], True),
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _inflate,
    "br": _unbrotli,
    "zstd": _unzstd,
}
# Redone codings are read by a client at once (a replayed answer, an imported HAR body put
# back as it went over the wire, a flow exported): the settings servers use for dynamic
# content, not the densest. Brotli's default, quality 11, took 67 ms for a 55 KB JSON answer
# where quality 5 takes 0.7 ms for a body 3 % larger; gzip's default, level 9, three times
# level 6's time for 0.5 % less (benchmarks/RESULTS.md, "What a Content-Encoding costs").
_GZIP_LEVEL, _BROTLI_QUALITY = 6, 5
_ENCODERS = {
    "identity": lambda b: b,
    "gzip": lambda b: gzip.compress(b, compresslevel=_GZIP_LEVEL, mtime=0),
    "x-gzip": lambda b: gzip.compress(b, compresslevel=_GZIP_LEVEL, mtime=0),
    "deflate": zlib.compress,  # (zlib's default level is 6)
    "br": lambda b: brotli.compress(b, quality=_BROTLI_QUALITY),
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),  # (level 3)
}


def known_coding(encoding: str | None) -> bool:
    """Whether :func:`encode_content` can apply every coding *encoding* names."""
    return all(coding in _ENCODERS for coding in _codings(encoding or ""))


def _codings(encoding: str) -> list[str]:
    """The codings a Content-Encoding value names, in the order they were applied."""
    return [c.strip().lower() for c in encoding.split(",") if c.strip()]

"""The keyed digest behind every pseudonym: the first 6 bytes, in hex, of HMAC-SHA256 of a
value's UTF-8 (lone surrogates as they are) under the redaction key
(``tillroll:email:3f9a1c2b4d5e``). The same key and value give the same digest on every
machine and in every version: cassettes recorded earlier match live requests by it.

The key's two padded blocks are hashed once, when the redactor is made (RFC 2104, section
4: the intermediate results may be precomputed), so a value costs only its own blocks.
OpenSSL 3's one-shot ``hmac.digest`` looks the algorithm up by name on every call: it
took a third of the redaction of a JSON body. :class:`PureKeyedDigest` copies the two
hashed pads (half the cost); the compiled :class:`~tillroll.capture._keyed_digest.KeyedDigest`
hashes in C (``TILLROLL_NO_EXTENSIONS=1`` runs the pure one, its oracle).
"""

from __future__ import annotations

import hashlib

from . import native

BLOCK = 64  # SHA-256's block size in bytes


class PureKeyedDigest:
    """HMAC-SHA256 under *key* with its pads hashed once; holds them, never the key."""

    def __init__(self, key: bytes):
        if len(key) > BLOCK:  # a long key is its digest (RFC 2104)
            key = hashlib.sha256(key).digest()
        key = key.ljust(BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def mac(self, data: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def digest(self, value: str) -> str:
        return self.mac(value.encode("utf-8", "surrogatepass"))[:6].hex()

    def __repr__(self) -> str:
        return "KeyedDigest(pure)"

    def __reduce__(self):  # the pads are key material: never pickled
        raise TypeError("a KeyedDigest is not pickled; make one from the key where it is needed")


def pure_text_digests(data: bytes | memoryview, offsets, size: int) -> list[bytes]:
    """The first *size* bytes of the SHA-256 of each text ``data[offsets[i]:offsets[i + 1]]``
    (a column of texts as Arrow holds it): replay's index of a million match keys."""
    if not 0 <= size <= 32:
        raise ValueError("a SHA-256 digest has 32 bytes")
    if any(not 0 <= a <= b <= len(data) for a, b in zip(offsets, offsets[1:])):
        raise ValueError("an offset is outside the data")
    view, sha256 = memoryview(data), hashlib.sha256
    return [sha256(view[a:b]).digest()[:size] for a, b in zip(offsets, offsets[1:])]


KeyedDigest = native.digest_ext.KeyedDigest if native.digest_ext is not None else PureKeyedDigest
text_digests = native.digest_ext.text_digests if native.digest_ext is not None else pure_text_digests

# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The keyed digest behind every pseudonym, compiled: :class:`KeyedDigest` is
``keyed_digest.PureKeyedDigest`` (its oracle) with SHA-256 in C: each block through the
CPU's SHA extensions where it has them (x86 SHA-NI, ``_sha256_ni.h``: a fifth of the
portable C's time), else the portable C below.

HMAC-SHA256 (RFC 2104, FIPS 180-4) with the key's two padded blocks hashed once, when the
redactor is made: each value then costs its own blocks and the outer one, with no call into
OpenSSL (whose one-shot HMAC looks the algorithm up by name on every call).
"""

from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
    void *PyUnicode_DATA(object text)

cdef uint32_t[64] _K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]
cdef uint32_t[8] _IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
cdef const char *_HEX = b"0123456789abcdef"


cdef inline uint32_t _rotr(uint32_t x, unsigned int n) noexcept nogil:
    return (x >> n) | (x << (32 - n))


cdef extern from "_sha256_ni.h":
    int tillroll_sha_ni_available() nogil
    void tillroll_sha256_ni_block(uint32_t *state, const unsigned char *data, const uint32_t *k) nogil

cdef bint _sha_ni = tillroll_sha_ni_available()  # the CPU has the SHA extensions (x86)


def use_sha_extensions(bint wanted):
    """Whether blocks go through the CPU's SHA extensions (where it has them: the default)
    or the portable C; returns whether they did before. For the tests, which check both."""
    global _sha_ni
    before = _sha_ni
    _sha_ni = wanted and tillroll_sha_ni_available()
    return before


def sha_extensions_available():
    """Whether this CPU has the SHA extensions the digest uses by default."""
    return bool(tillroll_sha_ni_available())


cdef inline void _compress(uint32_t *h, const unsigned char *p) noexcept nogil:
    """One 64-byte block into the state *h*."""
    if _sha_ni:
        tillroll_sha256_ni_block(h, p, _K)
    else:
        _compress_portable(h, p)


cdef void _compress_portable(uint32_t *h, const unsigned char *p) noexcept nogil:
    """:func:`_compress` in portable C (FIPS 180-4, 6.2.2)."""
    cdef uint32_t w[64]
    cdef uint32_t a, b, c, d, e, f, g, k, t1, t2
    cdef int i
    for i in range(16):
        w[i] = ((<uint32_t>p[4 * i]) << 24) | ((<uint32_t>p[4 * i + 1]) << 16) \
            | ((<uint32_t>p[4 * i + 2]) << 8) | (<uint32_t>p[4 * i + 3])
    for i in range(16, 64):
        w[i] = w[i - 16] + (_rotr(w[i - 15], 7) ^ _rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)) \
            + w[i - 7] + (_rotr(w[i - 2], 17) ^ _rotr(w[i - 2], 19) ^ (w[i - 2] >> 10))
    a, b, c, d, e, f, g, k = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
    for i in range(64):
        t1 = k + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)) + ((e & f) ^ (~e & g)) + _K[i] + w[i]
        t2 = (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
        k, g, f, e, d, c, b, a = g, f, e, d + t1, c, b, a, t1 + t2
    h[0] += a
    h[1] += b
    h[2] += c
    h[3] += d
    h[4] += e
    h[5] += f
    h[6] += g
    h[7] += k


cdef void _finish(const uint32_t *start, uint64_t before, const unsigned char *data, Py_ssize_t n,
                  unsigned char *out) noexcept nogil:
    """The SHA-256 digest (32 bytes into *out*) of *before* bytes already hashed into the
    state *start* followed by the *n* bytes of *data*."""
    cdef uint32_t h[8]
    cdef unsigned char block[64]
    cdef uint64_t bits = (before + <uint64_t>n) * 8
    cdef int i
    memcpy(h, start, 32)
    while n >= 64:
        _compress(h, data)
        data += 64
        n -= 64
    memset(block, 0, 64)
    memcpy(block, data, n)
    block[n] = 0x80
    if n >= 56:
        _compress(h, block)
        memset(block, 0, 64)
    for i in range(8):
        block[63 - i] = <unsigned char>((bits >> (8 * i)) & 0xff)
    _compress(h, block)
    for i in range(8):
        out[4 * i] = <unsigned char>(h[i] >> 24)
        out[4 * i + 1] = <unsigned char>(h[i] >> 16)
        out[4 * i + 2] = <unsigned char>(h[i] >> 8)
        out[4 * i + 3] = <unsigned char>h[i]


def text_digests(data, offsets, Py_ssize_t size):
    """``keyed_digest.pure_text_digests``: the first *size* bytes of the SHA-256 of each
    text ``data[offsets[i]:offsets[i + 1]]`` (a column of texts as Arrow holds it: a
    million in a tenth of a second, not one Python call each)."""
    cdef const unsigned char[::1] d = memoryview(data).cast("B")  # (an Arrow buffer's view is signed)
    cdef const int64_t[::1] o = offsets
    cdef Py_ssize_t i, count = o.shape[0] - 1 if o.shape[0] else 0
    cdef const unsigned char *base = &d[0] if d.shape[0] else <const unsigned char *>b""
    cdef unsigned char out[32]
    if not 0 <= size <= 32:
        raise ValueError("a SHA-256 digest has 32 bytes")
    for i in range(count):
        if o[i] < 0 or o[i] > o[i + 1] or o[i + 1] > d.shape[0]:
            raise ValueError("an offset is outside the data")
    result = [None] * count
    for i in range(count):
        _finish(_IV, 0, base + o[i], o[i + 1] - o[i], out)
        result[i] = (<char *>out)[:size]
    return result


cdef class KeyedDigest:
    """``keyed_digest.PureKeyedDigest``: ``digest(value)`` is the first 6 bytes, in hex, of
    HMAC-SHA256 of *value*'s UTF-8 (lone surrogates as they are) under *key*; ``mac(data)``
    the whole HMAC of bytes. Holds the key's hashed pads, never the key."""

    cdef uint32_t inner[8]
    cdef uint32_t outer[8]

    def __cinit__(self, bytes key not None):
        cdef unsigned char pads[2][64]
        cdef unsigned char reduced[32]
        cdef const unsigned char *k = <const unsigned char *>(<char *>key)
        cdef Py_ssize_t n = len(key), i
        if n > 64:  # a long key is its digest (RFC 2104)
            _finish(_IV, 0, k, n, reduced)
            k, n = reduced, 32
        memset(pads[0], 0x36, 64)
        memset(pads[1], 0x5c, 64)
        for i in range(n):
            pads[0][i] ^= k[i]
            pads[1][i] ^= k[i]
        memcpy(self.inner, _IV, 32)
        memcpy(self.outer, _IV, 32)
        _compress(self.inner, pads[0])
        _compress(self.outer, pads[1])
        memset(pads, 0, sizeof(pads))
        memset(reduced, 0, 32)

    cdef void _mac(self, const unsigned char *data, Py_ssize_t n, unsigned char *out) noexcept nogil:
        cdef unsigned char inner[32]
        _finish(self.inner, 64, data, n, inner)
        _finish(self.outer, 64, inner, 32, out)

    def digest(self, str value not None):
        cdef unsigned char mac[32]
        cdef char hexed[12]
        cdef bytes encoded
        cdef int i
        if PyUnicode_IS_ASCII(value):  # its characters are its UTF-8
            self._mac(<const unsigned char *>PyUnicode_DATA(value), len(value), mac)
        else:
            encoded = value.encode("utf-8", "surrogatepass")
            self._mac(<const unsigned char *>(<char *>encoded), len(encoded), mac)
        for i in range(6):
            hexed[2 * i] = _HEX[mac[i] >> 4]
            hexed[2 * i + 1] = _HEX[mac[i] & 15]
        return hexed[:12].decode("ascii")

    def mac(self, bytes data not None):
        cdef unsigned char out[32]
        self._mac(<const unsigned char *>(<char *>data), len(data), out)
        return (<char *>out)[:32]

    def __repr__(self):
        return "KeyedDigest(compiled)"

    def __reduce__(self):  # the pads are key material: never pickled
        raise TypeError("a KeyedDigest is not pickled; make one from the key where it is needed")

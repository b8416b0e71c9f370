"""The keyed digest behind every pseudonym: HMAC-SHA256 under the redaction key, the same
on both capture paths and as Python's own ``hmac``, so pseudonyms in cassettes recorded
before stay the ones a live request gets now."""

from __future__ import annotations

import array
import hashlib
import hmac
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.capture import Redactor, native
from tillroll.capture.keyed_digest import KeyedDigest, PureKeyedDigest, pure_text_digests

# The compiled digest hashes with the CPU's SHA extensions where it has them (x86 SHA-NI),
# else in portable C: both are checked, each as its own implementation.
MODES = ["pure"] + (["portable C", "SHA extensions"] if native.digest_ext is not None else [])


def _with_mode(mode: str):
    """The KeyedDigest class of *mode*, its blocks hashed the way *mode* says from now on."""
    if mode == "pure":
        return PureKeyedDigest
    if mode == "SHA extensions" and not native.digest_ext.sha_extensions_available():
        pytest.skip("this CPU has no SHA extensions: only the portable C runs here")
    native.digest_ext.use_sha_extensions(mode == "SHA extensions")
    return native.digest_ext.KeyedDigest


@pytest.fixture(params=MODES)
def implementation(request):
    yield _with_mode(request.param)
    if native.digest_ext is not None:
        native.digest_ext.use_sha_extensions(True)  # back to the default


def _every_mode(digest_of):
    """``digest_of(KeyedDigest class)`` under every mode this machine has."""
    out = []
    for mode in MODES:
        if mode == "SHA extensions" and not native.digest_ext.sha_extensions_available():
            continue
        try:
            out.append(digest_of(_with_mode(mode)))
        finally:
            if native.digest_ext is not None:
                native.digest_ext.use_sha_extensions(True)
    return out


# RFC 4231 test cases 1, 2, 3, 4, 6 and 7 (HMAC-SHA256): short keys, a key of 131 bytes
# (hashed first), data of one and of several blocks.
RFC_4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than block-size data."
     b" The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]


@pytest.mark.parametrize("key, data, expected", RFC_4231)
def test_the_published_test_vectors(implementation, key, data, expected):
    assert implementation(key).mac(data).hex() == expected


def test_every_length_around_the_block_boundaries(implementation):
    for key_length in (0, 1, 32, 63, 64, 65, 200):
        key = bytes((7 * i + 3) % 256 for i in range(key_length))
        digest = implementation(key)
        for length in [*range(0, 200), 1000, 4097]:
            data = bytes((5 * i + key_length) % 256 for i in range(length))
            assert digest.mac(data) == hmac.digest(key, data, "sha256"), (key_length, length)


@settings(max_examples=500, deadline=None)
@given(key=st.binary(max_size=150), value=st.text(max_size=300))
def test_a_value_digests_as_hmac_of_its_utf8(key, value):
    expected = hmac.digest(key, value.encode("utf-8", "surrogatepass"), "sha256").hex()[:12]
    assert set(_every_mode(lambda implementation: implementation(key).digest(value))) == {expected}


def test_lone_surrogates_and_non_ascii_are_digested_as_their_bytes():
    for value in ["\udc80abc", "caf\u00e9", "\u20ac 5", "\U0001f600", "\u00ff" * 70]:
        expected = hmac.digest(b"k", value.encode("utf-8", "surrogatepass"), "sha256").hex()[:12]
        assert set(_every_mode(lambda implementation, value=value: implementation(b"k").digest(value))) == {expected}


def test_the_running_path_is_the_one_native_describes():
    assert KeyedDigest is (PureKeyedDigest if native.digest_ext is None else native.digest_ext.KeyedDigest)


def test_the_redactor_keeps_neither_the_key_nor_a_way_to_carry_it():
    key = b"a-redaction-key-that-must-not-show"
    redactor = Redactor(key)
    assert key.decode() not in repr(redactor) + repr(KeyedDigest(key))
    assert not any(value == key for value in vars(redactor).values())
    with pytest.raises(TypeError):
        pickle.dumps(KeyedDigest(key))
    assert redactor.pseudonym("email", "ana@example.com") == \
        "tillroll:email:" + hmac.digest(key, b"ana@example.com", "sha256").hex()[:12]


def _column(texts: list[bytes]) -> tuple[bytes, array.array]:
    offsets = array.array("q", [0])
    for text in texts:
        offsets.append(offsets[-1] + len(text))
    return b"".join(texts), offsets


TEXT_DIGESTS = [("pure", pure_text_digests)] + ([("compiled", native.digest_ext.text_digests)]
                                                if native.digest_ext is not None else [])


@pytest.mark.parametrize("name, text_digests", TEXT_DIGESTS)
@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.binary(max_size=300), max_size=40), size=st.integers(0, 32))
def test_a_column_of_texts_digests_as_sha256_of_each(name, text_digests, texts, size):
    data, offsets = _column(texts)
    assert text_digests(memoryview(data), offsets, size) == [hashlib.sha256(t).digest()[:size] for t in texts]


@pytest.mark.parametrize("name, text_digests", TEXT_DIGESTS)
def test_a_column_digest_refuses_offsets_outside_its_data(name, text_digests):
    data, offsets = _column([b"abc", b"de"])
    for bad in ([0, 6], [3, 2], [-1, 2]):
        with pytest.raises(ValueError, match="offset"):
            text_digests(data, array.array("q", bad), 16)
    with pytest.raises(ValueError, match="32 bytes"):
        text_digests(data, offsets, 33)

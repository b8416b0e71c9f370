"""The redaction key: where it comes from, and its public fingerprint.

Pseudonyms are HMAC-SHA256 under this key, so nobody without it can reverse a short
value (a phone number) by brute force. The key is never stored in a cassette; only its
fingerprint (:func:`key_id`) is, so a reader can tell which key a cassette was made with.

Sources, first found wins: an explicit key file (``--key-file``), the ``TILLROLL_KEY``
environment variable, then ``$XDG_CONFIG_HOME/tillroll/key`` (``~/.config/tillroll/key``),
created with mode 0600 on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ENV = "TILLROLL_KEY"


class RedactionKeyError(Exception):
    """The key cannot be loaded; the message names the file and the fix, never the key."""


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tillroll" / "key"


def load_key(key_file: str | os.PathLike | None = None, *, create: bool = True) -> bytes:
    """The redaction key as bytes (see the module docstring for where it comes from)."""
    if key_file is not None:
        return _read_key_file(Path(key_file))
    if os.environ.get(ENV):
        return os.environ[ENV].encode("utf-8")
    path = default_key_path()
    if path.exists():
        return _read_key_file(path)
    if not create:
        raise RedactionKeyError(f"no redaction key: set {ENV}, pass --key-file, or create {path}")
    return _create_key_file(path)


def key_id(key: bytes) -> str:
    """A short public fingerprint of *key* (not reversible, safe to store)."""
    return hmac.new(key, b"tillroll key id", hashlib.sha256).hexdigest()[:12]


def _read_key_file(path: Path) -> bytes:
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError:
        raise RedactionKeyError(f"key file {path} does not exist: create it or drop --key-file") from None
    except OSError as exc:
        raise RedactionKeyError(f"key file {path} cannot be read ({exc.strerror}): check its permissions") from None
    if len(data) < 16:
        raise RedactionKeyError(f"key file {path} holds fewer than 16 bytes: use a longer random key")
    return data


def _create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_key_file(path)
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key

"""Canary secrets and the encodings in which a leak could hide."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
from urllib.parse import quote, quote_plus


def token(prefix: str = "", n: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def card_number() -> str:
    """A fresh Luhn-valid 16-digit number."""
    digits = [4] + [secrets.randbelow(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def email() -> str:
    return f"{token('', 12).lower()}@example-{token('', 6).lower()}.com"


def jwt() -> str:
    def seg(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return f"{seg({'alg': 'HS256'})}.{seg({'sub': token()})}.{token('', 43)}"


def forms(canary: str) -> set[bytes]:
    """The byte strings whose presence anywhere means *canary* leaked."""
    raw = canary.encode()
    out = {raw, quote(canary, safe="").encode(), quote_plus(canary).encode(),
           json.dumps(canary)[1:-1].encode(), binascii.hexlify(raw), binascii.hexlify(raw).upper()}
    for offset in range(3):  # Base64 at every alignment: the middle is independent of neighbours
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw)
            core = encoded[(offset * 4 + 2) // 3 + 1: -4]
            if len(core) >= 8:
                out.add(core)
    return {f for f in out if len(f) >= 8}


def leaks(data: bytes, canaries: dict[str, str]) -> list[str]:
    """Names of the canaries found in *data*, in any form."""
    return [name for name, value in canaries.items() if any(f in data for f in forms(value))]

"""Vendor-like faults injected at a rate, so a POS's retry logic can be tested (pure).

``--fault reset=0.05 --fault 5xx=0.02 --fault spot-failed=0.01 --fault slow=0.05``: each
request draws once from a generator seeded with ``--seed``, so the same requests in the
same order get the same faults. The SpotOn documentation requires consumers to retry;
SPOT answers ``Failed: true`` inside an HTTP 200 when it cannot load an account.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

KINDS = ("reset", "5xx", "spot-failed", "slow")
SPOT_FAILED = json.dumps({"Failed": True, "Message": "Unable to load account.", "ReturnObject": None}).encode()
SERVER_ERROR = json.dumps({"message": "Service Unavailable", "tillroll": "injected fault"}).encode()


class FaultError(ValueError):
    """A malformed ``--fault``; the message shows the syntax."""


@dataclass(frozen=True)
class Fault:
    kind: str
    rate: float


def parse(specs: list[str] | tuple[str, ...]) -> list[Fault]:
    faults = []
    for spec in specs:
        kind, eq, rate = spec.partition("=")
        if kind not in KINDS or not eq:
            raise FaultError(f"--fault {spec!r}: use KIND=RATE with KIND one of {', '.join(KINDS)} (e.g. 5xx=0.02)")
        try:
            value = float(rate)
        except ValueError:
            raise FaultError(f"--fault {spec!r}: the rate must be a number between 0 and 1") from None
        if not 0 <= value <= 1:
            raise FaultError(f"--fault {spec!r}: the rate must be between 0 and 1")
        faults.append(Fault(kind, value))
    if sum(f.rate for f in faults) > 1:
        raise FaultError("the --fault rates add up to more than 1")
    return faults


class Injector:
    def __init__(self, faults: list[Fault], seed: int = 0):
        self.faults = faults
        self.seed = seed
        self._rng = random.Random(seed)

    def draw(self, vendor: str | None) -> str | None:
        """The fault for the next request, or None. One draw per request, always."""
        if not self.faults:
            return None
        x, edge = self._rng.random(), 0.0
        for fault in self.faults:
            edge += fault.rate
            if x < edge:
                if fault.kind == "spot-failed" and vendor != "spot":
                    return None  # a SPOT-only failure shape
                return fault.kind
        return None

    def reset(self) -> None:
        self._rng = random.Random(self.seed)

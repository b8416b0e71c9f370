"""Cassettes for replay tests, written through the real store the way the recorder writes them."""

from __future__ import annotations

from pathlib import Path

from tests.samples import redactor
from tillroll.capture import capture
from tillroll.capture.match_doc import match_key
from tillroll.capture import RawExchange
from tillroll.store import CassetteWriter


def write_cassette(path: Path, raws: list[RawExchange]) -> Path:
    r = redactor()
    writer = CassetteWriter(path)
    for i, raw in enumerate(raws):
        ex = capture(raw, r)
        ex.match_key = match_key(ex, r)
        writer.append(ex)
    writer.close()
    return path

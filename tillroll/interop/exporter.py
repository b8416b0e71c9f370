"""Export a cassette as HAR 1.2, a mitmproxy flow file or a vcrpy cassette.

What is exported is what the cassette holds: redacted. Exchanges are streamed in recorded
order, so a cassette of millions exports in bounded memory. The output is written to a
temporary file beside *out* and renamed over it when complete: an interrupted export
leaves no half-written file.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Callable, Iterator

from mitmproxy import io as mitm_io

from tillroll.store.exchange import Exchange
from tillroll.store import open_cassette
from tillroll.store.stream import iter_exchanges
from . import vcr
from .har import HAR_VERSION, decoded_bodies, entry_from_exchange
from .mitm import flow_from_exchange

FORMATS = ("har", "mitm", "vcr")


@dataclasses.dataclass
class ExportResult:
    out: Path
    format: str
    written: int = 0
    left_out: int = 0  # recordings the format cannot hold (vcr: no response)
    redacted_query: set[str] = dataclasses.field(default_factory=set)  # vcr: parameters left out of URIs

    def text(self) -> str:
        line = f"exported {self.written:,} exchange(s) to {self.out} ({self.format})"
        if self.left_out:
            line += f"; left out {self.left_out:,} without a response (vcrpy cannot replay a transport error)"
        if self.redacted_query:
            names = ", ".join(repr(n) for n in sorted(self.redacted_query))
            line += (f"\nredacted query parameters are left out of the URIs: configure vcrpy with "
                     f"filter_query_parameters=[{names}]")
        return line


def export_cassette(cassette: Path, fmt: str, out: Path, *,
                    version: str = "", progress: Callable[[int], None] | None = None) -> ExportResult:
    """Write every exchange of *cassette* to *out* in *fmt*."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    exchanges = iter_exchanges(open_cassette(cassette))
    result = ExportResult(out, fmt)
    tmp = out.with_name(f".{out.name}.tillroll-{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            exchanges = _reported(exchanges, progress)
            if fmt == "har":
                result.written = _write_har(f, exchanges, version)
            elif fmt == "mitm":
                result.written = _write_flows(f, exchanges)
            else:
                result.written = _write_vcr(f, exchanges, result)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def _reported(exchanges: Iterator[Exchange], progress) -> Iterator[Exchange]:
    """*exchanges*, telling *progress* every thousand read."""
    for n, ex in enumerate(exchanges, 1):
        if progress is not None and n % 1000 == 0:
            progress(n)
        yield ex


def _write_har(f, exchanges: Iterator[Exchange], version: str) -> int:
    out = io.TextIOWrapper(f, encoding="utf-8", newline="\n")
    head = {"version": HAR_VERSION, "creator": {"name": "tillroll", "version": version or "unknown"},
            "pages": []}
    out.write('{"log": ' + json.dumps(head, ensure_ascii=False)[:-1] + ', "entries": [\n')
    written = 0
    for ex in exchanges:
        request_body, response_body = decoded_bodies(ex)
        entry = entry_from_exchange(ex, request_body=request_body, response_body=response_body)
        out.write(("" if written == 0 else ",\n") + json.dumps(entry, ensure_ascii=False))
        written += 1
    out.write("\n]}}\n")
    out.flush()
    out.detach()
    return written


def _write_flows(f, exchanges: Iterator[Exchange]) -> int:
    writer = mitm_io.FlowWriter(f)
    written = 0
    for ex in exchanges:
        request_body, response_body = decoded_bodies(ex)
        writer.add(flow_from_exchange(ex, request_body=request_body, response_body=response_body))
        written += 1
    return written


def _write_vcr(f, exchanges: Iterator[Exchange], result: ExportResult) -> int:
    out = io.TextIOWrapper(f, encoding="utf-8", newline="\n")

    def interactions():
        for ex in exchanges:
            request_body, response_body = decoded_bodies(ex)
            item = vcr.interaction(ex, request_body=request_body, response_body=response_body)
            if item is None:
                result.left_out += 1
                continue
            result.redacted_query |= vcr.redacted_query_names(ex)
            yield item

    written = vcr.write_cassette(out, interactions())
    out.flush()
    out.detach()
    return written

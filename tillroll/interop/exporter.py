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

from ..exchange import Exchange
from ..store import open_cassette
from ..stream import iter_exchanges
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
            counted = _counted(exchanges, result, progress)
            if fmt == "har":
                _write_har(f, counted, version)
            elif fmt == "mitm":
                _write_flows(f, counted)
            else:
                _write_vcr(f, counted, result)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


def _counted(exchanges: Iterator[Exchange], result: ExportResult, progress) -> Iterator[Exchange]:
    for ex in exchanges:
        result.written += 1
        if progress is not None and result.written % 1000 == 0:
            progress(result.written)
        yield ex


def _write_har(f, exchanges: Iterator[Exchange], version: str) -> None:
    out = io.TextIOWrapper(f, encoding="utf-8", newline="\n")
    head = {"version": HAR_VERSION, "creator": {"name": "tillroll", "version": version or "unknown"},
            "pages": []}
    out.write('{"log": ' + json.dumps(head, ensure_ascii=False)[:-1] + ', "entries": [\n')
    for n, ex in enumerate(exchanges):
        request_body, response_body = decoded_bodies(ex)
        entry = entry_from_exchange(ex, request_body=request_body, response_body=response_body)
        out.write(("" if n == 0 else ",\n") + json.dumps(entry, ensure_ascii=False))
    out.write("\n]}}\n")
    out.flush()
    out.detach()


def _write_flows(f, exchanges: Iterator[Exchange]) -> None:
    writer = mitm_io.FlowWriter(f)
    for ex in exchanges:
        request_body, response_body = decoded_bodies(ex)
        writer.add(flow_from_exchange(ex, request_body=request_body, response_body=response_body))


def _write_vcr(f, exchanges: Iterator[Exchange], result: ExportResult) -> None:
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

    vcr.write_cassette(out, interactions())
    out.flush()
    out.detach()
    result.written -= result.left_out

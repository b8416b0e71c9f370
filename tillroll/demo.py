"""The demo: a small cassette of a POS day across the four vendors, described.

For now the traffic comes from :mod:`tillroll.synthetic`; it becomes a recording of
the vendor sandbox through the real proxy once the proxy exists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .store import CassetteWriter, open_cassette
from .summary import Summary, summarize
from .synthetic import generate

NEXT_STEPS = """
Next, try:
  tillroll info {cassette}
  tillroll schema
  duckdb -c "SELECT vendor, operation, count(*) FROM read_parquet('{cassette}/**/*.parquet', hive_partitioning=true) GROUP BY ALL"
"""


def run_demo(cassette: Path, exchanges: int) -> Summary:
    """Write *exchanges* synthetic exchanges into a fresh *cassette*; return its summary."""
    if cassette.exists():
        shutil.rmtree(cassette)
    with CassetteWriter(cassette) as writer:
        for ex in generate(exchanges):
            writer.append(ex)
    return summarize(open_cassette(cassette))

"""The cassette store: exchange records in crash-safe segments and Parquet files, read in
recorded order, compacted, on this machine or on object storage. See ARCHITECTURE.md.

The public surface is re-exported here; the modules behind it are the store's own.
"""

from .cassette import Cassette, Source, dedupe, in_order
from .layout import ORDER, WAL, CassetteError, CassetteFull
from .manifest import MANIFEST, NotACassette, check_cassette, check_new_cassette, init_cassette
from .locations import check_writable, open_cassette, open_writer
from .writer import CassetteWriter

__all__ = ["MANIFEST", "ORDER", "WAL", "Cassette", "CassetteError", "CassetteFull", "CassetteWriter",
           "NotACassette", "Source", "check_cassette", "check_new_cassette", "check_writable", "dedupe",
           "in_order", "init_cassette", "open_cassette", "open_writer"]

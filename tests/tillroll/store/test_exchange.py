import dataclasses
import uuid

from tests.factories import error_exchange, full_exchange
from tillroll.store.exchange import (
    COLUMN_NAMES, SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY, Exchange, from_table, new_exchange_id,
    split_body, to_record_batch,
)

import pyarrow as pa


def test_exchange_ids_are_uuid7_and_sort_in_creation_order():
    ids = [new_exchange_id() for _ in range(5000)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_exchange_ids_embed_the_millisecond_clock():
    now_ns = 1_795_000_000_123_456_789
    value = uuid.UUID(new_exchange_id(now_ns)).int
    assert value >> 80 >= now_ns // 1_000_000


def test_utf8_bodies_are_text_and_others_bytes():
    assert split_body("caf\u00e9".encode()) == ("caf\u00e9", None)
    assert split_body(b"\xff\xfe") == (None, b"\xff\xfe")
    assert split_body(b"") == ("", None)
    assert split_body(None) == (None, None)


def test_every_column_survives_arrow_conversion():
    exchanges = [full_exchange(i) for i in range(3)] + [error_exchange(3)]
    for i, ex in enumerate(exchanges):
        ex.exchange_id, ex.cassette, ex.session_id, ex.seq = new_exchange_id(), "c", "s", i
    table = pa.Table.from_batches([to_record_batch(exchanges)])
    assert table.schema.metadata[SCHEMA_VERSION_KEY] == str(SCHEMA_VERSION).encode()
    assert from_table(table) == exchanges


def test_the_schema_documents_every_field():
    assert set(COLUMN_NAMES) == {f.name for f in dataclasses.fields(Exchange)}
    assert SCHEMA.names == list(COLUMN_NAMES)


def test_headers_keep_order_and_duplicates():
    ex = full_exchange()
    ex.exchange_id, ex.session_id, ex.seq = new_exchange_id(), "s", 0
    batch = to_record_batch([ex])
    headers = batch.column("request_headers").to_pylist()[0]
    assert [(h["name"], h["value"]) for h in headers] == ex.request_headers
    assert [h["name"] for h in headers].count("X-Dup") == 2


def test_url_brackets_ipv6_and_hides_default_ports():
    ex = error_exchange()
    assert ex.url == "http://127.0.0.1:9/nothing"
    ex.host, ex.port = "::1", 80
    assert ex.url == "http://[::1]/nothing"

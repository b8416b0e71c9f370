"""The SpotOn dataset as pure functions: windows partition the data, ids find their records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tillroll.sandbox.spoton_data import find_record, format_amount, list_records

NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
BEGIN = NOW - timedelta(days=3)
minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@settings(max_examples=40, deadline=None)
@given(st.lists(minutes, min_size=3, max_size=3, unique=True), st.sampled_from(["cash-deposits", "paid-in-outs"]),
       st.integers(min_value=0, max_value=3))
def test_adjacent_windows_partition_the_records(points, resource, seed):
    a, b, c = (BEGIN + timedelta(minutes=m) for m in sorted(points))
    whole = list_records(seed, "L1", resource, a, c, NOW)
    assert list_records(seed, "L1", resource, a, b, NOW) + list_records(seed, "L1", resource, b, c, NOW) == whole


def test_every_listed_record_is_found_by_its_id():
    for resource in ("cash-deposits", "paid-in-outs"):
        for record in list_records(7, "L1", resource, BEGIN, BEGIN + timedelta(days=1), NOW):
            assert find_record(7, "L1", resource, record["id"], NOW) == record
            assert find_record(8, "L1", resource, record["id"], NOW) is None  # another seed, another world


def test_the_seed_decides_the_data():
    one = list_records(1, "L1", "cash-deposits", BEGIN, BEGIN + timedelta(hours=6), NOW)
    assert one == list_records(1, "L1", "cash-deposits", BEGIN, BEGIN + timedelta(hours=6), NOW)
    assert one != list_records(2, "L1", "cash-deposits", BEGIN, BEGIN + timedelta(hours=6), NOW)


def test_amounts_are_written_the_way_spoton_writes_them():
    assert [format_amount(c) for c in (520, 14700, 1, -250, 0)] == ["5.2", "147", "0.01", "-2.5", "0"]

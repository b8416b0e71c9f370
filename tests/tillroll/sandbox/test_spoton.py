"""SpotOn POS export in the sandbox: the API key, the window rules, and what a window returns."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.samples import sample_json
from tillroll.sandbox import credentials as creds
from tillroll.sandbox.clock import format_instant

KEY = {"x-api-key": creds.SPOTON_API_KEY}
NOW = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)  # the conftest clock
WINDOW = {"cash-deposits": ("updatedAtStart", "updatedAtEnd"), "paid-in-outs": ("createdAtStart", "createdAtEnd")}
STAMP = {"cash-deposits": "lastUpdatedAt", "paid-in-outs": "createdAt"}
RESOURCES = list(WINDOW)


def fetch(client, resource: str, start: datetime | str, end: datetime | str, *, location: str = "LocationX",
          headers=KEY):
    names = WINDOW[resource]
    query = {name: value if isinstance(value, str) else format_instant(value)
             for name, value in zip(names, (start, end))}
    return client.get(f"/posexport/v1/locations/{location}/{resource}", params=query, headers=headers)


def day(client, resource: str, days_ago: int = 3) -> list[dict]:
    start = NOW - timedelta(days=days_ago)
    reply = fetch(client, resource, start, start + timedelta(days=1))
    assert reply.status == 200
    return reply.json()


@pytest.mark.parametrize("resource", RESOURCES)
def test_records_have_exactly_the_documented_fields(sandbox, resource):
    documented = sample_json(f"spoton/0{RESOURCES.index(resource) + 1}-{resource}-response.json")[0]
    records = day(sandbox, resource)
    assert records, "a day holds records"
    assert all(list(r) == list(documented) for r in records)
    assert all(type(r[k]) is type(documented[k]) for r in records for k in documented)
    assert {r["locationId"] for r in records} == {"LocationX"}


def test_flags_names_and_amounts_look_like_the_docs(sandbox):
    week = fetch(sandbox, "paid-in-outs", NOW - timedelta(days=8), NOW - timedelta(days=1)).json()
    assert any(r["voided"] for r in week) and any(r["deleted"] for r in week)
    assert {r["kind"] for r in week} == {"IN", "OUT"} and all(r["employeeName"] for r in week)
    assert all(not r["amount"].endswith("0") or "." not in r["amount"] for r in week)  # "5.2", not "5.20"


@pytest.mark.parametrize("resource", RESOURCES)
def test_start_is_inclusive_and_end_is_exclusive(sandbox, resource):
    record = day(sandbox, resource)[0]
    at = datetime.fromisoformat(record[STAMP[resource]].replace("Z", "+00:00"))
    starting_there = fetch(sandbox, resource, at, at + timedelta(hours=1)).json()
    ending_there = fetch(sandbox, resource, at - timedelta(hours=1), at).json()
    assert starting_there[0] == record
    assert record["id"] not in {r["id"] for r in ending_there}
    assert all(r[STAMP[resource]] < record[STAMP[resource]] for r in ending_there)


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_record_is_inside_the_window_in_time_order(sandbox, resource):
    start, end = NOW - timedelta(days=7, minutes=5), NOW - timedelta(minutes=5)
    records = fetch(sandbox, resource, start, end).json()
    stamps = [r[STAMP[resource]] for r in records]
    assert len(records) > 7 * 24  # a few per hour
    assert stamps == sorted(stamps) and format_instant(start) <= stamps[0] and stamps[-1] < format_instant(end)


def now_minus(**delta) -> datetime:
    return NOW - timedelta(**delta)


@pytest.mark.parametrize("start,end,fragment", [
    (None, now_minus(hours=1), "is required"),
    ("2024-04-28T00:00:00.000Z", "2024-04-29T00:00:00Z", "without milliseconds"),
    ("2024-04-28", "2024-04-29T00:00:00Z", "RFC 3339"),
    ("2024-02-30T00:00:00Z", "2024-03-01T00:00:00Z", "not a real date"),
    (now_minus(days=2), now_minus(days=2), "before"),
    (now_minus(days=1), now_minus(days=2), "before"),
    (now_minus(days=8), now_minus(days=1, seconds=-1), "7 days"),
    (now_minus(days=1), now_minus(minutes=4, seconds=59), "5 or more minutes"),
    (now_minus(days=1), now_minus(minutes=-1), "5 or more minutes"),
])
@pytest.mark.parametrize("resource", RESOURCES)
def test_windows_that_break_a_documented_rule_are_400s(sandbox, resource, start, end, fragment):
    names = WINDOW[resource]
    query = {name: (value if isinstance(value, str) else format_instant(value))
             for name, value in zip(names, (start, end)) if value is not None}
    reply = sandbox.get(f"/posexport/v1/locations/L1/{resource}", params=query, headers=KEY)
    assert reply.status == 400
    assert fragment in reply.json()["message"]
    assert any(name in reply.json()["message"] for name in names)


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_window_of_exactly_7_days_ending_5_minutes_ago_is_allowed(sandbox, resource):
    end = now_minus(minutes=5)
    assert fetch(sandbox, resource, end - timedelta(days=7), end).status == 200
    assert fetch(sandbox, resource, "2024-04-30T00:00:00+02:00", "2024-04-30T10:00:00-02:00").status == 200


def test_the_lag_follows_the_clock(sandbox, clock):
    end = now_minus(minutes=2)
    assert fetch(sandbox, "cash-deposits", end - timedelta(hours=1), end).status == 400
    clock.advance(3 * 60)
    assert fetch(sandbox, "cash-deposits", end - timedelta(hours=1), end).status == 200


def test_only_the_last_90_days_exist(sandbox):
    old = fetch(sandbox, "cash-deposits", now_minus(days=97), now_minus(days=91))
    recent = fetch(sandbox, "cash-deposits", now_minus(days=89), now_minus(days=88))
    assert old.status == 200 and old.json() == [] and recent.json()


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_single_record_is_the_one_in_the_list_or_a_404(sandbox, resource):
    record = day(sandbox, resource)[-1]
    one = sandbox.get(f"/posexport/v1/locations/LocationX/{resource}/{record['id']}", headers=KEY)
    assert one.status == 200 and one.json() == record
    elsewhere = sandbox.get(f"/posexport/v1/locations/LocationY/{resource}/{record['id']}", headers=KEY)
    missing = sandbox.get(f"/posexport/v1/locations/LocationX/{resource}/abc123", headers=KEY)
    assert elsewhere.status == missing.status == 404 and "abc123" in missing.json()["message"]


def test_locations_have_their_own_data_but_share_employees(sandbox):
    x = day(sandbox, "paid-in-outs")
    y = fetch(sandbox, "paid-in-outs", now_minus(days=3), now_minus(days=2), location="LocationY").json()
    assert {r["id"] for r in x}.isdisjoint({r["id"] for r in y})
    names = {r["employeeId"]: r["employeeName"] for r in x}
    assert all(names.get(r["employeeId"], r["employeeName"]) == r["employeeName"] for r in y)


@pytest.mark.parametrize("headers,status", [({}, 401), ({"x-api-key": ""}, 401), ({"x-api-key": "wrong"}, 403)])
def test_the_api_key_is_required(sandbox, headers, status):
    reply = fetch(sandbox, "cash-deposits", now_minus(days=1), now_minus(hours=1), headers=headers)
    assert reply.status == status and "x-api-key" in reply.json()["message"]
    single = sandbox.get("/posexport/v1/locations/LocationX/paid-in-outs/abc", headers=headers)
    assert single.status == status


def test_unknown_paths_are_json_404s(sandbox):
    reply = sandbox.get("/posexport/v1/locations//cash-deposits", headers=KEY)  # the docs' curl, as printed
    assert reply.status == 404 and "cash-deposits" in reply.json()["message"]

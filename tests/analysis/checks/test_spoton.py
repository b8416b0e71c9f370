"""SpotOn POS export checks: each one finds its one planted violation in otherwise compliant
traffic (as SpotOn recommends polling: cash deposits every 5 minutes with a 5-minute lag and a
daily 26-hour sweep, paid in/outs re-pulled for the last 3 days), on exactly that exchange, and
stays quiet on the compliant variant that comes closest to it.

Traffic is a HAR imported through the real recording pipeline (tests/analysis/har_day.py).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from tillroll.analysis import checks
from tillroll.analysis.views import connect

from tests.analysis.har_day import at, call, exchange_at, import_day

HOST = "https://restaurantapi-qa.spoton.com/posexport/v1/locations"
KEY = [("x-api-key", "spoton-api-key-0123456789abcdef")]
POLLS = 12  # cash deposits every 5 minutes from 09:05 to 10:00
PAID_IN_OUT = {"id": "abc123", "locationId": "LocationX", "deleted": False, "voided": False,
               "paymentOptionId": "abc1234", "amount": "5.2", "employeeId": "abc12345", "employeeName": "Sandy Smith",
               "createdAt": "2026-11-01T11:15:42Z", "kind": "IN", "reason": "Cash Low", "notes": "Low on cash"}
CASH_DEPOSIT = {"id": "3tfxffjebfg2fawawdxjlezo2i", "locationId": "LocationX", "deleted": False, "amount": "-147",
                "employeeId": "o4jmrkkoyrbxthecnsu5csg34q", "jobPositionId": "sctoxcap0bfvpduc4rkdvlabwi",
                "recordedAt": "2026-11-02T08:12:59Z", "lastUpdatedByEmployeeId": "ig3b0owgijburo4e4exsn151aq",
                "lastUpdatedByJobPositionId": "vxpuat0rkfgp3kewcfd01ilt2u", "lastUpdatedAt": "2026-11-02T08:19:38Z"}

RULES = ["spoton-window-longer-than-7-days", "spoton-window-end-less-than-5-minutes-ago",
         "spoton-window-start-not-before-end", "spoton-window-empty", "spoton-window-missing",
         "spoton-window-not-rfc3339", "spoton-window-wrong-field", "spoton-api-key-missing",
         "spoton-window-older-than-90-days", "spoton-cash-deposits-before-2020-02-05", "spoton-window-gap",
         "spoton-poll-interval-over-5-minutes", "spoton-daily-sweep-missing",
         "spoton-paid-in-outs-not-repulled-for-voids", "spoton-error-not-retried",
         "spoton-response-items-outside-window"]


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def listing(t: dt.datetime, resource: str, start, end, *, field: str | None = None, location: str = "LocationX",
            status: int = 200, response=None, headers=KEY) -> dict:
    """A list call; *start*/*end* are datetimes (sent as RFC 3339), raw strings, or None (not sent)."""
    field = field or ("updatedAt" if resource == "cash-deposits" else "createdAt")
    query = "&".join(f"{field}{name}={iso(v) if isinstance(v, dt.datetime) else v}"
                     for name, v in (("Start", start), ("End", end)) if v is not None)
    if response is None:
        response = [] if status < 400 else {"message": "The request was refused."}
    return call(t, "GET", f"{HOST}/{location}/{resource}" + (f"?{query}" if query else ""), headers=headers,
                status=status, response=response)


def poll(i: int, **kw) -> dict:
    """Poll *i*: cash deposits at 09:05 + 5i minutes, the window ending 5 minutes before it."""
    t = at(5 + 5 * i)
    return listing(t, "cash-deposits", t - dt.timedelta(minutes=10), t - dt.timedelta(minutes=5), **kw)


def compliant_day(replace: dict[int, dict] | None = None, skip: frozenset[int] = frozenset()) -> list[dict]:
    """The 26-hour sweep, a 3-day paid in/outs re-pull with one item fetched, and 5-minute polls;
    *replace* swaps poll *i* for another call, *skip* leaves polls out."""
    replace = replace or {}
    day = [listing(at(0), "cash-deposits", at(-26 * 60 - 5), at(-5), response=[CASH_DEPOSIT]),
           listing(at(1), "paid-in-outs", at(-72 * 60 - 5), at(-5),
                   response=[PAID_IN_OUT, {**PAID_IN_OUT, "id": "abc124", "voided": True},
                             {**PAID_IN_OUT, "id": "abc125", "deleted": True, "kind": "OUT"}]),
           call(at(2), "GET", f"{HOST}/LocationX/paid-in-outs/abc124", headers=KEY,
                response={**PAID_IN_OUT, "id": "abc124", "voided": True})]
    for i in range(POLLS):
        if i not in skip:
            day.append(replace.get(i) or poll(i))
    return day


def findings(cassette: Path, rule: str | None = None) -> list[checks.Finding]:
    spoton = [c for c in checks.load() if c.rule.startswith("spoton-")]
    return [f for f in checks.run(connect([cassette]), spoton) if rule is None or f.rule == rule]


@pytest.fixture(scope="module")
def compliant(tmp_path_factory):
    return import_day(tmp_path_factory.mktemp("spoton") / "compliant", compliant_day())


def test_the_rules_are_the_checks_of_the_vendor():
    assert sorted(RULES) == sorted(c.rule for c in checks.load() if c.rule.startswith("spoton-"))
    assert {c.severity for c in checks.load() if c.rule in RULES} == {"error", "warning"}


def test_polling_as_spoton_recommends_breaks_no_rule(compliant):
    assert findings(compliant) == []


def test_the_view_exposes_the_documented_window_field_raw_values_and_void_flags(compliant):
    con = connect([compliant])
    rows = con.sql("SELECT operation, documented_field, window_field, window_start_text, window_end_text, "
                   "window_start, response_items, voided_items, deleted_items, sends_api_key "
                   "FROM spoton WHERE started_at < TIMESTAMPTZ '2026-11-02 09:05:00+00' ORDER BY started_at").fetchall()
    sweep, repull, single = rows
    assert sweep[:5] == ("cash-deposits.list", "updatedAt", "updatedAt", "2026-11-01T06:55:00Z", "2026-11-02T08:55:00Z")
    assert sweep[5] == dt.datetime(2026, 11, 1, 6, 55, tzinfo=dt.UTC)
    assert repull[:5] == ("paid-in-outs.list", "createdAt", "createdAt", "2026-10-30T08:55:00Z", "2026-11-02T08:55:00Z")
    assert repull[6:] == (3, 1, 1, True)  # three paid in/outs, one voided, one deleted
    assert single[0] == "paid-in-outs.get" and single[6:] == (1, 1, 0, True)


def test_an_error_response_counts_no_items(tmp_path):
    cassette = import_day(tmp_path / "c", [listing(at(0), "cash-deposits", at(-20), at(-10), status=400)])
    assert connect([cassette]).sql("SELECT response_items, voided_items FROM spoton").fetchall() == [(None, None)]


def test_a_paid_in_outs_window_sent_as_updated_at_is_not_read_as_its_window(tmp_path):
    cassette = import_day(tmp_path / "c", [listing(at(0), "paid-in-outs", at(-20), at(-10), field="updatedAt")])
    row = connect([cassette]).sql("SELECT window_field, window_start, sends_updated_at, sends_created_at, "
                                  "updated_at_start_text FROM spoton").fetchall()
    assert row == [ ("createdAt", None, True, False, "2026-11-02T08:40:00Z")]


# Planted violations: (rule, the traffic, the time of the one exchange it must be found on).
# "extra" calls are added to the compliant day; LocationY keeps a call away from LocationX's polling.
T = at(22)  # between poll 3 (09:20) and poll 4 (09:25)
Y = "LocationY"
PLANTED = {
    "spoton-window-longer-than-7-days": (
        [listing(T, "cash-deposits", T - dt.timedelta(days=8), at(15), status=400)], None, T),
    "spoton-window-end-less-than-5-minutes-ago": (
        [listing(T, "cash-deposits", at(15), at(20), status=400)], None, T),
    "spoton-window-start-not-before-end": (
        [listing(T, "cash-deposits", at(15), at(10), status=400)], None, T),
    "spoton-window-empty": ([listing(T, "cash-deposits", at(15), at(15))], None, T),
    "spoton-window-missing": ([listing(T, "paid-in-outs", at(0), None, status=400)], None, T),
    "spoton-window-not-rfc3339": (
        [], {3: listing(at(20), "cash-deposits", "2026-11-02T09:10:00.000Z", at(15))}, at(20)),
    "spoton-window-wrong-field": (
        [listing(T, "paid-in-outs", at(0), at(15), field="updatedAt", status=400)], None, T),
    "spoton-api-key-missing": ([], {3: poll(3, headers=[])}, at(20)),
    "spoton-window-older-than-90-days": (
        [listing(T, "cash-deposits", T - dt.timedelta(days=91), T - dt.timedelta(days=90), location=Y)], None, T),
    "spoton-cash-deposits-before-2020-02-05": (
        [listing(dt.datetime(2020, 2, 10, tzinfo=dt.UTC), "cash-deposits", "2020-02-01T00:00:00Z",
                 "2020-02-05T00:00:00Z", location=Y)], None, dt.datetime(2020, 2, 10, tzinfo=dt.UTC)),
    # poll 3's window starts a minute late: 09:10..09:11 is never asked for
    "spoton-window-gap": ([], {3: listing(at(20), "cash-deposits", at(11), at(15))}, at(20)),
    # poll 3 is skipped and poll 4 asks for both windows: nothing missed, but polled after 10 minutes
    "spoton-poll-interval-over-5-minutes": (
        [], {3: None, 4: listing(at(25), "cash-deposits", at(10), at(20))}, at(25)),
    "spoton-error-not-retried": (
        [listing(T, "cash-deposits", at(10), at(15), location=Y, status=503)], None, T),
    # poll 3 (09:10..09:15) answers with a deposit last updated at 08:19
    "spoton-response-items-outside-window": ([], {3: poll(3, response=[CASH_DEPOSIT])}, at(20)),
}
# The compliant variant closest to each violation: no finding of that rule.
NEAR_MISSES = {
    "spoton-window-longer-than-7-days": [listing(T, "cash-deposits", T - dt.timedelta(days=7, minutes=5),
                                                 T - dt.timedelta(minutes=5), location=Y)],
    "spoton-window-end-less-than-5-minutes-ago": [listing(T, "cash-deposits", at(7), at(17), location=Y)],
    "spoton-window-start-not-before-end": [listing(T, "cash-deposits", at(15), at(15))],  # empty, not reversed
    "spoton-window-empty": [listing(T, "cash-deposits", at(15), at(16), location=Y)],
    "spoton-window-missing": [call(T, "GET", f"{HOST}/LocationX/cash-deposits/3tfxffjebfg2fawawdxjlezo2i",
                                   headers=KEY, response=CASH_DEPOSIT)],  # a single item has no window
    "spoton-window-not-rfc3339": [listing(T, "cash-deposits", "2026-11-02T04:10:00-05:00", "2026-11-02t09:15:00z",
                                          location=Y)],
    "spoton-window-wrong-field": [listing(T, "paid-in-outs", at(0), at(15), location=Y)],
    "spoton-api-key-missing": [listing(T, "cash-deposits", at(10), at(15), location=Y,
                                       headers=[("X-API-Key", "spoton-api-key-0123456789abcdef")])],
    "spoton-window-older-than-90-days": [listing(T, "cash-deposits", T - dt.timedelta(days=89),
                                                 T - dt.timedelta(days=88), location=Y)],
    # a sweep on 2020-02-05 that starts before that date is legitimate
    "spoton-cash-deposits-before-2020-02-05": [
        listing(dt.datetime(2020, 2, 6, 3, tzinfo=dt.UTC), "cash-deposits", "2020-02-05T00:55:00Z",
                "2020-02-06T02:55:00Z", location=Y)],
    "spoton-window-gap": [listing(T, "cash-deposits", at(5), at(17))],  # an overlap is no gap
    # poll 4 comes 7 minutes after poll 3 (scheduling slack), poll 5 on time
    "spoton-poll-interval-over-5-minutes": ({4: listing(at(27), "cash-deposits", at(15), at(20))}, []),
    "spoton-error-not-retried": [listing(T, "cash-deposits", at(10), at(15), location=Y, status=503),
                                 listing(T + dt.timedelta(seconds=30), "cash-deposits", at(10), at(13), location=Y),
                                 listing(T + dt.timedelta(seconds=40), "cash-deposits", at(13), at(15), location=Y)],
    # a deposit from the 2020-02-05 import, and a paid in/out created exactly at the (inclusive) start
    "spoton-response-items-outside-window": (
        {3: poll(3, response=[{**CASH_DEPOSIT, "lastUpdatedAt": "2020-02-05T00:00:00Z"},
                              {**CASH_DEPOSIT, "id": "cd2", "lastUpdatedAt": "2026-11-02T09:14:59Z"}])},
        [listing(T, "paid-in-outs", at(10), at(15), response=[{**PAID_IN_OUT, "createdAt": "2026-11-02T09:10:00Z"}])]),
}


def planted_day(rule: str) -> list[dict]:
    extra, replace, _ = PLANTED[rule]
    skip = frozenset(i for i, c in (replace or {}).items() if c is None)
    return compliant_day({i: c for i, c in (replace or {}).items() if c is not None}, skip) + extra


@pytest.mark.parametrize("rule", sorted(PLANTED))
def test_a_planted_violation_is_found_on_exactly_its_exchange(tmp_path, rule):
    cassette = import_day(tmp_path / "c", planted_day(rule))
    found = findings(cassette, rule)
    assert [f.exchange_id for f in found] == [exchange_at(cassette, PLANTED[rule][2])]
    assert found[0].vendor == "spoton" and found[0].detail and found[0].doc


@pytest.mark.parametrize("rule", sorted(NEAR_MISSES))
def test_the_closest_compliant_variant_is_not_flagged(tmp_path, rule):
    replace, extra = NEAR_MISSES[rule] if isinstance(NEAR_MISSES[rule], tuple) else ({}, NEAR_MISSES[rule])
    cassette = import_day(tmp_path / "c", compliant_day(replace) + extra)
    assert findings(cassette, rule) == []


def test_a_planted_violation_breaks_no_other_rule_than_its_own(tmp_path):
    # a paid in/outs call by updatedAt also sends no createdAt window: both are reported, nothing else
    for rule in ("spoton-window-not-rfc3339", "spoton-window-gap", "spoton-poll-interval-over-5-minutes",
                 "spoton-api-key-missing", "spoton-window-empty", "spoton-error-not-retried"):
        cassette = import_day(tmp_path / rule, planted_day(rule))
        assert {f.rule for f in findings(cassette)} == {rule}
    cassette = import_day(tmp_path / "wrong-field", planted_day("spoton-window-wrong-field"))
    assert {f.rule for f in findings(cassette)} == {"spoton-window-wrong-field", "spoton-window-missing"}


def test_details_name_the_offending_values(tmp_path):
    cassette = import_day(tmp_path / "c", compliant_day() + [
        listing(T, "paid-in-outs", "2026-11-02T09:00:00.000Z", "garbage", location=Y)])
    [finding] = findings(cassette, "spoton-window-not-rfc3339")
    assert finding.detail.endswith("createdAtStart=2026-11-02T09:00:00.000Z, createdAtEnd=garbage")


# Days apart: the daily sweep and the paid in/outs re-pull (a day of 5-minute polls would be
# thousands of calls; the "Import Cash Deposits Daily" pattern is documented on its own).
def daily(resource: str, hours: list[int]) -> list[dict]:
    """One call a day at 03:00 for *resource*, day *i* asking for the last hours[i] hours."""
    out = []
    for i, h in enumerate(hours):
        t = dt.datetime(2026, 11, 2 + i, 3, tzinfo=dt.UTC)
        out.append(listing(t, resource, t - dt.timedelta(hours=h, minutes=5), t - dt.timedelta(minutes=5)))
    return out


def test_importing_daily_with_a_26_hour_window_breaks_no_rule(tmp_path):
    assert findings(import_day(tmp_path / "c", daily("cash-deposits", [26, 26, 26, 26]))) == []


def test_a_daily_pull_of_only_24_hours_misses_the_sweep_on_the_second_day(tmp_path):
    cassette = import_day(tmp_path / "c", daily("cash-deposits", [26, 24, 24, 24]))
    found = findings(cassette)
    assert [f.rule for f in found] == ["spoton-daily-sweep-missing"]
    assert found[0].exchange_id == exchange_at(cassette, dt.datetime(2026, 11, 4, 3, tzinfo=dt.UTC))
    assert "no 26-hour sweep for 2 days" in found[0].detail


def test_paid_in_outs_re_pulled_for_3_days_every_3_days_break_no_rule(tmp_path):
    assert findings(import_day(tmp_path / "c", daily("paid-in-outs", [72, 24, 24, 72, 24]))) == []


def test_paid_in_outs_not_re_pulled_for_4_days_are_flagged_once(tmp_path):
    cassette = import_day(tmp_path / "c", daily("paid-in-outs", [72, 24, 24, 24, 24, 24]))
    found = findings(cassette)
    assert [f.rule for f in found] == ["spoton-paid-in-outs-not-repulled-for-voids"]
    assert found[0].exchange_id == exchange_at(cassette, dt.datetime(2026, 11, 6, 3, tzinfo=dt.UTC))


def test_stored_window_values_are_the_sent_text(compliant):
    files = f"{compliant}/date=*/*.parquet"
    params = duckdb.sql(f"SELECT params_json FROM read_parquet('{files}') WHERE operation = 'paid-in-outs.list'")
    assert json.loads(params.fetchall()[0][0])["createdAtStart"] == "2026-10-30T08:55:00Z"


def test_an_item_of_another_location_is_outside_the_request(tmp_path):
    cassette = import_day(tmp_path / "c", compliant_day({3: poll(3, response=[
        {**CASH_DEPOSIT, "locationId": "LocationZ", "lastUpdatedAt": "2026-11-02T09:12:00Z"}])}))
    [finding] = findings(cassette)
    assert finding.rule == "spoton-response-items-outside-window"
    assert finding.detail == ("1 of the returned cash-deposits are outside the request, "
                              "e.g. id 3tfxffjebfg2fawawdxjlezo2i: locationId LocationZ, not LocationX")


def test_empty_window_values_as_in_the_documented_curl_are_a_missing_window(tmp_path):
    # the doc's example: .../paid-in-outs?createdAtStart=&createdAtEnd=
    cassette = import_day(tmp_path / "c", compliant_day() + [listing(T, "paid-in-outs", "", "", status=400)])
    found = findings(cassette)
    assert [(f.rule, f.exchange_id) for f in found] == [("spoton-window-missing", exchange_at(cassette, T))]
    assert found[0].detail == ("paid-in-outs list call without createdAtStart and createdAtEnd "
                               "(paid-in-outs are polled by createdAtStart and createdAtEnd)")

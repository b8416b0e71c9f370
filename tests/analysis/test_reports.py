"""Reports over a scripted day: every number is what the script did."""

import statistics

from tillroll.analysis import reports
from tillroll.analysis.views import connect
from tests.analysis.scripted import GAP_POLLS, POLLS, write_day


def rows(cassette, name):
    return reports.run(connect([cassette]), name).to_pylist()


def test_usage_counts_each_operation_with_its_outcomes(clean_day):
    usage = {(r["vendor"], r["operation"]): r for r in rows(clean_day, "usage")}
    assert usage[("spoton", "cash-deposits.list")]["calls"] == POLLS + 1  # and the daily sweep
    assert usage[("spoton", "cash-deposits.list")]["places"] == 1
    assert (usage[("spot", "GetInvoices")]["calls"], usage[("spot", "GetInvoices")]["failed"]) == (2, 1)
    assert usage[("spoonity", "order.process")]["calls"] == 2
    assert usage[("xgl", "voidOrder")]["places"] == 1


def test_errors_include_failures_hidden_inside_a_200(clean_day):
    [error] = rows(clean_day, "errors")
    assert (error["vendor"], error["operation"], error["status"], error["hidden_in_2xx"]) == \
        ("spot", "GetInvoices", 200, True)
    assert error["message"] == "Unable to load account." and error["exchanges"] == 1


def test_latency_percentiles_per_operation(tmp_path):
    cassette = write_day(tmp_path / "c", durations_ms=lambda i: 100.0 * (i + 1))
    con = connect([cassette])
    durations = [r[0] for r in con.sql("SELECT duration_ms FROM exchanges WHERE operation = 'cash-deposits.list' "
                                       "ORDER BY 1").fetchall()]
    [overall] = [r for r in rows(cassette, "latency") if r["operation"] == "cash-deposits.list" and r["hour"] is None]
    assert overall["exchanges"] == len(durations) and overall["max_ms"] == max(durations)
    assert overall["p50_ms"] == round(statistics.median(durations), 1)


def test_coverage_finds_a_planted_40_minute_gap_to_the_second(tmp_path):
    cassette = write_day(tmp_path / "c", {"gap"})
    [gap] = rows(cassette, "gaps")
    assert gap["gap_seconds"] == 40 * 60
    first_missing = min(GAP_POLLS)
    assert gap["gap_start"].strftime("%H:%M:%S") == "09:50:00"  # the end of the window of poll 9
    assert gap["gap_end"].strftime("%H:%M:%S") == "10:30:00"  # the start of the window of poll 18
    assert first_missing == 10
    [coverage] = rows(cassette, "coverage")
    assert (coverage["gaps"], coverage["missed_seconds"], coverage["longest_gap_seconds"]) == (1, 2400, 2400)
    assert coverage["median_poll_minutes"] == 5 and coverage["median_lag_minutes"] == 5
    assert coverage["has_daily_sweep"]


def test_clean_polling_has_no_gaps(clean_day):
    assert rows(clean_day, "gaps") == []
    [coverage] = rows(clean_day, "coverage")
    assert coverage["gaps"] == 0


def test_sessions_count_requests_after_the_20_minute_idle_expiry(clean_day, broken_day):
    [clean] = rows(clean_day, "sessions")
    [broken] = rows(broken_day, "sessions")
    assert (clean["requests"], clean["after_idle_expiry"]) == (3, 0)
    assert (broken["after_idle_expiry"], broken["longest_idle_seconds"]) == (1, 21 * 60)
    assert clean["session"].startswith("tillroll:sessionid:")  # followed by pseudonym, never in clear

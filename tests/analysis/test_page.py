"""`tillroll html`: one self-contained page, its numbers the SQL's, its data redacted.
The same page in a real browser: tests/analysis/test_page_browser.py."""

from __future__ import annotations

import base64
import gzip
import json
import re

from click.testing import CliRunner

from tests.analysis.har_day import canary_day
from tests.canaries import leaks
from tillroll.analysis import page as page_mod
from tillroll.analysis.views import connect
from tillroll.cli import main


def write_page(cassette, out) -> str:
    result = CliRunner().invoke(main, ["html", str(cassette), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def data_of(text: str) -> dict:
    block = re.search(r'<script type="application/gzip;base64" id="tillroll-data">([^<]*)</script>', text).group(1)
    return json.loads(gzip.decompress(base64.b64decode(block)))


def test_the_page_is_one_file_that_asks_nothing_of_the_network(clean_day, tmp_path):
    text = write_page(clean_day, tmp_path / "day.html")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", text)  # no script, style or image fetched
    assert "<link" not in text and "@import" not in text and "url(" not in text
    assert "default-src 'none'" in text  # and the browser is told so (Content-Security-Policy)
    assert "<table" in text and 'scope="col"' in text  # the figures read without the script


def test_the_operations_table_holds_the_sql_s_numbers(broken_day, tmp_path):
    text = write_page(broken_day, tmp_path / "day.html")
    con = connect([broken_day])
    for vendor, operation, n, failed in con.sql(
            "SELECT vendor, operation, count(*), count(*) FILTER (WHERE outcome <> 'ok') FROM exchanges "
            "GROUP BY ALL").fetchall():
        row = re.search(rf'<tr data-op="{vendor} {re.escape(operation)}"[^>]*>(.*?)</tr>', text).group(1)
        numbers = re.findall(r'data-v="([0-9.]+)"', row)
        assert (int(numbers[0]), int(numbers[1])) == (n, failed), (vendor, operation)


def test_failures_inside_a_200_are_impossible_to_miss(broken_day, tmp_path):
    text = write_page(broken_day, tmp_path / "day.html")
    hidden = connect([broken_day]).sql("SELECT count(*) FROM exchanges WHERE outcome IN ('failed', 'partial') "
                                      "AND status < 400").fetchall()[0][0]
    assert hidden and f"⚠ {hidden:,} failure" in text


def test_a_big_cassette_keeps_every_failure_and_says_what_it_left_out(broken_day):
    con = connect([broken_day])
    page = page_mod.gather(con, [str(broken_day)], per_operation=1)
    kept = {x["id"] for x in page.details}
    failed = {r[0] for r in con.sql("SELECT exchange_id FROM exchanges WHERE outcome <> 'ok'").fetchall()}
    assert failed <= kept
    operations = con.sql("SELECT count(DISTINCT (vendor, operation)) FROM exchanges").fetchall()[0][0]
    assert len(kept) <= len(failed) + operations and page.left_out == page.exchanges - len(kept) > 0


def test_the_page_holds_only_what_the_cassette_holds_redacted(tmp_path):
    cassette, canaries = canary_day(tmp_path / "c")
    text = write_page(cassette, tmp_path / "day.html")
    everything = text.encode() + json.dumps(data_of(text)).encode()
    assert leaks(everything, canaries) == []
    assert len(data_of(text)["exchanges"]) == 3  # they are all there, redacted


def test_sessions_orders_and_transactions_are_drawn_as_bars(broken_day, tmp_path):
    text = write_page(broken_day, tmp_path / "day.html")
    con = connect([broken_day])
    sessions = con.sql("SELECT count(*) FROM (SELECT session FROM spot_session_uses GROUP BY session "
                       "HAVING count(*) FILTER (WHERE NOT issued) > 0)").fetchall()[0][0]
    orders = con.sql("SELECT count(*) FROM spoonity WHERE operation = 'order.process' "
                     "AND reference_number IS NOT NULL").fetchall()[0][0]
    transactions = con.sql("SELECT count(DISTINCT transaction_token) FROM xgl").fetchall()[0][0]
    assert sessions and orders and transactions
    assert text.count('class="session"') == sessions
    assert text.count('class="flow-spoonity"') == orders and text.count('class="flow-xgl"') == transactions
    assert "sold, then voided" in text

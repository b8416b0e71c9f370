"""The page of `tillroll html` in a real Chromium (Debian's, driven by Playwright through
executable_path; `make test` installs both): no console error, no request leaving the page,
the numbers the SQL's, an operation chosen filters the exchanges, an exchange opens decoded,
and with JavaScript off the tables are still there."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.analysis.har_day import canary_day
from tests.canaries import leaks
from tillroll.analysis.views import connect
from tillroll.cli import main

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed (make test "
                                                             "installs it)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)")
FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-sandbox", "--disable-gpu",
         "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def page_file(cassette, out):
    result = CliRunner().invoke(main, ["html", str(cassette), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.resolve().as_uri()


class Watched:
    """A page whose console errors and requests are kept."""

    def __init__(self, browser, url: str, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)

    def close(self):
        self.context.close()


def test_the_page_opens_offline_with_no_error_and_the_sql_s_numbers(browser, broken_day, tmp_path):
    watched = Watched(browser, page_file(broken_day, tmp_path / "day.html"))
    page = watched.page
    page.locator("#exchanges").scroll_into_view_if_needed()  # the exchanges are decoded when shown
    page.locator("#exchange-list tbody tr").first.wait_for()
    counts = {}
    for row in page.locator("#operations tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        counts[(cells[0], cells[1])] = (int(cells[2].replace(",", "")), int(cells[3].replace(",", "")))
    sql = connect([broken_day]).sql("SELECT vendor, operation, count(*), count(*) FILTER (WHERE outcome <> 'ok') "
                                    "FROM exchanges GROUP BY ALL").fetchall()
    assert counts == {(v, o): (n, f) for v, o, n, f in sql}
    page.locator("#operations thead th[data-col=exchanges]").click()  # sorting keeps every row
    assert len(page.locator("#operations tbody tr").all()) == len(sql)
    watched.close()
    assert watched.errors == []
    assert {urlsplit(u).scheme for u in watched.requests} <= {"file", "data", "blob"}, watched.requests


def test_choosing_an_operation_filters_the_exchanges_and_one_opens_decoded(browser, broken_day, tmp_path):
    watched = Watched(browser, page_file(broken_day, tmp_path / "day.html"))
    page = watched.page
    [(vendor, operation, n)] = connect([broken_day]).sql(
        "SELECT vendor, operation, count(*) FROM exchanges WHERE vendor = 'spot' GROUP BY ALL "
        "ORDER BY count(*) ASC, operation LIMIT 1").fetchall()
    page.locator(f'#operations tr[data-op="{vendor} {operation}"]').click()
    page.wait_for_function(f"document.getElementById('f-op').textContent.includes('{operation}')")
    listed = page.locator("#exchange-list tbody tr").all()
    assert len(listed) == n and {r.locator("td").nth(2).inner_text() for r in listed} == {operation}
    assert page.locator("#p-at").inner_text().startswith(f"{n} exchange(s)")
    first_id = listed[0].get_attribute("data-id")
    page.locator(f'#exchange-list tbody tr[data-id="{first_id}"]').click()
    detail = page.locator("#detail")
    detail.locator("h3").wait_for()
    assert first_id in detail.inner_text()
    detail.locator("h4", has_text="decoded parameters").wait_for()
    [(params,)] = connect([broken_day]).sql(f"SELECT params_json FROM exchanges WHERE exchange_id = '{first_id}'"
                                            ).fetchall()
    shown = detail.locator("pre").first.inner_text()  # the decoded parameters, pretty-printed
    assert json.loads(shown) == json.loads(params)
    assert operation in detail.locator("dl").inner_text()
    watched.close()
    assert watched.errors == []


def test_with_javascript_off_the_tables_are_still_there(browser, broken_day, tmp_path):
    watched = Watched(browser, page_file(broken_day, tmp_path / "day.html"), javascript=False)
    page = watched.page
    assert page.locator("#outcomes tbody tr").count() >= 1
    operations = connect([broken_day]).sql("SELECT count(DISTINCT (vendor, operation)) FROM exchanges").fetchall()[0][0]
    assert page.locator("#operations tbody tr").count() == operations
    assert page.locator("#timeline svg rect").count() >= 1  # the charts are drawn in the file, not by the script
    watched.close()


def test_nothing_secret_reaches_the_page_even_with_every_exchange_opened(browser, tmp_path):
    cassette, canaries = canary_day(tmp_path / "c")
    watched = Watched(browser, page_file(cassette, tmp_path / "day.html"))
    page = watched.page
    page.locator("#exchanges").scroll_into_view_if_needed()
    page.locator("#exchange-list tbody tr").first.wait_for()
    seen = []
    for i in range(page.locator("#exchange-list tbody tr").count()):
        page.locator("#exchange-list tbody tr").nth(i).click()
        page.locator("#detail h3").wait_for()
        seen.append(page.content())
    watched.close()
    assert len(seen) == 3 and leaks("".join(seen).encode(), canaries) == []

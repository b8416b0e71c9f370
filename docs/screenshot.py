"""The README's picture of `tillroll html`: a synthetic day (hours of traffic of the four
vendors, SpotOn polled every few minutes, failures hidden in 200s) written as a cassette,
its page opened in Debian's Chromium through Playwright, as the browser tests do.

    .venv/bin/python docs/screenshot.py            # writes docs/page.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tillroll.demo.synthetic import generate
from tillroll.store import CassetteWriter

HERE = Path(__file__).resolve().parent
FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-sandbox", "--disable-gpu",
         "--no-first-run"]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tillroll-screenshot-") as work:
        cassette = Path(work) / "day"
        with CassetteWriter(cassette) as writer:
            for exchange in generate(4000, step_ms=9000.0):  # about ten hours
                writer.append(exchange)
        page = Path(work) / "day.html"
        subprocess.run([str(Path(sys.executable).with_name("tillroll")), "html", str(cassette), "-o", str(page)],
                       check=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
            tab = browser.new_page(viewport={"width": 1280, "height": 1600})
            tab.goto(page.as_uri())
            tab.screenshot(path=str(HERE / "page.png"))
            browser.close()
    print(f"wrote {HERE / 'page.png'}")


if __name__ == "__main__":
    main()

"""The published pages in a real browser: headless Chromium (Debian's package) driven by
Playwright with the system browser. No script errors, no request leaves file://, planted
markup runs nothing, tables sort; screenshots are saved for people to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="the chromium browser is not installed "
                                                "(Debian package 'chromium'; .ci/run installs it)"),
]
SCREENSHOTS = ROOT / "reports" / "test-screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"errors": [], "requests": [], "dialogs": []}
    page.on("pageerror", lambda exc: seen["errors"].append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and seen["errors"].append(msg.text))
    page.on("request", lambda req: seen["requests"].append(req.url))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, seen


@pytest.mark.parametrize("name", ["index.html", "incident_review.html"])
def test_pages_load_cleanly_offline(browser, published, name):
    page, seen = open_page(browser, published["reports"] / "e2e" / name)
    assert seen["errors"] == []
    assert seen["dialogs"] == []  # the planted alert() payloads ran nothing
    outside = [u for u in seen["requests"] if not u.startswith(("file://", "data:"))]
    assert outside == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name.replace(".html", ".png")), full_page=True)
    page.close()


def test_collapsed_blocks_open_for_printing_and_close_after(browser, published):
    page, _ = open_page(browser, published["reports"] / "e2e" / "incident_review.html")
    count = page.locator("details").count()
    assert count > 5 and page.locator("details[open]").count() == 0
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details[open]").count() == count
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("details[open]").count() == 0
    page.close()


def test_payloads_show_as_text_and_tables_sort(browser, published):
    page, seen = open_page(browser, published["reports"] / "e2e" / "incident_review.html")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    body = page.inner_text("body")
    assert '<script>alert("category")</script>' in body
    assert '<img src=x onerror=alert("team")>' in body
    assert page.locator("img[src='x']").count() == 0
    # the grading table sorts by incidents when its header is clicked
    table = page.locator("table.ccr-table", has=page.locator("th", has_text="mis-graded %"))
    header = table.locator("th", has_text="incidents").first
    header.click()
    first = [int(t.replace(",", "")) for t in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert first == sorted(first)
    header.click()
    second = [int(t.replace(",", "")) for t in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert second == sorted(second, reverse=True)
    assert seen["errors"] == [] and seen["dialogs"] == []
    page.close()


def test_report_prints_to_pdf(browser, published, tmp_path):
    page, _ = open_page(browser, published["reports"] / "e2e" / "incident_review.html")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.stat().st_size > 50_000
    assert page.evaluate("getComputedStyle(document.querySelector('nav.ccr-toc')).display") != "none"
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav.ccr-toc')).display") == "none"
    page.close()

"""report.html and compare.html in the real browser (Debian's chromium through Playwright): the index
filters and sorts, anchors lead to articles, transcripts fold out, the charts are inline SVG, and
no script error occurs. Screenshots go to artifacts/ (report-index.png, report-article.png,
compare.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.settings import REPO_ROOT
from tests.evals.conftest import run_cli

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        yield pg
        assert errors == [], f"JavaScript errors on the page: {errors}"
        assert all(u.startswith("file://") for u in requests), f"the report fetched from the network: {requests}"
        browser.close()


def test_report_index_filters_sorts_and_links(runs, page):
    from playwright.sync_api import expect

    page.goto((runs.bad / "report.html").as_uri())
    rows = page.locator("#index tbody tr")
    expect(rows).to_have_count(3)
    assert page.locator("svg.chart").count() >= 2 and page.locator("svg.chart line.whisker").count() > 0
    page.check("#only-hallucinated")
    expect(page.locator("#index tbody tr:visible")).to_have_count(1)
    expect(page.locator("#index tbody tr:visible td").first).to_have_text("stats")
    page.uncheck("#only-hallucinated")
    page.fill("#f1-below", "0.5")  # the bad run calls stats "other" crime: F1 0; the others are perfect
    expect(page.locator("#shown")).to_have_text("1 of 3 shown")
    expect(page.locator("#index tbody tr:visible")).to_have_attribute("data-id", "stats")
    page.fill("#f1-below", "")
    expect(page.locator("#index tbody tr:visible")).to_have_count(3)
    page.locator("#index th", has_text="hallucinated").click()
    page.locator("#index th", has_text="hallucinated").click()  # descending
    expect(page.locator("#index tbody tr").first).to_have_attribute("data-id", "stats")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-index.png"))
    page.locator("#index a[href='#harbour']").click()
    assert page.evaluate("location.hash") == "#harbour"
    section = page.locator("section#harbour")
    expect(section.locator("table.fields")).to_contain_text("agencies")
    expect(section.locator("table.fields")).to_contain_text("relevant")
    transcript = section.locator("details.transcript")
    transcript.locator("summary").first.click()
    expect(transcript.locator("text=response (raw tool-call arguments)")).to_be_visible()
    section.screenshot(path=str(ARTIFACTS / "report-article.png"))


def test_compare_page_has_forest_plot_and_links_into_both_reports(runs, page, tmp_path):
    from playwright.sync_api import expect

    out = runs.root / "compare-browser"
    rc, _, err = run_cli(["eval", "compare", str(runs.bad), str(runs.good), "--out", str(out)])
    assert rc == 0, err
    page.goto((out / "compare.html").as_uri())
    expect(page.locator("svg.forest rect.delta")).to_have_count(14)
    dots = page.locator("svg.strip a")
    expect(dots).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    page.locator("table.changes a", has_text="A").first.click()
    assert page.url.endswith("run-bad/report.html#harbour") or page.url.endswith("run-bad/report.html#stats")
    expect(page.locator("#index")).to_be_visible()

"""compliance.html in a real browser: headless Chromium loads it from disk with no console error, no
network request, the traceability matrix present; the screenshot goes to the run's evidence folder."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from mcsec.reports import results
from tests.e2e.devtools import CHROMIUM, Browser, page_errors, requested_urls

BROWSER_TIMEOUT_S = 30


@pytest.mark.slow
def test_the_report_opens_in_chromium_without_errors(real_run: Path):
    assert os.access(CHROMIUM, os.X_OK), "chromium is missing: `make test` installs it (Debian package chromium)"
    document = results.load(real_run / "results.json")
    page_url = (real_run / "compliance.html").resolve().as_uri()
    with Browser(timeout=BROWSER_TIMEOUT_S) as browser:
        browser.load(page_url)
        state = browser.evaluate("document.readyState")
        rows = browser.evaluate("document.querySelectorAll('#traceability-matrix tbody tr[id]').length")
        title = browser.evaluate("document.title")
        scripts = browser.evaluate("document.scripts.length")
        ladders_ok = browser.evaluate("Array.from(document.querySelectorAll('svg')).every(s => s.getBBox().width > 0)")
        # From the top of the page to the end of the traceability matrix (the whole page can exceed
        # what Chromium renders in one screenshot).
        bottom = browser.evaluate("Math.ceil(document.getElementById('traceability-matrix')"
                                  ".getBoundingClientRect().bottom + window.scrollY)")
        width = browser.evaluate("document.documentElement.scrollWidth")
        shot = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": width, "height": min(bottom, 12000), "scale": 1})
        browser.send("Runtime.evaluate", expression="1")   # drain events raised while loading
        events = list(browser.events)
    errors = page_errors(events)
    assert not errors, errors
    requests = requested_urls(events)
    assert all(u.startswith("file:") for u in requests), requests
    assert state == "complete" and scripts == 0 and ladders_ok
    assert rows == len(document["requirements"]) and rows > 0
    assert document["sut"]["name"] in title
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    target = real_run / "evidence" / "compliance-screenshot.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    print(f"screenshot: {target}")


def test_the_browser_client_reports_script_errors(tmp_path: Path):
    """The check above can fail: a page with a script error is seen as one."""
    assert os.access(CHROMIUM, os.X_OK), "chromium is missing: `make test` installs it (Debian package chromium)"
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom'); undefined_call();</script>")
    with Browser(timeout=BROWSER_TIMEOUT_S) as browser:
        browser.send("Runtime.enable")
        browser.send("Page.enable")
        browser.send("Page.navigate", url=bad.as_uri())
        browser.wait_event("Page.loadEventFired")
        browser.send("Runtime.evaluate", expression="1")
        events = list(browser.events)
    methods = {e["method"] for e in page_errors(events)}
    assert {"Runtime.exceptionThrown", "Runtime.consoleAPICalled"} <= methods

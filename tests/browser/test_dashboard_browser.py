"""End-to-end tests of the dashboard in headless Chromium (see conftest.py for the harness)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[2] / "data"


def wait_for(driver, fn, timeout: float = 30.0, what: str = "condition"):
    """Poll ``fn(driver)`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = fn(driver)
            if value:
                return value
        except Exception as exc:  # stale elements while Dash re-renders
            last_exc = exc
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_exc})")


def text_of(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, css)
    return " ".join(e.text for e in elements)


def upload(driver, path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(path))


def no_traceback(driver) -> None:
    assert "Traceback" not in driver.page_source


def test_data_page_upload_and_bad_csv(driver, app_url, shot, tmp_path):
    driver.get(app_url + "/")
    # the bundled sample is pre-selected on a first visit
    wait_for(
        driver,
        lambda d: "air_passengers.csv" in text_of(d, "#inferred-summary"),
        what="the default sample's summary",
    )
    upload(driver, DATA / "us_macro_quarterly.csv")
    summary = wait_for(
        driver,
        lambda d: (t := text_of(d, "#inferred-summary")) and "us_macro" in t and t,
        what="the uploaded file's summary",
    )
    assert "QS" in summary and "quarter" in summary
    assert "5 ·" in summary  # five series
    shot("01-data-upload")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,value\nyesterday,1\ntoday,2\ntomorrow,3\n")
    upload(driver, bad)
    alert = wait_for(driver, lambda d: text_of(d, "#upload-alert"), what="the error alert")
    assert "bad.csv" in alert and "No column holds dates" in alert
    no_traceback(driver)
    shot("02-data-bad-csv")

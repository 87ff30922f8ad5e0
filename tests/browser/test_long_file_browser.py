"""A long file of several series with a label column, walked as a new user would: the Data page
reads the labels and the blanks in plain words, the Run page estimates the job, the Results page
opens on the largest series, answers for that series and names series by their labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .test_dashboard_browser import (
    choose,
    fresh,
    nav,
    no_traceback,
    set_number,
    text_of,
    tick_only,
    upload,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (Series_ID, Title, level, first month with a value): fpp3's us_employment in small.
SERIES = [
    ("CEU1000000001", "Mining and Logging", 700.0, 24),
    ("CEU0500000001", "Total Private", 25000.0, 0),
    ("CEU2000000001", "Construction", 1900.0, 12),
    ("CEU3000000001", "Manufacturing", 9000.0, 0),
    ("CEU4200000001", "Retail Trade", 4100.0, 36),
    ("CEU6000000001", "Professional and Business Services", 2500.0, 6),
]


def employment_file(folder) -> tuple:
    """A long CSV ``Month, Series_ID, Title, Employed`` (blanks before each series starts)."""
    rng = np.random.default_rng(3)
    months = pd.period_range("1990-01", periods=96, freq="M")
    rows = []
    for sid, title, level, start in SERIES:
        season = 0.02 * level * np.sin(2 * np.pi * np.arange(96) / 12)
        values = level * (1 + 0.002 * np.arange(96)) + season + rng.normal(0, 0.004 * level, 96)
        for i, month in enumerate(months):
            cell = "" if i < start else f"{values[i]:.1f}"
            rows.append(
                {
                    "Month": month.strftime("%Y %b"),
                    "Series_ID": sid,
                    "Title": title,
                    "Employed": cell,
                }
            )
    path = folder / "us_employment_small.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    blanks = sum(start for *_, start in SERIES)
    return path, blanks


def test_long_labelled_file_opens_on_its_largest_series_with_its_own_answer(
    driver, app_url, shot, tmp_path
):
    from selenium.webdriver.common.by import By

    path, blanks = employment_file(tmp_path)
    fresh(driver, app_url)
    upload(driver, path)
    summary = wait_for(
        driver,
        lambda d: (t := text_of(d, "#inferred-summary")) and "us_employment_small" in t and t,
        what="the summary of the long file",
    )
    assert "monthly (MS" in summary  # the frequency in words
    driver.find_element(By.CSS_SELECTOR, "#inferred-notes summary").click()
    summary = wait_for(driver, lambda d: text_of(d, "#inferred-notes ul"), what="the notes")
    assert "'Title' is constant within each series: read as the series' label" in summary
    assert f"{blanks} blank cells before a series starts or after it ends, left out" in summary
    assert "(empty)" not in summary
    no_traceback(driver)
    shot("20-long-file-data")

    # the Diagnostics page names each series by its label, in the picker and the chart titles
    nav(driver, "diagnostics")
    readings = wait_for(driver, lambda d: text_of(d, "#diag-readings-list"), what="the readings")
    assert "Suggested look-back window:" in readings and "for a horizon of" in readings
    first = "Total Private · CEU0500000001"  # the first series id, sorted
    assert first in text_of(driver, "#diag-series")
    wait_for(
        driver,
        lambda d: (
            first in text_of(d, "#diag-series-fig .gtitle")
            and first in text_of(d, "#diag-acf .gtitle")
        ),
        what="chart titles naming the series by its label",
    )
    no_traceback(driver)
    shot("20b-long-file-diagnostics")

    nav(driver, "run")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "run-horizon").get_attribute("value"),
        what="the pre-filled horizon",
    )
    set_number(driver, "run-horizon", 6)
    reason = wait_for(
        driver,
        lambda d: (t := text_of(d, "#run-window-reason")) and "horizon of 6" in t and t,
        what="the window for horizon 6",
    )
    assert "read off the shortest series (Retail Trade · CEU4200000001)" in reason
    tick_only(
        driver,
        "run-models",
        {"Seasonal naive", "Theta (standard method)", "auto (combination of the best backtesters)"},
    )
    estimate = wait_for(
        driver,
        lambda d: (t := text_of(d, "#run-estimate")) and "48 model fits" in t and t,
        what="the job's estimate",
    )
    assert estimate.startswith("Estimated duration: about")
    shot("21-long-file-run-estimate")
    driver.find_element(By.ID, "run-submit").click()
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    driver.get(f"{app_url.rstrip('/')}/jobs")
    wait_for(
        driver,
        lambda d: any(
            "done" in row.text
            for row in d.find_elements(
                By.XPATH, f"//*[@id='jobs-list']//tr[contains(., '{job_id}')]"
            )
        ),
        timeout=240,
        what="the long-file job to reach done",
    )
    driver.get(f"{app_url.rstrip('/')}/results?job={job_id}")
    wait_for(driver, lambda d: text_of(d, "#results-job"), what="the job picker")
    choose(driver, "results-job", job_id)
    opening = "Total Private · CEU0500000001"
    answer = wait_for(
        driver,
        lambda d: (t := text_of(d, "#results-verdict-answer")) and opening in t and t,
        what="the answer for the largest series",
        timeout=60,
    )
    assert opening in text_of(driver, "#results-series")  # opened on the largest series
    assert text_of(driver, "#results-across").startswith("Across 6 series: use auto")
    assert f"Recommended for {opening}: auto." in answer
    assert f"Use auto for '{opening}'" in answer and "on this series" in answer
    assert opening in text_of(driver, "#results-fan .gtitle")  # the chart title names it too
    table = text_of(driver, "#series-table")
    assert "label" in table and "Total Private" in table  # the per-series table: a label column
    board = text_of(driver, "#leaderboard-table")
    assert "MASE" in board and "MAE" not in board.replace("MASE", "")  # not pooled across series
    shot("22-long-file-results-top")
    # another series, a click away: its own answer
    choose(driver, "results-series", "CEU1000000001")
    wait_for(
        driver,
        lambda d: "Mining and Logging · CEU1000000001" in text_of(d, "#results-verdict-answer"),
        what="the answer for another series",
    )
    # the navbar stays at the top of the long page, and no empty memory panel is shown
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    top = driver.execute_script(
        "return document.getElementById('navbar').getBoundingClientRect().top"
    )
    assert abs(top) < 2
    assert not driver.find_element(By.ID, "results-memory-col").is_displayed()
    no_traceback(driver)
    shot("23-long-file-results-bottom")

"""The Results page per series: a keyed file run with levels, its per-series table (paged, sorted
and filtered on the server), a click opening a series' chart, and the hierarchy's sunburst."""

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


def _keyed_csv(path) -> None:
    """A long file keyed by state, gender and legal status: 12 quarterly series."""
    rng = np.random.default_rng(3)
    quarters = pd.period_range("2008Q1", periods=32, freq="Q")
    rows = []
    for state in ("ACT", "NSW", "VIC"):
        for gender in ("Female", "Male"):
            for legal in ("Remanded", "Sentenced"):
                base = rng.uniform(20, 200)
                y = base * (1 + 0.15 * np.sin(np.arange(32) * np.pi / 2)) + rng.normal(0, 3, 32)
                rows += [
                    (state, gender, legal, f"{q.year} Q{q.quarter}", round(float(v), 1))
                    for q, v in zip(quarters, y, strict=True)
                ]
    pd.DataFrame(rows, columns=["state", "gender", "legal", "t", "count"]).to_csv(path, index=False)


def _rows(driver) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    out = []
    for tr in driver.find_elements(By.CSS_SELECTOR, "#series-table tbody tr"):
        cells = [td.text for td in tr.find_elements(By.CSS_SELECTOR, "td")]
        if cells:
            out.append(cells)
    return out


def test_levels_job_per_series_table_and_hierarchy(driver, app_url, shot, tmp_path, download_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    src = tmp_path / "prison_keys.csv"
    _keyed_csv(src)
    fresh(driver, app_url)
    upload(driver, src)
    wait_for(driver, lambda d: "prison_keys" in text_of(d, "#inferred-summary"), what="the summary")
    nav(driver, "run")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "run-horizon").get_attribute("value"),
        what="the pre-filled horizon",
    )
    set_number(driver, "run-horizon", 4)
    tick_only(driver, "run-models", {"Seasonal naive", "ETS (automatic)"})
    levels = driver.find_element(By.ID, "run-levels")
    levels.send_keys("state,state/gender,total")
    shot("20-run-form-levels")
    driver.find_element(By.ID, "run-submit").click()
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    link = driver.find_element(By.LINK_TEXT, "Watch it on the Jobs page →")
    driver.execute_script("arguments[0].click();", link)
    wait_for(
        driver,
        lambda d: any(
            "done" in row.text
            for row in d.find_elements(
                By.XPATH, f"//*[@id='jobs-list']//tr[contains(., '{job_id}')]"
            )
        ),
        timeout=240,
        what="the levels job to reach done",
    )
    driver.get(f"{app_url.rstrip('/')}/results?job={job_id}")
    wait_for(driver, lambda d: text_of(d, "#results-job"), what="the job picker")
    choose(driver, "results-job", job_id)
    # 12 bottom series + 6 state/gender + 3 states + the total
    count = wait_for(
        driver,
        lambda d: (t := text_of(d, "#series-count")) and "of 22 series" in t and t,
        what="the per-series table",
    )
    assert count.startswith("22 of 22")
    header = text_of(driver, "#series-table th")
    for name in ("series", "state", "gender", "legal", "level", "recommended", "MASE"):
        assert name in header
    rows = _rows(driver)
    assert len(rows) == 15  # one page of 15, paged on the server
    table = driver.find_element(By.ID, "series-table")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", table)
    shot("21-results-per-series")
    # worst first: the MASE column decreases down the page
    names = [
        th.text for th in driver.find_elements(By.CSS_SELECTOR, "#series-table th.dash-header")
    ]
    mase_at = names.index("MASE")
    mases = [float(r[mase_at]) for r in rows if r[mase_at]]
    assert mases == sorted(mases, reverse=True)
    # filter on the server: the state level only
    level_filter = driver.find_element(
        By.CSS_SELECTOR, "#series-table th.dash-filter[data-dash-column='level'] input"
    )
    level_filter.send_keys("= state", Keys.ENTER)
    wait_for(
        driver,
        lambda d: text_of(d, "#series-count").startswith("3 of 22"),
        what="the table filtered to the state level",
    )
    assert sorted(r[0] for r in _rows(driver)) == ["ACT", "NSW", "VIC"]
    level_filter.send_keys(Keys.CONTROL, "a")
    level_filter.send_keys("= total", Keys.ENTER)
    wait_for(
        driver,
        lambda d: text_of(d, "#series-count").startswith("1 of 22"),
        what="the table filtered to the total",
    )
    # clicking a row opens that series' chart
    cell = driver.find_element(By.CSS_SELECTOR, "#series-table tbody td[data-dash-column='mase']")
    cell.click()
    wait_for(
        driver,
        lambda d: "total" in text_of(d, "#results-series"),
        what="the series picker to show the total",
    )
    wait_for(
        driver,
        lambda d: (
            "total"
            in (
                d.execute_script(
                    "return document.querySelector('#results-fan .js-plotly-plot')"
                    ".layout.title.text || ''"
                )
                or text_of(d, "#results-fan")
            )
        ),
        what="the fan chart of the total",
    )
    # the chart's models follow the total's own recommendation, not the job-wide one
    answer = wait_for(
        driver,
        lambda d: (t := text_of(d, "#results-answer")) and "Recommended for total: " in t and t,
        what="the total's own verdict",
    )
    own = answer.split("Recommended for total: ")[1].split(".")[0]
    wait_for(
        driver,
        lambda d: (
            f"{own} (recommended)" in text_of(d, "#results-models")
            and d.execute_script(
                "return [...document.querySelectorAll('#results-models input:checked')]"
                ".map(e => e.value)"
            )
            == [own]
        ),
        what=f"the model checklist to tick the total's recommendation ({own})",
    )
    # the hierarchy: a sunburst with one node per series of the nested levels
    sun = wait_for(
        driver,
        lambda d: d.execute_script(
            "const g = document.querySelector('#results-hierarchy .js-plotly-plot');"
            "return g && g._fullData && g._fullData[0] && g._fullData[0].ids;"
        ),
        what="the hierarchy sunburst",
    )
    assert len(sun) == 22 and "total" in sun and "NSW / Male / Sentenced" in sun
    note = text_of(driver, "#results-hierarchy-note")
    assert "add up across levels: reconciled" in note and "MASE over levels" in note
    graph = driver.find_element(By.ID, "results-hierarchy")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", graph)
    no_traceback(driver)
    shot("22-results-hierarchy")
    # the per-series download carries the key columns and the level
    button = driver.find_element(By.ID, "dl-by-series-btn")
    driver.execute_script("arguments[0].click();", button)
    saved = wait_for(
        driver,
        lambda d: list(download_dir.glob(f"leaderboard_by_series-{job_id}.csv")),
        what="the per-series CSV download",
    )
    got = pd.read_csv(saved[0])
    assert len(got) == 22 and {"state", "gender", "legal", "level", "mase"} <= set(got.columns)

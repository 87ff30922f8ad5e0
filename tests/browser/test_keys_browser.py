"""Several key columns in headless Chromium: the Data page lists each series' keys and filters."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from .test_dashboard_browser import fresh, no_traceback, text_of, upload, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _prison_file(folder) -> object:
    """A long quarterly file keyed by state, gender and legal status: 12 series of 12 quarters."""
    rows = []
    quarters = pd.period_range("2005Q1", periods=12, freq="Q")
    combos = itertools.product(["ACT", "NSW", "VIC"], ["Female", "Male"], ["Remanded", "Sentenced"])
    for i, (state, gender, legal) in enumerate(combos):
        rows.extend((state, gender, legal, str(q), 100 * i + k) for k, q in enumerate(quarters))
    path = folder / "prison.csv"
    pd.DataFrame(rows, columns=["state", "gender", "legal", "t", "count"]).to_csv(path, index=False)
    return path


def test_the_data_page_shows_the_keys_and_filters_the_series_by_them(
    driver, app_url, shot, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fresh(driver, app_url)
    upload(driver, _prison_file(tmp_path))
    summary = wait_for(
        driver,
        lambda d: (t := text_of(d, "#inferred-summary")) and "prison.csv" in t and t,
        what="the summary of the keyed file",
    )
    assert "Series key columns" in summary and "state, gender, legal" in summary
    assert "12 · 144 observations" in summary
    # the key dropdown holds the three inferred keys (Dash shows the first and a count)
    chosen = text_of(driver, "#ov-id")
    assert chosen.startswith("state") and "3 selected" in chosen, repr(chosen)

    def cells(d, column):
        return [
            e.text
            for e in d.find_elements(
                By.CSS_SELECTOR, f"#series-table td[data-dash-column={column}]"
            )
        ]

    wait_for(driver, lambda d: cells(d, "state"), what="the series table's key cells")
    assert cells(driver, "unique_id")[0] == "ACT / Female / Remanded"
    shot("keys-01-data-page")
    box = wait_for(
        driver,
        lambda d: d.find_elements(
            By.CSS_SELECTOR, "#series-table th.dash-filter[data-dash-column=state] input"
        ),
        what="the state filter box",
    )[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    box.send_keys("NSW" + Keys.ENTER)
    shown = wait_for(
        driver,
        lambda d: (c := cells(d, "state")) and set(c) == {"NSW"} and c,
        what="only NSW series after filtering",
    )
    assert len(shown) == 4
    assert cells(driver, "unique_id")[0] == "NSW / Female / Remanded"
    no_traceback(driver)
    shot("keys-02-filtered-nsw")

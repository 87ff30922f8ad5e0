"""The drivers in headless Chromium: roles on the Data page, the Drivers section of Diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .test_dashboard_browser import choose, fresh, no_traceback, text_of, upload, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _demand_file(folder) -> object:
    """Daily demand moved by the same day's temperature and the working day; 5 future rows."""
    rng = np.random.default_rng(0)
    n, future = 240, 5
    temp = np.zeros(n + future)
    for t in range(1, n + future):
        temp[t] = 0.7 * temp[t - 1] + rng.normal()
    workday = (np.arange(n + future) % 7 < 5).astype(float)
    demand = 50 + 3 * temp[:n] + 2 * workday[:n] + rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2023-01-02", periods=n + future, freq="D").strftime("%Y-%m-%d"),
            "Demand": np.r_[demand.round(3), [np.nan] * future],
            "Temperature": (20 + 4 * temp).round(2),
            "WorkDay": workday,
        }
    )
    path = folder / "demand.csv"
    frame.to_csv(path, index=False)
    return path


def test_roles_on_the_data_page_then_the_drivers_section(driver, app_url, shot, tmp_path):
    from selenium.webdriver.common.by import By

    fresh(driver, app_url)
    upload(driver, _demand_file(tmp_path))
    wait_for(driver, lambda d: "demand.csv" in text_of(d, "#inferred-summary"), what="summary")
    # name the target and the drivers, ask for holidays, apply
    from selenium.webdriver.common.keys import Keys

    for name in ("Temperature", "WorkDay"):
        choose(driver, "ov-drivers", name)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # close the list
    holidays = driver.find_element(By.ID, "ov-holidays")
    holidays.send_keys("AU")
    driver.find_element(By.ID, "ov-apply").click()
    roles = wait_for(
        driver,
        lambda d: (t := text_of(d, "#roles")) and "Temperature" in t and "holiday" in t and t,
        what="the roles table",
    )
    assert "Future rows (5" in roles and "target" in roles
    assert text_of(driver, "#future-table").count("2023-") >= 1
    no_traceback(driver)
    shot("drivers-01-data-roles")
    link = driver.find_element(By.ID, "nav-diagnostics")
    driver.execute_script("arguments[0].click();", link)
    wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#diag-ccf-pw .js-plotly-plot g.trace"),
        what="the prewhitened CCF",
    )
    reading = wait_for(driver, lambda d: text_of(d, "#diag-driver-reading"), what="reading")
    assert reading.startswith("Temperature moves Demand in the same day")
    lags = "return document.querySelector('#diag-ccf-pw .js-plotly-plot')._fullData[2].x.length"
    assert driver.execute_script(lags) >= 25
    assert "Granger p" in text_of(driver, "#diag-driver-facts")
    section = driver.find_element(By.ID, "diag-drivers")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", section)
    no_traceback(driver)
    shot("drivers-02-diagnostics")
    choose(driver, "diag-driver", "WorkDay")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait_for(
        driver,
        lambda d: text_of(d, "#diag-driver-reading").startswith("WorkDay"),
        what="the WorkDay reading",
    )
    shot("drivers-03-workday")

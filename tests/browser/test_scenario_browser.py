"""A job with a driver in headless Chromium: with and without on Results, the gain, a scenario."""

from __future__ import annotations

import pytest

from .test_dashboard_browser import (
    choose,
    click,
    fresh,
    nav,
    no_traceback,
    set_number,
    text_of,
    tick_only,
    upload,
    wait_for,
)
from .test_drivers_browser import _demand_file

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _traces(driver, css: str) -> list[str]:
    return driver.execute_script(
        f"const g = document.querySelector('{css} .js-plotly-plot');"
        "return g && g._fullData ? g._fullData.map(t => t.name) : [];"
    )


def test_job_with_drivers_then_with_without_gain_and_a_scenario(driver, app_url, shot, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fresh(driver, app_url)
    upload(driver, _demand_file(tmp_path))
    wait_for(driver, lambda d: "demand.csv" in text_of(d, "#inferred-summary"), what="summary")
    for name in ("Temperature", "WorkDay"):
        choose(driver, "ov-drivers", name)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    click(driver, driver.find_element(By.ID, "ov-apply"))
    wait_for(driver, lambda d: "Temperature" in text_of(d, "#roles"), what="the roles table")
    nav(driver, "run")
    about = wait_for(driver, lambda d: text_of(d, "#run-drivers"), what="the drivers on Run")
    assert "Temperature, WorkDay" in about and "known in advance: Temperature, WorkDay" in about
    set_number(driver, "run-horizon", 5)
    set_number(driver, "run-backtest", 2)
    tick_only(
        driver,
        "run-models",
        {"ETS (automatic)", "ARIMA (automatic)", "auto (combination of the best backtesters)"},
    )
    click(driver, driver.find_element(By.ID, "run-submit"))
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    click(driver, driver.find_element(By.LINK_TEXT, "Watch it on the Jobs page →"))
    wait_for(driver, lambda d: job_id in text_of(d, "#jobs-list"), what="the job in the list")
    status = wait_for(
        driver,
        lambda d: (
            (t := text_of(d, "#jobs-list .job-status")) and ("done" in t or "failed" in t) and t
        ),
        timeout=300,
        what="the job to end",
    )
    assert "done" in status, text_of(driver, "#jobs-list")
    driver.get(f"{app_url}/results?job={job_id}")
    gain = wait_for(driver, lambda d: text_of(d, "#drivers-gain-text"), what="the gain sentence")
    assert gain.startswith("Using Temperature and WorkDay ") and " the backtest error by " in gain
    assumption = text_of(driver, "#drivers-assumption")
    assert "assumes the future Temperature and WorkDay are known" in assumption
    assert "expect more error" in assumption
    names = wait_for(driver, lambda d: _traces(d, "#drivers-compare"), what="with and without")
    assert any(n.startswith("with Temperature and WorkDay") for n in names)
    assert "without drivers" in " ".join(names)
    effects = text_of(driver, "#drivers-effects-table")
    assert "per unit of Temperature" in effects and "arima" in effects
    wait_for(driver, lambda d: text_of(d, "#scenario-table"), what="the scenario table")
    base = wait_for(driver, lambda d: _traces(d, "#scenario-figure"), what="the baseline")
    assert "baseline" in base and "scenario" in base
    section = driver.find_element(By.ID, "drivers-section")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", section)
    shot("scenario-01-with-without")
    # shift the temperature by +3: the scenario line moves away from the baseline
    box = driver.find_element(By.CSS_SELECTOR, "#scenario-shifts input")
    click(driver, box)
    box.send_keys("+3", Keys.ENTER)

    def moved(d):
        text = text_of(d, "#scenario-timing")
        if "largest change " not in text:
            return None
        change = float(text.rsplit("largest change ", 1)[1].rstrip("."))
        return (text, change) if change > 1.0 else None  # about 3 °C times 0.75 per °C

    text, change = wait_for(driver, moved, what="the re-forecast with the shift")
    assert change < 5
    seconds = float(text.split("Forecast again in ")[1].split(" s")[0])
    assert seconds < 5  # measured properly in benchmarks/scenario.py
    ys = driver.execute_script(
        "const g = document.querySelector('#scenario-figure .js-plotly-plot')._fullData;"
        "const s = g.find(t => t.name === 'scenario'), b = g.find(t => t.name === 'baseline');"
        "return [Array.from(s.y), Array.from(b.y)];"
    )
    assert all(s > b for s, b in zip(*ys, strict=True))
    no_traceback(driver)
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'start'});",
        driver.find_element(By.ID, "scenario-shifts"),
    )
    shot("scenario-02-shifted")
    # a bad shift: a clear message, no traceback
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("warm", Keys.ENTER)
    alert = wait_for(driver, lambda d: text_of(d, "#scenario-error"), what="the bad-shift alert")
    assert "Shift of Temperature: 'warm' is not a shift" in alert
    no_traceback(driver)
    shot("scenario-03-bad-shift")

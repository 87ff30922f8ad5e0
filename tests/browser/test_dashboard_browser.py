"""End-to-end tests of the dashboard in headless Chromium (see conftest.py for the harness)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DATA = Path(__file__).resolve().parents[2] / "data"
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


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
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"FAILED-{what.replace(' ', '-').replace('/', '-')}.png"))
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_exc})")


def text_of(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    elements = driver.find_elements(By.CSS_SELECTOR, css)
    return " ".join(e.text for e in elements)


def upload(driver, path: Path) -> None:
    from selenium.webdriver.common.by import By

    box = wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#upload input[type=file]"),
        what="the upload box",
    )
    box[0].send_keys(str(path))


def fresh(driver, url: str) -> None:
    """Open the app as a first visit: the session's stores are cleared."""
    driver.get(url + "/")
    driver.execute_script("window.sessionStorage.clear();")
    driver.get(url + "/")


def no_traceback(driver) -> None:
    assert "Traceback" not in driver.page_source


def test_data_page_upload_and_bad_csv(driver, app_url, shot, tmp_path):
    fresh(driver, app_url)
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
    # the upload route refuses a file that is not CSV; its message shows under the box
    sheet = tmp_path / "sheet.xlsx"
    sheet.write_bytes(b"PK\x03\x04 not a csv")
    upload(driver, sheet)
    alert = wait_for(
        driver, lambda d: "sheet.xlsx" in (t := text_of(d, "#upload-alert")) and t, what="refusal"
    )
    assert "sheet.xlsx is not a CSV file" in alert
    assert "bad.csv" in driver.find_element("id", "nav-dataset").text  # the dataset is kept
    no_traceback(driver)


def test_drop_a_file_on_the_upload_box(driver, app_url, shot):
    """Drag and drop: the file goes to the upload route; the store keeps only ids."""
    import json

    fresh(driver, app_url)
    wait_for(driver, lambda d: "air_passengers" in text_of(d, "#nav-dataset"), what="default")
    # the page's content renders after the navbar: drop only once the box is there
    wait_for(
        driver,
        lambda d: d.find_elements("css selector", "#upload .upload-box"),
        what="the upload box",
    )
    text = (DATA / "sunspots_yearly.csv").read_text()
    driver.execute_script(
        """
        const box = document.querySelector('#upload .upload-box');
        const data = new DataTransfer();
        data.items.add(new File([arguments[0]], 'dropped sunspots.csv', {type: 'text/csv'}));
        for (const type of ['dragenter', 'dragover', 'drop']) {
          box.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
        }
        """,
        text,
    )
    wait_for(
        driver,
        lambda d: "dropped sunspots.csv" in text_of(d, "#inferred-summary"),
        what="the dropped file's summary",
    )
    stored = json.loads(driver.execute_script("return window.sessionStorage.getItem('dataset')"))
    assert set(stored) == {"hash", "filename", "overrides"} and len(stored["hash"]) == 64
    dragging = "return document.getElementById('upload').hasAttribute('data-dragging')"
    assert driver.execute_script(dragging) is False
    shot("02b-data-dropped")


def click(driver, element) -> None:
    """Click ``element`` once it is in the middle of the window (the sticky navbar and content
    arriving late, such as the Run page's estimate, never cover it)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.3)
    element.click()


def set_number(driver, element_id: str, value) -> None:
    """Type ``value`` over what a number box holds, and wait until the box holds it.

    A box a callback has just filled is written by its component after the page shows the
    callback's other outputs (in an effect, after the paint): a write landing between the
    select-all and the typing would leave the digits appended to the callback's value
    (``15`` -> ``112`` for a typed 12). Waiting for the typed value to be the box's value
    makes such a mix a clear failure, not a job run with another window.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, element_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(str(value))
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, element_id).get_attribute("value") == str(value),
        timeout=10,
        what=f"{element_id} to hold {value}",
    )


def box_filled(driver, element_id: str, reason_css: str, pattern: str):
    """Wait until the number box ``element_id`` holds the number the text at ``reason_css``
    names (``pattern``, a regular expression with one group): the callback that set both has
    reached the box too, so what is typed next is not overwritten."""
    import re

    from selenium.webdriver.common.by import By

    def filled(d):
        found = re.search(pattern, text_of(d, reason_css))
        value = d.find_element(By.ID, element_id).get_attribute("value")
        return found and value == found.group(1) and value

    return wait_for(driver, filled, what=f"{element_id} filled as {reason_css} says")


def tick_only(driver, container_id: str, labels: set[str]) -> None:
    """Leave exactly the checkboxes whose label text is in ``labels`` ticked."""
    from selenium.webdriver.common.by import By

    for item in driver.find_elements(By.CSS_SELECTOR, f"#{container_id} .form-check"):
        box = item.find_element(By.CSS_SELECTOR, "input")
        label = item.find_element(By.CSS_SELECTOR, "label")
        if box.is_selected() != (label.text in labels):
            label.click()


def choose(driver, dropdown_id: str, value: str) -> None:
    """Pick ``value`` in a Dash 4 ``dcc.Dropdown``: open it, click the option."""
    box = driver.find_element("id", dropdown_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    time.sleep(0.3)
    box.click()
    option = wait_for(
        driver,
        lambda d: [
            o
            for o in d.find_elements("css selector", "[role=listbox] [role=option]")
            if o.find_element("css selector", "input").get_attribute("value") == value
        ],
        what=f"option {value} of {dropdown_id}",
    )
    driver.execute_script("arguments[0].click();", option[0])


def nav(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    click(driver, driver.find_element(By.ID, f"nav-{name}"))


def test_upload_airline_then_diagnostics_shows_acf(driver, app_url, shot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fresh(driver, app_url)
    upload(driver, DATA / "sunspots_yearly.csv")  # away from the pre-selected sample first
    wait_for(driver, lambda d: "sunspots" in text_of(d, "#inferred-summary"), what="sunspots")
    upload(driver, DATA / "air_passengers.csv")
    summary = wait_for(
        driver,
        lambda d: (t := text_of(d, "#inferred-summary")) and "air_passengers" in t and t,
        what="the airline summary",
    )
    assert "Month" in summary and "monthly (MS, season length 12)" in summary and "144" in summary
    nav(driver, "diagnostics")
    wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#diag-acf .js-plotly-plot"),
        what="the ACF figure",
    )
    readings = wait_for(driver, lambda d: text_of(d, "#diag-readings-list"), what="the readings")
    assert "12" in readings  # the airline data's seasonal period is named
    # one consistent answer: each difference said on its series, the window for the Run
    # page's horizon
    assert "after the seasonal difference (lag 12), KPSS suggests" in readings
    assert "Suggested look-back window: 30 steps for a horizon of 24" in readings
    wait_for(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#diag-acf g.trace"), what="ACF traces"
    )
    no_traceback(driver)
    shot("03-diagnostics")
    # the lag slider redraws the ACF and PACF with fewer lags
    lags = "return document.querySelector('#diag-acf .js-plotly-plot')._fullData[2].x.length"
    assert driver.execute_script(lags) == 36
    box = driver.find_element(By.CSS_SELECTOR, "#diag-lags input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("10", Keys.TAB)
    wait_for(driver, lambda d: d.execute_script(lags) == 10, what="the ACF with 10 lags")
    # the Run page proposes the window the Diagnostics page states, and follows the horizon
    nav(driver, "run")
    reason = wait_for(
        driver, lambda d: text_of(d, "#run-window-reason"), what="the Run page's window"
    )
    assert reason.startswith("Window 30 for a horizon of 24:")
    assert driver.find_element(By.ID, "run-window").get_attribute("value") == "30"
    set_number(driver, "run-horizon", 6)
    reason = wait_for(
        driver,
        lambda d: (t := text_of(d, "#run-window-reason")) and "horizon of 6" in t and t,
        what="the window for the new horizon",
    )
    assert "spans 1.25 horizons of 6" in reason  # the reason follows the horizon too
    assert driver.find_element(By.ID, "run-window").get_attribute("value") == "15"


def test_run_job_to_done_then_results_and_download(driver, app_url, shot, download_dir):
    from selenium.webdriver.common.by import By

    fresh(driver, app_url)
    wait_for(
        driver,
        lambda d: "air_passengers.csv" in text_of(d, "#inferred-summary"),
        what="the data summary",
    )
    nav(driver, "run")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "run-horizon").get_attribute("value"),
        what="the pre-filled horizon",
    )
    assert driver.find_element(By.ID, "run-horizon").get_attribute("value") == "24"
    shot("04-run-form")
    set_number(driver, "run-horizon", 12)
    set_number(driver, "run-holdout", 12)
    set_number(driver, "run-epochs", 2)
    tick_only(driver, "run-models", {"Seasonal naive", "LSTM", "Echo State Network"})
    click(driver, driver.find_element(By.ID, "run-submit"))
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    click(driver, driver.find_element(By.LINK_TEXT, "Watch it on the Jobs page →"))
    wait_for(driver, lambda d: job_id in text_of(d, "#jobs-list"), what="the job in the list")
    shot("05-jobs-running")
    wait_for(
        driver,
        lambda d: "done" in text_of(d, "#jobs-list .job-status"),
        timeout=120,
        what="the job to reach done",
    )
    no_traceback(driver)
    shot("06-jobs-done")
    driver.refresh()  # the list comes from the job store: it survives a reload
    wait_for(driver, lambda d: job_id in text_of(d, "#jobs-list"), what="the job after reload")
    click(driver, driver.find_element(By.LINK_TEXT, "Results"))
    board = wait_for(driver, lambda d: text_of(d, "#leaderboard-table"), what="the leaderboard")
    for model in ("snaive", "lstm", "esn"):
        assert model in board
    assert "80%" in board  # the nominal level, shown as a percentage
    wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#results-fan g.trace"),
        what="the forecast figure",
    )
    shot("07-results")
    choose(driver, "results-resid-model", "lstm")
    wait_for(driver, lambda d: "lstm" in text_of(d, "#results-verdict"), what="lstm's verdict")
    wait_for(
        driver,
        lambda d: "Effective memory" in text_of(d, "#results-memory"),
        what="the effective-memory figure",
    )
    shot("08-results-lstm-memory")
    button = driver.find_element(By.ID, "dl-forecasts-btn")
    driver.execute_script("arguments[0].click();", button)  # the page may still be re-laying out
    path = wait_for(
        driver,
        lambda d: next(iter(p for p in download_dir.glob("forecasts-*.csv")), None),
        what="the downloaded forecasts CSV",
    )
    time.sleep(0.5)
    import pandas as pd

    frame = pd.read_csv(path)
    assert list(frame.columns) == ["unique_id", "ds", "model", "yhat", "lo", "hi"]
    assert set(frame["model"]) == {"snaive", "lstm", "esn"} and len(frame) == 36


def test_default_job_leads_with_the_recommended_future(driver, app_url, shot):
    from selenium.webdriver.common.by import By

    fresh(driver, app_url)
    wait_for(
        driver,
        lambda d: "air_passengers.csv" in text_of(d, "#inferred-summary"),
        what="the data summary",
    )
    nav(driver, "run")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "run-horizon").get_attribute("value"),
        what="the pre-filled horizon",
    )
    # the defaults are the flow: forecast the future, 3 backtest origins, the default models
    assert driver.find_element(By.ID, "run-holdout").get_attribute("value") == "0"
    assert driver.find_element(By.ID, "run-backtest").get_attribute("value") == "3"
    click(driver, driver.find_element(By.ID, "run-submit"))
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    click(driver, driver.find_element(By.LINK_TEXT, "Watch it on the Jobs page →"))
    wait_for(
        driver,
        lambda d: any(
            "done" in row.text
            for row in d.find_elements(
                By.XPATH, f"//*[@id='jobs-list']//tr[contains(., '{job_id}')]"
            )
        ),
        timeout=120,
        what="the default job to reach done",
    )
    driver.get(f"{app_url.rstrip('/')}/results?job={job_id}")  # the link to a job's results
    wait_for(driver, lambda d: text_of(d, "#results-job"), what="the job picker")
    choose(driver, "results-job", job_id)
    answer = wait_for(
        driver,
        lambda d: text_of(d, "#results-verdict-answer").startswith(
            "Recommended for Passengers: auto."
        ),
        what="the verdict of the default job",
    )
    answer = text_of(driver, "#results-verdict-answer")
    assert job_id in text_of(driver, "#results-job") and "seasonal naive" in answer
    wait_for(
        driver,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results-backtest g.trace")) > 3,
        what="the backtest figure",
    )
    # the fan chart shows the history and the recommended forecast only, until others are ticked
    names = driver.execute_script(
        "return document.querySelector('#results-fan .js-plotly-plot')._fullData.map(t => t.name)"
    )
    assert "history" in names and "auto" in names and "ets" not in names
    no_traceback(driver)
    shot("07b-results-default-job")


def test_cancel_a_running_job_then_rerun(driver, app_url, shot):
    from selenium.webdriver.common.by import By

    fresh(driver, app_url)
    wait_for(
        driver,
        lambda d: "air_passengers.csv" in text_of(d, "#inferred-summary"),
        what="the data summary",
    )
    nav(driver, "run")
    wait_for(
        driver,
        lambda d: d.find_element(By.ID, "run-horizon").get_attribute("value"),
        what="the pre-filled horizon",
    )
    # long enough to be cancelled while it trains, even on an idle machine: early stopping ends
    # a 500-epoch fit early, so four backtest refits multiply the work (about 5 fits in all)
    set_number(driver, "run-horizon", 6)
    wait_for(  # the window follows the horizon: typed after it, ours is kept
        driver,
        lambda d: "horizon of 6" in text_of(d, "#run-window-reason"),
        what="the window for horizon 6",
    )
    # the reason is drawn before the window box is written: wait for the box too, or the
    # window typed below can be mixed with the one the horizon proposed
    box_filled(driver, "run-window", "#run-window-reason", r"Window (\d+) for a horizon of 6")
    set_number(driver, "run-holdout", 6)
    set_number(driver, "run-backtest", 4)
    set_number(driver, "run-window", 12)
    set_number(driver, "run-epochs", 500)
    tick_only(driver, "run-models", {"LSTM"})
    click(driver, driver.find_element(By.ID, "run-submit"))
    job_id = wait_for(driver, lambda d: text_of(d, "#run-job-id"), what="the job id")
    nav(driver, "jobs")

    def row(d):
        rows = [
            r for r in d.find_elements(By.CSS_SELECTOR, "#jobs-list tr.job-row") if job_id in r.text
        ]
        return rows[0] if rows else None

    wait_for(
        driver,
        lambda d: (r := row(d)) and "running" in r.text,
        timeout=60,
        what="the job to train",
    )
    shot("09-jobs-training")
    click(driver, row(driver).find_element(By.XPATH, ".//button[text()='Cancel']"))
    wait_for(
        driver,
        lambda d: (r := row(d)) and "cancelled" in r.text,
        timeout=60,
        what="the job to be cancelled",
    )
    assert "Cancel requested" in text_of(driver, "#jobs-alert")
    click(driver, row(driver).find_element(By.XPATH, ".//button[text()='Re-run']"))
    alert = wait_for(
        driver,
        lambda d: "re-queued as" in (t := text_of(d, "#jobs-alert")) and t,
        what="the re-run message",
    )
    new_id = alert.split("re-queued as")[1].strip().rstrip(".")
    wait_for(driver, lambda d: new_id in text_of(d, "#jobs-list"), what="the re-run job")
    shot("10-jobs-cancelled-rerun")
    no_traceback(driver)
    # stop the re-run too, so it does not train 500 epochs behind the other tests
    rerun = next(
        r
        for r in driver.find_elements(By.CSS_SELECTOR, "#jobs-list tr.job-row")
        if new_id in r.text
    )
    click(driver, rerun.find_element(By.XPATH, ".//button[text()='Cancel']"))
    wait_for(
        driver,
        lambda d: any(
            new_id in r.text and "cancelled" in r.text
            for r in d.find_elements(By.CSS_SELECTOR, "#jobs-list tr.job-row")
        ),
        timeout=60,
        what="the re-run to be cancelled",
    )

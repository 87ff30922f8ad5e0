"""Dashboard benchmark: upload of a 100k-row CSV to diagnostics rendered, and submit -> done.

Two figures, printed as a table:

1. **upload -> diagnostics**: a 100,000-row hourly CSV goes through what the dashboard does with
   an upload — POST it to the upload route, which saves it under its hash (and starts the
   diagnosis in the background), read and summarise it (Data page), diagnose the
   series and build every Diagnostics figure (series, ACF, PACF, STL, lag scatter). Timed at the
   server (the callbacks, called directly) and, with ``--browser``, end to end in headless
   Chromium (file chosen in the upload box -> ACF and STL traces drawn on the Diagnostics page).
   Goal: under 2 s.
2. **submit -> done**: the airline data with the seven default models (snaive, arima, rnn, lstm,
   gru, bilstm, esn) at the Run page's default settings (horizon and holdout 24, window from
   ``suggested_window``, default epochs), submitted to the job store and run by the embedded
   ``LocalRunner``. Goal: under 60 s on 2 cores.

Usage::

    .venv/bin/python benchmarks/dashboard_latency.py [--rows 100000] [--repeat 3] [--browser] [--skip-job]

(``--browser`` drives Chromium with the browser tests' helpers, through :mod:`harness`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_csv(rows: int, seed: int) -> bytes:
    """An hourly series with daily and weekly cycles, trend and noise, as CSV bytes."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    y = (
        100
        + 0.001 * t
        + 10 * np.sin(2 * np.pi * t / 24)
        + 5 * np.sin(2 * np.pi * t / 168)
        + rng.normal(0, 2, rows)
    )
    ds = pd.date_range("2010-01-01", periods=rows, freq="h")
    return (
        pd.DataFrame({"time": ds.strftime("%Y-%m-%d %H:%M:%S"), "load": y.round(3)})
        .to_csv(index=False)
        .encode()
    )


def upload_to_diagnostics(client, raw: bytes, name: str) -> dict[str, float]:
    """POST an upload to the app's upload route, run the Data and Diagnostics callbacks on it.

    Seconds per stage; ``client`` is the Flask test client of the app.
    """
    from dashboard.pages import data as data_page
    from dashboard.pages import diagnostics as diag_page
    from dashboard.upload import FILENAME_HEADER, UPLOAD_PATH

    t0 = time.perf_counter()
    response = client.post("/" + UPLOAD_PATH, data=raw, headers={FILENAME_HEADER: name})
    assert response.status_code == 200, response.get_json()
    store = response.get_json()
    t1 = time.perf_counter()
    out = data_page.render(store)
    assert out[0] is None, out[0]
    t2 = time.perf_counter()
    _, uid = diag_page.series_options(store)
    main = diag_page.main_views(store, uid)
    assert main[0] is None
    diag_page.acf_views(store, uid, main[-1])
    t3 = time.perf_counter()
    return {"save": t1 - t0, "data page": t2 - t1, "diagnostics": t3 - t2, "total": t3 - t0}


def browser_upload(url: str, path: Path) -> float:
    """Seconds from choosing ``path`` in the upload box to ACF traces on the Diagnostics page."""
    from harness import browser_conftest
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    FLAGS = browser_conftest().FLAGS

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in FLAGS:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(url + "/")
        driver.execute_script("window.sessionStorage.clear();")
        driver.get(url + "/")
        # the Data page is drawn (the default sample's summary) and its upload box is there
        _wait(driver, lambda d: "air_passengers" in d.find_element(By.ID, "inferred-summary").text)
        _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#upload input[type=file]"))
        t0 = time.perf_counter()
        driver.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(path))
        _wait(driver, lambda d: path.name in d.find_element(By.ID, "nav-dataset").text)
        t1 = time.perf_counter()
        driver.find_element(By.ID, "nav-diagnostics").click()
        _wait(
            driver,
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, "#diag-acf g.trace")
                and d.find_elements(By.CSS_SELECTOR, "#diag-stl g.trace")
            ),
        )
        t2 = time.perf_counter()
        print(
            f"  browser: upload -> dataset stored {t1 - t0:.2f} s, "
            f"Diagnostics opened -> ACF + STL drawn {t2 - t1:.2f} s",
            file=sys.stderr,
        )
        return t2 - t0
    finally:
        driver.quit()


def _wait(driver, fn, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if fn(driver):
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise TimeoutError("the page did not render in time")


def submit_to_done() -> tuple[float, pd.DataFrame, str]:
    """Submit the airline job with the Run page defaults; seconds to done, leaderboard, status."""
    from dashboard import state
    from dashboard.app import default_dataset
    from dashboard.pages import run as run_page
    from forecast.jobs import LocalRunner

    data = default_dataset()
    d = run_page.defaults(data)
    form = {
        "horizon": d["horizon"],
        "holdout": d["holdout"],
        "backtest_windows": 0,
        "window": d["window"],
        "epochs": None,
        "level": 80,
        "seed": 0,
        "models": list(run_page.DEFAULT_MODELS),
    }
    store = state.get_store()
    runner = LocalRunner(store).start()
    try:
        t0 = time.perf_counter()
        job_id = run_page.submit(data, form)
        while True:
            record = store.get(job_id)
            if record.status in ("done", "failed", "cancelled"):
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - t0
    finally:
        runner.stop()
    result = store.result(job_id)
    board = result.leaderboard if result is not None else pd.DataFrame()
    return elapsed, board, record.status + (f" ({record.error})" if record.error else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    parser.add_argument("--skip-job", action="store_true", help="skip submit -> done")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dashboard-bench-")
    os.environ["FORECAST_HOME"] = home
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from dashboard.app import create_app

    client = create_app().server.test_client()
    rows = []
    stages = [
        upload_to_diagnostics(client, make_csv(args.rows, seed), f"load{seed}.csv")
        for seed in range(args.repeat)
    ]
    for key in ("save", "data page", "diagnostics", "total"):
        values = [s[key] for s in stages]
        rows.append(
            (
                f"upload {args.rows:,} rows -> {key} (server)",
                statistics.median(values),
                min(values),
                "< 2 s" if key == "total" else "",
            )
        )
    if args.browser:
        rows.append(_browser_rows(args, home))
    if not args.skip_job:
        seconds, board, status = submit_to_done()
        rows.append(
            ("submit -> done, airline, 7 models (" + status + ")", seconds, seconds, "< 60 s")
        )
    print(f"\nDashboard benchmark ({os.cpu_count()} CPUs, median and best of {args.repeat})")
    print(f"{'measure':<62} {'median s':>9} {'best s':>8}  goal")
    for name, med, best, goal in rows:
        print(f"{name:<62} {med:>9.2f} {best:>8.2f}  {goal}")
    if not args.skip_job and not board.empty:
        cols = [c for c in ("model", "smape", "mase", "fit_seconds", "rank") if c in board]
        print("\nmodels of the submit -> done job (holdout 24):")
        print(board[cols].sort_values("rank").to_string(index=False, float_format="%.3f"))


def _browser_rows(args, home: str):
    from harness import browser_server

    from dashboard.app import WARM_MESSAGE

    running_dashboard = browser_server().running_dashboard

    with running_dashboard(Path(home)) as (url, log_path):
        # time uploads to a started server: its start-up warm-up (imports, a small diagnosis)
        # runs in the background and would otherwise be charged to the first upload
        _wait(None, lambda _: WARM_MESSAGE in log_path.read_text(), timeout=60)
        times = []
        for seed in range(args.repeat):
            path = Path(home) / f"browser{seed}.csv"
            path.write_bytes(make_csv(args.rows, 100 + seed))
            times.append(browser_upload(url, path))
        return (
            f"upload {args.rows:,} rows -> ACF + STL drawn (Chromium)",
            statistics.median(times),
            min(times),
            "< 2 s",
        )


if __name__ == "__main__":
    main()

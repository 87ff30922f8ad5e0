"""The job's cost before it runs (forecast/run/cost.py) and its expected finish while it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from dashboard.pages.jobs import expected_finish
from forecast.run.cost import (
    FIT_COST,
    PER_SERIES_OVERHEAD,
    WARN_SECONDS,
    duration_text,
    estimate_job,
    eta_seconds,
)


def test_estimate_counts_every_fit_of_the_job():
    # 3 series, 3 windows + the refit, snaive and ets: 2 models x 3 series x 4 fits
    cost = estimate_job(
        [100, 120, 140], horizon=10, windows=3, models=["snaive", "ets"], load=0, workers=1
    )
    assert cost.fits == 2 * 3 * 4
    a, b = FIT_COST["ets"]
    lengths = [n - cut for n in (100, 120, 140) for cut in (10, 20, 30, 0)]
    expected = sum(a + b * n / 100 for n in lengths)
    assert cost.per_model["ets"] == pytest.approx(expected + PER_SERIES_OVERHEAD * 3 * 4)
    # seasonal naive, the reference of skill, is counted even when not asked for
    # fanned out over 2 processes, the per-series fits take half the wall time
    two = estimate_job(
        [100, 120, 140], horizon=10, windows=3, models=["snaive", "ets"], load=0, workers=2
    )
    assert two.per_model["ets"] == pytest.approx(cost.per_model["ets"] / 2)
    alone = estimate_job([100], horizon=10, windows=3, models=["ets"], load=0)
    assert set(alone.per_model) == {"ets", "snaive"}
    assert not cost.warn and "Estimated duration: about" in cost.text()


def test_a_long_job_warns_and_names_a_cheaper_set_under_a_minute():
    lengths = [600] * 148  # 148 monthly series, as fpp3's us_employment
    models = ["snaive", "ets", "stheta", "arima", "pretrained", "auto"]
    cost = estimate_job(lengths, horizon=24, windows=3, models=models, load=0, season=12)
    assert cost.warn and cost.seconds > 5 * WARN_SECONDS
    assert max(cost.per_model, key=cost.per_model.get) == "arima"
    assert cost.cheaper is not None and "arima" not in cost.cheaper
    assert {"snaive", "auto"} <= set(cost.cheaper)
    assert cost.cheaper_seconds <= WARN_SECONDS
    again = estimate_job(lengths, horizon=24, windows=3, models=cost.cheaper, load=0, season=12)
    assert again.seconds == pytest.approx(cost.cheaper_seconds)
    assert "over a minute" in cost.text() and ", ".join(cost.cheaper) in cost.text()


def test_a_busy_machine_lengthens_the_estimate_by_the_load_per_core():
    idle = estimate_job([200] * 10, horizon=12, windows=3, models=["ets"], load=0, cores=2)
    busy = estimate_job([200] * 10, horizon=12, windows=3, models=["ets"], load=8, cores=2)
    assert busy.busy == 4.0 and busy.seconds == pytest.approx(4 * idle.seconds)
    assert "busy" in busy.text() and "busy" not in idle.text()


def test_durations_and_the_pace_so_far():
    assert [duration_text(s) for s in (0.2, 40, 300, 4800)] == [
        "1 s",
        "40 s",
        "5 min",
        "1 h 20 min",
    ]
    assert eta_seconds(60, 0.25, 1.0) == pytest.approx(180)
    assert eta_seconds(60, 0, 1.0) is None


def test_a_running_job_shows_its_expected_finish():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    running = SimpleNamespace(status="running", started_at=now - timedelta(minutes=5), progress=0.5)
    text = expected_finish(running, now=now)
    end = (now + timedelta(minutes=5)).astimezone()
    assert text == f"expected finish {end:%H:%M} (in 5 min)"
    assert expected_finish(SimpleNamespace(status="done", started_at=now, progress=1.0)) is None
    early = SimpleNamespace(status="running", started_at=now, progress=0.0)
    assert expected_finish(early, now=now) is None


def test_progress_names_the_series_the_model_and_the_window():
    from conftest import make_frame

    from forecast.run.pipeline import run_forecast

    messages = []
    run_forecast(
        make_frame(60, series=3),
        horizon=6,
        models="snaive,ets",
        backtest_windows=2,
        progress=lambda step, total, message: messages.append((step, total, message)),
    )
    backtest = [m for _s, _t, m in messages if m.startswith("backtest ets")]
    assert any("window" in m and "series 1 of " in m for m in backtest), backtest[:5]
    assert any("series 3 of " in m for _s, _t, m in messages)
    steps = [s / t for s, t, _m in messages if t]
    assert max(steps) <= 1.0 and steps == sorted(steps)  # never backwards


def test_a_capped_model_is_costed_on_the_points_it_fits():
    from forecast.models.history_cap import DRIVERS_CAP_POINTS

    # ets fits the last max(240, 40 m) points of a series ("auto"): 480 at m = 12
    long = estimate_job([2_000], horizon=12, windows=0, models=["ets"], load=0, season=12)
    at_cap = estimate_job([480], horizon=12, windows=0, models=["ets"], load=0, season=12)
    assert long.per_model["ets"] == pytest.approx(at_cap.per_model["ets"])
    shorter = estimate_job([300], horizon=12, windows=0, models=["ets"], load=0, season=12)
    assert shorter.per_model["ets"] < at_cap.per_model["ets"]  # under the cap: every point
    # with drivers the cap keeps at least DRIVERS_CAP_POINTS
    with_x = estimate_job(
        [2_000], horizon=12, windows=0, models=["ets"], load=0, season=12, drivers=True
    )
    a, b = FIT_COST["ets"]
    expected = a + b * DRIVERS_CAP_POINTS / 100 + PER_SERIES_OVERHEAD
    assert with_x.per_model["ets"] == pytest.approx(expected)
    # naive has no cap: every point counts (its cost does not grow with them, so seasonal
    # naive's per-model figure is the same at any length)
    a, b = FIT_COST["theta"]
    theta = estimate_job([2_000], horizon=12, windows=0, models=["theta"], load=0, season=12)
    assert theta.per_model["theta"] == pytest.approx(a + b * 20 + PER_SERIES_OVERHEAD)

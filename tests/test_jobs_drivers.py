"""Jobs with drivers: the spec's driver fields, a job against ``forecast run --drivers``, what the
result stores for the Results page, and the scenario re-forecast against ``forecast predict``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.errors import DataError, SpecError
from forecast.jobs import JobSpec, JobStore, LocalRunner
from forecast.run.driver_effects import Z95, effects_table, gain, gain_sentence
from forecast.run.outputs import DRIVER_FILES
from forecast.run.scenario import (
    apply_shifts,
    edited_future,
    load_models,
    parse_shift,
    scenario_forecast,
    scenario_plan,
)

HORIZON = 7
MODELS = "ets,stheta,auto"
DRIVERS = ["Temperature", "WorkDay"]


def demand_frame(n: int = 140, future: int = HORIZON) -> pd.DataFrame:
    """Daily demand moved by the same day's temperature and the working day; future rows last."""
    rng = np.random.default_rng(3)
    temp = np.zeros(n + future)
    for t in range(1, n + future):
        temp[t] = 0.7 * temp[t - 1] + rng.normal()
    workday = (np.arange(n + future) % 7 < 5).astype(float)
    demand = 50 + 3 * temp[:n] + 2 * workday[:n] + rng.normal(size=n)
    return pd.DataFrame(
        {
            "date": pd.date_range("2023-01-02", periods=n + future, freq="D").strftime("%Y-%m-%d"),
            "Demand": np.r_[demand.round(3), [np.nan] * future],
            "Temperature": (20 + 4 * temp).round(2),
            "WorkDay": workday,
        }
    )


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forecast", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """One finished job with drivers: ``(store, job_id, csv path, folder)``."""
    folder = tmp_path_factory.mktemp("drivers-job")
    path = folder / "demand.csv"
    demand_frame().to_csv(path, index=False)
    store = JobStore(f"sqlite:///{folder / 'jobs.db'}")
    digest, stored = store.save_dataset(path.read_bytes(), path.name)
    spec = JobSpec(
        dataset_hash=digest,
        dataset_path=stored,
        filename=path.name,
        value_cols=["Demand"],
        drivers=DRIVERS,
        horizon=HORIZON,
        models=MODELS.split(","),
        backtest_windows=2,
    )
    job_id = store.submit(spec)
    LocalRunner(store, pool_workers=0).run_until_idle(timeout=300)
    record = store.get(job_id)
    assert record.status == "done", record.error
    yield store, job_id, path, folder
    store.close()


# ------------------------------------------------------------------ the spec


def test_the_spec_takes_the_driver_fields_and_round_trips():
    spec = JobSpec(
        dataset_hash="0" * 64,
        dataset_path="x.csv",
        horizon=7,
        value_cols="Demand",
        drivers="Temperature, WorkDay",
        observed_only=["WorkDay"],
        calendar=True,
        holidays="au-vic",
    )
    assert spec.drivers == DRIVERS and spec.observed_only == ["WorkDay"]
    assert spec.holidays == "AU-VIC" and spec.has_drivers
    assert JobSpec.from_json(spec.to_json()) == spec
    assert spec.read_kwargs()["drivers"] == DRIVERS and spec.read_kwargs()["calendar"] is True
    plain = JobSpec(dataset_hash="0" * 64, dataset_path="x.csv", horizon=7)
    assert not plain.has_drivers and plain.read_kwargs()["drivers"] is None
    old = json.loads(plain.to_json())
    for key in ("drivers", "observed_only", "calendar", "holidays"):
        old.pop(key)
    assert JobSpec.from_json(json.dumps(old)) == plain  # specs stored before the fields


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"holidays": "XX"}, "holidays: 'XX' is not a country the holidays package knows"),
        ({"holidays": "AU-NOPE"}, "AU has no sub-region 'NOPE'"),
        ({"drivers": ["Temperature"], "observed_only": ["Rain"]}, "Rain is not one of the drivers"),
        ({"drivers": "Demand"}, "Demand is also a value column"),
        ({"drivers": "Temperature,Temperature"}, "'Temperature' is listed twice"),
        ({"drivers": "all,Temperature"}, "give it alone"),
        ({"drivers": "all", "value_cols": None}, "name the target in value_cols"),
    ],
)
def test_bad_driver_fields_are_refused_with_the_reason(fields, message):
    base = {"dataset_hash": "0" * 64, "dataset_path": "x.csv", "horizon": 7, "value_cols": "Demand"}
    with pytest.raises(SpecError, match="Invalid job spec") as err:
        JobSpec(**{**base, **fields})
    assert message in str(err.value)


# ------------------------------------------------------------------ the job


@pytest.mark.slow
def test_a_job_with_drivers_forecasts_as_forecast_run_does(job, tmp_path):
    store, job_id, path, _ = job
    out = tmp_path / "cli"
    proc = _cli("run", path, "--horizon", HORIZON, "--models", MODELS, "--backtest-windows", 2,
                "--value-col", "Demand", "--drivers", ",".join(DRIVERS), "--workers", 1,
                "--json", "--out", out, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    stored = store.stored_run(job_id)
    cli = pd.read_csv(out / "forecasts.csv", dtype={"unique_id": str}, parse_dates=["ds"])
    pd.testing.assert_frame_equal(
        stored.forecasts.reset_index(drop=True), cli, check_dtype=False, atol=1e-8
    )
    assert stored.drivers["known"] == DRIVERS == printed["drivers"]["known"]
    ours, theirs = (
        stored.drivers["per_series"]["Demand"],
        printed["drivers"]["per_series"]["Demand"],
    )
    assert ours["choice"] == theirs["choice"]
    assert ours["mase_with"] == pytest.approx(theirs["mase_with"])
    assert stored.summary["verdict"] == printed["verdict"]
    # the job re-runs from its stored spec with the same drivers
    again = JobSpec.from_json(store.get(job_id).spec.to_json())
    assert again.drivers == DRIVERS and again.value_cols == ["Demand"]


@pytest.mark.slow
def test_the_result_stores_what_the_results_page_needs(job):
    store, job_id, _, _ = job
    run = store.stored_run(job_id)
    assert {Path(p).name for p in run.files.values()} >= set(DRIVER_FILES.values())
    compared = run.drivers_forecasts
    assert set(compared["drivers"]) == {"with", "without"}
    assert len(compared) == 2 * HORIZON
    per = run.drivers["per_series"]["Demand"]
    chosen = compared[compared["drivers"] == per["choice"]].reset_index(drop=True)
    auto = run.forecasts[run.forecasts["model"] == "auto"].reset_index(drop=True)
    assert np.allclose(chosen["yhat"], auto["yhat"])  # the recommended one is auto's choice
    # both backtest MASEs and the gain from them
    mase_with, mase_without, cut = gain(run.drivers, "Demand")
    assert (mase_with, mase_without) == (per["mase_with"], per["mase_without"])
    assert cut == pytest.approx(1 - per["mase_with"] / per["mase_without"])
    sentence = gain_sentence(run.drivers, "Demand")
    assert sentence.startswith("Using Temperature and WorkDay cut the backtest error by ")
    assert f"{100 * cut:.0f} %" in sentence
    # the drivers' future as the models got it
    future = run.future_drivers
    assert list(future.columns) == ["unique_id", "ds", *DRIVERS] and len(future) == HORIZON
    expect = demand_frame().tail(HORIZON)
    assert np.allclose(future["Temperature"], expect["Temperature"])
    # the effects, with their 95 % interval from the standard error and their units
    effects = effects_table(run.drivers)
    temp = effects[(effects["model"] == "ets") & (effects["driver"] == "Temperature")].iloc[0]
    assert temp["coef"] == pytest.approx(3 / 4, abs=0.15)  # 3 per unit of temp, 4 per degree
    assert temp["lo95"] == pytest.approx(temp["coef"] - Z95 * temp["se"])
    assert temp["lo95"] < temp["coef"] < temp["hi95"] and temp["units"] == "per unit of Temperature"


# ------------------------------------------------------------------ the scenario


def test_parse_shift_and_apply_shifts():
    assert parse_shift("+2") == ("add", 2.0) and parse_shift(" -1,5 ") == ("add", -1.5)
    assert parse_shift("+10 %") == ("scale", pytest.approx(0.1)) and parse_shift("") is None
    assert parse_shift(3) == ("add", 3.0)
    future = pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2], "t": [10.0, 20.0]})
    assert apply_shifts(future, {"t": "+10 %"})["t"].tolist() == pytest.approx([11.0, 22.0])
    assert apply_shifts(future, {"t": "-2"})["t"].tolist() == [8.0, 18.0]
    with pytest.raises(DataError, match="Shift of t: 'warm' is not a shift; write \\+2"):
        apply_shifts(future, {"t": "warm"})
    with pytest.raises(DataError, match="no driver of that name"):
        apply_shifts(future, {"rain": "+1"})


def test_bad_scenario_cells_say_which_cell_and_what_to_do():
    future = pd.DataFrame(
        {
            "unique_id": "Demand",
            "ds": pd.date_range("2023-05-21", periods=HORIZON, freq="D"),
            "Temperature": np.linspace(18, 24, HORIZON),
            "WorkDay": [1.0, 1, 1, 1, 1, 0, 0],
        }
    )
    rows = [
        {"ds": str(d)[:10], "Temperature": t, "WorkDay": w}
        for d, t, w in zip(future["ds"], future["Temperature"], future["WorkDay"], strict=True)
    ]
    rows = [{**r, "unique_id": "Demand"} for r in rows]
    assert np.allclose(edited_future(rows, future)["Temperature"], future["Temperature"])
    typed = [dict(r) for r in rows]
    typed[2]["Temperature"] = "warm"
    day = f"{future['ds'].iloc[2]:%Y-%m-%d}"
    with pytest.raises(DataError) as err:
        edited_future(typed, future)
    assert str(err.value).startswith(f"Temperature on {day} (series Demand, row 3): 'warm' is not")
    emptied = [dict(r) for r in rows]
    emptied[0]["WorkDay"] = ""
    with pytest.raises(DataError, match=r"WorkDay on .* is empty; give a number \(it was 1\)"):
        edited_future(emptied, future)
    with pytest.raises(DataError, match="edit the values only"):
        edited_future(rows[:-1], future)
    numbers = [dict(r) for r in rows]
    numbers[1]["Temperature"] = "25,5"  # a decimal comma is a number
    assert edited_future(numbers, future)["Temperature"].iloc[1] == 25.5


@pytest.mark.slow
def test_the_scenario_equals_a_fresh_forecast_predict(job, tmp_path):
    store, job_id, _, _ = job
    run = store.stored_run(job_id)
    plan = scenario_plan(run)
    models = load_models(run, plan.models)
    # unchanged drivers give back the stored forecast
    same = scenario_forecast(run, run.future_drivers, models, plan)
    assert np.allclose(same["yhat"], same["baseline"], atol=1e-6)
    # a warmer week, one working day fewer
    edited = apply_shifts(run.future_drivers, {"Temperature": "+3"})
    edited.loc[2, "WorkDay"] = 0.0
    scenario = scenario_forecast(run, edited, models, plan)
    assert not np.allclose(scenario["yhat"], scenario["baseline"])
    # the same edit as a file, forecast afresh by each member's saved model
    frame = demand_frame()
    frame.loc[frame["Demand"].isna(), DRIVERS] = edited[DRIVERS].to_numpy()
    edited_csv = tmp_path / "edited.csv"
    frame.to_csv(edited_csv, index=False)
    members = [m for m, _ in plan.members["Demand"]]
    folder = run.models[members[0]].parent  # the job's artifacts: a folder of model folders
    names = ",".join(run.models[m].name for m in members)
    out = tmp_path / "predict"
    proc = _cli("predict", folder, edited_csv, "--horizon", HORIZON, "--name", names,
                "--value-col", "Demand", "--drivers", ",".join(DRIVERS), "--out", out,
                cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    predicted = pd.read_csv(out / "forecasts.csv")
    assert sorted(set(predicted["model"])) == sorted(members)
    fresh = [predicted.loc[predicted["model"] == m, "yhat"].to_numpy() for m in members]
    rule = plan.rule
    assert rule == "mean"  # the default rule: the members' mean
    assert np.allclose(scenario["yhat"], np.mean(fresh, axis=0), atol=1e-6)
    # the interval is the baseline's, moved with the forecast
    width = scenario["hi"] - scenario["lo"]
    base = run.forecasts[run.forecasts["model"] == "auto"]
    if run.drivers["per_series"]["Demand"]["choice"] == "with":
        assert np.allclose(width, (base["hi"] - base["lo"]).to_numpy())

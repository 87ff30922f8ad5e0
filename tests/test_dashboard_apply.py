"""Results page: a finished job's saved models applied to another file."""

from __future__ import annotations

import base64

import pandas as pd
import pytest
from conftest import DATA

from dashboard import job_results, state
from dashboard.app import default_dataset
from dashboard.pages import results as results_page
from dashboard.pages import run as run_page
from forecast.errors import DataError, SpecError

FORM = {
    "horizon": 6,
    "holdout": 0,
    "backtest_windows": 0,
    "window": None,
    "epochs": None,
    "level": 80,
    "seed": 0,
    "models": ["snaive", "pretrained"],
}


def _payload(path) -> str:
    return "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()


@pytest.mark.slow
def test_a_jobs_models_forecast_another_file():
    from forecast.jobs import LocalRunner

    job_id = run_page.submit(default_dataset(), FORM)
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    job_fc = job_results.load_result(job_id).forecasts

    # the job's own file: the saved models give the job's forecasts
    air = DATA / "air_passengers.csv"
    fc, history, problems = job_results.apply_models(job_id, _payload(air), air.name, 6)
    assert problems == [] and len(history) == 144
    merged = fc.merge(job_fc, on=["unique_id", "ds", "model"], suffixes=("", "_job"))
    assert len(merged) == 12
    pd.testing.assert_series_equal(merged["yhat"], merged["yhat_job"], check_names=False)

    # a quarterly file: snaive refuses (fitted on monthly data), pretrained forecasts it
    macro = DATA / "us_macro_quarterly.csv"
    fc, _, problems = job_results.apply_models(job_id, _payload(macro), macro.name, 4)
    assert set(fc["model"]) == {"pretrained"} and len(fc) == 5 * 4
    assert len(problems) == 1 and problems[0].startswith("snaive:") and "frequency" in problems[0]

    view = results_page.apply_view(job_id, _payload(air), air.name, 6)
    assert any(getattr(c, "id", None) == "apply-fan" for c in view.children)

    with pytest.raises(DataError, match="not a CSV"):
        job_results.apply_models(job_id, _payload(air), "book.xlsx", 6)
    with pytest.raises(DataError, match="damaged"):
        job_results.apply_models(job_id, "data:text/csv;base64,@@@", air.name, 6)
    with pytest.raises(SpecError, match="horizon"):
        job_results.apply_models(job_id, _payload(air), air.name, 0)
    alert = results_page.apply_view(job_id, "data:text/csv;base64,@@@", air.name, 6)
    assert "damaged" in str(alert)

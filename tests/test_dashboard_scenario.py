"""The Results page's drivers section, called directly: a job with drivers from the Run page,
with and without, the gain, the effects, the scenario and its bad input."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from test_jobs_drivers import HORIZON, demand_frame

from dashboard import datasets, state
from dashboard.pages import results_drivers as page
from dashboard.pages import run as run_page
from forecast.errors import DataError

pytestmark = pytest.mark.slow


def _text(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    out = _text(getattr(component, "children", None))
    data = getattr(component, "data", None)
    if isinstance(data, list):
        out += " " + " ".join(str(v) for row in data for v in row.values())
    return out


def test_a_job_with_the_data_pages_drivers_then_its_drivers_section():
    from forecast.jobs import LocalRunner

    digest = datasets.save_dataset(demand_frame().to_csv(index=False).encode(), "demand.csv")
    data = {
        "hash": digest,
        "filename": "demand.csv",
        "overrides": {"value_cols": ["Demand"], "drivers": ["Temperature", "WorkDay"]},
    }
    assert run_page.defaults(data)["drivers"] == [("Temperature", True), ("WorkDay", True)]
    form = {"horizon": HORIZON, "backtest_windows": 2, "models": ["ets", "stheta", "auto"]}
    job_id = run_page.submit(data, form)
    spec = state.get_store().get(job_id).spec
    assert spec.drivers == ["Temperature", "WorkDay"] and spec.value_cols == ["Demand"]
    LocalRunner(state.get_store(), pool_workers=0).run_until_idle(timeout=300)
    assert state.get_store().get(job_id).status == "done"
    # a run without drivers keeps the section hidden
    style, *_ = page.drivers_view(None, None)
    assert style == page.HIDDEN
    style, gain, assumption, fig, effects, shifts, rows, columns = page.drivers_view(
        job_id, "Demand"
    )
    assert style == {}
    assert _text(gain).startswith("Using Temperature and WorkDay cut the backtest error by ")
    assert "assumes the future Temperature and WorkDay are known" in assumption
    names = [t.name for t in fig.data]
    assert names[0] == "history" and "without drivers" in " ".join(names)
    assert any(n.startswith("with Temperature and WorkDay") for n in names)
    assert "per unit of Temperature" in _text(effects)
    assert [s.children[1].id["driver"] for s in shifts] == ["Temperature", "WorkDay"]
    assert len(rows) == HORIZON and [c["id"] for c in columns] == ["ds", "Temperature", "WorkDay"]
    # unchanged: the scenario is the baseline; +3 °C: every day higher, by the effect
    fig, alert, records, timing = page.scenario_view(job_id, "Demand", rows, {})
    assert alert is None and "Forecast again in " in timing
    same = pd.DataFrame(records)
    assert np.allclose(same["yhat"], same["baseline"], atol=1e-6)
    fig, alert, records, timing = page.scenario_view(job_id, "Demand", rows, {"Temperature": "+3"})
    warmer = pd.DataFrame(records)
    assert (warmer["yhat"] > warmer["baseline"] + 1).all()
    assert np.allclose(warmer["Temperature"], same["Temperature"] + 3)
    assert [t.name for t in fig.data if t.showlegend is not False] == [
        "history",
        "baseline",
        "scenario",
    ]
    # the download goes through the safe CSV writer
    payload = page.scenario_csv(records, job_id)
    back = pd.read_csv(io.StringIO(payload["content"]))
    assert list(back.columns) == [
        "unique_id",
        "ds",
        "yhat",
        "lo",
        "hi",
        "baseline",
        "Temperature",
        "WorkDay",
    ]
    assert payload["filename"] == f"scenario-{job_id}.csv"
    # bad input: a clear message, no traceback
    typed = [dict(r) for r in rows]
    typed[0]["Temperature"] = "=1+1"
    with pytest.raises(DataError, match=r"Temperature on .* '=1\+1' is not a number"):
        page.scenario_view(job_id, "Demand", typed, {})
    emptied = [dict(r) for r in rows]
    emptied[1]["WorkDay"] = None
    with pytest.raises(DataError) as err:
        page.scenario_view(job_id, "Demand", emptied, {})
    alert = page._error(err.value)
    assert "WorkDay on" in _text(alert) and "is empty; give a number" in _text(alert)
    assert "Traceback" not in _text(alert)

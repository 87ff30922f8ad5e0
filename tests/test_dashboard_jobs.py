"""Run, Jobs and Results pages of the dashboard against a real SQLite job store and runner."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import job_results, state
from dashboard.app import default_dataset
from dashboard.pages import jobs as jobs_page
from dashboard.pages import results as results_page
from dashboard.pages import run as run_page
from forecast.errors import SpecError

FORM = {
    "horizon": 12,
    "holdout": 12,
    "backtest_windows": 0,
    "window": None,
    "epochs": None,
    "level": 80,
    "seed": 0,
    "models": ["snaive"],
}


@pytest.mark.parametrize(
    ("freq", "n", "expected"),
    [
        ("MS", 144, 24),
        ("QS-OCT", 203, 8),
        ("W-SAT", 2000, 104),
        ("YS", 300, 8),
        ("MS", 40, 8),
        ("D", 3, 1),
    ],
)
def test_default_horizon_two_seasons_capped_by_length(freq, n, expected):
    assert run_page.default_horizon(freq, n) == expected


def test_defaults_of_the_airline_data():
    d = run_page.defaults(default_dataset())
    assert (d["horizon"], d["holdout"], d["freq"], d["n_series"], d["n_min"], d["gaps"]) == (
        24,
        0,
        "MS",
        1,
        144,
        0,
    )
    assert d["window"] is None or 12 <= d["window"] <= 72
    assert d["window_reason"]


def test_build_spec_maps_the_form_and_rejects_bad_values():
    data = default_dataset()
    spec = run_page.build_spec(
        data, {**FORM, "models": ["lstm", "snaive"], "window": 18, "epochs": 3, "level": 90}
    )
    assert spec.models == ["snaive", "lstm"]  # display order
    assert spec.model_params == {"lstm": {"input_size": 18}}
    assert (spec.horizon, spec.holdout, spec.epochs, spec.level) == (12, 12, 3, 90.0)
    assert spec.dataset_hash == data["hash"] and spec.filename == "air_passengers.csv"
    with pytest.raises(SpecError, match="Tick at least one model"):
        run_page.build_spec(data, {**FORM, "models": []})
    with pytest.raises(SpecError, match="Horizon is empty"):
        run_page.build_spec(data, {**FORM, "horizon": None})
    with pytest.raises(SpecError, match="whole number"):
        run_page.build_spec(data, {**FORM, "holdout": 2.5})
    with pytest.raises(SpecError, match="No data chosen"):
        run_page.build_spec(None, FORM)
    with pytest.raises(SpecError, match="horizon"):
        run_page.build_spec(data, {**FORM, "horizon": 0})
    # the window goes to every model that takes one; epochs no ticked model uses are refused
    spec = run_page.build_spec(data, {**FORM, "models": ["esn", "naive"], "window": 12})
    assert spec.model_params == {"esn": {"input_size": 12}}
    with pytest.raises(SpecError, match="epochs 3 is not used by any of naive, esn"):
        run_page.build_spec(data, {**FORM, "models": ["esn", "naive"], "epochs": 3})


def test_run_page_offers_every_registered_model_with_its_label():
    from forecast.models.registry import MODEL_NAMES, model_class

    labels = run_page.model_labels()
    assert list(labels) == list(MODEL_NAMES)
    assert labels["ensemble"] == model_class("ensemble").label
    assert set(run_page.DEFAULT_MODELS) <= set(MODEL_NAMES)
    # the Results page measures effective memory where the registry says a model has one
    assert results_page._has_memory("ensemble") and results_page._has_memory("hybrid")
    assert not results_page._has_memory("esn") and not results_page._has_memory("snaive")


def _texts(component) -> str:
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_texts(c) for c in component)
    return _texts(getattr(component, "children", None))


def test_jobs_table_cancel_and_rerun():
    empty = jobs_page.jobs_table()
    assert "No jobs yet" in _texts(empty)
    job_id = run_page.submit(default_dataset(), FORM)
    table = _texts(jobs_page.jobs_table())
    assert job_id in table and "queued" in table and "snaive" in table
    message, _, new_id = jobs_page.act("job-cancel", job_id)
    assert "cancelled" in message and new_id is None
    assert state.get_store().get(job_id).status == "cancelled"
    message, _, new_id = jobs_page.act("job-rerun", job_id)
    assert new_id and new_id != job_id and new_id in message
    rerun = state.get_store().get(new_id)
    assert rerun.status == "queued" and rerun.spec == state.get_store().get(job_id).spec


@pytest.mark.slow
def test_results_of_a_finished_job(tmp_path):
    from forecast.jobs import LocalRunner

    job_id = run_page.submit(default_dataset(), {**FORM, "models": ["snaive", "esn"]})
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    options = job_results.job_options()
    assert results_page.pick_job(options, None, None) == job_id
    assert results_page.pick_job(options, "unknown", job_id) == job_id
    alert, summary, _series, uid, _models, ticked, board, _resid, first = results_page.job_views(
        job_id
    )
    answer = results_page.answer_view(job_results.run_summary(job_id), uid)
    assert alert is None and "horizon 12" in summary and uid == "Passengers"
    recommended = job_results.run_summary(job_id)["recommended"]["model"]
    assert recommended == board.data[0]["model"]  # the holdout winner
    assert ticked == [recommended] and first == recommended
    assert f"Use {recommended}" in _texts(answer)
    ranks = [row["rank"] for row in board.data]
    assert ranks == sorted(ranks) and "residual_verdict" in board.data[0]
    assert board.sort_action == "native"
    # numbers stay numbers (sorting), shown as the reader expects: shares as percentages
    # beside the nominal level, MASE to 3 decimals
    shown = {
        c["id"]: c["format"].to_plotly_json()["specifier"] for c in board.columns if "format" in c
    }
    assert shown["coverage"] == shown["skill"] == ".0%" and shown["mase"] == ".3f"
    assert all(c["type"] == "numeric" for c in board.columns if "format" in c)
    assert isinstance(board.data[0]["coverage"], float)
    verdict, _, _memory = results_page.residual_views(job_id, first)
    assert first in _texts(verdict)
    payload = job_results.download_forecasts(job_id)
    frame = pd.read_csv(io.StringIO(payload["content"]))
    assert list(frame.columns) == ["unique_id", "ds", "model", "yhat", "lo", "hi"]
    assert len(frame) == 2 * 12
    board_csv = pd.read_csv(io.StringIO(job_results.download_leaderboard(job_id)["content"]))
    assert set(board_csv["model"]) == {"snaive", "esn"}
    models_zip = job_results.download_models(job_id)
    import base64

    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(models_zip["content"]))).namelist()
    assert {n.split("/")[0] for n in names} == {"snaive", "esn"}  # every model has a file


@pytest.mark.slow
def test_failed_job_shows_its_readable_error():
    from dashboard import datasets
    from forecast.jobs import LocalRunner

    # weekly CO2 has gaps; without a gap policy the models refuse the data
    data = {
        "hash": datasets.save_sample("co2_weekly.csv"),
        "filename": "co2_weekly.csv",
        "overrides": {},
    }
    assert run_page.defaults(data)["gaps"] > 0
    job_id = run_page.submit(data, {**FORM, "horizon": 4, "holdout": 4})
    LocalRunner(state.get_store()).run_until_idle(timeout=120)
    record = state.get_store().get(job_id)
    assert record.status == "failed"
    assert "59 missing values" in record.error
    table = _texts(jobs_page.jobs_table())
    assert record.error in table and "failed" in table  # the row shows the readable reason
    with pytest.raises(SpecError, match="is failed; results appear when it is done"):
        job_results.load_result(job_id)


@pytest.mark.slow
def test_default_job_leads_with_the_recommended_future_and_its_backtest():
    from forecast.jobs import LocalRunner

    form = {**FORM, "holdout": 0, "backtest_windows": None, "models": run_page.DEFAULT_MODELS}
    job_id = run_page.submit(default_dataset(), form)
    assert state.get_store().get(job_id).spec.backtest_windows == 3
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    summary = job_results.run_summary(job_id)
    recommended = summary["recommended"]["model"]
    views = results_page.job_views(job_id)
    ticked, uid = views[5], views[3]
    answer = results_page.answer_view(summary, uid)
    assert ticked == [recommended] and uid == summary["recommended"]["opening"] == "Passengers"
    assert _texts(answer).startswith(f"Recommended for Passengers: {recommended}")
    assert summary["recommended"]["verdicts"]["Passengers"] in _texts(answer)
    assert "seasonal naive" in _texts(answer)
    result = job_results.load_result(job_id)
    assert result.forecasts["ds"].min() > result.history["ds"].max()  # the future
    fig = results_page.backtest_view(job_id, "Passengers")
    names = {t.name for t in fig.data}
    assert names >= {"actual", *run_page.DEFAULT_MODELS}
    payload = job_results.download_backtest(job_id)
    bt = pd.read_csv(io.StringIO(payload["content"]))
    assert bt["cutoff"].nunique() == 3 and set(bt["model"]) == set(run_page.DEFAULT_MODELS)


@pytest.mark.slow
def test_results_of_several_series_open_on_the_largest_and_answer_per_series():
    from dashboard import datasets
    from forecast.jobs import LocalRunner

    # five quarterly columns in unlike units: dollars (GDP), an index (CPI), percent (unemp)
    data = {
        "hash": datasets.save_sample("us_macro_quarterly.csv"),
        "filename": "us_macro_quarterly.csv",
        "overrides": {},
    }
    form = {**FORM, "horizon": 4, "holdout": 0, "backtest_windows": 3}
    job_id = run_page.submit(data, {**form, "models": ["snaive", "naive", "drift"]})
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    summary = job_results.run_summary(job_id)
    rec = summary["recommended"]
    assert set(rec["per_series"]) == {"realgdp", "realcons", "realinv", "cpi", "unemp"}
    _alert, _summary, _series, uid, *_rest, board, _resid, _first = results_page.job_views(job_id)
    assert uid == rec["opening"] == "realgdp"  # the largest series, not the first in sort order
    # MAE and RMSE are in each series' units: not in the pooled leaderboard
    ids = [c["id"] for c in board.columns]
    assert "mae" not in ids and "rmse" not in ids and "mase" in ids
    assert all(isinstance(r["ljung_box_pvalue"], str) for r in board.data)
    assert all(r["ljung_box_pvalue"] != "0" for r in board.data)
    for series in ("realgdp", "unemp"):
        text = _texts(results_page.answer_view(summary, series))
        assert text.startswith(rec["summary"]["text"])  # the scale-free line across series
        assert f"Recommended for {series}: {rec['per_series'][series]}" in text
        assert rec["verdicts"][series] in text
    # the fan chart and the residual picker follow each series' own recommendation
    result = job_results.load_result(job_id)
    for series, own in rec["per_series"].items():
        opts, ticked, _resid_opts, resid_first = results_page.model_choices(result, summary, series)
        assert ticked == [own] and resid_first == own
        assert [o["label"] for o in opts if o["label"].endswith("(recommended)")] == [
            f"{own} (recommended)"
        ]
    assert len(set(rec["per_series"].values())) > 1  # the series do not all agree


def test_run_page_estimates_the_job_before_it_is_submitted():
    from forecast.run.cost import estimate_job

    data = default_dataset()  # air passengers: one monthly series of 144
    view = run_page.estimate_view(data, 24, 3, run_page.DEFAULT_MODELS)
    expected = estimate_job(
        [144], horizon=24, windows=3, models=[m for m in run_page.DEFAULT_MODELS]
    )
    assert _texts(view).startswith("Estimated duration: about")
    assert view.color == ("warning" if expected.warn else "light")
    assert run_page.estimate_view(data, None, 3, ["snaive"]) is None  # nothing to estimate yet
    assert run_page.estimate_view(None, 12, 3, ["snaive"]) is None


@pytest.mark.slow
def test_results_page_draws_the_memory_the_run_stored_without_its_model_file():
    import shutil

    from forecast.jobs import LocalRunner

    form = {**FORM, "models": ["snaive", "pretrained"], "holdout": 0}
    job_id = run_page.submit(default_dataset(), form)
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    stored = state.get_store().stored_run(job_id)
    shutil.rmtree(stored.files["model:pretrained"])  # the page must not need the network
    job_results._load_result.cache_clear()
    _, _, memory_fig = results_page.residual_views(job_id, "pretrained", "Passengers")
    bars = [t for t in memory_fig.data if t.type == "bar"]
    lines = [t for t in memory_fig.data if t.type == "scatter"]
    want = stored.model_memory("pretrained")
    assert len(bars) == 1 and len(bars[0].x) == len(want)
    assert lines, "the |ACF| of the training data beside the memory"
    acf = np.abs(np.asarray(stored.series_acf("Passengers"))[1 : len(want) + 1])
    np.testing.assert_allclose(np.asarray(lines[0].y, dtype=float)[: len(acf)], acf, rtol=1e-6)


def test_the_per_series_table_is_read_without_the_rest_of_the_run():
    """The Results page's per-series table reads ``leaderboard_by_series.csv`` alone (the run's
    history, residuals and backtest are not parsed for it), with the labels the file gives."""
    from dashboard import datasets
    from dashboard.pages import results_series
    from forecast.jobs import LocalRunner

    rng = np.random.default_rng(5)
    months = pd.date_range("2015-01-01", periods=48, freq="MS").strftime("%Y %b")
    rows = [
        (month, sid, title, round(float(v), 1))
        for sid, title in (("A1", "Mining"), ("B2", "Retail"), ("C3", "Transport"))
        for month, v in zip(months, 100 + rng.normal(0, 5, 48).cumsum(), strict=True)
    ]
    raw = pd.DataFrame(rows, columns=["Month", "Series_ID", "Title", "Employed"]).to_csv(
        index=False
    )
    data = {
        "hash": datasets.save_dataset(raw.encode(), "employment.csv"),
        "filename": "employment.csv",
        "overrides": {},
    }
    form = {**FORM, "horizon": 6, "holdout": 0, "backtest_windows": 2}
    job_id = run_page.submit(data, {**form, "models": ["naive", "snaive"]})
    LocalRunner(state.get_store()).run_until_idle(timeout=240)
    assert state.get_store().get(job_id).status == "done"
    job_results._load_result.cache_clear()
    job_results._series_frame.cache_clear()
    frame = job_results.series_frame(job_id)
    assert job_results._load_result.peek(job_id) is None  # the whole run was not read for it
    assert list(frame["label"]) == [
        {"A1": "Mining", "B2": "Retail", "C3": "Transport"}[u] for u in frame["unique_id"]
    ]
    whole = state.get_store().stored_run(job_id).by_series
    pd.testing.assert_frame_equal(frame, whole)
    shown = results_series.with_labels(frame, job_results.series_table_labels(job_id, frame))
    records, pages, rows = results_series.series_page(shown, page_size=2)
    assert (pages, rows, len(records)) == (2, 3, 2)
    assert list(records[0])[:2] == ["unique_id", "label"]
    # a job's artifacts are read by name, and someone else's job stays unknown
    files = state.get_store().artifacts(job_id)
    assert Path(files["leaderboard_by_series.csv"]).is_file()
    with pytest.raises(SpecError, match="No job"):
        state.get_store().artifacts(job_id, owner="someone-else")
    # /results?job=ID holds the table's first page in its layout: drawn with the page
    from dash.development.base_component import Component

    def find(node, id_):
        if isinstance(node, Component):
            if getattr(node, "id", None) == id_:
                return node
            children = getattr(node, "children", None)
            for child in children if isinstance(children, list) else [children]:
                if (hit := find(child, id_)) is not None:
                    return hit
        return None

    page = results_page.layout(job=job_id)
    table = find(page, "series-table")
    assert [r["id"] for r in table.data] == list(frame["unique_id"])
    assert find(page, "series-count").children == "3 of 3 series"
    empty = find(results_page.layout(), "series-table")
    assert empty.data == [] and find(results_page.layout(job="unknown"), "series-table").data == []

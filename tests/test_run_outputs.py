"""One writer and one reader of a run's outputs (forecast.run.outputs), for the CLI and jobs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_frame
from typer.testing import CliRunner

from forecast.cli import app
from forecast.diagnostics.autocorr import autocorrelation, default_nlags
from forecast.evaluation.leaderboard import JSON_KEYS, LABELS, LEADERBOARD_COLUMNS, SHOWN_COLUMNS
from forecast.ingest.reader import read_csv
from forecast.jobs import JobSpec, JobStore, LocalRunner
from forecast.models import make_model
from forecast.run.defaults import BACKTEST_COLUMNS
from forecast.run.outputs import RUN_FILES, read_run, write_run
from forecast.run.pipeline import run_forecast


def test_what_is_written_reads_back_the_same(tmp_path):
    df = make_frame(72, series=2)
    result = run_forecast(df, horizon=6, models="naive,snaive", backtest_windows=2)
    files, problems = write_run(result, tmp_path / "run")
    assert problems == []
    assert set(files) == {*RUN_FILES.values(), "model:naive", "model:snaive"}
    back = read_run(files, history=result.history)
    pd.testing.assert_frame_equal(back.forecasts, result.forecasts, check_dtype=False)
    pd.testing.assert_frame_equal(
        back.leaderboard[LEADERBOARD_COLUMNS[:6]], result.leaderboard[LEADERBOARD_COLUMNS[:6]]
    )
    assert list(back.backtest.columns) == BACKTEST_COLUMNS
    assert len(back.backtest) == len(result.backtest_forecasts) == 2 * 2 * 2 * 6
    assert np.allclose(back.backtest["yhat"], result.backtest_forecasts["yhat"])
    resid = back.residuals[back.residuals["model"] == "snaive"]
    want = result.residuals["snaive"]["resid"].to_numpy()
    assert np.allclose(resid["resid"], want, equal_nan=True)
    # the answer and everything needed to read it without the store
    assert back.summary["recommended"] == json.loads(json.dumps(result.recommended))
    assert back.summary["verdict"] == result.verdict
    assert (back.summary["horizon"], back.level, back.summary["evaluation"]) == (
        6,
        80.0,
        "backtest of 2 windows",
    )
    assert back.residual_checks["naive"]["verdict"] == result.residual_checks["naive"]["verdict"]
    assert set(back.models) == {"naive", "snaive"}
    # the training data's ACF per series, as the diagnostics compute it (lag 0 first)
    x = result.history.loc[result.history["unique_id"] == "s1", "y"].to_numpy()
    want_acf = autocorrelation(x, default_nlags(len(x), 12)).acf
    assert np.allclose(back.series_acf("s1"), want_acf) and back.series_acf("s1")[0] == 1.0
    assert back.series_acf(None) == back.acf["s0"]
    assert back.memory == {}  # no model with an effective memory ran


def test_a_run_without_a_backtest_writes_the_header_only(tmp_path):
    result = run_forecast(make_frame(40), horizon=3, models=["snaive"], backtest_windows=0)
    files, _ = write_run(result, tmp_path)
    assert pd.read_csv(files["backtest.csv"]).columns.tolist() == BACKTEST_COLUMNS
    assert read_run(files).backtest is None


def test_the_effective_memory_is_measured_by_the_run_and_read_without_the_model(tmp_path):
    df = make_frame(96)
    result = run_forecast(df, horizon=6, models="snaive,pretrained", backtest_windows=1)
    files, _ = write_run(result, tmp_path / "run")
    shutil.rmtree(files["model:pretrained"])  # what the reader shows needs no model file
    back = read_run(files)
    memory = back.model_memory("pretrained")
    want = make_model("pretrained").fit(result.history).effective_memory(result.history)
    pd.testing.assert_frame_equal(memory, want, check_dtype=False)
    assert "pretrained" not in back.models
    # the ACF reaches the network's input window (48 lags), capped at half the series: not the
    # diagnostics' default of 24 lags for 96 monthly points
    assert len(back.series_acf("s0")) == min(len(memory), 96 // 2 - 1) + 1 == 48
    assert back.model_memory("snaive") is None


def test_the_leaderboard_columns_are_defined_once():
    published = [
        "model",
        "mae",
        "rmse",
        "smape",
        "mase",
        "coverage",
        "ljung_box_pvalue",
        "residuals_white",
        "fit_seconds",
        "rank",
        "residual_verdict",
        "error",
        "detail",
        "skill",
        "level",
        "interval_scale",
        "heldout_coverage",
    ]
    assert published == JSON_KEYS  # the order forecast run --json prints (new keys at the end)
    assert set(SHOWN_COLUMNS) <= set(LABELS) and set(JSON_KEYS) <= set(LABELS)


def _cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "forecast", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_cli_and_job_write_the_same_files(tmp_path, data_dir):
    air = data_dir / "air_passengers.csv"
    out = tmp_path / "cli"
    proc = _cli("run", air, "--horizon", 6, "--models", "snaive,naive", "--json", "--out", out,
                cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    # the published keys first, in their order; the board's other columns may follow
    assert list(printed["leaderboard"][0])[: len(JSON_KEYS)] == JSON_KEYS
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    digest, path = store.save_dataset(air.read_bytes(), air.name)
    spec = JobSpec(
        dataset_hash=digest,
        dataset_path=path,
        filename=air.name,
        horizon=6,
        models=["snaive", "naive"],
    )
    job_id = store.submit(spec)
    LocalRunner(store).run_until_idle(timeout=120)
    stored = store.stored_run(job_id)
    cli_files = sorted(p.name for p in out.iterdir())
    job_files = sorted(Path(p).name for p in stored.files.values())
    assert cli_files == job_files == sorted([*RUN_FILES.values(), "model-naive", "model-snaive"])
    cli_run = read_run({p.name: str(p) for p in out.iterdir() if p.is_file()})
    pd.testing.assert_frame_equal(cli_run.forecasts, stored.forecasts, check_dtype=False)
    assert cli_run.summary["verdict"] == stored.summary["verdict"] == printed["verdict"]
    assert cli_run.acf == stored.acf
    store.close()


def _timings_masked(obj):
    """Fit times differ between two runs of the same models; nothing else may."""
    if isinstance(obj, dict):
        return {k: "<s>" if k.endswith("seconds") else _timings_masked(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_timings_masked(v) for v in obj]
    return obj


def test_the_cli_json_summary_json_and_to_json_are_one_document(tmp_path, data_dir):
    air = data_dir / "air_passengers.csv"
    out = tmp_path / "cli"
    args = ["run", str(air), "--horizon", "6", "--models", "naive,snaive",
            "--backtest-windows", "2", "--workers", "1", "--out", str(out), "--json"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    summary = json.loads((out / "summary.json").read_text())
    df, _ = read_csv(air)
    result = run_forecast(df, horizon=6, models="naive,snaive", backtest_windows=2)
    files = {name: str(out / name) for name in RUN_FILES.values()}
    library = json.loads(json.dumps(result.to_json(files)))
    assert printed == summary  # the very same document, timings included
    assert _timings_masked(printed) == _timings_masked(library)
    assert list(printed)[:4] == ["leaderboard", "forecasts", "leaderboard_csv", "level"]
    assert printed["forecasts"] == str(out / "forecasts.csv")
    assert printed["backtest"] == str(out / "backtest.csv")
    assert printed["leaderboard_by_series"] == str(out / "leaderboard_by_series.csv")
    assert printed["evaluation"] == "backtest of 2 windows" and printed["holdout"] == 0
    assert set(printed["residual_checks"]) == {"naive", "snaive"}
    # not written, the same document holds the tables themselves
    inline = result.to_json()
    assert (
        len(inline["forecasts"]) == 2 * 6 and inline["forecasts"][0]["ds"] == "1961-01-01T00:00:00"
    )
    assert inline["actuals"] is None
    assert {row["window"] for row in inline["backtest"]} == {0, 1}
    assert "leaderboard_csv" not in inline and "leaderboard_by_series" not in inline
    shared = set(inline) - {"forecasts", "actuals", "backtest"}
    assert _timings_masked({k: inline[k] for k in shared}) == _timings_masked(
        {k: printed[k] for k in shared}
    )


def _keyed_labelled_csv(path: Path) -> None:
    """A long CSV keyed by state and gender with a label column (``desc``): 4 quarterly series."""
    rng = np.random.default_rng(3)
    quarters = pd.period_range("2008Q1", periods=24, freq="Q")
    rows = []
    for state in ("ACT", "NSW"):
        for gender in ("Female", "Male"):
            y = rng.uniform(20, 200) * (1 + 0.15 * np.sin(np.arange(24) * np.pi / 2))
            rows += [
                (state, gender, f"{state} {gender.lower()}", f"{q.year} Q{q.quarter}", round(v, 1))
                for q, v in zip(quarters, y + rng.normal(0, 3, 24), strict=True)
            ]
    pd.DataFrame(rows, columns=["state", "gender", "desc", "t", "count"]).to_csv(path, index=False)


def test_per_series_csv_with_keys_carries_keys_level_and_the_label(tmp_path):
    """With several key columns a per-series row keeps its columns and gains the keys, ``level``
    and the series' readable label (also with levels: the bottom series keep their labels)."""
    from forecast.run.by_series import BY_SERIES_COLUMNS

    src = tmp_path / "keyed.csv"
    _keyed_labelled_csv(src)
    df, report = read_csv(src, id_col="state,gender")
    assert report.labels["NSW / Male"] == "NSW male"
    for levels, n in ((None, 4), ("state,total", 7)):
        result = run_forecast(df, horizon=4, models="naive,snaive", levels=levels)
        files, _ = write_run(result, tmp_path / f"run-{n}", memory=False)
        table = pd.read_csv(files[RUN_FILES["by_series"]], keep_default_na=False)
        assert list(table.columns) == [*BY_SERIES_COLUMNS, "state", "gender", "level", "label"]
        assert len(table) == n
        row = table.set_index("unique_id").loc["NSW / Male"]
        assert (row["state"], row["gender"], row["level"], row["label"]) == (
            "NSW",
            "Male",
            "state/gender",
            "NSW male",
        )
        assert result.recommended["labels"] == report.labels  # kept through the levels
        if levels:  # an aggregate has its keys (those it sums over empty) and no label
            total = table.set_index("unique_id").loc["total"]
            assert (total["state"], total["level"], total["label"]) == ("", "total", "")
            assert table.set_index("unique_id").loc["NSW", "level"] == "state"
        back = read_run(files)
        assert back.by_series.set_index("unique_id").loc["ACT / Female", "label"] == "ACT female"
    # a file without labels: no label column, the keys and level as before
    plain = df.copy()
    plain.attrs = {k: v for k, v in df.attrs.items() if k != "labels"}
    result = run_forecast(plain, horizon=4, models="naive,snaive")
    files, _ = write_run(result, tmp_path / "plain", memory=False)
    table = pd.read_csv(files[RUN_FILES["by_series"]])
    assert list(table.columns) == [*BY_SERIES_COLUMNS, "state", "gender", "level"]

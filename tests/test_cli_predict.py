"""`forecast predict MODEL FILE`: a job's saved models applied to a file, refusals, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA
from typer.testing import CliRunner

from forecast.cli import app

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """A job run through the CLI (submit + worker) that saved lstm and pretrained models.

    Without a backtest: a backtest recalibrates the job's intervals on its errors, which the model
    files do not hold (docs/pretrained.md), so only then are the job's intervals the model's own.
    """
    tmp = tmp_path_factory.mktemp("job")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORECAST_HOME", str(tmp / "home"))
        return _job(tmp)


def _job(tmp: Path) -> dict:
    db = f"sqlite:///{tmp / 'jobs.db'}"
    air = DATA / "air_passengers.csv"
    submit = _run(
        "jobs", "submit", air, "--horizon", 6, "--models", "lstm,pretrained", "--epochs", 2,
        "--backtest-windows", 0, "--db", db,
    )  # fmt: skip
    assert submit.exit_code == 0, submit.stderr
    job_id = submit.stdout.strip()
    worked = _run("worker", "--db", db, "--once", "--nice", "0")  # in-process: keep our priority
    assert worked.exit_code == 0, worked.stderr
    shown = json.loads(_run("jobs", "show", job_id, "--db", db, "--json").stdout)
    assert shown["job"]["status"] == "done", shown["job"]
    artifacts = shown["artifacts"]
    forecasts = pd.read_csv(artifacts["forecasts.csv"])
    return {"artifacts": artifacts, "forecasts": forecasts, "air": air, "tmp": tmp}


def _predict(model, file, tmp: Path, *extra) -> pd.DataFrame:
    result = _run("predict", model, file, "--horizon", 6, "--out", tmp, "--json", *extra)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    return pd.read_csv(summary["forecasts"])


@pytest.mark.parametrize("name", ["lstm", "pretrained"])
def test_a_jobs_saved_model_reproduces_the_jobs_forecasts(job, name, tmp_path):
    fc = _predict(job["artifacts"][f"model:{name}"], job["air"], tmp_path)
    expected = job["forecasts"][job["forecasts"]["model"] == name].reset_index(drop=True)
    assert list(fc["ds"]) == list(expected["ds"])
    np.testing.assert_allclose(fc["yhat"], expected["yhat"], rtol=1e-6)
    np.testing.assert_allclose(fc[["lo", "hi"]], expected[["lo", "hi"]], rtol=1e-6)


def test_the_model_files_zip_forecasts_with_every_model_in_it(job, tmp_path):
    archive = tmp_path / "models.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for key, path in job["artifacts"].items():
            if key.startswith("model:"):
                for f in Path(path).rglob("*"):
                    if f.is_file():
                        zf.write(f, f"{key[6:]}/{f.relative_to(path)}")
    fc = _predict(archive, job["air"], tmp_path / "all")
    assert set(fc["model"]) == {"lstm", "pretrained"}
    one = _predict(archive, job["air"], tmp_path / "one", "--name", "lstm")
    assert set(one["model"]) == {"lstm"}
    expected = job["forecasts"][job["forecasts"]["model"] == "lstm"]
    np.testing.assert_allclose(one["yhat"], expected["yhat"], rtol=1e-6)


def test_another_series_of_the_same_frequency_is_forecast_from_its_last_window(job, tmp_path):
    air = pd.read_csv(job["air"])
    other = air.assign(Passengers=air["Passengers"] * 2.0)
    path = tmp_path / "double.csv"
    other.to_csv(path, index=False)
    base = _predict(job["artifacts"]["model:lstm"], job["air"], tmp_path / "a")
    doubled = _predict(job["artifacts"]["model:lstm"], path, tmp_path / "b")
    np.testing.assert_allclose(doubled["yhat"], 2 * base["yhat"], rtol=1e-6)


def test_another_frequency_is_refused_with_the_reason(job, data_dir, tmp_path):
    result = _run(
        "predict", job["artifacts"]["model:lstm"], data_dir / "us_macro_quarterly.csv",
        "--horizon", 4, "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "frequency" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_pretrained_model_takes_another_frequency(job, data_dir, tmp_path):
    result = _run(
        "predict", job["artifacts"]["model:pretrained"], data_dir / "us_macro_quarterly.csv",
        "--horizon", 4, "--out", tmp_path, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    fc = pd.read_csv(json.loads(result.stdout)["forecasts"])
    assert len(fc) == 5 * 4 and np.isfinite(fc["yhat"]).all()


def test_a_series_shorter_than_the_window_is_refused(job, tmp_path):
    folder = Path(job["artifacts"]["model:lstm"])
    window = json.loads((folder / "config.json").read_text())["fitted"]["input_size"]
    air = pd.read_csv(job["air"]).iloc[: window - 1]
    path = tmp_path / "short.csv"
    air.to_csv(path, index=False)
    result = _run("predict", folder, path, "--horizon", 6, "--out", tmp_path)
    assert result.exit_code == 2, result.stdout
    assert f"windows of {window} points" in result.stderr
    assert f"has only {window - 1}" in result.stderr


@pytest.mark.parametrize(
    ("model", "file", "words"),
    [
        ("missing-folder", "AIR", "does not exist"),
        ("NOTZIP", "AIR", "neither a model folder nor a zip"),
        ("LSTM", "missing.csv", "missing.csv"),
        ("LSTM", "AIR", "no model named nope"),
    ],
)
def test_bad_input_exits_2_with_one_line(job, tmp_path, model, file, words):
    notzip = tmp_path / "x.zip"
    notzip.write_text("hello")
    model = {"NOTZIP": notzip, "LSTM": job["artifacts"]["model:lstm"]}.get(model, tmp_path / model)
    file = job["air"] if file == "AIR" else tmp_path / file
    extra = ["--name", "nope"] if words.startswith("no model named") else []
    result = _run("predict", model, file, "--horizon", 6, "--out", tmp_path, *extra)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines


def test_an_unwritable_out_folder_exits_2_with_one_line(job, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    model = job["artifacts"]["model:lstm"]
    result = _run("predict", model, job["air"], "--horizon", 6, "--out", taken)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write to {taken}: "), lines
    assert taken.read_text() == "a file, not a folder"


def test_a_bad_horizon_exits_2(job, tmp_path):
    result = _run(
        "predict", job["artifacts"]["model:lstm"], job["air"], "--horizon", 0, "--out", tmp_path
    )
    assert result.exit_code == 2 and result.stderr.startswith("error: ")


@pytest.fixture(scope="module")
def stats_job(tmp_path_factory):
    """A job with the per-series models snaive and arima (their saved files)."""
    tmp = tmp_path_factory.mktemp("stats")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORECAST_HOME", str(tmp / "home"))
        db = f"sqlite:///{tmp / 'jobs.db'}"
        air = DATA / "air_passengers.csv"
        job_id = _run(
            "jobs", "submit", air, "--horizon", 6, "--models", "snaive,arima", "--db", db
        ).stdout.strip()  # fmt: skip
        assert _run("worker", "--db", db, "--once", "--nice", "0").exit_code == 0
        shown = json.loads(_run("jobs", "show", job_id, "--db", db, "--json").stdout)
    return shown["artifacts"], pd.read_csv(shown["artifacts"]["forecasts.csv"])


@pytest.mark.parametrize("name", ["snaive", "arima"])
def test_per_series_models_reapply_their_specification(stats_job, name, tmp_path):
    artifacts, forecasts = stats_job
    fc = _predict(artifacts[f"model:{name}"], DATA / "air_passengers.csv", tmp_path)
    expected = forecasts[forecasts["model"] == name].reset_index(drop=True)
    np.testing.assert_allclose(fc["yhat"], expected["yhat"], rtol=1e-4)


def test_per_series_models_refuse_another_frequency(stats_job, tmp_path):
    artifacts, _ = stats_job
    result = _run(
        "predict", artifacts["model:arima"], DATA / "us_macro_quarterly.csv",
        "--horizon", 4, "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 2 and "frequency" in result.stderr

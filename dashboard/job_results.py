"""A finished job's results as the dashboard needs them: cached reads and downloads.

Every read goes through :meth:`forecast.jobs.JobStore.stored_run` — the one reader of a run's
outputs (:mod:`forecast.run.outputs`) — once per job (thread-safe memo). The pages show what the
run stored (the training data's ACF, each network's effective memory); nothing is re-computed
and no model is re-loaded to draw them. Every public reader first checks that the signed-in user
may see the job (:mod:`dashboard.auth`), before any cache: the cache is shared by all users of a
web process, the check is not cached.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from dash import dcc

from dashboard import auth, state
from dashboard.cache import memo
from forecast.errors import SpecError
from forecast.run.outputs import RUN_FILES
from forecast.safe_csv import to_csv_for_people

__all__ = [
    "apply_models",
    "backtest_frame",
    "download_backtest",
    "download_by_series",
    "download_forecasts",
    "download_leaderboard",
    "download_models",
    "effective_memory",
    "history_acf",
    "job_options",
    "load_result",
    "models_zip",
    "residual_frame",
    "run_summary",
    "series_frame",
    "series_table_labels",
]

#: Shown where a job ran before its run stored the figure.
NOT_STORED = "This job ran before the effective memory was stored with it; re-run it to see it."


def load_result(job_id: str):
    """The (cached) :class:`forecast.run.outputs.StoredRun` of a done job of the signed-in user.

    Raises
    ------
    SpecError
        Unknown job (or someone else's: the same message), or a job that is not done.
    """
    state.get_store().get(job_id, owner=auth.owner_filter())  # access first, then the cache
    return _load_result(job_id)


@memo(maxsize=8)
def _load_result(job_id: str):
    return state.get_store().stored_run(job_id)


def job_options(limit: int = 50) -> list[dict]:
    """Dropdown options of the finished jobs, newest first."""
    if not state.jobs_available():
        return []
    out = []
    for r in state.get_store().list_jobs(limit=limit, status="done", owner=auth.owner_filter()):
        label = (
            f"{r.id} · {r.spec.filename or r.spec.dataset_hash[:8]} · {', '.join(r.spec.models)}"
        )
        out.append({"label": label, "value": r.id})
    return out


def residual_frame(job_id: str) -> pd.DataFrame:
    """In-sample residuals ``model, unique_id, ds, resid`` of a job (empty if not stored)."""
    return load_result(job_id).residuals


def effective_memory(job_id: str, model: str) -> pd.DataFrame | None:
    """Effective memory of a job's model as its run measured it.

    Returns
    -------
    DataFrame or None
        ``lag, importance, share``; None when the job stored none for ``model``.

    Raises
    ------
    SpecError
        The run could not measure it (the reason, e.g. an ensemble of ESNs only), or the job
        ran before the memory was stored with it.
    """
    result = load_result(job_id)
    value = result.model_memory(model)
    if isinstance(value, str):
        raise SpecError(value)
    if value is None and RUN_FILES["diagnostics"] not in result.files:
        raise SpecError(NOT_STORED)
    return value


def history_acf(job_id: str, uid: str | None) -> list[float] | None:
    """ACF (lag 0 first) of one series of a job's training data as the run stored it, or None."""
    return load_result(job_id).series_acf(uid)


def run_summary(job_id: str) -> dict:
    """The job's answer (``summary.json``): recommended, verdict, notes, auto's evidence.

    Jobs run before the summary existed give ``{}``.
    """
    return load_result(job_id).summary


def series_labels(job_id: str) -> dict[str, str]:
    """The labels of a job's series (``recommended["labels"]`` of its summary; empty when its
    file gives none or the job ran before labels were kept)."""
    return dict((run_summary(job_id).get("recommended") or {}).get("labels") or {})


def job_series_name(job_id: str, uid) -> str:
    """One series of a job as people read it: ``"Total Private · CEU0500000001"``."""
    from forecast.ingest.series_names import series_name

    return series_name(uid, series_labels(job_id))


def series_frame(job_id: str) -> pd.DataFrame | None:
    """The job's per-series table (``leaderboard_by_series.csv``), None for jobs run before it
    existed (the signed-in user's access checked on every call).

    Read on its own, not with the rest of the run (:func:`load_result` parses the history,
    residuals and backtest: seconds for 148 long series), so the Results page's table is drawn
    without waiting for them; a run already loaded is not read again.

    Raises
    ------
    SpecError
        Unknown job (or someone else's: the same message), or a job that is not done.
    """
    record = state.get_store().get(job_id, owner=auth.owner_filter())  # access, then the cache
    if record.status != "done":
        raise SpecError(f"Job {job_id} is {record.status}; results appear when it is done.")
    return _series_frame(job_id)


@memo(maxsize=8)
def _series_frame(job_id: str) -> pd.DataFrame | None:
    from forecast.run.outputs import read_run

    loaded = _load_result.peek(job_id)
    if loaded is not None:
        return loaded.by_series
    files = state.get_store().artifacts(job_id)
    name = RUN_FILES["by_series"]
    return read_run({name: files[name]} if name in files else {}).by_series


def series_table_labels(job_id: str, frame: pd.DataFrame) -> dict[str, str]:
    """The labels the per-series table shows beside the series: none when ``frame`` carries
    its own ``label`` column (jobs that wrote it), else the job's (:func:`series_labels`, read
    from ``summary.json`` alone when the run is not loaded yet)."""
    if "label" in frame.columns:
        return {}
    state.get_store().get(job_id, owner=auth.owner_filter())  # access first, then the cache
    loaded = _load_result.peek(job_id)
    if loaded is not None:
        return series_labels(job_id)
    return _summary_labels(job_id)


@memo(maxsize=8)
def _summary_labels(job_id: str) -> dict[str, str]:
    from forecast.run.outputs import read_run

    files = state.get_store().artifacts(job_id)
    name = RUN_FILES["summary"]
    summary = read_run({name: files[name]} if name in files else {}).summary
    return dict((summary.get("recommended") or {}).get("labels") or {})


def backtest_frame(job_id: str) -> pd.DataFrame | None:
    """The job's backtest forecasts beside the actuals (``backtest.csv``), None without one."""
    return load_result(job_id).backtest


def download_backtest(job_id: str) -> dict:
    """``dcc.Download`` payload of a job's backtest CSV.

    Raises
    ------
    SpecError
        The job ran without a backtest.
    """
    frame = backtest_frame(job_id)
    if frame is None:
        raise SpecError("This job ran without a backtest (0 windows, or series too short).")
    return dcc.send_string(to_csv_for_people(frame, index=False), f"backtest-{job_id}.csv")


def download_forecasts(job_id: str) -> dict:
    """``dcc.Download`` payload of a job's forecasts CSV."""
    fc = load_result(job_id).forecasts
    return dcc.send_string(to_csv_for_people(fc, index=False), f"forecasts-{job_id}.csv")


def download_leaderboard(job_id: str) -> dict:
    """``dcc.Download`` payload of a job's leaderboard CSV."""
    board = load_result(job_id).leaderboard
    return dcc.send_string(to_csv_for_people(board, index=False), f"leaderboard-{job_id}.csv")


def download_by_series(job_id: str) -> dict:
    """``dcc.Download`` payload of a job's per-series table (``leaderboard_by_series.csv``).

    Raises
    ------
    SpecError
        The job ran before per-series tables existed.
    """
    frame = series_frame(job_id)
    if frame is None:
        raise SpecError("This job ran before per-series tables existed; re-run it to get one.")
    return dcc.send_string(
        to_csv_for_people(frame, index=False), f"leaderboard_by_series-{job_id}.csv"
    )


def download_models(job_id: str) -> dict:
    """A zip of a job's model files (safetensors + JSON), as a ``dcc.Download`` payload.

    Raises
    ------
    SpecError
        The job saved no model files (only neural models write them).
    """
    return dcc.send_bytes(models_zip(job_id), f"models-{job_id}.zip")


def models_zip(job_id: str) -> bytes:
    """The bytes of a zip of a job's model files (safetensors + JSON), one folder per model.

    Raises
    ------
    SpecError
        The job saved no model files (only neural models write them).
    """
    models = load_result(job_id).models
    if not models:
        raise SpecError("This job saved no model files (only neural models write them).")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in models.items():
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                arc = f"{name}/{f.name}" if path.is_file() else f"{name}/{f.relative_to(path)}"
                zf.write(f, arc)
    return buffer.getvalue()


def apply_models(
    job_id: str, contents: str, filename: str, horizon: int, level: float = 80
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Forecast another CSV with every saved model of a job (``forecast predict`` for the page).

    Parameters
    ----------
    job_id : str
    contents : str
        A ``dcc.Upload`` payload (``data:...;base64,...``).
    filename : str
        The uploaded file's name.
    horizon : int
        Steps to forecast.
    level : float
        Interval level in percent.

    Returns
    -------
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi`` of every model that could forecast the file.
    history : DataFrame
        The file's long frame.
    problems : list of str
        One line per model that refused the file, with the reason.

    Raises
    ------
    DataError
        An unreadable or too large file.
    SpecError
        A job without model files, a bad horizon, or no model able to forecast the file.
    """
    import base64
    import binascii
    import tempfile

    from dashboard import datasets
    from forecast.errors import DataError, ForecastError
    from forecast.ingest.reader import read_csv
    from forecast.models.base import FORECAST_COLUMNS, check_horizon
    from forecast.models.saved import apply_saved, load_saved_model

    check_horizon(horizon)
    models = load_result(job_id).models
    if not models:
        raise SpecError("This job saved no model files to apply.")
    name = datasets.clean_filename(filename or "upload.csv")
    datasets.check_upload_name(name)
    try:
        raw = base64.b64decode(str(contents).split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error, ValueError):
        raise DataError(f"{name}: the upload arrived damaged; choose the file again.") from None
    datasets.check_upload_size(name, len(raw))
    with tempfile.TemporaryDirectory(prefix="forecast-apply-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(raw)
        history, _ = read_csv(path)
    frames, problems = [], []
    for model_name, folder in models.items():
        try:
            frames.append(apply_saved(load_saved_model(folder), history, horizon, level))
        except ForecastError as exc:
            problems.append(f"{model_name}: {exc}")
    if not frames:
        raise SpecError("No model of this job can forecast the file: " + " ".join(problems))
    return pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS], history, problems

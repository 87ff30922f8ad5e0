"""A finished job's results as the dashboard needs them: cached reads and downloads.

Reads go through :meth:`forecast.jobs.JobStore.result` once per job (thread-safe memo); model
files are re-loaded from their safetensors artifacts to measure effective memory. Every public
reader first checks that the signed-in user may see the job (:mod:`dashboard.auth`): the cache is
shared by all users of a web process, the check is not cached.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from dash import dcc

from dashboard import auth, state
from dashboard.cache import memo
from dashboard.components import log
from forecast.errors import SpecError
from forecast.safe_csv import restore_formulas, to_csv_for_people

__all__ = [
    "apply_models",
    "backtest_frame",
    "download_backtest",
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
]


def load_result(job_id: str):
    """The (cached) :class:`forecast.jobs.JobResult` of a done job of the signed-in user.

    Raises
    ------
    SpecError
        Unknown job (or someone else's: the same message), or a job that is not done.
    """
    state.get_store().get(job_id, owner=auth.owner_filter())
    return _load_result(job_id)


@memo(maxsize=8)
def _load_result(job_id: str):
    result = state.get_store().result(job_id)
    if result is None:
        status = state.get_store().get(job_id).status
        raise SpecError(f"Job {job_id} is {status}; results appear when it is done.")
    return result


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


@memo(maxsize=8)
def residual_frame(job_id: str) -> pd.DataFrame:
    """In-sample residuals ``model, unique_id, ds, resid`` of a job (empty if not stored)."""
    path = load_result(job_id).artifacts.get("residuals.csv")
    if path and Path(path).exists():
        frame = pd.read_csv(path, parse_dates=["ds"])
        frame["unique_id"] = frame["unique_id"].astype(str)
        return frame
    return pd.DataFrame({"model": [], "unique_id": [], "ds": pd.to_datetime([]), "resid": []})


@memo(maxsize=16)
def effective_memory(job_id: str, model: str) -> pd.DataFrame | None:
    """Effective memory of a job's recurrent model (None when its file is missing)."""
    from forecast.models import make_model

    result = load_result(job_id)
    path = result.artifacts.get(f"model:{model}")
    if not path or not Path(path).exists():
        return None
    loaded = type(make_model(model)).load(path)
    return loaded.effective_memory(result.history)


@memo(maxsize=16)
def history_acf(job_id: str, uid: str | None) -> list[float] | None:
    """ACF (lag 0 first) of one series of a job's training data, or None."""
    from forecast.calendar.frequency import frame_freq
    from forecast.diagnostics import diagnose_series

    history = load_result(job_id).history
    if history is None or history.empty:
        return None
    uid = uid if uid is not None else str(history["unique_id"].iloc[0])
    part = history.loc[history["unique_id"].astype(str) == str(uid)]
    if part.empty:
        return None
    y = part.set_index("ds")["y"]
    try:
        return list(diagnose_series(y, freq=frame_freq(part), unique_id=str(uid)).to_dict()["acf"])
    except Exception:  # a series the diagnostics refuse still gets its memory plot
        log.exception("ACF of %s in job %s failed", uid, job_id)
        return None


def run_summary(job_id: str) -> dict:
    """The job's answer (``summary.json``): recommended, verdict, notes, auto's evidence.

    Jobs run before the summary existed give ``{}``.
    """
    import json

    path = load_result(job_id).artifacts.get("summary.json")
    if not path or not Path(path).exists():
        return {}
    return json.loads(Path(path).read_text())


def series_frame(job_id: str) -> pd.DataFrame | None:
    """The job's per-series table (``leaderboard_by_series.csv``), None for jobs run before it
    existed. Read once per job (the signed-in user's access checked on every call)."""
    load_result(job_id)
    return _series_frame(job_id)


@memo(maxsize=8)
def _series_frame(job_id: str) -> pd.DataFrame | None:
    path = _load_result(job_id).artifacts.get("leaderboard_by_series.csv")
    if not path or not Path(path).exists():
        return None
    frame = pd.read_csv(path, dtype={"unique_id": str}, keep_default_na=True)
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].where(frame[col].notna(), None)
    return frame


def backtest_frame(job_id: str) -> pd.DataFrame | None:
    """The job's backtest forecasts beside the actuals (``backtest.csv``), None without one."""
    path = load_result(job_id).artifacts.get("backtest.csv")
    if not path or not Path(path).exists():
        return None
    frame = pd.read_csv(path, parse_dates=["cutoff", "ds"], dtype={"unique_id": str})
    # written for people (forecast.safe_csv): give back the series ids as the store has them
    return None if frame.empty else restore_formulas(frame)


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
    artifacts = load_result(job_id).artifacts
    models = {
        k.split(":", 1)[1]: Path(v)
        for k, v in artifacts.items()
        if k.startswith("model:") and Path(v).exists()
    }
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
    models = {
        k.split(":", 1)[1]: Path(v)
        for k, v in load_result(job_id).artifacts.items()
        if k.startswith("model:") and Path(v).exists()
    }
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

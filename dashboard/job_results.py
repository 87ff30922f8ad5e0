"""A finished job's results as the dashboard needs them: cached reads and downloads.

Reads go through :meth:`forecast.jobs.JobStore.result` once per job (thread-safe memo); model
files are re-loaded from their safetensors artifacts to measure effective memory.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
from dash import dcc

from dashboard import state
from dashboard.cache import memo
from dashboard.components import log
from forecast.errors import SpecError

__all__ = [
    "backtest_frame",
    "download_backtest",
    "download_forecasts",
    "download_leaderboard",
    "download_models",
    "effective_memory",
    "history_acf",
    "job_options",
    "load_result",
    "residual_frame",
    "run_summary",
]


@memo(maxsize=8)
def load_result(job_id: str):
    """The (cached) :class:`forecast.jobs.JobResult` of a done job.

    Raises
    ------
    SpecError
        Unknown job, or a job that is not done.
    """
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
    for r in state.get_store().list_jobs(limit=limit, status="done"):
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
    from forecast.diagnostics import diagnose_series
    from forecast.frequency import frame_freq

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


def backtest_frame(job_id: str) -> pd.DataFrame | None:
    """The job's backtest forecasts beside the actuals (``backtest.csv``), None without one."""
    path = load_result(job_id).artifacts.get("backtest.csv")
    if not path or not Path(path).exists():
        return None
    frame = pd.read_csv(path, parse_dates=["cutoff", "ds"], dtype={"unique_id": str})
    return None if frame.empty else frame


def download_backtest(job_id: str) -> dict:
    """``dcc.send_data_frame`` payload of a job's backtest CSV.

    Raises
    ------
    SpecError
        The job ran without a backtest.
    """
    frame = backtest_frame(job_id)
    if frame is None:
        raise SpecError("This job ran without a backtest (0 windows, or series too short).")
    return dcc.send_data_frame(frame.to_csv, f"backtest-{job_id}.csv", index=False)


def download_forecasts(job_id: str) -> dict:
    """``dcc.send_data_frame`` payload of a job's forecasts CSV."""
    fc = load_result(job_id).forecasts
    return dcc.send_data_frame(fc.to_csv, f"forecasts-{job_id}.csv", index=False)


def download_leaderboard(job_id: str) -> dict:
    """``dcc.send_data_frame`` payload of a job's leaderboard CSV."""
    board = load_result(job_id).leaderboard
    return dcc.send_data_frame(board.to_csv, f"leaderboard-{job_id}.csv", index=False)


def download_models(job_id: str) -> dict:
    """A zip of a job's model files (safetensors + JSON), as a ``dcc.Download`` payload.

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
    return dcc.send_bytes(buffer.getvalue(), f"models-{job_id}.zip")

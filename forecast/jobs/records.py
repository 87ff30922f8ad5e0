"""What the store hands out: :class:`JobRecord`, :class:`JobResult`, and their (de)serialisation."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from forecast.errors import SpecError
from forecast.jobs.spec import JobSpec
from forecast.jsonable import to_jsonable

__all__ = [
    "JobRecord",
    "JobResult",
    "frame_from_text",
    "frame_to_text",
    "jsonable",
    "record_from_row",
]


def dt_from_ts(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def frame_to_text(df: pd.DataFrame | None) -> str | None:
    if df is None:
        return None
    return df.to_json(orient="table", index=False, date_format="iso", date_unit="ns")


def frame_from_text(text: str | None) -> pd.DataFrame | None:
    if text is None:
        return None
    df = pd.read_json(io.StringIO(text), orient="table")
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            df[col] = df[col].dt.tz_localize(None)
    return df.reset_index(drop=True)


@dataclass
class JobRecord:
    """One job as stored.

    Attributes
    ----------
    id : str
        Job id (12 hex characters).
    status : str
        One of :data:`STATUSES`.
    progress : float
        Fraction done, 0..1.
    message : str
        Latest progress message (model, epoch, backtest window).
    error : str or None
        Readable reason of a ``failed`` or ``interrupted`` job.
    created_at, started_at, finished_at, heartbeat_at : datetime or None
        UTC timestamps (``started_at`` of the latest attempt).
    spec : JobSpec
        What the job runs.
    attempts : int
        Times a runner started it.
    retries : int
        Times it was re-queued after an interruption.
    worker : str or None
        ``host:pid`` of the runner holding it.
    cancel_requested : bool
        Whether :meth:`JobStore.cancel` was called while it ran.
    parent_id : str or None
        Job this one re-runs (:meth:`JobStore.rerun`).
    owner : str or None
        User who submitted it (None: no owner; the command line, a server without sign-in).
    """

    id: str
    status: str
    progress: float
    message: str
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    spec: JobSpec
    attempts: int
    retries: int = 0
    heartbeat_at: datetime | None = None
    worker: str | None = None
    cancel_requested: bool = False
    parent_id: str | None = None
    owner: str | None = None

    @property
    def elapsed_seconds(self) -> float | None:
        """Seconds from the start of the latest attempt to its end (or now)."""
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    def summary(self) -> dict[str, Any]:
        """The job in one JSON-ready row: what ``forecast jobs list --json`` prints per job.

        Returns
        -------
        dict
            ``id, status, progress, message, error, filename, models, horizon, attempts,
            created_at, started_at, finished_at`` (timestamps as ISO 8601 strings or None).
        """
        return {
            "id": self.id,
            "status": self.status,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error": self.error,
            "filename": self.spec.filename,
            "models": list(self.spec.models),
            "horizon": self.spec.horizon,
            "attempts": self.attempts,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (timestamps as ISO 8601 strings, spec as a dict)."""
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, JobSpec):
                value = value.model_dump()
            out[name] = value
        return out


@dataclass
class JobResult:
    """The result of a ``done`` job.

    Attributes
    ----------
    leaderboard : DataFrame
        One row per model (columns of ``forecast.run.result.RunResult.leaderboard``).
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.
    actuals : DataFrame or None
        Held-out part of the data (long frame), if any.
    history : DataFrame or None
        Training part (long frame).
    residual_checks : dict
        Model -> JSON-ready residual check.
    artifacts : dict of str to str
        Artifact name -> file path (model files, CSVs).
    level : float or None
        Interval level of ``lo``/``hi`` in percent.
    """

    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    actuals: pd.DataFrame | None
    history: pd.DataFrame | None
    residual_checks: dict[str, Any]
    artifacts: dict[str, str] = field(default_factory=dict)
    level: float | None = None


jsonable = to_jsonable  # kept for callers of forecast.jobs.records.jsonable


def record_from_row(row) -> JobRecord:
    try:
        spec = JobSpec.from_json(row["spec"])
    except SpecError:  # stored by hand or by an older version: keep it readable
        spec = JobSpec.model_construct(**json.loads(row["spec"]))
    return JobRecord(
        id=row["id"],
        status=row["status"],
        progress=float(row["progress"] or 0.0),
        message=row["message"] or "",
        error=row["error"],
        created_at=dt_from_ts(row["created_at"]),
        started_at=dt_from_ts(row["started_at"]),
        finished_at=dt_from_ts(row["finished_at"]),
        spec=spec,
        attempts=int(row["attempts"] or 0),
        retries=int(row["retries"] or 0),
        heartbeat_at=dt_from_ts(row["heartbeat_at"]),
        worker=row["worker"],
        cancel_requested=bool(row["cancel_requested"]),
        parent_id=row["parent_id"],
        owner=row.get("owner"),
    )

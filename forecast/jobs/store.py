"""Persistent job store: jobs, progress events, results and artifact paths (SQLAlchemy 2 Core).

A SQLite file by default (``$FORECAST_HOME/jobs.db``; WAL journal, 30 s busy timeout, writes in
``BEGIN IMMEDIATE`` transactions), any SQLAlchemy URL (PostgreSQL) for a shared deployment. The
schema version lives in table ``schema_version``.

Invariants
----------
1. A job's status moves ``queued -> running -> done | failed | cancelled | interrupted`` and
   ``interrupted -> queued`` (a retry); ``done``, ``failed`` and ``cancelled`` are final.
2. A job is claimed by one runner at a time: the claim is an ``UPDATE ... WHERE status='queued'``
   whose row count decides, and it hands out a fresh claim token. Every later write of the
   runner (progress, result, final status) names that token, so a runner that lost its claim
   (declared dead, job re-queued) can no longer change the job.
3. A result (leaderboard, forecasts, actuals, history, residual checks, artifact paths) is
   written in the same transaction that flips the status to ``done``: readers see all of it or
   none of it. A job whose cancel was requested never turns ``done``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from forecast.errors import DataError, SpecError
from forecast.jobs.spec import JobSpec

__all__ = [
    "FINAL_STATUSES",
    "SCHEMA_VERSION",
    "STATUSES",
    "JobRecord",
    "JobResult",
    "JobStore",
    "default_url",
    "forecast_home",
]

#: Version of the table layout below; bump it with a migration in :meth:`JobStore._migrate`.
SCHEMA_VERSION = 1
#: Every job status.
STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
#: Statuses a job never leaves.
FINAL_STATUSES = ("done", "failed", "cancelled")

_meta = MetaData()
_schema = Table("schema_version", _meta, Column("version", Integer, nullable=False))
_jobs = Table(
    "jobs",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), unique=True, nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("error", Text),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("heartbeat_at", Float),
    Column("spec", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("claim_token", String(32)),
    Column("worker", String(200)),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("parent_id", String(32)),
)
_events = Table(
    "events",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("progress", Float),
)
_results = Table(
    "results",
    _meta,
    Column("job_id", String(32), ForeignKey("jobs.id"), primary_key=True),
    Column("leaderboard", Text, nullable=False),
    Column("forecasts", Text, nullable=False),
    Column("actuals", Text),
    Column("history", Text),
    Column("residual_checks", Text, nullable=False),
    Column("level", Float),
)
_artifacts = Table(
    "artifacts",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("path", Text, nullable=False),
)


def forecast_home() -> Path:
    """Data directory: ``$FORECAST_HOME``, default ``./.forecast`` (created on demand)."""
    return Path(os.environ.get("FORECAST_HOME") or ".forecast").resolve()


def default_url() -> str:
    """Store URL: ``$FORECAST_DB`` when set, else SQLite at ``$FORECAST_HOME/jobs.db``."""
    return os.environ.get("FORECAST_DB") or f"sqlite:///{forecast_home() / 'jobs.db'}"


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def _frame_to_text(df: pd.DataFrame | None) -> str | None:
    if df is None:
        return None
    return df.to_json(orient="table", index=False, date_format="iso", date_unit="ns")


def _frame_from_text(text: str | None) -> pd.DataFrame | None:
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

    @property
    def elapsed_seconds(self) -> float | None:
        """Seconds from the start of the latest attempt to its end (or now)."""
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

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
        One row per model (columns of ``forecast.pipeline.RunResult.leaderboard``).
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


class JobStore:
    """Jobs, events and results in a SQL database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`default_url` (``$FORECAST_DB`` or
        ``sqlite:///$FORECAST_HOME/jobs.db``). A plain file path is read as a SQLite file.

    Raises
    ------
    SpecError
        An unusable URL, or a database written by a newer schema version.

    Examples
    --------
    >>> store = JobStore("sqlite:///:memory:")  # doctest: +SKIP
    >>> digest, path = store.save_dataset(b"month,y\\n2020-01,1\\n", "y.csv")  # doctest: +SKIP
    """

    def __init__(self, url: str | None = None) -> None:
        url = url or default_url()
        if "://" not in url:
            url = f"sqlite:///{Path(url).resolve()}"
        self.url = url
        self.home = forecast_home()
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(url, future=True)
        except Exception as exc:  # bad URL or missing driver
            raise SpecError(f"Cannot open the job store '{url}': {exc}") from None
        if self.engine.dialect.name == "sqlite":
            _sqlite_setup(self.engine)
        self._migrate()

    # ---------------------------------------------------------------- plumbing
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite, so it never deadlocks)."""
        with self.engine.connect().execution_options(immediate=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _migrate(self) -> None:
        with self._write() as conn:
            _meta.create_all(conn)
            version = conn.execute(select(func.max(_schema.c.version))).scalar()
            if version is None:
                conn.execute(insert(_schema).values(version=SCHEMA_VERSION))
            elif version > SCHEMA_VERSION:
                raise SpecError(
                    f"The job store {self.url} has schema version {version}, newer than this "
                    f"Forecast Workbench ({SCHEMA_VERSION}); upgrade forecast-workbench."
                )

    def schema_version(self) -> int:
        """Schema version recorded in the database."""
        with self._read() as conn:
            return int(conn.execute(select(func.max(_schema.c.version))).scalar())

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # ---------------------------------------------------------------- datasets
    def save_dataset(self, data: bytes, filename: str = "data.csv") -> tuple[str, str]:
        """Keep a copy of an uploaded dataset, named by its content hash.

        Parameters
        ----------
        data : bytes
            File contents.
        filename : str
            Original name (only its suffix is used, ``.csv`` by default).

        Returns
        -------
        hash : str
            SHA-256 hex digest of ``data``.
        path : str
            ``$FORECAST_HOME/datasets/<hash>.csv`` (written once; identical uploads share it).

        Raises
        ------
        DataError
            Empty data.
        """
        if not data:
            raise DataError(f"The file {filename or ''} is empty; upload a CSV with data rows.")
        digest = hashlib.sha256(data).hexdigest()
        folder = self.home / "datasets"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{digest}.csv"
        if not path.exists():
            tmp = folder / f".{digest}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        return digest, str(path)

    def artifact_dir(self, job_id: str) -> Path:
        """Folder for a job's artifacts: ``$FORECAST_HOME/artifacts/<id>`` (created)."""
        path = self.home / "artifacts" / job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ---------------------------------------------------------------- submit & read
    def submit(self, spec: JobSpec | dict[str, Any], *, parent_id: str | None = None) -> str:
        """Queue a job.

        Parameters
        ----------
        spec : JobSpec or dict
            What to run (a dict is validated).
        parent_id : str, optional
            Job this one re-runs.

        Returns
        -------
        str
            The new job's id.

        Raises
        ------
        SpecError
            Invalid spec.
        """
        spec = JobSpec.validate(spec)
        job_id = uuid.uuid4().hex[:12]
        now = time.time()
        with self._write() as conn:
            conn.execute(
                insert(_jobs).values(
                    id=job_id,
                    status="queued",
                    progress=0.0,
                    message="queued",
                    created_at=now,
                    spec=spec.to_json(),
                    attempts=0,
                    retries=0,
                    cancel_requested=False,
                    parent_id=parent_id,
                )
            )
            self._event(
                conn,
                job_id,
                "status",
                "queued" + (f" (re-run of {parent_id})" if parent_id else ""),
            )
        return job_id

    def get(self, job_id: str) -> JobRecord:
        """The job ``job_id``.

        Raises
        ------
        SpecError
            No such job.
        """
        with self._read() as conn:
            row = conn.execute(select(_jobs).where(_jobs.c.id == job_id)).mappings().first()
        if row is None:
            raise SpecError(f"No job with id '{job_id}'; list the jobs with `forecast jobs list`.")
        return _record(row)

    def list_jobs(self, limit: int = 100, status: str | None = None) -> list[JobRecord]:
        """The latest ``limit`` jobs, newest first (optionally only one ``status``)."""
        query = select(_jobs).order_by(_jobs.c.seq.desc()).limit(limit)
        if status is not None:
            query = query.where(_jobs.c.status == status)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_record(r) for r in rows]

    def events(self, job_id: str) -> list[dict[str, Any]]:
        """A job's history, oldest first: dicts ``at`` (ISO UTC), ``kind``, ``message``, ``progress``.

        ``kind`` is ``status`` (transitions, retries, cancel requests) or ``progress``.
        """
        self.get(job_id)
        with self._read() as conn:
            rows = (
                conn.execute(
                    select(_events).where(_events.c.job_id == job_id).order_by(_events.c.seq)
                )
                .mappings()
                .all()
            )
        return [
            {
                "at": _dt(r["at"]).isoformat(),
                "kind": r["kind"],
                "message": r["message"],
                "progress": r["progress"],
            }
            for r in rows
        ]

    def result(self, job_id: str) -> JobResult | None:
        """The result of a ``done`` job, or None for any other status."""
        with self._read() as conn:
            job = conn.execute(select(_jobs.c.status).where(_jobs.c.id == job_id)).first()
            if job is None:
                raise SpecError(
                    f"No job with id '{job_id}'; list the jobs with `forecast jobs list`."
                )
            if job.status != "done":
                return None
            row = (
                conn.execute(select(_results).where(_results.c.job_id == job_id)).mappings().first()
            )
            arts = conn.execute(
                select(_artifacts.c.name, _artifacts.c.path).where(_artifacts.c.job_id == job_id)
            ).all()
        if row is None:  # pragma: no cover - excluded by invariant 3
            return None
        return JobResult(
            leaderboard=_frame_from_text(row["leaderboard"]),
            forecasts=_frame_from_text(row["forecasts"]),
            actuals=_frame_from_text(row["actuals"]),
            history=_frame_from_text(row["history"]),
            residual_checks=json.loads(row["residual_checks"]),
            artifacts={a.name: a.path for a in arts},
            level=row["level"],
        )

    # ---------------------------------------------------------------- user actions
    def cancel(self, job_id: str) -> str:
        """Cancel a job: a queued one at once, a running one at its runner's next check.

        Returns
        -------
        str
            The status after the call (``cancelled``, ``running`` with the request recorded,
            or the unchanged final status).
        """
        self.get(job_id)
        now = time.time()
        with self._write() as conn:
            n = conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.status.in_(("queued", "interrupted")))
                .values(
                    status="cancelled", finished_at=now, message="cancelled", cancel_requested=True
                )
            ).rowcount
            if n:
                self._event(conn, job_id, "status", "cancelled before it ran")
                return "cancelled"
            n = conn.execute(
                update(_jobs)
                .where(_jobs.c.id == job_id, _jobs.c.status == "running")
                .values(cancel_requested=True)
            ).rowcount
            if n:
                self._event(conn, job_id, "status", "cancel requested")
                return "running"
            return conn.execute(select(_jobs.c.status).where(_jobs.c.id == job_id)).scalar()

    def rerun(self, job_id: str) -> str:
        """Queue a new job with the same spec as ``job_id``; returns the new id."""
        return self.submit(self.get(job_id).spec, parent_id=job_id)

    # ---------------------------------------------------------------- runner side
    def claim(self, worker: str) -> tuple[str, str] | None:
        """Atomically take the oldest queued job for ``worker``.

        Returns
        -------
        (job_id, claim_token) or None
            None when no job is queued.
        """
        token = uuid.uuid4().hex
        while True:
            with self._write() as conn:
                job_id = conn.execute(
                    select(_jobs.c.id)
                    .where(_jobs.c.status == "queued")
                    .order_by(_jobs.c.seq)
                    .limit(1)
                ).scalar()
                if job_id is None:
                    return None
                now = time.time()
                n = conn.execute(
                    update(_jobs)
                    .where(_jobs.c.id == job_id, _jobs.c.status == "queued")
                    .values(
                        status="running",
                        claim_token=token,
                        worker=worker,
                        started_at=now,
                        heartbeat_at=now,
                        finished_at=None,
                        progress=0.0,
                        message="starting",
                        attempts=_jobs.c.attempts + 1,
                    )
                ).rowcount
                if n == 1:
                    self._event(conn, job_id, "status", f"running on {worker}")
                    return job_id, token
            # another runner took it between our select and update: try the next one

    def _owned(self, job_id: str, token: str):
        return (
            (_jobs.c.id == job_id) & (_jobs.c.claim_token == token) & (_jobs.c.status == "running")
        )

    def heartbeat(self, job_ids: list[str], worker: str) -> None:
        """Mark the running jobs of ``worker`` alive now."""
        if not job_ids:
            return
        with self._write() as conn:
            conn.execute(
                update(_jobs)
                .where(
                    _jobs.c.id.in_(job_ids), _jobs.c.worker == worker, _jobs.c.status == "running"
                )
                .values(heartbeat_at=time.time())
            )

    def report_progress(
        self, job_id: str, token: str, fraction: float, message: str, *, log: bool = True
    ) -> bool:
        """Record progress of a claimed job (and, with ``log``, an event).

        Returns
        -------
        bool
            False when the claim is no longer held (job cancelled, re-queued or finished).
        """
        fraction = float(min(max(fraction, 0.0), 1.0))
        with self._write() as conn:
            n = conn.execute(
                update(_jobs)
                .where(self._owned(job_id, token))
                .values(progress=fraction, message=message, heartbeat_at=time.time())
            ).rowcount
            if n and log:
                self._event(conn, job_id, "progress", message, fraction)
        return bool(n)

    def cancel_requested(self, job_id: str, token: str) -> bool:
        """Whether a claimed job should stop (cancel requested, or the claim was lost)."""
        with self._read() as conn:
            row = conn.execute(
                select(_jobs.c.cancel_requested, _jobs.c.claim_token, _jobs.c.status).where(
                    _jobs.c.id == job_id
                )
            ).first()
        return (
            row is None
            or bool(row.cancel_requested)
            or row.claim_token != token
            or row.status != "running"
        )

    def complete(self, job_id: str, token: str, result: JobResult) -> str:
        """Store a result and mark the job ``done``, in one transaction.

        Nothing is written when the claim was lost; when a cancel was requested the job
        becomes ``cancelled`` instead and the result is dropped.

        Returns
        -------
        str
            The job's status afterwards.
        """
        payload = {
            "leaderboard": _frame_to_text(result.leaderboard),
            "forecasts": _frame_to_text(result.forecasts),
            "actuals": _frame_to_text(result.actuals),
            "history": _frame_to_text(result.history),
            "residual_checks": json.dumps(_jsonable(result.residual_checks)),
            "level": result.level,
        }
        now = time.time()
        with self._write() as conn:
            n = conn.execute(
                update(_jobs)
                .where(self._owned(job_id, token), _jobs.c.cancel_requested.is_(False))
                .values(
                    status="done",
                    progress=1.0,
                    message="done",
                    finished_at=now,
                    heartbeat_at=now,
                    error=None,
                )
            ).rowcount
            if n == 1:
                conn.execute(_results.delete().where(_results.c.job_id == job_id))
                conn.execute(_artifacts.delete().where(_artifacts.c.job_id == job_id))
                conn.execute(insert(_results).values(job_id=job_id, **payload))
                for name, path in result.artifacts.items():
                    conn.execute(
                        insert(_artifacts).values(job_id=job_id, name=name, path=str(path))
                    )
                self._event(conn, job_id, "status", "done", 1.0)
                return "done"
        return self.finish(job_id, token, "cancelled", "cancelled before its result was stored")

    def finish(self, job_id: str, token: str, status: str, error: str | None = None) -> str:
        """End a claimed job as ``failed`` or ``cancelled`` (no-op without the claim).

        Returns
        -------
        str
            The job's status afterwards.
        """
        if status not in ("failed", "cancelled"):
            raise ValueError(f"finish() takes failed or cancelled, not {status}")
        with self._write() as conn:
            n = conn.execute(
                update(_jobs)
                .where(self._owned(job_id, token))
                .values(
                    status=status,
                    finished_at=time.time(),
                    error=error,
                    message=status if status == "cancelled" else "failed",
                )
            ).rowcount
            if n:
                self._event(conn, job_id, "status", status + (f": {error}" if error else ""))
            return conn.execute(select(_jobs.c.status).where(_jobs.c.id == job_id)).scalar()

    def interrupt(
        self, job_id: str, reason: str, *, max_retries: int = 1, token: str | None = None
    ) -> str:
        """Mark a running job ``interrupted`` and re-queue it while retries are left.

        Parameters
        ----------
        job_id : str
            Job left running by a dead or stopped runner.
        reason : str
            Why, for the events.
        max_retries : int
            Re-queues allowed per job; once used up the job stays ``interrupted``.
        token : str, optional
            Only act if this claim still holds it.

        Returns
        -------
        str
            ``queued`` (re-queued), ``interrupted``, ``cancelled`` (a cancel was pending) or the
            unchanged status when the job was not running.
        """
        with self._write() as conn:
            cond = (_jobs.c.id == job_id) & (_jobs.c.status == "running")
            if token is not None:
                cond = cond & (_jobs.c.claim_token == token)
            row = conn.execute(
                select(_jobs.c.retries, _jobs.c.cancel_requested).where(cond)
            ).first()
            if row is None:
                return conn.execute(select(_jobs.c.status).where(_jobs.c.id == job_id)).scalar()
            now = time.time()
            conn.execute(
                update(_jobs)
                .where(cond)
                .values(
                    status="interrupted",
                    error=reason,
                    message="interrupted",
                    finished_at=now,
                    claim_token=None,
                )
            )
            self._event(conn, job_id, "status", f"interrupted: {reason}")
            if row.cancel_requested:
                conn.execute(update(_jobs).where(_jobs.c.id == job_id).values(status="cancelled"))
                self._event(conn, job_id, "status", "cancelled (cancel was requested)")
                return "cancelled"
            if row.retries < max_retries:
                conn.execute(
                    update(_jobs)
                    .where(_jobs.c.id == job_id)
                    .values(
                        status="queued",
                        retries=row.retries + 1,
                        worker=None,
                        progress=0.0,
                        message=f"re-queued after interruption (retry {row.retries + 1} of {max_retries})",
                    )
                )
                self._event(
                    conn, job_id, "status", f"re-queued (retry {row.retries + 1} of {max_retries})"
                )
                return "queued"
            self._event(conn, job_id, "status", f"not re-queued: {max_retries} retries used")
            return "interrupted"

    def add_event(self, job_id: str, kind: str, message: str) -> None:
        """Append an event (``kind`` e.g. ``warning``) to a job's history."""
        with self._write() as conn:
            self._event(conn, job_id, kind, message)

    def running_jobs(self) -> list[JobRecord]:
        """Every job now ``running`` (for recovery)."""
        return self.list_jobs(limit=1_000_000, status="running")

    @staticmethod
    def _event(
        conn: Connection, job_id: str, kind: str, message: str, progress: float | None = None
    ) -> None:
        conn.execute(
            insert(_events).values(
                job_id=job_id, at=time.time(), kind=kind, message=message, progress=progress
            )
        )


def _jsonable(obj: Any) -> Any:
    """Plain JSON types (numpy scalars and arrays, NaN -> None)."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, pd.DataFrame):
        return json.loads(obj.to_json(orient="records", date_format="iso"))
    if isinstance(obj, (pd.Timestamp, datetime)):
        return obj.isoformat()
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _record(row) -> JobRecord:
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
        created_at=_dt(row["created_at"]),
        started_at=_dt(row["started_at"]),
        finished_at=_dt(row["finished_at"]),
        spec=spec,
        attempts=int(row["attempts"] or 0),
        retries=int(row["retries"] or 0),
        heartbeat_at=_dt(row["heartbeat_at"]),
        worker=row["worker"],
        cancel_requested=bool(row["cancel_requested"]),
        parent_id=row["parent_id"],
    )


def _sqlite_setup(engine: Engine) -> None:
    """WAL journal, busy timeout, and transactions we begin ourselves (pysqlite's are lazy)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def worker_name() -> str:
    """``host:pid`` of this process (how runners name themselves in the store)."""
    return f"{socket.gethostname()}:{os.getpid()}"

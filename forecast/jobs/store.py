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
4. Every job and dataset has an owner (or none: written by the command line, seen by admins
   only). The reads and user actions take ``owner=``: given, a job or dataset of anyone else
   answers exactly like one that does not exist, so ids of others' work cannot be probed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import Engine

from forecast.errors import DataError, SpecError
from forecast.jobs.home import (
    STALE_PARTIAL_SECONDS,
    SWEEP_EVERY,
    USER_NAME,
    check_owner,
    forecast_home,
    make_private,
    sweep_partial_files,
)
from forecast.jobs.lifecycle import JobLifecycle
from forecast.jobs.records import (
    JobRecord,
    JobResult,
    dt_from_ts,
    frame_from_text,
    record_from_row,
)
from forecast.jobs.schema import (
    FINAL_STATUSES,
    SCHEMA_VERSION,
    STATUSES,
    sqlite_setup,
)
from forecast.jobs.schema import artifacts as _artifacts
from forecast.jobs.schema import datasets as _datasets
from forecast.jobs.schema import events as _events
from forecast.jobs.schema import jobs as _jobs
from forecast.jobs.schema import metadata as _meta
from forecast.jobs.schema import results as _results
from forecast.jobs.schema import schema_table as _schema
from forecast.jobs.spec import JobSpec

_HEX = set("0123456789abcdef")

__all__ = [
    "FINAL_STATUSES",
    "SCHEMA_VERSION",
    "STATUSES",
    "USER_NAME",
    "JobRecord",
    "JobResult",
    "JobStore",
    "check_owner",
    "default_url",
    "forecast_home",
    "make_private",
    "sweep_partial_files",
]


#: Key of the PostgreSQL advisory lock that serialises schema migrations of concurrent starts.
_MIGRATION_LOCK = 0x46574B42


def _no_job(job_id: str) -> SpecError:
    return SpecError(f"No job with id '{job_id}'; list the jobs with `forecast jobs list`.")


def default_url() -> str:
    """Store URL: ``$FORECAST_DB`` when set, else SQLite at ``$FORECAST_HOME/jobs.db``."""
    return os.environ.get("FORECAST_DB") or f"sqlite:///{forecast_home() / 'jobs.db'}"


class JobStore(JobLifecycle):
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
        self._swept = 0.0
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
            sqlite_setup(self.engine)
        self._migrate()

    def _migrate(self) -> None:
        """Create the tables, or bring an older schema up to :data:`SCHEMA_VERSION`.

        Web processes and workers that start together each run this; on PostgreSQL an advisory
        lock makes them take turns (on SQLite ``BEGIN IMMEDIATE`` does).
        """
        with self._write() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            _meta.create_all(conn)
            version = conn.execute(select(func.max(_schema.c.version))).scalar()
            if version is None:
                conn.execute(insert(_schema).values(version=SCHEMA_VERSION))
            elif version > SCHEMA_VERSION:
                raise SpecError(
                    f"The job store {self.url} has schema version {version}, newer than this "
                    f"Forecast Workbench ({SCHEMA_VERSION}); upgrade forecast-workbench."
                )
            elif version < 2:  # 1 -> 2: jobs get an owner (the datasets table is new)
                conn.execute(text("ALTER TABLE jobs ADD COLUMN owner VARCHAR(200)"))
                conn.execute(text("CREATE INDEX ix_jobs_owner ON jobs (owner)"))
                conn.execute(update(_schema).values(version=SCHEMA_VERSION))

    def schema_version(self) -> int:
        """Schema version recorded in the database."""
        with self._read() as conn:
            return int(conn.execute(select(func.max(_schema.c.version))).scalar())

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def ping(self) -> None:
        """Run ``SELECT 1`` (raises when the database cannot be reached)."""
        with self._read() as conn:
            conn.execute(text("SELECT 1"))

    # ---------------------------------------------------------------- datasets
    def save_dataset(
        self, data: bytes, filename: str = "data.csv", *, owner: str | None = None
    ) -> tuple[str, str]:
        """Keep a copy of an uploaded dataset, named by its content hash, and record its owner.

        Parameters
        ----------
        data : bytes
            File contents.
        filename : str
            Original name (kept for display).
        owner : str, optional
            User who uploaded it (None: no owner; only admins and the command line use it).

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
        SpecError
            ``owner`` is not a user name.
        """
        check_owner(owner)
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
        self._record_dataset(digest, owner, filename, len(data))
        if time.time() - self._swept > SWEEP_EVERY:
            self.sweep_partial_files()
        return digest, str(path)

    def sweep_partial_files(self, older_than: float = STALE_PARTIAL_SECONDS) -> list[str]:
        """:func:`sweep_partial_files` of this store's ``FORECAST_HOME`` (and note the time)."""
        self._swept = time.time()
        return sweep_partial_files(self.home, older_than)

    def _record_dataset(self, digest: str, owner: str | None, filename: str, size: int) -> None:
        row = {
            "hash": digest,
            "owner": owner,
            "filename": filename or "data.csv",
            "size": int(size),
            "created_at": time.time(),
        }
        with self._write() as conn:
            same = (_datasets.c.hash == digest) & (
                _datasets.c.owner.is_(None) if owner is None else _datasets.c.owner == owner
            )
            if conn.execute(select(_datasets.c.seq).where(same)).first() is not None:
                return
            dialect = self.engine.dialect.name
            if dialect in ("postgresql", "sqlite"):  # a concurrent twin upload: keep one row
                module = __import__(f"sqlalchemy.dialects.{dialect}", fromlist=["insert"])
                stmt = module.insert(_datasets).values(**row).on_conflict_do_nothing()
            else:  # pragma: no cover - other databases
                stmt = insert(_datasets).values(**row)
            conn.execute(stmt)

    def dataset_path(self, digest: str, owner: str | None = None) -> str:
        """Path of a stored dataset, checking that ``owner`` uploaded it.

        Parameters
        ----------
        digest : str
            SHA-256 hex digest (from :meth:`save_dataset`).
        owner : str, optional
            The user asking; None: no check (the command line, an admin).

        Returns
        -------
        str
            ``$FORECAST_HOME/datasets/<hash>.csv``.

        Raises
        ------
        DataError
            Not a digest, not stored, or (with ``owner``) not uploaded by that user; the three
            read alike.
        """
        missing = DataError(
            "This dataset is no longer on the server (or is not yours); upload the CSV again or "
            "pick a sample."
        )
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            raise DataError("This is not a dataset id; upload the CSV again or pick a sample.")
        if owner is not None:
            with self._read() as conn:
                row = conn.execute(
                    select(_datasets.c.seq).where(
                        _datasets.c.hash == digest, _datasets.c.owner == owner
                    )
                ).first()
            if row is None:
                raise missing
        path = self.home / "datasets" / f"{digest}.csv"
        if not path.is_file():
            raise missing
        return str(path)

    def list_datasets(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Stored datasets, newest first: dicts ``hash, filename, size, owner, created_at``.

        ``owner`` given: only that user's.
        """
        query = select(_datasets).order_by(_datasets.c.seq.desc())
        if owner is not None:
            query = query.where(_datasets.c.owner == owner)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "hash": r["hash"],
                "filename": r["filename"],
                "size": r["size"],
                "owner": r["owner"],
                "created_at": dt_from_ts(r["created_at"]).isoformat(),
            }
            for r in rows
        ]

    def artifact_dir(self, job_id: str) -> Path:
        """Folder for a job's artifacts: ``$FORECAST_HOME/artifacts/<id>`` (created)."""
        path = self.home / "artifacts" / job_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    # ---------------------------------------------------------------- submit & read
    def submit(
        self,
        spec: JobSpec | dict[str, Any],
        *,
        parent_id: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Queue a job.

        Parameters
        ----------
        spec : JobSpec or dict
            What to run (a dict is validated).
        parent_id : str, optional
            Job this one re-runs.
        owner : str, optional
            User who submits it (None: no owner).

        Returns
        -------
        str
            The new job's id.

        Raises
        ------
        SpecError
            Invalid spec, or ``owner`` is not a user name.
        """
        check_owner(owner)
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
                    owner=owner,
                )
            )
            self._event(
                conn,
                job_id,
                "status",
                "queued" + (f" (re-run of {parent_id})" if parent_id else ""),
            )
        return job_id

    def get(self, job_id: str, owner: str | None = None) -> JobRecord:
        """The job ``job_id`` (``owner`` given: only if that user owns it).

        Raises
        ------
        SpecError
            No such job (or, with ``owner``, one of someone else: the same message).
        """
        with self._read() as conn:
            row = conn.execute(select(_jobs).where(_jobs.c.id == job_id)).mappings().first()
        if row is None or (owner is not None and row["owner"] != owner):
            raise _no_job(job_id)
        return record_from_row(row)

    def list_jobs(
        self, limit: int = 100, status: str | None = None, owner: str | None = None
    ) -> list[JobRecord]:
        """The latest ``limit`` jobs, newest first (optionally one ``status``, one ``owner``)."""
        query = select(_jobs).order_by(_jobs.c.seq.desc()).limit(limit)
        if status is not None:
            query = query.where(_jobs.c.status == status)
        if owner is not None:
            query = query.where(_jobs.c.owner == owner)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [record_from_row(r) for r in rows]

    def events(self, job_id: str, owner: str | None = None) -> list[dict[str, Any]]:
        """A job's history, oldest first: dicts ``at`` (ISO UTC), ``kind``, ``message``, ``progress``.

        ``kind`` is ``status`` (transitions, retries, cancel requests), ``progress`` (model,
        epoch, backtest window) or ``warning`` (e.g. a model file that could not be saved).
        """
        self.get(job_id, owner)
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
                "at": dt_from_ts(r["at"]).isoformat(),
                "kind": r["kind"],
                "message": r["message"],
                "progress": r["progress"],
            }
            for r in rows
        ]

    def artifacts(self, job_id: str, owner: str | None = None) -> dict[str, str]:
        """A job's artifact names and paths (``leaderboard_by_series.csv`` -> its path …), read
        without its result tables: what a reader of one file of the run needs.

        Raises
        ------
        SpecError
            No such job (``owner``: as in :meth:`get`).
        """
        with self._read() as conn:
            job = conn.execute(select(_jobs.c.owner).where(_jobs.c.id == job_id)).first()
            if job is None or (owner is not None and job.owner != owner):
                raise _no_job(job_id)
            rows = conn.execute(
                select(_artifacts.c.name, _artifacts.c.path).where(_artifacts.c.job_id == job_id)
            ).all()
        return {r.name: r.path for r in rows}

    def result(self, job_id: str, owner: str | None = None) -> JobResult | None:
        """The result of a ``done`` job, or None for any other status (``owner``: as in :meth:`get`)."""
        with self._read() as conn:
            job = conn.execute(
                select(_jobs.c.status, _jobs.c.owner).where(_jobs.c.id == job_id)
            ).first()
            if job is None or (owner is not None and job.owner != owner):
                raise _no_job(job_id)
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
            leaderboard=frame_from_text(row["leaderboard"]),
            forecasts=frame_from_text(row["forecasts"]),
            actuals=frame_from_text(row["actuals"]),
            history=frame_from_text(row["history"]),
            residual_checks=json.loads(row["residual_checks"]),
            artifacts={a.name: a.path for a in arts},
            level=row["level"],
        )

    def stored_run(self, job_id: str, owner: str | None = None):
        """A ``done`` job's whole result, the one reader of the dashboard, the API and
        ``forecast jobs show``: the tables kept in the store plus the files the run wrote
        (:func:`forecast.run.outputs.read_run`).

        Parameters
        ----------
        job_id : str
        owner : str, optional
            As in :meth:`get`: only a job of that user (someone else's reads as unknown).

        Returns
        -------
        forecast.run.outputs.StoredRun

        Raises
        ------
        SpecError
            Unknown job, or a job that is not done (the message says its status).
        """
        from forecast.run.outputs import read_run

        result = self.result(job_id, owner)
        if result is None:
            status = self.get(job_id, owner).status
            raise SpecError(f"Job {job_id} is {status}; results appear when it is done.")
        return read_run(
            result.artifacts,
            leaderboard=result.leaderboard,
            forecasts=result.forecasts,
            actuals=result.actuals,
            history=result.history,
            residual_checks=result.residual_checks,
            level=result.level,
        )

    # ---------------------------------------------------------------- user actions
    def cancel(self, job_id: str, owner: str | None = None) -> str:
        """Cancel a job: a queued one at once, a running one at its runner's next check.

        ``owner`` given: only a job of that user (else the :meth:`get` error).

        Returns
        -------
        str
            The status after the call (``cancelled``, ``running`` with the request recorded,
            or the unchanged final status).
        """
        self.get(job_id, owner)
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

    def rerun(self, job_id: str, owner: str | None = None) -> str:
        """Queue a new job with the same spec and owner as ``job_id``; returns the new id.

        ``owner`` given: only a job of that user (else the :meth:`get` error).
        """
        job = self.get(job_id, owner)
        return self.submit(job.spec, parent_id=job_id, owner=job.owner)

    def running_jobs(self) -> list[JobRecord]:
        """Every job now ``running`` (for recovery)."""
        return self.list_jobs(limit=1_000_000, status="running")

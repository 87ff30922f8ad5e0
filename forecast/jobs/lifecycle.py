"""Transactions of a job's life on the runner side: claim, heartbeat, progress, outcome, recovery.

:class:`JobLifecycle` is the base of :class:`forecast.jobs.store.JobStore`; it holds the
transaction plumbing and every write a runner makes. Each write after the claim names the claim
token, so a runner that lost its claim (declared dead, job re-queued) can no longer change the
job; :meth:`JobLifecycle.complete` writes the whole result in the transaction that marks the job
``done``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from forecast.jobs.records import JobResult, frame_to_text, jsonable
from forecast.jobs.schema import artifacts as _artifacts
from forecast.jobs.schema import events as _events
from forecast.jobs.schema import jobs as _jobs
from forecast.jobs.schema import results as _results

__all__ = ["JobLifecycle"]


class JobLifecycle:
    """Runner-side transactions of the job store (see :class:`forecast.jobs.store.JobStore`)."""

    engine: Engine

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

    # ---------------------------------------------------------------- runner side
    def claim(self, worker: str) -> tuple[str, str] | None:
        """Atomically take the oldest queued job for ``worker``.

        On SQLite the select and the update run in one ``BEGIN IMMEDIATE`` transaction (writers
        take turns); on PostgreSQL the select is ``FOR UPDATE SKIP LOCKED``, so concurrent
        claimers lock different rows. Either way the update's ``WHERE status='queued'`` row
        count has the last word.

        Returns
        -------
        (job_id, claim_token) or None
            None when no job is queued.
        """
        token = uuid.uuid4().hex
        oldest = select(_jobs.c.id).where(_jobs.c.status == "queued").order_by(_jobs.c.seq).limit(1)
        if self.engine.dialect.name == "postgresql":
            # lock the row; a concurrent claimer skips it and takes the next one, never waits
            oldest = oldest.with_for_update(skip_locked=True)
        while True:
            with self._write() as conn:
                job_id = conn.execute(oldest).scalar()
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
            "leaderboard": frame_to_text(result.leaderboard),
            "forecasts": frame_to_text(result.forecasts),
            "actuals": frame_to_text(result.actuals),
            "history": frame_to_text(result.history),
            "residual_checks": json.dumps(jsonable(result.residual_checks)),
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

    @staticmethod
    def _event(
        conn: Connection, job_id: str, kind: str, message: str, progress: float | None = None
    ) -> None:
        conn.execute(
            insert(_events).values(
                job_id=job_id, at=time.time(), kind=kind, message=message, progress=progress
            )
        )

"""The job store's tables (SQLAlchemy Core) and the SQLite connection settings.

Times are stored as UNIX seconds (``Float``), frames as pandas' JSON "table" text, so the same
schema works on SQLite and PostgreSQL. Bump :data:`SCHEMA_VERSION` with a migration in
:meth:`forecast.jobs.store.JobStore._migrate` whenever a table changes.

Ownership: ``jobs.owner`` and ``datasets.owner`` name the user who submitted or uploaded (NULL:
no owner, as written by the command line or a server without sign-in; only an admin sees those).
A dataset's bytes live once under ``$FORECAST_HOME/datasets/<sha256>.csv``; table ``datasets``
says who may use them (one row per owner and content hash). ``sign_in_failures`` counts recent
failed sign-ins per user name and per address, for every web process (a table added by
``create_all`` on start-up; the schema version is unchanged).
"""

from __future__ import annotations

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
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Engine

__all__ = ["FINAL_STATUSES", "SCHEMA_VERSION", "STATUSES", "sqlite_setup"]

#: Version of the table layout below; bump it with a migration in :meth:`JobStore._migrate`.
SCHEMA_VERSION = 2
#: Every job status.
STATUSES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
#: Statuses a job never leaves.
FINAL_STATUSES = ("done", "failed", "cancelled")

metadata = MetaData()
schema_table = Table("schema_version", metadata, Column("version", Integer, nullable=False))
jobs = Table(
    "jobs",
    metadata,
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
    Column("owner", String(200), index=True),
)
datasets = Table(
    "datasets",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(64), nullable=False, index=True),
    Column("owner", String(200)),
    Column("filename", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("hash", "owner", name="uq_datasets_hash_owner"),
)
events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("progress", Float),
)
results = Table(
    "results",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id"), primary_key=True),
    Column("leaderboard", Text, nullable=False),
    Column("forecasts", Text, nullable=False),
    Column("actuals", Text),
    Column("history", Text),
    Column("residual_checks", Text, nullable=False),
    Column("level", Float),
)
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    # "user:NAME" or "addr:ADDRESS" (forecast.jobs.throttle); no foreign key: unknown names too
    Column("key", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_at", Float, nullable=False, index=True),
    Column("blocked_until", Float, nullable=False),
)
artifacts = Table(
    "artifacts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("path", Text, nullable=False),
)


def sqlite_setup(engine: Engine) -> None:
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

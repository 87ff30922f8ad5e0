"""JobSpec validation and the job store on SQLite and PostgreSQL (real databases, no runner)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.errors import DataError, SpecError
from forecast.jobs import JobResult, JobSpec, JobStore
from forecast.jobs.store import SCHEMA_VERSION

AIR = "air_passengers.csv"


@pytest.fixture
def store(store_url):
    """A job store on SQLite, then on PostgreSQL (``store_url`` in conftest.py)."""
    store = JobStore(store_url)
    yield store
    store.close()


def _spec(store: JobStore, data_dir, **fields) -> JobSpec:
    digest, path = store.save_dataset((data_dir / AIR).read_bytes(), AIR)
    base = {
        "dataset_hash": digest,
        "dataset_path": path,
        "filename": AIR,
        "horizon": 12,
        "models": ["snaive"],
    }
    return JobSpec(**(base | fields))


def _result(n: int = 3) -> JobResult:
    ds = pd.date_range("2020-01-01", periods=n, freq="MS")
    fc = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": ds,
            "model": "snaive",
            "yhat": np.arange(n, dtype=float),
            "lo": [np.nan] + [0.5] * (n - 1),
            "hi": np.arange(n) + 1.0,
        }
    )
    board = pd.DataFrame({"model": ["snaive"], "mae": [1.25], "error": [None]})
    hist = pd.DataFrame(
        {"unique_id": "a", "ds": ds - pd.DateOffset(months=n), "y": [1.0, 2.0, 3.0][:n]}
    )
    return JobResult(
        board,
        fc,
        None,
        hist,
        {"snaive": {"pvalue": 0.5, "lags": [1, 2]}},
        {"forecasts.csv": "/x/forecasts.csv"},
        80.0,
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("horizon", 0, "horizon"),
        ("models", ["snaive", "prophet"], "prophet"),
        ("models", [], "models"),
        ("models", ["naive", "naive"], "twice"),
        ("level", 100, "level"),
        ("holdout", -1, "holdout"),
        ("epochs", 0, "epochs"),
        ("fill", "zero", "gap policy"),
        ("freq", "fortnightly", "offset alias"),
        ("dataset_hash", "abc", "SHA-256"),
        ("model_params", {"gru": {"epochs": 2}}, "not in models"),
        ("colour", "red", "colour"),
        ("workers", 0, "workers: must be from 1 to 64, got 0"),
        ("workers", 65, "workers: must be from 1 to 64"),
        ("workers", 1.5, "workers: must be a whole number"),
        ("workers", "many", "workers: must be a whole number of processes"),
        ("workers", True, "workers: must be a whole number of processes"),
        ("search", "sometimes", "search: must be one of once, twice, every"),
    ],
)
def test_spec_rejects_bad_fields_with_spec_error(store, data_dir, field, value, words):
    with pytest.raises(SpecError, match=words):
        _spec(store, data_dir, **{field: value})


def test_spec_json_round_trip_and_normalisation(store, data_dir):
    spec = _spec(
        store,
        data_dir,
        models="SNaive, arima",
        value_cols="a, b",
        model_params={"arima": {"season_length": 12}},
    )
    assert spec.models == ["snaive", "arima"]
    assert spec.value_cols == ["a", "b"]
    again = JobSpec.from_json(spec.to_json())
    assert again == spec
    assert again.run_kwargs()["models"] == ("snaive", "arima")
    assert again.run_kwargs()["model_params"] == {"arima": {"season_length": 12}}
    assert (spec.workers, spec.search) == (None, "twice")  # the worker's pool, the default
    tuned = JobSpec.from_json(_spec(store, data_dir, workers=2, search="Every").to_json())
    assert (tuned.workers, tuned.search) == (2, "every")
    assert tuned.run_kwargs()["search"] == "every"
    with pytest.raises(SpecError, match="not JSON"):
        JobSpec.validate("{oops")
    with pytest.raises(SpecError, match="horizon: Field required"):
        JobSpec.validate({"dataset_hash": "0" * 64, "dataset_path": "x"})


def test_save_dataset_is_content_addressed(store, data_dir, tmp_path):
    raw = (data_dir / AIR).read_bytes()
    digest, path = store.save_dataset(raw, AIR)
    assert digest == hashlib.sha256(raw).hexdigest()
    assert path == str(tmp_path / "forecast-home" / "datasets" / f"{digest}.csv")
    assert Path(path).read_bytes() == raw
    assert store.save_dataset(raw, "other-name.csv") == (digest, path)
    assert store.save_dataset(raw + b"\n1961-01,400\n", AIR)[0] != digest


def test_submit_get_list_events(store, data_dir):
    ids = [store.submit(_spec(store, data_dir, seed=k)) for k in range(3)]
    assert len(set(ids)) == 3
    job = store.get(ids[0])
    assert (job.status, job.progress, job.attempts) == ("queued", 0.0, 0)
    assert job.spec.seed == 0
    assert [j.id for j in store.list_jobs()] == ids[::-1]
    assert [j.id for j in store.list_jobs(limit=2)] == ids[:0:-1]
    assert [e["message"] for e in store.events(ids[1])] == ["queued"]
    assert store.result(ids[0]) is None
    with pytest.raises(SpecError, match="No job with id 'nope'"):
        store.get("nope")
    with pytest.raises(SpecError, match="Invalid job spec"):
        store.submit({"dataset_hash": "0" * 64, "dataset_path": "x", "horizon": -3})


def test_claim_is_exclusive_and_oldest_first(store, data_dir):
    first = store.submit(_spec(store, data_dir))
    second = store.submit(_spec(store, data_dir))
    job_a, token_a = store.claim("host:1")
    job_b, token_b = store.claim("host:2")
    assert (job_a, job_b) == (first, second)
    assert token_a != token_b
    assert store.claim("host:3") is None
    record = store.get(first)
    assert (record.status, record.worker, record.attempts) == ("running", "host:1", 1)


def test_complete_stores_everything_at_once(store, data_dir):
    job_id = store.submit(_spec(store, data_dir))
    _, token = store.claim("w")
    assert store.report_progress(job_id, token, 0.5, "snaive done")
    assert store.get(job_id).progress == 0.5
    assert store.complete(job_id, token, _result()) == "done"
    res = store.result(job_id)
    want = _result()
    pd.testing.assert_frame_equal(res.forecasts, want.forecasts, check_dtype=False)
    assert res.forecasts["ds"].dtype == "datetime64[ns]"
    assert res.leaderboard["mae"].tolist() == [1.25]
    assert res.residual_checks == {"snaive": {"pvalue": 0.5, "lags": [1, 2]}}
    assert res.artifacts == {"forecasts.csv": "/x/forecasts.csv"}
    assert res.actuals is None and res.level == 80.0
    assert store.get(job_id).progress == 1.0


def test_lost_claim_cannot_write(store, data_dir):
    job_id = store.submit(_spec(store, data_dir))
    _, old = store.claim("dead:1")
    assert store.interrupt(job_id, "worker gone", max_retries=1) == "queued"
    assert not store.report_progress(job_id, old, 0.9, "late")
    assert store.complete(job_id, old, _result()) == "queued"
    assert store.result(job_id) is None
    assert store.cancel_requested(job_id, old)
    _, new = store.claim("alive:2")
    assert store.get(job_id).attempts == 2
    assert store.complete(job_id, new, _result()) == "done"


def test_interrupt_requeues_once_then_stays_interrupted(store, data_dir):
    job_id = store.submit(_spec(store, data_dir))
    store.claim("w:1")
    assert store.interrupt(job_id, "crash 1", max_retries=1) == "queued"
    store.claim("w:2")
    assert store.interrupt(job_id, "crash 2", max_retries=1) == "interrupted"
    job = store.get(job_id)
    assert (job.status, job.retries, job.attempts, job.error) == ("interrupted", 1, 2, "crash 2")
    messages = [e["message"] for e in store.events(job_id)]
    assert "interrupted: crash 1" in messages
    assert "re-queued (retry 1 of 1)" in messages
    assert messages[-1] == "not re-queued: 1 retries used"


def test_cancel_queued_running_and_final(store, data_dir):
    queued = store.submit(_spec(store, data_dir))
    assert store.cancel(queued) == "cancelled"
    assert store.claim("w") is None  # a cancelled job is never claimed
    running = store.submit(_spec(store, data_dir))
    _, token = store.claim("w")
    assert store.cancel(running) == "running"
    assert store.cancel_requested(running, token)
    # the result arrives after the cancel request: it is dropped, the job is cancelled
    assert store.complete(running, token, _result()) == "cancelled"
    assert store.result(running) is None
    assert store.cancel(running) == "cancelled"


def test_rerun_copies_the_spec(store, data_dir):
    job_id = store.submit(_spec(store, data_dir, horizon=7, seed=3))
    new_id = store.rerun(job_id)
    new = store.get(new_id)
    assert new_id != job_id
    assert new.parent_id == job_id
    assert new.spec == store.get(job_id).spec
    assert new.status == "queued"


def test_sqlite_settings_and_schema_version(tmp_path):
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    assert store.schema_version() == SCHEMA_VERSION
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    store.close()
    with sqlite3.connect(tmp_path / "jobs.db") as raw:
        raw.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION + 1,))
    with pytest.raises(SpecError, match="newer than this"):
        JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")


def test_default_url_under_forecast_home(tmp_path, monkeypatch):
    monkeypatch.delenv("FORECAST_DB", raising=False)
    store = JobStore()
    assert store.url == f"sqlite:///{tmp_path / 'forecast-home' / 'jobs.db'}"
    assert (tmp_path / "forecast-home" / "jobs.db").exists()


def test_racing_claimers_take_each_job_exactly_once(store, store_url, data_dir):
    """8 claimers, each with its own connection pool, race for 40 jobs (SKIP LOCKED on PostgreSQL,
    BEGIN IMMEDIATE on SQLite): every job is claimed once, none twice, none left behind."""
    import threading
    import time

    ids = {store.submit(_spec(store, data_dir, seed=k)) for k in range(40)}
    claimed: list[tuple[str, str]] = []
    start = threading.Barrier(8)
    guard = threading.Lock()

    def claimer(k: int) -> None:
        mine = JobStore(store_url)
        start.wait()
        while (got := mine.claim(f"racer:{k}")) is not None:
            with guard:
                claimed.append((got[0], f"racer:{k}"))
            time.sleep(0.005)  # a worker runs its job before it claims the next one
        mine.close()

    threads = [threading.Thread(target=claimer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(job for job, _ in claimed) == sorted(ids)
    for job_id, worker in claimed:
        record = store.get(job_id)
        assert (record.status, record.worker, record.attempts) == ("running", worker, 1)
    assert len({w for _, w in claimed}) > 1  # they really raced


def test_owner_scopes_reads_and_actions(store, data_dir):
    mine = store.submit(_spec(store, data_dir), owner="alice")
    theirs = store.submit(_spec(store, data_dir), owner="bob")
    anon = store.submit(_spec(store, data_dir))
    assert store.get(mine).owner == "alice"
    assert [j.id for j in store.list_jobs(owner="alice")] == [mine]
    assert {j.id for j in store.list_jobs()} == {mine, theirs, anon}
    for call in (store.get, store.events, store.result, store.cancel, store.rerun):
        with pytest.raises(SpecError, match=f"No job with id '{theirs}'"):
            call(theirs, owner="alice")
    assert store.get(theirs).status == "queued"  # bob's job untouched
    again = store.rerun(mine, owner="alice")
    assert store.get(again).owner == "alice"
    assert store.cancel(mine, owner="alice") == "cancelled"


def test_datasets_belong_to_their_uploaders(store, data_dir):
    raw = (data_dir / AIR).read_bytes()
    digest, path = store.save_dataset(raw, AIR, owner="alice")
    assert store.save_dataset(raw, "again.csv", owner="alice") == (digest, path)
    assert store.dataset_path(digest, owner="alice") == path
    assert store.dataset_path(digest) == path  # no owner given: the command line, an admin
    with pytest.raises(DataError, match="no longer on the server \\(or is not yours\\)"):
        store.dataset_path(digest, owner="bob")
    store.save_dataset(raw, "bobs.csv", owner="bob")  # the same bytes, stored once
    assert store.dataset_path(digest, owner="bob") == path
    assert [(d["filename"], d["size"]) for d in store.list_datasets(owner="alice")] == [
        (AIR, len(raw))
    ]
    assert {d["owner"] for d in store.list_datasets()} == {"alice", "bob"}
    with pytest.raises(DataError, match="not a dataset id"):
        store.dataset_path("../../etc/passwd", owner="alice")
    with pytest.raises(DataError, match="no longer on the server"):
        store.dataset_path("0" * 64, owner="alice")


def test_a_version_1_store_is_migrated_in_place(tmp_path, data_dir):
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as raw:
        raw.executescript(
            """
            CREATE TABLE schema_version (version INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (1);
            CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id VARCHAR(32) UNIQUE NOT NULL,
              status VARCHAR(16) NOT NULL, progress FLOAT NOT NULL, message TEXT NOT NULL,
              error TEXT, created_at FLOAT NOT NULL, started_at FLOAT, finished_at FLOAT,
              heartbeat_at FLOAT, spec TEXT NOT NULL, attempts INTEGER NOT NULL,
              retries INTEGER NOT NULL, claim_token VARCHAR(32), worker VARCHAR(200),
              cancel_requested BOOLEAN NOT NULL, parent_id VARCHAR(32));
            INSERT INTO jobs (id, status, progress, message, created_at, spec, attempts, retries,
              cancel_requested) VALUES ('old1', 'done', 1.0, 'done', 0, '{}', 1, 0, 0);
            """
        )
    store = JobStore(f"sqlite:///{db}")
    assert store.schema_version() == SCHEMA_VERSION == 2
    assert store.get("old1").owner is None
    new = store.submit(_spec(store, data_dir), owner="alice")
    assert [j.id for j in store.list_jobs(owner="alice")] == [new]
    store.close()
    assert JobStore(f"sqlite:///{db}").schema_version() == 2  # migrating twice is a no-op

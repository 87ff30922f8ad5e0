"""LocalRunner end to end: real SQLite file and PostgreSQL database, real child processes, real models, a real LocalCluster."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from forecast.errors import Cancelled, SpecError
from forecast.ingest.reader import read_csv
from forecast.jobs import JobSpec, JobStore, LocalRunner
from forecast.jobs.executors import ProgressReporter
from forecast.models import make_model
from forecast.run.pipeline import run_forecast

torch.set_num_threads(1)
AIR = "air_passengers.csv"


@pytest.fixture
def store(store_url):
    """A job store on SQLite, then on PostgreSQL (``store_url`` in conftest.py)."""
    store = JobStore(store_url)
    yield store
    store.close()


def _submit(store: JobStore, raw: bytes, name: str = AIR, **fields) -> str:
    digest, path = store.save_dataset(raw, name)
    base = {
        "dataset_hash": digest,
        "dataset_path": path,
        "filename": name,
        "horizon": 12,
        "models": ["snaive", "naive"],
        "holdout": 12,
    }
    return store.submit(JobSpec(**(base | fields)))


def _wait(store: JobStore, job_id: str, until, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck: {store.get(job_id)}")


def test_job_runs_end_to_end_like_the_pipeline(store, data_dir):
    job_id = _submit(store, (data_dir / AIR).read_bytes())
    ran = LocalRunner(store, concurrency=1).run_until_idle(timeout=60)
    assert ran == [job_id]
    job = store.get(job_id)
    assert job.status == "done", job.error
    assert (job.progress, job.attempts, job.error) == (1.0, 1, None)
    res = store.result(job_id)
    df, _ = read_csv(data_dir / AIR)
    direct = run_forecast(df, horizon=12, models=["snaive", "naive"], holdout=12)
    pd.testing.assert_frame_equal(res.forecasts, direct.forecasts, check_dtype=False)
    pd.testing.assert_frame_equal(
        res.leaderboard[["model", "mae", "rmse"]], direct.leaderboard[["model", "mae", "rmse"]]
    )
    pd.testing.assert_frame_equal(res.actuals, direct.actuals, check_dtype=False)
    assert set(res.residual_checks) == {"snaive", "naive"}
    assert len(res.history) == 144 - 12
    saved = pd.read_csv(res.artifacts["forecasts.csv"])
    assert np.allclose(saved["yhat"], direct.forecasts["yhat"])
    resid = pd.read_csv(res.artifacts["residuals.csv"])
    assert list(resid.columns) == ["model", "unique_id", "ds", "resid"]
    by_series = pd.read_csv(res.artifacts["leaderboard_by_series.csv"])
    assert by_series["unique_id"].tolist() == ["Passengers"]
    assert by_series["mase"].iloc[0] == pytest.approx(direct.by_series["mase"].iloc[0])
    want = direct.residuals["snaive"]["resid"].to_numpy()
    assert np.allclose(resid.loc[resid["model"] == "snaive", "resid"], want, equal_nan=True)
    messages = [e["message"] for e in store.events(job_id)]
    assert messages[0] == "queued"
    assert messages[1].startswith("running on ")
    assert "reading air_passengers.csv" in messages
    assert any("snaive" in m for m in messages)
    assert messages[-1] == "done"


def test_failures_end_failed_with_readable_messages(store, data_dir):
    bad_csv = _submit(
        store,
        b"month,sales\n2020-01,1\n2020-02,abc\n2020-03,3\n2020-04,4\n",
        "sales.csv",
        holdout=0,
    )
    bad_spec = _submit(store, (data_dir / AIR).read_bytes(), holdout=500)
    gone = _submit(store, (data_dir / "sunspots_yearly.csv").read_bytes(), "sun.csv", holdout=0)
    Path(store.get(gone).spec.dataset_path).unlink()
    with pytest.raises(SpecError, match="snaive does not take bogus"):  # refused up front
        _submit(store, (data_dir / AIR).read_bytes(), model_params={"snaive": {"bogus": 1}})
    with pytest.raises(SpecError, match="season_length must be from 1"):  # bounds, up front
        _submit(store, (data_dir / AIR).read_bytes(), model_params={"snaive": {"season_length": 0}})
    params = _submit(
        store,
        (data_dir / AIR).read_bytes(),
        models=["arima"],
        model_params={"arima": {"order": [9, 9, 9]}},
    )
    LocalRunner(store, concurrency=2).run_until_idle(timeout=60)
    named = {"csv": bad_csv, "spec": bad_spec, "gone": gone, "params": params}
    jobs = {k: store.get(v) for k, v in named.items()}
    assert {j.status for j in jobs.values()} == {"failed"}
    assert "Column 'sales'" in jobs["csv"].error and "'abc' is not a number" in jobs["csv"].error
    assert "holdout 500" in jobs["spec"].error
    assert "no longer stored" in jobs["gone"].error
    assert jobs["params"].error.startswith("every model failed: arima: ")
    assert "arima: order must be three whole numbers" in jobs["params"].error
    for j in jobs.values():
        assert store.result(j.id) is None
        assert "Traceback" not in j.error
        assert store.events(j.id)[-1]["message"] == f"failed: {j.error}"


def test_reporter_stops_training_within_one_epoch(store, data_dir):
    """A cancel written to the store by someone else stops training before the next epoch."""
    job_id = _submit(store, (data_dir / AIR).read_bytes())
    _, token = store.claim("test:1")
    reporter = ProgressReporter(store, job_id, token)
    df, _ = read_csv(data_dir / AIR)
    epochs_seen: list[int] = []

    def progress(step, total, message):
        epochs_seen.append(step)
        reporter.progress(step, total, message)
        if step == 3:
            JobStore(store.url).cancel(job_id)  # another connection, as the CLI would

    model = make_model("gru", horizon=12, epochs=50, patience=0, hidden_size=8)
    with pytest.raises(Cancelled, match="before epoch 4"):
        model.fit(df, progress=progress, should_stop=reporter.should_stop)
    assert epochs_seen == [1, 2, 3]


@pytest.mark.slow
def test_cancel_stops_a_running_neural_job_and_it_never_turns_done(store, data_dir):
    job_id = _submit(
        store,
        (data_dir / AIR).read_bytes(),
        models=["gru"],
        holdout=0,
        epochs=400,
        model_params={"gru": {"patience": 0, "batch_size": 4}},
    )
    runner = LocalRunner(store, concurrency=1, poll_interval=0.05).start()
    try:
        _wait(store, job_id, lambda j: "epoch" in j.message)
        epoch_at_cancel = int(store.get(job_id).message.split("epoch ")[1].split("/")[0])
        assert store.cancel(job_id) == "running"
        requested = time.monotonic()
        job = _wait(store, job_id, lambda j: j.status != "running", timeout=30)
        latency = time.monotonic() - requested
    finally:
        runner.stop()
    assert job.status == "cancelled"
    assert latency < 5.0
    epochs = [
        int(e["message"].split("epoch ")[1].split("/")[0])
        for e in store.events(job_id)
        if "epoch" in e["message"]
    ]
    assert max(epochs) < 400 and epoch_at_cancel < 400
    time.sleep(0.5)
    assert store.get(job_id).status == "cancelled"
    assert store.result(job_id) is None


def test_a_job_spec_workers_sizes_its_pool_over_the_worker_setting(store, data_dir):
    from forecast.jobs.executors import job_pool_workers, open_executor
    from forecast.run.workers import LazyProcessPool

    one = store.get(_submit(store, (data_dir / AIR).read_bytes(), workers=1)).spec
    two = store.get(_submit(store, (data_dir / AIR).read_bytes(), workers=2)).spec
    unset = store.get(_submit(store, (data_dir / AIR).read_bytes())).spec
    assert (one.workers, two.workers, unset.workers) == (1, 2, None)  # stored and read back
    assert job_pool_workers(one, 4) == 0  # 1: no pool, whatever the worker's setting
    assert job_pool_workers(two, 0) == 2
    assert job_pool_workers(unset, 3) == 3 and job_pool_workers(unset, None) is None
    with open_executor(None, job_pool_workers(two, 0)) as executor:
        assert isinstance(executor, LazyProcessPool) and executor.max_workers == 2
    with open_executor(None, job_pool_workers(one, 4)) as executor:
        assert executor is None


@pytest.mark.slow
def test_a_job_on_two_worker_processes_forecasts_like_one(store):
    rng = np.random.default_rng(1)
    t = np.arange(48)
    lines = ["month,id,value"]
    for k in range(4):
        y = 50 + 5 * k + 6 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 48)
        ds = pd.date_range("2016-01-01", periods=48, freq="MS").strftime("%Y-%m")
        lines += [f"{d},s{k},{v:.4f}" for d, v in zip(ds, y, strict=True)]
    raw = ("\n".join(lines) + "\n").encode()
    # ets fans its series out over a pool; the baselines always stay in the job's process
    fields = {"models": ["snaive", "ets"], "holdout": 0, "horizon": 6, "backtest_windows": 2}
    one = _submit(store, raw, "panel.csv", **fields, workers=1)
    two = _submit(store, raw, "panel.csv", **fields, workers=2)
    LocalRunner(store, pool_workers=0).run_until_idle(timeout=120)
    assert store.get(one).status == "done", store.get(one).error
    assert store.get(two).status == "done", store.get(two).error
    a, b = store.result(one), store.result(two)
    assert len(a.forecasts) == 4 * 6 * 2
    order = ["model", "unique_id", "ds"]
    pd.testing.assert_frame_equal(
        a.forecasts.sort_values(order, ignore_index=True),
        b.forecasts.sort_values(order, ignore_index=True),
    )
    scores = ["model", "mae", "rmse", "smape", "mase", "coverage"]
    pd.testing.assert_frame_equal(a.leaderboard[scores], b.leaderboard[scores])


@pytest.mark.slow
def test_dask_local_cluster_and_process_pool_give_the_same_result(store):
    from distributed import LocalCluster

    rng = np.random.default_rng(0)
    t = np.arange(60)
    lines = ["month,id,value"]
    for k in range(6):
        y = 100 + 10 * k + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 60)
        ds = pd.date_range("2015-01-01", periods=60, freq="MS").strftime("%Y-%m")
        lines += [f"{d},s{k},{v:.4f}" for d, v in zip(ds, y, strict=True)]
    raw = ("\n".join(lines) + "\n").encode()
    fields = {"models": ["snaive", "arima"], "holdout": 6, "horizon": 6}
    local_id = _submit(store, raw, "panel.csv", **fields)
    LocalRunner(store).run_until_idle(timeout=120)
    pool_id = _submit(store, raw, "panel.csv", **(fields | {"models": ["snaive"]}))
    LocalRunner(store, pool_workers=2).run_until_idle(timeout=120)  # no numba JIT in the pool
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask_id = _submit(store, raw, "panel.csv", **fields)
        LocalRunner(store, dask_address=cluster.scheduler_address).run_until_idle(timeout=120)
        n_workers = len(cluster.scheduler_info["workers"])
    assert n_workers == 2
    local, dist, pool = store.result(local_id), store.result(dask_id), store.result(pool_id)
    assert store.get(dask_id).status == "done", store.get(dask_id).error
    assert local.leaderboard["error"].isna().all()
    assert len(dist.forecasts) == 6 * 6 * 2
    pd.testing.assert_frame_equal(
        local.forecasts.sort_values(["model", "unique_id", "ds"], ignore_index=True),
        dist.forecasts.sort_values(["model", "unique_id", "ds"], ignore_index=True),
    )
    # "detail" (ARIMA's chosen orders) is per chunk on Dask; every score must match
    scores = ["model", "mae", "rmse", "smape", "mase", "coverage", "ljung_box_pvalue", "rank"]
    pd.testing.assert_frame_equal(local.leaderboard[scores], dist.leaderboard[scores])
    snaive = local.forecasts[local.forecasts["model"] == "snaive"].reset_index(drop=True)
    pd.testing.assert_frame_equal(snaive, pool.forecasts)


def test_recover_uses_dead_pid_or_stale_heartbeat(store, data_dir):
    ids = [_submit(store, (data_dir / AIR).read_bytes()) for _ in range(3)]
    for worker in ("elsewhere:1", "elsewhere:2", f"{__import__('socket').gethostname()}:999999"):
        store.claim(worker)
    with store._write() as conn:  # worker elsewhere:1 last beat a minute ago
        conn.exec_driver_sql(
            "UPDATE jobs SET heartbeat_at = heartbeat_at - 60 WHERE worker = 'elsewhere:1'"
        )
    recovered = LocalRunner(store, stale_after=30).recover()
    assert sorted(recovered) == sorted([ids[0], ids[2]])
    assert [store.get(i).status for i in ids] == ["queued", "running", "queued"]
    assert "no heartbeat from worker elsewhere:1" in store.get(ids[0]).error
    assert store.get(ids[2]).error.endswith(":999999 is gone")


@pytest.mark.slow
def test_a_crashed_job_process_fails_the_job_not_the_runner(store, data_dir):
    import psutil

    crash = _submit(
        store,
        (data_dir / AIR).read_bytes(),
        models=["gru"],
        holdout=0,
        epochs=300,
        model_params={"gru": {"patience": 0, "batch_size": 4}},
    )
    after = _submit(store, (data_dir / AIR).read_bytes())
    runner = LocalRunner(store, concurrency=1, poll_interval=0.05).start()
    try:
        _wait(store, crash, lambda j: "epoch" in j.message)
        jobs = [
            p
            for p in psutil.Process().children(recursive=True)
            if p.name().startswith("python") and p.status() != psutil.STATUS_ZOMBIE
        ]
        victim = max(jobs, key=lambda p: p.create_time())  # the newest: the job's process
        victim.kill()
        failed = _wait(store, crash, lambda j: j.status != "running")
        done = _wait(store, after, lambda j: j.status == "done")
    finally:
        runner.stop()
    assert failed.status == "failed"
    assert "killed by signal 9" in failed.error
    assert store.result(crash) is None
    assert done.attempts == 1


def test_progress_moves_within_a_training_step(store, data_dir):
    job_id = _submit(store, (data_dir / AIR).read_bytes())
    _, token = store.claim("test:1")
    reporter = ProgressReporter(store, job_id, token, min_interval=0.0)
    reporter.progress(1, 4, "snaive done")
    assert store.get(job_id).progress == 0.25
    reporter.progress(1.5, 4, "any words at all")  # the number says it, not the message
    assert store.get(job_id).progress == pytest.approx(1.5 / 4)
    reporter.progress(1.99, 4, "gru: seed 2/2: epoch 10/10 train loss 0.1")
    assert store.get(job_id).progress == pytest.approx(1.99 / 4)
    assert store.get(job_id).message == "gru: seed 2/2: epoch 10/10 train loss 0.1"
    reporter.progress(4, 4, "pretrained done")  # the last fit: scoring and writing follow
    assert store.get(job_id).progress == 0.99  # 100 % only once the job is done
    assert not reporter.should_stop()
    store.interrupt(job_id, "gone", max_retries=1)  # the claim is lost: the reporter stops
    assert reporter.should_stop()

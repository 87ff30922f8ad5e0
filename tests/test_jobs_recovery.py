"""Restart safety and concurrency with real processes, on SQLite and PostgreSQL: SIGKILL a worker,
submit from many processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

from forecast.jobs import JobSpec, JobStore, LocalRunner

AIR = "air_passengers.csv"
pytestmark = pytest.mark.slow


def _submit(store: JobStore, data_dir, **fields) -> str:
    digest, path = store.save_dataset((data_dir / AIR).read_bytes(), AIR)
    base = {
        "dataset_hash": digest,
        "dataset_path": path,
        "filename": AIR,
        "horizon": 12,
        "models": ["snaive"],
        "holdout": 12,
    }
    return store.submit(JobSpec(**(base | fields)))


def _worker(url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "forecast", "worker", "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"OMP_NUM_THREADS": "1"},
    )


def _all_gone(procs: list[psutil.Process], timeout: float) -> bool:
    """True once every process has exited (a zombie awaiting its parent counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for proc in procs:
            try:
                if proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except psutil.NoSuchProcess:
                pass
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _wait(store: JobStore, job_id: str, until, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck: {store.get(job_id)}")


def test_sigkilled_worker_job_is_interrupted_then_rerun_to_done(store_url, data_dir):
    url = store_url
    store = JobStore(url)
    quick = _submit(store, data_dir)
    slow = _submit(
        store,
        data_dir,
        models=["gru"],
        holdout=0,
        epochs=40,
        model_params={"gru": {"patience": 0, "batch_size": 8, "hidden_size": 16}},
    )
    worker = _worker(url, "--concurrency", "1")
    try:
        _wait(store, quick, lambda j: j.status == "done")
        before = store.get(quick)
        quick_result = store.result(quick)
        _wait(store, slow, lambda j: "epoch" in j.message)
        children = psutil.Process(worker.pid).children(recursive=True)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # the job's own process dies with its worker (no orphan keeps training or writing)
    assert _all_gone(children, timeout=10)
    job = store.get(slow)
    time.sleep(1.0)
    assert store.get(slow).message == job.message  # nothing writes progress any more
    assert job.status == "running"  # nobody noticed yet
    assert store.result(slow) is None  # no partial result is visible
    assert job.worker == f"{job.worker.split(':')[0]}:{worker.pid}"

    ran = LocalRunner(JobStore(url), max_retries=1).run_until_idle(timeout=120)
    assert ran == [slow]
    job = store.get(slow)
    assert job.status == "done", job.error
    assert (job.attempts, job.retries) == (2, 1)
    messages = [e["message"] for e in store.events(slow)]
    kill = messages.index(
        f"interrupted: its worker {job.worker.rsplit(':', 1)[0]}:{worker.pid} is gone"
    )
    assert messages[kill + 1] == "re-queued (retry 1 of 1)"
    assert messages[kill + 2].startswith("running on ")
    assert messages[-1] == "done"
    result = store.result(slow)
    assert len(result.forecasts) == 12 and result.forecasts["yhat"].notna().all()
    # the model file is an artifact that reloads to the same forecasts
    from forecast.models.neural.recurrent import GRU

    reloaded = GRU.load(result.artifacts["model:gru"]).predict(12)
    assert np.allclose(reloaded["yhat"], result.forecasts["yhat"])
    # the finished job is untouched
    after = store.get(quick)
    assert (after.status, after.finished_at, after.attempts) == ("done", before.finished_at, 1)
    assert store.result(quick).forecasts.equals(quick_result.forecasts)


_SUBMITTER = """
import sys
from forecast.jobs import JobSpec, JobStore
url, data, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = JobStore(url)
digest, path = store.save_dataset(open(data, "rb").read(), "air_passengers.csv")
for i in range(5):
    print(store.submit(JobSpec(dataset_hash=digest, dataset_path=path, horizon=6 + i,
                               seed=k, models=["snaive"], holdout=6)))
"""


def test_twenty_jobs_from_several_processes_run_exactly_once(store_url, data_dir):
    url = store_url
    submitters = [
        subprocess.Popen(
            [sys.executable, "-c", _SUBMITTER, url, str(data_dir / AIR), str(k)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    ids = []
    for proc in submitters:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids += out.split()
    assert len(ids) == 20 and len(set(ids)) == 20
    workers = [_worker(url, "--once", "--concurrency", "2") for _ in range(2)]
    for proc in workers:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    store = JobStore(url)
    jobs = store.list_jobs(limit=100)
    assert sorted(j.id for j in jobs) == sorted(ids)
    assert {j.status for j in jobs} == {"done"}
    for job in jobs:
        runs = [e for e in store.events(job.id) if e["message"].startswith("running on ")]
        assert len(runs) == 1 and job.attempts == 1
        assert len(store.result(job.id).forecasts) == job.spec.horizon

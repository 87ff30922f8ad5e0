"""``forecast serve`` for real: gunicorn with 2 web processes, sign-in, the bind rule, a worker.

The server and the worker run as subprocesses on a free port (SQLite store, a temporary
FORECAST_HOME); requests go over HTTP, and the ``X-Forecast-Worker`` header tells which web process
answered each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pandas as pd
import psutil
import pytest
from serving import CLI, Client, free_port, running_serve, start_worker

from dashboard import auth

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    full = {k: v for k, v in os.environ.items() if not k.startswith("FORECAST_")}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=full | (env or {})
    )


def test_help_lists_the_options():
    out = cli("serve", "--help")
    assert out.returncode == 0
    for option in (
        "--host",
        "--port",
        "--workers",
        "--db",
        "--users",
        "--auth-header",
        "--insecure",
    ):
        assert option in out.stdout


def test_a_public_bind_without_users_is_refused(tmp_path):
    port = str(free_port())
    for host in ("0.0.0.0", "::"):
        out = cli("serve", "--host", host, "--port", port, env={"FORECAST_HOME": str(tmp_path)})
        assert out.returncode == 2
        assert out.stderr.startswith(f"error: Refusing to serve on {host} without sign-in")
        assert "--insecure" in out.stderr and "Traceback" not in out.stderr
    out = cli(
        "dashboard", "--host", "0.0.0.0", "--port", port, env={"FORECAST_HOME": str(tmp_path)}
    )
    assert out.returncode == 2 and "Refusing to serve on 0.0.0.0" in out.stderr
    (tmp_path / "users").write_text("alice:not-a-hash\n")
    out = cli("serve", "--users", str(tmp_path / "users"), "--port", port)
    assert out.returncode == 2 and "line 1: expected" in out.stderr
    out = cli("serve", "--db", "nosuchdriver://x", "--port", port)
    assert out.returncode == 2 and out.stderr.startswith("error: Cannot open the job store")


def test_insecure_serves_a_public_bind_open(tmp_path):
    env = {k: "" for k in ("FORECAST_USERS_FILE", "FORECAST_AUTH_HEADER")}
    with running_serve(tmp_path, "--workers", "1", "--insecure", env=env, host="0.0.0.0") as (
        url,
        _,
    ):
        assert Client(url).get("/api/v1/me").json() == {"user": None, "admin": True}


def _web_workers(server: subprocess.Popen) -> set[int]:
    """Pids of gunicorn's web processes (children of its master)."""
    return {p.pid for p in psutil.Process(server.pid).children() if p.status() != "zombie"}


def test_two_web_processes_serve_one_user_and_survive_a_sigkill(tmp_path, data_dir):
    users = tmp_path / "users"
    auth.add_user(users, "alice", "pw-a")
    auth.add_user(users, "bob", "pw-b")
    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    args = ("--workers", "2", "--users", str(users), "--db", db)
    with running_serve(tmp_path, *args) as (url, server):
        assert Client(url).get("/api/v1/jobs").status_code == 401
        alice, bob = Client(url, "alice", "pw-a"), Client(url, "bob", "pw-b")
        raw = (data_dir / "air_passengers.csv").read_bytes()
        digest = alice.upload(raw, "air.csv").json()["hash"]
        uploaded_on = alice.workers[-1]
        # consecutive requests of one user, on whichever process: each must work
        for _ in range(40):
            page = alice.diagnostics(digest)
            assert page.status_code == 200 and "Ljung" in page.text
            if len(set(alice.workers)) == 2:
                break
        assert len(set(alice.workers)) == 2, alice.workers  # both processes answered
        assert any(w != uploaded_on for w in alice.workers[1:])  # read where it was not uploaded
        job = alice.post("/api/v1/jobs", json={"dataset": digest, "horizon": 6, "models": "snaive"})
        assert job.status_code == 201, job.text
        job_id = job.json()["id"]
        worker = start_worker(tmp_path, db, "--once")
        assert worker.wait(120) == 0
        for _ in range(6):
            csv = alice.get(f"/api/v1/jobs/{job_id}/forecasts.csv")
            assert csv.status_code == 200 and len(csv.text.splitlines()) == 7
            assert bob.get(f"/api/v1/jobs/{job_id}/forecasts.csv").status_code == 404
        assert alice.get(f"/api/v1/jobs/{job_id}").json()["status"] == "done"
        assert pd.Series(alice.workers).nunique() == 2

        # SIGKILL one web process: the other answers meanwhile, gunicorn starts a new one
        before = _web_workers(server)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        answers = [alice.get("/api/v1/jobs").status_code for _ in range(10)]
        assert answers == [200] * 10
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(_web_workers(server) - {victim}) < 2:
            time.sleep(0.2)
        after = _web_workers(server)
        assert victim not in after and len(after) == 2
        assert alice.diagnostics(digest).status_code == 200

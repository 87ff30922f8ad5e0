"""`forecast jobs ...` and `forecast worker`: JSON contract, a job through the CLI, clean failures."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.jobs import JobStore

runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def _ok(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def _json(*args) -> dict:
    out = _ok(*args, "--json").stdout
    assert len(out.strip().splitlines()) == 1  # exactly one JSON object
    return json.loads(out)


def test_submit_run_show_through_the_cli(db, data_dir):
    air = data_dir / "air_passengers.csv"
    job_id = _ok(
        "jobs",
        "submit",
        air,
        "--horizon",
        6,
        "--holdout",
        6,
        "--models",
        "snaive,drift",
        "--db",
        db,
    ).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{12}", job_id)
    listed = _json("jobs", "list", "--db", db)["jobs"]
    assert [(j["id"], j["status"], j["models"]) for j in listed] == [
        (job_id, "queued", ["snaive", "drift"])
    ]
    _ok("worker", "--db", db, "--once", "--nice", 0)  # in-process: keep our priority
    shown = _json("jobs", "show", job_id, "--db", db)
    assert shown["job"]["status"] == "done"
    assert shown["job"]["progress"] == 1.0
    assert shown["job"]["spec"]["filename"] == "air_passengers.csv"
    assert [row["model"] for row in shown["leaderboard"]] in (
        ["snaive", "drift"],
        ["drift", "snaive"],
    )
    assert all(row["mae"] > 0 for row in shown["leaderboard"])
    assert shown["events"][-1]["message"] == "done"
    assert set(shown["artifacts"]) >= {"forecasts.csv", "leaderboard.csv"}
    store = JobStore(db)
    assert len(store.result(job_id).forecasts) == 2 * 6
    text = _ok("jobs", "show", job_id, "--db", db).stdout
    assert job_id in text and "done" in text and "snaive" in text


def test_cancel_and_rerun(db, data_dir, monkeypatch):
    monkeypatch.setenv("FORECAST_DB", db)  # the default --db
    air = data_dir / "air_passengers.csv"
    job_id = _json("jobs", "submit", air, "--models", "naive", "--seed", 4)["id"]
    assert _json("jobs", "cancel", job_id) == {
        "id": job_id,
        "status": "cancelled",
        "cancel_requested": False,
    }
    again = _json("jobs", "rerun", job_id)
    assert again["parent_id"] == job_id and again["status"] == "queued"
    store = JobStore(db)
    assert store.get(again["id"]).spec.seed == 4
    assert store.get(job_id).status == "cancelled"
    assert [j["id"] for j in _json("jobs", "list", "--status", "queued")["jobs"]] == [again["id"]]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["jobs", "submit", "missing.csv"], "File not found"),
        (["jobs", "submit", "{air}", "--horizon", "0"], "horizon"),
        (["jobs", "submit", "{air}", "--models", "snaive,prophet"], "prophet"),
        (["jobs", "submit", "{air}", "--fill", "zero"], "gap policy"),
        (["jobs", "submit", "{air}", "--model-params", "{oops"], "not valid JSON"),
        (
            ["jobs", "submit", "{air}", "--models", "naive", "--model-params", '{"gru": {}}'],
            "not in models",
        ),
        (["jobs", "show", "nope"], "No job with id 'nope'"),
        (["jobs", "cancel", "nope"], "No job with id"),
        (["jobs", "rerun", "nope"], "No job with id"),
        (["jobs", "list", "--status", "sleeping"], "not a job status"),
        (["worker", "--concurrency", "0"], "concurrency"),
        (["jobs", "submit", "{air}", "--workers", "0"], "workers: must be from 1 to 64"),
        (["jobs", "submit", "{air}", "--search", "always"], "search: must be one of"),
    ],
)
def test_bad_input_exits_2_with_one_line(db, data_dir, args, words):
    args = [a.replace("{air}", str(data_dir / "air_passengers.csv")) for a in args]
    result = runner.invoke(app, [*args, "--db", db])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert words in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("start", "args", "niceness"),
    [
        (0, [], lambda base: max(base, 10)),  # the default
        (0, ["--nice", "19"], lambda base: 19),
        (9, ["--nice", "1"], lambda base: min(base + 9, 19)),  # started nicer: never lowered
    ],
)
def test_worker_runs_at_lower_cpu_priority(db, start, args, niceness):
    """Jobs yield the CPU to the web processes (niceness 10 by default)."""
    base = os.getpriority(os.PRIO_PROCESS, 0)  # the tests may run niced themselves
    cli = [sys.executable, "-c", "from forecast.cli import main; main()"]
    done = subprocess.run(
        ["nice", "-n", str(start), *cli, "worker", "--once", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    assert f"(niceness {niceness(base)})" in done.stderr


def test_submit_with_an_owner(db, data_dir):
    """A job submitted for a user of `forecast serve` is theirs there, dataset included."""
    air = data_dir / "air_passengers.csv"
    job_id = _json("jobs", "submit", air, "--horizon", 6, "--owner", "alice", "--db", db)["id"]
    store = JobStore(db)
    assert store.get(job_id, owner="alice").owner == "alice"
    assert [j.id for j in store.list_jobs(owner="alice")] == [job_id]
    assert store.list_jobs(owner="bob") == []
    digest = store.get(job_id).spec.dataset_hash
    assert store.dataset_path(digest, owner="alice").endswith(f"{digest}.csv")
    plain = _json("jobs", "submit", air, "--horizon", 6, "--db", db)["id"]
    assert store.get(plain).owner is None and store.list_jobs(owner="alice")[0].id == job_id
    bad = runner.invoke(app, ["jobs", "submit", str(air), "--owner", "al ice", "--db", db])
    assert bad.exit_code == 2 and bad.stderr.strip().splitlines() == [
        "error: Owner 'al ice' is not a user name; use 1-100 letters, digits or . _ @ + -."
    ]
    assert len(store.list_jobs()) == 2  # nothing queued for the bad one

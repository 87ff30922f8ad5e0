"""CPU per request of the load benchmark's user flow, in one web process (no network, no queueing).

The flow of ``benchmarks/load.py`` for each of ``--users`` users, against the real app (Flask
test client, signed in with HTTP Basic, SQLite store in a temporary ``FORECAST_HOME``): upload
the user's CSV (the airline data scaled per user), let the background prefetch finish (the
diagnosis and figures the upload starts), the Diagnostics page's callback, the same callback as
another web process would serve it (this process's in-memory memos forgotten: it has only what
is in ``FORECAST_HOME``), submit a job through the API, its status, its job run by
``forecast worker --once`` (a separate process: its CPU includes the process's start-up), and
the forecasts download. Prints the median CPU (user + system) per step over the users after the
first, and how many times each flow read and diagnosed its CSV in this process.

Usage::

    .venv/bin/python benchmarks/request_cpu.py [--users 6]

(the users' files are those of ``load.py``, :func:`load.user_csv`).
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

STEPS = (
    "sign-in (first request)",
    "upload",
    "upload's background prefetch",
    "diagnostics",
    "diagnostics on another process",
    "submit",
    "status",
    "download",
    "job (forecast worker --once)",
)


def _cpu() -> float:
    return time.process_time()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=6, help="users (the first is not counted)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="forecast-request-cpu-")
    os.environ["FORECAST_HOME"] = home
    from dashboard import auth

    users = Path(home) / "users"
    for k in range(args.users):
        auth.add_user(users, f"user{k:02d}", f"password-{k}")
    os.environ["FORECAST_USERS_FILE"] = str(users)

    from load import user_csv

    import forecast.diagnostics
    import forecast.ingest.reader
    from dashboard import cache, datasets
    from dashboard.app import create_app, warm_up
    from dashboard.pages import diagnostics as page

    app = create_app(None)
    warm_up()  # as forecast serve does before forking its web processes
    counts = {"read": 0, "diagnosed": 0}

    def counting(module, name: str, key: str) -> None:
        original = getattr(module, name)

        def counted(*a, **k):
            counts[key] += 1
            return original(*a, **k)

        setattr(module, name, counted)

    counting(forecast.ingest.reader, "read_csv", "read")
    counting(forecast.diagnostics, "diagnose_series", "diagnosed")

    def forget_memos() -> None:
        names = ("_diagnose", "_series", "_page", "_main_views", "_acf_views")
        for fn in [getattr(page, n) for n in names if hasattr(page, n)] + [datasets._load]:
            fn.cache_clear()

    client = app.server.test_client()
    data = pd.read_csv(ROOT / "data" / "air_passengers.csv")
    deps = None
    times: dict[str, list[float]] = {s: [] for s in STEPS}
    per_flow = []
    cli = [sys.executable, "-c", "from forecast.cli import main; main()"]
    for k in range(args.users):
        token = base64.b64encode(f"user{k:02d}:password-{k}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}

        def timed(step: str, fn, children: bool = False):
            clock = _children_cpu if children else _cpu
            start = clock()
            out = fn()
            times[step].append(clock() - start)
            return out

        before = dict(counts)
        timed("sign-in (first request)", lambda: client.get("/api/v1/me", headers=headers))  # noqa: B023
        up = timed(
            "upload",
            lambda: client.post(
                "/upload",
                data=user_csv(data, k),  # noqa: B023
                headers={"X-Upload-Filename": quote(f"user{k:02d}.csv"), **headers},  # noqa: B023
            ),
        )
        digest = up.get_json()["hash"]
        timed("upload's background prefetch", lambda: cache._POOL.submit(lambda: None).result())
        if deps is None:
            deps = client.get("/_dash-dependencies", headers=headers).get_json()
        body = _diagnostics_body(deps, digest)

        def diagnostics():
            answer = client.post("/_dash-update-component", json=body, headers=headers)  # noqa: B023
            assert answer.status_code == 200 and "Ljung" in answer.get_data(as_text=True)

        timed("diagnostics", diagnostics)
        forget_memos()
        timed("diagnostics on another process", diagnostics)
        per_flow.append(
            (counts["read"] - before["read"], counts["diagnosed"] - before["diagnosed"])
        )
        job = {"dataset": digest, "horizon": 12, "holdout": 12, "models": "snaive,naive"}
        sub = timed(
            "submit",
            lambda: client.post("/api/v1/jobs", json=job, headers=headers),  # noqa: B023
        )
        job_id = sub.get_json()["id"]
        timed("status", lambda: client.get(f"/api/v1/jobs/{job_id}", headers=headers))  # noqa: B023
        timed(
            "job (forecast worker --once)",
            lambda: subprocess.run(
                [*cli, "worker", "--once"],
                env={**os.environ, "OMP_NUM_THREADS": "1"},
                check=True,
                capture_output=True,
            ),
            children=True,
        )
        got = timed(
            "download",
            lambda: client.get(f"/api/v1/jobs/{job_id}/forecasts.csv", headers=headers),  # noqa: B023
        )
        assert got.status_code == 200
    rows = [
        {"step": s, "CPU ms (median)": round(1000 * statistics.median(times[s][1:]), 1)}
        for s in STEPS
    ]
    print(f"\nCPU per step of one user flow, median of users 2-{args.users}\n")
    print("| step | CPU ms (median) |\n|---|---:|")
    for row in rows:
        print(f"| {row['step']} | {row['CPU ms (median)']:.1f} |")
    web = sum(
        r["CPU ms (median)"] for r in rows if not r["step"].startswith(("job", "diagnostics on"))
    )
    print(f"\n- web CPU per flow (status once): {web:.0f} ms")
    reads = sorted(set(per_flow))
    print(
        f"- CSV reads / diagnoses per flow in this process (incl. the other-process call): {reads}"
    )


def _diagnostics_body(deps: list[dict], digest: str) -> dict:
    """The Diagnostics page's callback request for a dataset, as the browser posts it."""
    from dashboard.callback_request import callback_body

    values = {"dataset.data": {"hash": digest, "overrides": {}}, "diag-page-init.data": 0}
    return callback_body(deps, "diag-acf-slot.children", values, "dataset.data")


if __name__ == "__main__":
    main()

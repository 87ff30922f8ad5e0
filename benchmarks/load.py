"""Load and fault benchmark of the shared server: ``forecast serve`` + PostgreSQL + job workers.

Set-up (all on this machine, loopback only): a throwaway PostgreSQL cluster (Debian's package,
``tests/pgcluster.py``), ``forecast serve --workers 2`` (gunicorn) with a users file of N users,
and 2 ``forecast worker`` processes, sharing the store and one ``FORECAST_HOME``.

Each of N simulated users (threads; each its own HTTP session with Basic sign-in, keeping its
connection alive as a browser does, or a new connection per request with
``--new-connections``), after a random start delay of up to ``--ramp`` seconds:

1. **upload** — ``POST /upload`` of its own CSV (the airline data, scaled per user: distinct
   files);
2. **diagnostics** — the Diagnostics page's callback on it (every figure and table);
3. **submit** — ``POST /api/v1/jobs`` (snaive + naive, horizon 12, holdout 12: cheap models);
4. **status** — ``GET /api/v1/jobs/ID`` every second (as the Jobs page refreshes) until the job
   is done or failed;
5. **download** — ``GET /api/v1/jobs/ID/forecasts.csv`` (checked: 24 rows).

A request that fails on the network (connection reset by a killed process) or with a 5xx is
retried by the client, up to 3 times, 0.5 s apart; latency counts from the first try to the
answer. An **error** is a request that still fails, or answers wrong content.

Phases: **steady** (as above), then **faults**: the same with a fresh database, where as soon as a
job is running, one web process and the job worker running that job are killed with SIGKILL;
gunicorn starts a new web process by itself, and the job worker is restarted 1 s later (its
start-up recovery re-queues the job of the dead one).

Jobs are counted from the store: **submitted** (201 answers), **done**, **lost** (submitted but
not done at the end), **run twice** (a job started again without an interruption in between, or
finished twice), **re-run after kill** (interrupted with its worker and run again: expected for
the killed worker's job). Goals: 0 lost, 0 run twice, 0 errors, p95 of diagnostics < 3 s.

Usage::

    nice -n 10 .venv/bin/python benchmarks/load.py [--users 20] [--web 2] [--workers 2]
        [--phases steady,faults] [--timeout 300] [--seed 0]

(the server is started and driven with the tests' helpers, through :mod:`harness`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import requests
from harness import pgcluster, serving

create_database, running_cluster = pgcluster.create_database, pgcluster.running_cluster
Client, running_serve, start_worker = serving.Client, serving.running_serve, serving.start_worker

ROOT = Path(__file__).resolve().parents[1]

KINDS = ("upload", "diagnostics", "submit", "status", "download")
HORIZON = 12


class Recorder:
    """Latencies (s), errors and retries per request kind, thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.retried: dict[str, int] = defaultdict(int)
        self.count: dict[str, int] = defaultdict(int)

    def call(self, kind: str, fn, check) -> requests.Response | None:
        """Run ``fn()`` (a request) with up to 3 retries on network errors and 5xx."""
        start = time.perf_counter()
        with self.lock:
            self.count[kind] += 1
        problem = ""
        for attempt in range(4):
            if attempt:
                with self.lock:
                    self.retried[kind] += 1
                time.sleep(0.5)
            try:
                response = fn()
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}"
                continue
            if response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            elapsed = time.perf_counter() - start
            wrong = check(response)
            with self.lock:
                self.times[kind].append(elapsed)
                if wrong:
                    self.errors[kind].append(wrong)
            return None if wrong else response
        with self.lock:
            self.errors[kind].append(problem)
        return None


def _quantile_ms(times: list[float], q: float) -> int | None:
    """The ``q`` quantile of sorted ``times`` (s), in whole milliseconds (nearest rank)."""
    if not times:
        return None
    return round(1000 * times[min(len(times) - 1, int(q * len(times)))])


def user_csv(data: pd.DataFrame, k: int) -> bytes:
    """The airline data scaled by 1 + k/100: one distinct file per user."""
    frame = data.copy()
    frame[frame.columns[1]] = (frame[frame.columns[1]] * (1 + k / 100)).round(3)
    return frame.to_csv(index=False).encode()


def one_user(
    url: str,
    k: int,
    raw: bytes,
    rec: Recorder,
    delay: float,
    deadline: float,
    keep_alive: bool = True,
):
    """The scenario of one simulated user; returns its job id (or None)."""
    time.sleep(delay)
    me = Client(url, f"user{k:02d}", f"password-{k}", keep_alive=keep_alive)

    def status_is(code: int):
        return lambda r: None if r.status_code == code else f"HTTP {r.status_code}: {r.text[:80]}"

    up = rec.call("upload", lambda: me.upload(raw, f"user{k:02d}.csv"), status_is(200))
    if up is None:
        return None
    digest = up.json()["hash"]
    rec.call(
        "diagnostics",
        lambda: me.diagnostics(digest),
        lambda r: None if r.status_code == 200 and "Ljung" in r.text else f"HTTP {r.status_code}",
    )
    body = {"dataset": digest, "horizon": HORIZON, "holdout": 12, "models": "snaive,naive"}
    sub = rec.call("submit", lambda: me.post("/api/v1/jobs", json=body), status_is(201))
    if sub is None:
        return None
    job_id = sub.json()["id"]
    while time.monotonic() < deadline:
        got = rec.call("status", lambda: me.get(f"/api/v1/jobs/{job_id}"), status_is(200))
        if got is not None and got.json()["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(1.0)
    rec.call(
        "download",
        lambda: me.get(f"/api/v1/jobs/{job_id}/forecasts.csv"),
        lambda r: (
            None
            if r.status_code == 200 and len(r.text.strip().splitlines()) == 2 * HORIZON + 1
            else f"HTTP {r.status_code}"
        ),
    )
    return job_id


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process, its waited-for children and its live descendants."""
    import psutil

    try:
        proc = psutil.Process(pid)
        t = proc.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):
                c = child.cpu_times()
                total += c.user + c.system
    except psutil.NoSuchProcess:
        return 0.0
    return total


def web_processes(server) -> list[int]:
    import psutil

    return sorted(
        p.pid for p in psutil.Process(server.pid).children() if p.status() != psutil.STATUS_ZOMBIE
    )


def killer(store, server, workers: list, home: Path, db: str, log: list[str], stop) -> None:
    """As soon as a job runs: SIGKILL one web process and that job's worker; restart the worker."""
    while not stop.is_set():
        running = [j for j in store.running_jobs() if j.worker]
        if running:
            break
        time.sleep(0.05)
    else:
        return
    job = running[0]
    pid = int(job.worker.rsplit(":", 1)[1])
    web = web_processes(server)[0]
    os.kill(web, signal.SIGKILL)
    victim = next(w for w in workers if w.pid == pid)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    log.append(f"killed web process {web} and job worker {pid} (running job {job.id})")
    time.sleep(1.0)
    workers.append(start_worker(home, db))
    log.append("job worker restarted")


def count_jobs(store) -> dict[str, int]:
    """Jobs done, lost, run twice and re-run after a kill, from the store's events."""
    done = lost = twice = rerun = 0
    for job in store.list_jobs(limit=100_000):
        messages = [e["message"] for e in store.events(job.id)]
        starts = sum(m.startswith("running on ") for m in messages)
        interrupts = sum(m.startswith("interrupted") for m in messages)
        finished = sum(m == "done" for m in messages)
        done += job.status == "done"
        lost += job.status != "done"
        twice += starts - interrupts > 1 or finished > 1
        rerun += interrupts > 0 and job.status == "done"
    return {"done": done, "lost": lost, "run twice": twice, "re-run after kill": rerun}


def run_phase(name: str, cluster: str, args, data: pd.DataFrame) -> tuple[dict, list[str]]:
    from dashboard import auth
    from forecast.jobs import JobStore

    home = Path(tempfile.mkdtemp(prefix=f"forecast-load-{name}-"))
    users = home / "users"
    for k in range(args.users):
        auth.add_user(users, f"user{k:02d}", f"password-{k}")
    db = create_database(cluster, f"load_{name}")
    store = JobStore(db)
    notes: list[str] = []
    workers = [start_worker(home, db) for _ in range(args.workers)]
    rec = Recorder()
    rng = random.Random(args.seed)
    raws = [user_csv(data, k) for k in range(args.users)]
    started = time.perf_counter()
    try:
        with running_serve(home, "--workers", str(args.web), "--users", str(users), "--db", db) as (
            url,
            server,
        ):
            stop = threading.Event()
            chaos = None
            if name == "faults":
                chaos = threading.Thread(
                    target=killer, args=(store, server, workers, home, db, notes, stop)
                )
                chaos.start()
            deadline = time.monotonic() + args.timeout
            with ThreadPoolExecutor(args.users) as pool:
                futures = [
                    pool.submit(
                        one_user,
                        url,
                        k,
                        raws[k],
                        rec,
                        rng.uniform(0, args.ramp),
                        deadline,
                        not args.new_connections,
                    )
                    for k in range(args.users)
                ]
                ids = [f.result() for f in futures]
            stop.set()
            if chaos is not None:
                chaos.join()
            cpu_web = tree_cpu(server.pid)
            cpu_jobs = sum(tree_cpu(w.pid) for w in workers if w.poll() is None)
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(20)
            except Exception:
                w.kill()
    wall = time.perf_counter() - started
    load = os.getloadavg()[0]
    jobs = {"submitted": sum(i is not None for i in ids), **count_jobs(store)}
    for job in store.list_jobs(limit=100_000):
        if job.status != "done":
            events = "; ".join(e["message"] for e in store.events(job.id)[-4:])
            notes.append(f"{name}: job {job.id} ended {job.status}: {events}")
    store.close()
    shutil.rmtree(home, ignore_errors=True)
    rows = []
    for kind in KINDS:
        times = sorted(rec.times[kind])
        rows.append(
            {
                "phase": name,
                "request": kind,
                "requests": rec.count[kind],
                "errors": len(rec.errors[kind]),
                "retried": rec.retried[kind],
                "p50 ms": _quantile_ms(times, 0.50),
                "p95 ms": _quantile_ms(times, 0.95),
            }
        )
    notes += [
        f"{name}: {wall:.0f} s wall; CPU used by the web processes {cpu_web:.0f} s, by the live "
        f"job workers {cpu_jobs:.0f} s; machine load average (1 min) at the end {load:.1f} "
        f"on {os.cpu_count()} CPUs"
    ] + [f"{name} error ({k}): {e}" for k in KINDS for e in rec.errors[k][:3]]
    return {"rows": rows, "jobs": jobs}, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated users (1-50)")
    parser.add_argument("--web", type=int, default=2, help="web processes")
    parser.add_argument("--workers", type=int, default=2, help="job workers")
    parser.add_argument("--phases", default="steady,faults")
    parser.add_argument("--ramp", type=float, default=5.0, help="users start within this (s)")
    parser.add_argument("--timeout", type=float, default=300.0, help="phase time limit (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--new-connections",
        action="store_true",
        help="a new connection per request (default: keep-alive, as a browser)",
    )
    args = parser.parse_args()
    if not 1 <= args.users <= 50:
        parser.error("--users must be between 1 and 50")
    data = pd.read_csv(ROOT / "data" / "air_passengers.csv")
    results, notes = {}, [f"load average (1 min) at the start: {os.getloadavg()[0]:.1f}"]
    with running_cluster() as cluster:
        for name in args.phases.split(","):
            results[name], more = run_phase(name, cluster, args, data)
            notes += more
    print(
        f"\nforecast serve --workers {args.web}, PostgreSQL, {args.workers} job workers, "
        f"{args.users} users, {os.cpu_count()} CPUs\n"
    )
    table = pd.DataFrame([row for r in results.values() for row in r["rows"]])
    print(table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False))
    jobs = pd.DataFrame([{"phase": name, **r["jobs"]} for name, r in results.items()])
    print()
    print(jobs.to_markdown(index=False) if _has_tabulate() else jobs.to_string(index=False))
    print()
    for note in notes:
        print(f"- {note}")
    diag = [r for res in results.values() for r in res["rows"] if r["request"] == "diagnostics"]
    worst = max((r["p95 ms"] or 0) for r in diag)
    print(f"- worst diagnostics p95: {worst} ms (goal < 3000 ms)")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()

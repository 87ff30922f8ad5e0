"""Abuse benchmark of the team server: each attack of issue 23 against a live ``forecast serve``.

Loopback only, bounded in count and time. For each store (SQLite, then a throwaway PostgreSQL
cluster, ``tests/pgcluster.py``): ``forecast serve --workers 2`` with a users file (alice, bob,
admin root, and 12 users for the timing row), one ``forecast worker``, and a ``FORECAST_HOME``
seeded with 8 stale partial upload files (what SIGKILLed uploads leave). Then, on SQLite, the
same server without sign-in for the host check of an open install.

Every attack prints one row: what was sent, what came back, and **held** or **broken**. The
sign-in counters are cleared between rows (table ``sign_in_failures``), so each attack starts
from a clean slate. Rows:

- brute force: 200 wrong passwords for alice at 20 per second (a new connection each, so both
  web processes get them), then the right one: refused (429) until the back-off passes, then
  200; how many attempts reached Argon2 (answered 401) in the 10 s;
- enumeration: median answer time of a wrong password for 12 known names against 12 unknown
  names, interleaved (held: within 20 %);
- revocation: alice's password changed and bob removed with the CLI while both sign in on both
  web processes: time until every web process refuses (held: < 2 s, no 200 after the change);
- formulas: a CSV whose headers are ``=HYPERLINK(…)``, ``@SUM(1+1)``, ``+cmd|' /C calc'!A0``
  run as a job; every cell of the API downloads, the dashboard downloads and the job's CSV
  files on disk checked (held: no cell a spreadsheet would run);
- DNS rebinding: ``Host: rebind.attacker.example:PORT`` on a read and on a cancel with the
  matching ``Origin`` (held: 400, job untouched); ``Origin: null`` / ``file://`` posts (403);
  frame headers;
- bounded work: a 20,000-column file (held: answered < 5 s with the column message), a
  1,000,000-column file, 200 MB bodies to the upload, the API and a Dash callback (held: 413
  before 5 MB is sent), JSON nested 100,000 deep and malformed Dash bodies (400), job specs
  with horizon 1e9, epochs 1e9, hidden_size 100,000 (400);
- files: random bytes uploaded (400, no dataset), ``curl --data-binary`` with a form content
  type (201), the stale partial files gone at start, ``FORECAST_HOME`` 0700 and its files 0600.

Usage::

    nice -n 10 .venv/bin/python benchmarks/abuse.py [--stores sqlite,postgres] [--quick]

(the server is driven with the tests' helpers, through :mod:`harness`; the attacks are
``abuse_attacks.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from abuse_attacks import (
    PASSWORDS,
    ROWS,
    TIMING_USERS,
    bad_json,
    big_bodies,
    big_file,
    brute_force,
    enumeration,
    files,
    formulas,
    origins_and_frames,
    rebinding,
    revocation,
    row,
    spec_bounds,
    wide_files,
)
from harness import serving

running_serve, start_worker = serving.running_serve, serving.start_worker


# ------------------------------------------------------------------ driver
def make_users(path: Path) -> None:
    from dashboard import auth

    for name, password in PASSWORDS.items():
        auth.add_user(path, name, password, admin=name == "root")
    for name in TIMING_USERS:
        auth.add_user(path, name, f"{name}-pw")


def seed_partial_files(home: Path) -> None:
    folder = home / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    folder.chmod(0o700)
    old = time.time() - 3600
    for k in range(8):
        path = folder / f".{k:064x}.{k:032x}.tmp"
        path.write_bytes(os.urandom(64 * 1024))
        path.chmod(0o600)
        os.utime(path, (old, old))


def attack(store: str, db: str, work: Path, quick: bool) -> None:
    home = work / "home"
    data = home / "data"  # created by the server (its mode is checked)
    seed_partial_files(data)
    users = work / "users"
    make_users(users)
    print(f"\n{store}: forecast serve --workers 2 --db {db.split('@')[-1]}", flush=True)
    with running_serve(
        home,
        "--workers",
        "2",
        "--db",
        db,
        "--users",
        str(users),
        env={"FORECAST_HOME": str(data)},
    ) as (url, proc):
        worker = start_worker(data, db)
        try:
            if not quick:
                brute_force(url, db, store)
            enumeration(url, db, store)
            revocation(url, db, store, users, data)
            job_id = formulas(url, db, store, data)
            rebinding(url, store, job_id, ("alice", PASSWORDS["alice"]))
            origins_and_frames(url, store)
            wide_files(url, store)
            big_bodies(url, store)
            bad_json(url, store)
            spec_bounds(url, store)
            files(url, store, data)
            if store == "sqlite" and not quick:
                big_file(url, store, proc.pid)
        except Exception:
            print((home / "serve.log").read_text()[-6000:], file=sys.stderr)
            raise
        finally:
            worker.terminate()
            worker.wait(20)
    PASSWORDS["alice"] = "alice-pw-1"


def open_server(work: Path) -> None:
    home = work / "open-home"
    data = home / "data"
    print("\nsqlite, no sign-in: forecast serve --workers 2", flush=True)
    with running_serve(home, "--workers", "2", env={"FORECAST_HOME": str(data)}) as (url, _):
        rebinding(url, "sqlite", None, None)
        mode = oct(data.stat().st_mode & 0o777)
        row("sqlite", "FORECAST_HOME created by serve", f"mode {mode}", mode == "0o700")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="skip the 25 s brute-force row")
    args = parser.parse_args()
    print(f"abuse benchmark; load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="forecast-abuse-") as tmp:
        work = Path(tmp)
        for store in args.stores.split(","):
            if store == "sqlite":
                attack(
                    store, f"sqlite:///{work / 'sqlite' / 'jobs.db'}", work / "sqlite", args.quick
                )
                open_server(work / "open")
            elif store == "postgres":
                from harness import pgcluster

                create_database, running_cluster = (
                    pgcluster.create_database,
                    pgcluster.running_cluster,
                )

                with running_cluster() as cluster:
                    attack(store, create_database(cluster), work / "postgres", args.quick)
    held = sum(r[3] for r in ROWS)
    print("\n| store | attack | result | verdict |\n|---|---|---|---|")
    for store, name, figure, ok in ROWS:
        print(f"| {store} | {name} | {figure.replace('|', '/')} | {'held' if ok else 'BROKEN'} |")
    print(
        f"\n{held}/{len(ROWS)} held in {time.monotonic() - started:.0f} s; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    sys.exit(0 if held == len(ROWS) else 1)


if __name__ == "__main__":
    main()

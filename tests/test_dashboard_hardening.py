"""The team server under abuse: sign-in throttling and revocation, host and origin checks,
bounded bodies, refused files, job-spec bounds, and nothing left behind.

Real app (Flask test client), real job store on both backends, real users file with Argon2.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

from dashboard import auth, guards, passwords
from dashboard.app import create_app
from dashboard.callback_request import callback_body
from dashboard.upload import FILENAME_HEADER
from forecast.jobs import JobStore
from forecast.jobs.throttle import USER_POLICY, BackOff, SignInThrottle

PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "root": "root-pw"}


@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "users"
    for name, password in PASSWORDS.items():
        auth.add_user(path, name, password, admin=name == "root")
    return path


@pytest.fixture
def client(users_file, monkeypatch, store_url):
    monkeypatch.setenv("FORECAST_USERS_FILE", str(users_file))
    monkeypatch.delenv("FORECAST_ALLOWED_HOSTS", raising=False)
    return create_app(store_url).server.test_client()


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def creds(name: str) -> dict[str, str]:
    return basic(name, PASSWORDS[name])


def air(data_dir) -> bytes:
    return (data_dir / "air_passengers.csv").read_bytes()


# ------------------------------------------------------------------ throttling
def test_back_off_lets_at_most_five_attempts_a_minute_through(store_url):
    """200 wrong passwords at 20 a second: 3 at once, then one after 15 s, 30 s, 60 s ..."""
    throttle = SignInThrottle(JobStore(store_url))
    keys = throttle.keys("alice", None)
    admitted = []
    for k in range(200):
        now = 1_000_000.0 + k / 20
        if throttle.admit(keys, now=now) == 0:
            admitted.append(now)
    assert len(admitted) == 3  # 10 s of attempts: the three free ones only
    later = [1_000_000.0 + t for t in (15.1, 45.2, 105.3)]
    for now in later:
        assert throttle.wait(keys, now=now - 0.2) > 0  # still blocked just before
        assert throttle.admit(keys, now=now) == 0
    admitted += later
    for start in admitted:
        assert sum(start <= t < start + 60 for t in admitted) <= 5
    assert throttle.admit(keys, now=later[-1] + 1) == pytest.approx(119, abs=1)  # 120 s block
    throttle.succeeded(keys)
    assert throttle.wait(keys, now=later[-1] + 1) == 0  # a right password clears the name
    assert USER_POLICY.block(2) == 0 and USER_POLICY.block(3) == 15 and USER_POLICY.block(40) == 900


def test_counters_are_forgotten_and_addresses_have_their_own_allowance(store_url):
    store = JobStore(store_url)
    throttle = SignInThrottle(store, address=BackOff(free=5))
    t0 = 2_000_000.0

    def wrong(name: str, address: str, now: float) -> float:
        keys = throttle.keys(name, address)
        wait = throttle.admit(keys, now=now)
        if wait == 0:
            throttle.failed(keys, now=now)
        return wait

    # many users of one address signing in at once (admitted, then right) never block it
    for k in range(40):
        keys = throttle.keys(f"user{k}", "10.0.0.1")
        assert throttle.admit(keys, now=t0) == 0
    for k in range(40):
        throttle.succeeded(throttle.keys(f"user{k}", "10.0.0.1"))
    assert throttle.wait(throttle.keys("zed", "10.0.0.1"), now=t0) == 0
    for k in range(3):
        assert wrong("ann", "10.0.0.1", t0 + k) == 0
    assert wrong("ann", "10.0.0.1", t0 + 3) > 0
    # other names from the same address still pass, until the address's own allowance is spent
    assert wrong("ben", "10.0.0.1", t0 + 4) == 0
    assert wrong("cal", "10.0.0.1", t0 + 5) == 0
    assert wrong("dan", "10.0.0.1", t0 + 6) > 0  # 5 failures from the address: blocked
    assert wrong("dan", "10.0.0.2", t0 + 7) == 0
    # an hour after the last attempt the counts start again
    assert wrong("ann", "10.0.0.9", t0 + 3 + 3700) == 0
    # the counters are shared by every process: a second store on the same database sees them
    other = SignInThrottle(JobStore(store_url))
    assert other.wait(other.keys("dan", "10.0.0.1"), now=t0 + 8) > 0


def test_wrong_passwords_then_429_even_for_the_right_one_and_unknown_names_alike(client):
    for name in ("alice", "nobody"):  # a real user and an unknown name behave the same
        for _ in range(3):
            wrong = client.get("/api/v1/me", headers=basic(name, "guess"))
            assert wrong.status_code == 401
        blocked = client.get("/api/v1/me", headers=basic(name, PASSWORDS.get(name, "x")))
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["Retry-After"]) <= 15
        assert "Too many failed sign-ins" in blocked.get_json()["error"]
        page = client.get("/", headers=basic(name, "guess"))
        assert page.status_code == 429 and page.mimetype == "text/plain"
    assert client.get("/api/v1/me", headers=creds("bob")).get_json()["user"] == "bob"


def test_a_page_loads_parallel_requests_sign_in_once(client):
    """A browser's first page load sends several requests at once with the same credentials:
    they are checked once per process, not counted as several attempts (no 429)."""
    from concurrent.futures import ThreadPoolExecutor

    app = client.application

    def me(_k):
        return app.test_client().get("/api/v1/me", headers=creds("alice")).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(me, range(16))) == [200] * 16


def test_unknown_names_are_checked_against_a_hash_of_the_same_cost():
    dummy, real = passwords.dummy_hash(), auth.hash_password("pw")
    assert dummy.startswith("$argon2id$")
    assert dummy.split("$")[3] == real.split("$")[3]  # same memory, passes and lanes
    assert not passwords.verify_password(dummy, "pw")  # a random password: nothing matches it
    assert passwords.verify_password(real, "pw")


def test_a_changed_or_removed_user_applies_to_the_next_request(client, users_file):
    assert client.get("/api/v1/me", headers=creds("alice")).status_code == 200
    auth.add_user(users_file, "alice", "new-pw")
    assert client.get("/api/v1/me", headers=creds("alice")).status_code == 401
    assert client.get("/api/v1/me", headers=basic("alice", "new-pw")).status_code == 200
    auth.remove_user(users_file, "alice")
    assert client.get("/api/v1/me", headers=basic("alice", "new-pw")).status_code == 401
    assert client.get("/api/v1/me", headers=creds("bob")).status_code == 200
    users_file.write_text("broken line\n")  # a slip while editing keeps the last good users
    assert client.get("/api/v1/me", headers=creds("bob")).status_code == 200
    users_file.write_text("")  # every user removed: nobody signs in, the server stays closed
    assert client.get("/api/v1/me", headers=creds("bob")).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_sign_out_answers_a_challenge_and_the_navbar_offers_it(client):
    out = client.get(auth.SIGN_OUT_PATH, headers=creds("alice"))
    assert out.status_code == 401 and out.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "signed out" in out.get_data(as_text=True)
    layout = client.get("/_dash-layout", headers=creds("alice")).get_data(as_text=True)
    assert "\\u002fsign-out" in layout and "Sign out" in layout  # JSON escapes the slash


def test_users_remove_from_the_command_line(users_file):
    from typer.testing import CliRunner

    from forecast.cli import app

    res = CliRunner().invoke(app, ["users", "remove", "bob", "--file", str(users_file)])
    assert res.exit_code == 0 and "bob removed" in res.output
    assert "bob" not in auth.read_users(users_file)
    again = CliRunner().invoke(app, ["users", "remove", "bob", "--file", str(users_file)])
    assert again.exit_code == 2 and "error: No user 'bob'" in again.output


# ------------------------------------------------------------------ hosts, origins, frames
def test_other_host_names_are_refused_in_both_modes(monkeypatch, store_url, users_file):
    for signed_in in (False, True):
        monkeypatch.delenv("FORECAST_ALLOWED_HOSTS", raising=False)
        if signed_in:
            monkeypatch.setenv("FORECAST_USERS_FILE", str(users_file))
        else:
            monkeypatch.delenv("FORECAST_USERS_FILE", raising=False)
        client = create_app(store_url).server.test_client()
        who = creds("alice") if signed_in else {}
        evil = {"Host": "rebind.attacker.example:8050", **who}
        listed = client.get("/api/v1/datasets", headers=evil)
        assert listed.status_code == 400 and "rebind.attacker.example" in listed.get_json()["error"]
        cancel = client.post(
            "/api/v1/jobs/abc/cancel",
            headers={**evil, "Origin": "http://rebind.attacker.example:8050"},
        )
        assert cancel.status_code == 400
        for host in ("localhost:8050", "127.0.0.1:8050", "[::1]:8050"):
            assert client.get("/api/v1/datasets", headers={"Host": host, **who}).status_code == 200
        assert client.get("/healthz", headers={"Host": "10.1.2.3:8050"}).status_code == 200
    monkeypatch.setenv("FORECAST_ALLOWED_HOSTS", "forecast.example.org,.corp.example")
    client = create_app(store_url).server.test_client()
    for host, status in [
        ("forecast.example.org", 200),
        ("a.corp.example:443", 200),
        ("localhost", 400),
        ("evil.example.org", 400),
    ]:
        answer = client.get("/api/v1/me", headers={"Host": host, **creds("alice")})
        assert answer.status_code == status, host


def test_default_allowed_hosts():
    assert guards.default_allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "::1"]
    assert set(guards.default_allowed_hosts("::1")) == {"::1", "localhost", "127.0.0.1"}
    assert guards.default_allowed_hosts("192.168.1.10") == ["192.168.1.10"]
    wild = guards.default_allowed_hosts("0.0.0.0")
    assert {"localhost", "127.0.0.1"} <= set(wild) and "0.0.0.0" not in wild
    assert guards.host_allowed("x.y:1", ["*"]) and not guards.host_allowed("", ["*"])


def test_null_and_file_origins_are_refused_and_every_answer_forbids_frames(client, data_dir):
    raw = air(data_dir)
    for origin in ("null", "file://", "file:///home/me/page.html", "chrome-extension://abc"):
        headers = {FILENAME_HEADER: "a.csv", "Origin": origin, **creds("alice")}
        refused = client.post("/upload", data=raw, headers=headers)
        assert refused.status_code == 403, origin
    ok = client.post(
        "/upload",
        data=raw,
        headers={FILENAME_HEADER: "a.csv", "Origin": "http://localhost", **creds("alice")},
    )
    assert ok.status_code == 200
    for path in ("/", "/api/v1/me", "/healthz", "/_dash-layout"):
        answer = client.get(path, headers=creds("alice"))
        assert answer.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------ bounded bodies
def test_deep_big_and_malformed_bodies_get_4xx_not_500(client):
    deps = client.get("/_dash-dependencies", headers=creds("alice")).get_json()
    good = callback_body(deps, "jobs-table.children", {"jobs-tick.n_intervals": 0})
    deep = "[" * 100_000 + "]" * 100_000
    cases = [
        ("/_dash-update-component", deep, 400, "nests deeper than 64"),
        ("/api/v1/jobs", deep, 400, "nests deeper than 64"),
        ("/_dash-update-component", "{not json", 400, "not valid JSON"),
        ("/_dash-update-component", "[]", 400, "JSON object"),
        ("/_dash-update-component", '{"output": "nope.children"}', 400, "names no callback"),
        (
            "/_dash-update-component",
            json.dumps({**good, "inputs": "x"}),
            400,
            "`inputs` do not match",
        ),
        (
            "/_dash-update-component",
            json.dumps({**good, "inputs": [1]}),
            400,
            "`inputs` do not match",
        ),
        (
            "/_dash-update-component",
            json.dumps({**good, "state": [{"id": "a"}] * 9}),
            400,
            "`state` does not match",
        ),
        (
            "/_dash-update-component",
            json.dumps({**good, "changedPropIds": [{}]}),
            400,
            "changedPropIds",
        ),
        ("/_dash-update-component", "[" * 3 * 2**20, 413, "over the 2 MB limit"),
        ("/api/v1/jobs", '{"a": "' + "x" * 2**21 + '"}', 413, "over the 1 MB limit"),
    ]
    for path, body, status, words in cases:
        answer = client.post(
            path, data=body, headers={"Content-Type": "application/json", **creds("alice")}
        )
        assert answer.status_code == status, (words, answer.status_code, answer.data[:200])
        assert words in answer.get_json()["error"], answer.get_json()
    sneaky = {FILENAME_HEADER: "x.csv", "Content-Type": "text/csv", **creds("alice")}
    assert client.post("/_dash-update-component", data=deep, headers=sneaky).status_code == 400
    fine = client.post("/_dash-update-component", json=good, headers=creds("alice"))
    assert fine.status_code == 200
    # nobody signed in: 401 before the body is even parsed
    assert client.post("/_dash-update-component", data=deep).status_code == 401


def test_job_spec_sizes_are_bounded(client, data_dir):
    digest = client.post(
        "/upload", data=air(data_dir), headers={FILENAME_HEADER: "a.csv", **creds("alice")}
    ).get_json()["hash"]
    for options, words in [
        ({"horizon": 10**9}, "horizon: must be from 1 to 10,000, got 1,000,000,000"),
        ({"models": "gru", "epochs": 10**9}, "epochs: must be from 1 to 1,000"),
        (
            {"models": "gru", "model_params": {"gru": {"hidden_size": 100_000}}},
            "gru.hidden_size must be from 1 to 1,024, got 100,000",
        ),
        ({"backtest_windows": 500}, "backtest_windows: must be from 0 to 50"),
        (
            {"models": "hybrid", "model_params": {"hybrid": {"nn_params": {"num_layers": 99}}}},
            "hybrid.nn_params.num_layers must be from 1 to 8",
        ),
    ]:
        answer = client.post(
            "/api/v1/jobs", json={"dataset": digest, **options}, headers=creds("alice")
        )
        assert answer.status_code == 400, options
        assert words in answer.get_json()["error"], answer.get_json()


# ------------------------------------------------------------------ refused files
def _wide(columns: int, rows: int = 24) -> bytes:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.normal(size=(rows, columns)), columns=[f"s{k}" for k in range(columns)]
    )
    frame.insert(0, "month", pd.date_range("2000-01-01", periods=rows, freq="MS"))
    return frame.to_csv(index=False).encode()


def test_files_are_refused_at_upload_with_their_reason(client):
    wide = _wide(20_000)
    headers = {FILENAME_HEADER: "wide.csv", **creds("alice")}
    answer = client.post("/upload", data=wide, headers=headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == (
        "wide.csv has 20,001 columns: at most 1,999 value columns; use a long file (one row "
        "per time and series: time, id, value columns)."
    )
    million = "month," + ",".join(f"c{k}" for k in range(1_000_000))
    million += "\n2020-01," + ",".join(["1"] * 1_000_000) + "\n"
    answer = client.post("/upload", data=million.encode(), headers=headers)
    assert answer.status_code == 400 and "1,000,001 columns" in answer.get_json()["error"]
    noise = np.random.default_rng(1).bytes(200_000)
    for path in ("/upload", "/api/v1/datasets"):
        refused = client.post(path, data=noise, headers={FILENAME_HEADER: "r.csv", **creds("bob")})
        assert refused.status_code == 400
        assert refused.get_json()["error"].startswith("r.csv: The file is not text")
    assert client.get("/api/v1/datasets", headers=creds("bob")).get_json() == {"datasets": []}
    api = client.post(
        "/api/v1/jobs",
        data={"file": (io.BytesIO(wide), "wide.csv"), "horizon": "3"},
        headers=creds("alice"),
        content_type="multipart/form-data",
    )
    assert api.status_code == 400 and "20,001 columns" in api.get_json()["error"]


def test_an_upload_with_any_content_type_is_the_file(client, data_dir):
    raw = air(data_dir)
    for content_type in (
        "application/x-www-form-urlencoded",  # curl --data-binary's default
        "application/octet-stream",
        "text/csv",
        "application/json",
        None,
    ):
        headers = {FILENAME_HEADER: quote("air passengers.csv"), **creds("alice")}
        if content_type:
            headers["Content-Type"] = content_type
        answer = client.post("/api/v1/datasets", data=raw, headers=headers)
        assert answer.status_code == 201, (content_type, answer.get_json())
        assert answer.get_json()["filename"] == "air passengers.csv"
        page = client.post("/upload", data=raw, headers=headers)
        assert page.status_code == 200, (content_type, page.get_json())


def test_read_csv_refuses_too_many_columns_and_series():
    from forecast.errors import DataError
    from forecast.ingest.reader import read_csv

    with pytest.raises(DataError, match="2,501 columns: at most 1,999 value columns"):
        read_csv(_wide(2_500, rows=4))
    ids = np.repeat([f"s{k}" for k in range(10_001)], 3)
    long = pd.DataFrame(
        {
            "month": np.tile(pd.date_range("2000-01-01", periods=3, freq="MS"), 10_001),
            "id": ids,
            "y": 1.0,
        }
    )
    with pytest.raises(DataError, match="10,001 series: at most 10,000 in one file"):
        read_csv(long.to_csv(index=False).encode(), id_col="id")


# ------------------------------------------------------------------ nothing left behind
def test_stale_partial_files_are_swept_at_start(store_url, tmp_path, monkeypatch):
    store = JobStore(store_url)
    folder = store.home / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ".abc.1.tmp", folder / ".abc.2.tmp"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    keep = folder / f"{'0' * 64}.csv"
    keep.write_bytes(b"a,b\n")
    os.utime(keep, (old, old))
    monkeypatch.delenv("FORECAST_USERS_FILE", raising=False)
    create_app(store_url)
    assert not stale.exists() and fresh.exists() and keep.exists()


def test_the_server_keeps_its_home_to_itself(tmp_path):
    home = tmp_path / "private-home"
    code = (
        "from forecast.jobs.home import make_private\nfrom forecast.jobs.store import JobStore\n"
        "home = make_private()\n"
        "JobStore().save_dataset(b'month,y\\n2020-01,1\\n', 'y.csv')\n"
    )
    env = {**os.environ, "FORECAST_HOME": str(home), "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in files)
    assert all(oct(p.stat().st_mode & 0o777) == "0o700" for p in home.rglob("*") if p.is_dir())

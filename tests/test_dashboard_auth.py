"""Sign-in and ownership on the dashboard's server: pages (Dash callbacks), upload, downloads, API.

Three users (alice, bob, and admin root) and a real job store and runner; every route is tried by
the owner, by another user and with no credentials.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from urllib.parse import quote

import pandas as pd
import pytest

from dashboard import auth
from dashboard.app import create_app
from dashboard.callback_request import callback_body
from dashboard.upload import FILENAME_HEADER
from forecast.errors import SpecError
from forecast.jobs import JobStore, LocalRunner

PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw", "root": "root-pw"}


@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    for name, password in PASSWORDS.items():
        auth.add_user(path, name, password, admin=name == "root")
    return path


@pytest.fixture
def client(users_file, monkeypatch, store_url):
    monkeypatch.setenv("FORECAST_USERS_FILE", str(users_file))
    monkeypatch.setenv("FORECAST_DB", store_url)
    app = create_app(store_url)
    return app.server.test_client()


def creds(name: str | None) -> dict[str, str]:
    if name is None:
        return {}
    token = base64.b64encode(f"{name}:{PASSWORDS[name]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def upload(client, user, raw: bytes, name: str = "mine.csv"):
    headers = {FILENAME_HEADER: quote(name), **creds(user)}
    return client.post("/upload", data=raw, headers=headers)


def dash_call(client, user, output: str, values: dict, changed: str | None = None):
    """POST the Dash callback whose outputs include ``output``, with ``values`` by ``id.prop``."""
    deps = client.get("/_dash-dependencies", headers=creds(user)).get_json()
    body = callback_body(deps, output, values, changed)
    return client.post("/_dash-update-component", json=body, headers=creds(user))


def air(data_dir, scale: float = 1.0) -> bytes:
    frame = pd.read_csv(data_dir / "air_passengers.csv")
    frame[frame.columns[1]] = frame[frame.columns[1]] * scale
    return frame.to_csv(index=False).encode()


def run_jobs(store_url: str) -> None:
    ran = LocalRunner(JobStore(store_url), concurrency=1).run_until_idle(timeout=120)
    assert ran


def test_no_credentials_get_401_everywhere_but_health(client):
    for method, path in [
        ("get", "/"),
        ("get", "/jobs"),
        ("get", "/_dash-layout"),
        ("post", "/_dash-update-component"),
        ("post", "/upload"),
        ("get", "/api/v1/jobs"),
        ("post", "/api/v1/jobs"),
        ("get", "/api/v1/jobs/abc/forecasts.csv"),
        ("get", "/assets/style.css"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert client.get("/api/v1/jobs").get_json()["error"].startswith("Sign in")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"alice:nope").decode()}
    assert client.get("/api/v1/jobs", headers=wrong).status_code == 401
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"
    assert client.get("/api/v1/me", headers=creds("bob")).get_json() == {
        "user": "bob",
        "admin": False,
    }


def test_datasets_are_their_uploaders_on_pages_upload_and_api(client, data_dir):
    mine = upload(client, "alice", air(data_dir, 2.0)).get_json()["hash"]
    # bob's pages get no dataset from alice's hash: the reference is dropped before the callback
    page = dash_call(client, "bob", "data-summary.children", {"dataset.data": {"hash": mine}})
    assert page.status_code == 200
    assert "mine.csv" not in page.text and "144" not in page.text
    diag = dash_call(
        client, "bob", "diag-acf-slot.children", {"dataset.data": {"hash": mine}}, "dataset.data"
    )
    assert "Upload a CSV or pick a sample" in diag.text
    own = dash_call(
        client, "alice", "diag-acf-slot.children", {"dataset.data": {"hash": mine}}, "dataset.data"
    )
    assert own.status_code == 200 and "Upload a CSV or pick a sample" not in own.text
    assert "Lag" in own.text or "lag" in own.text
    # bob cannot submit a job on it through the API either
    answer = client.post("/api/v1/jobs", json={"dataset": mine, "horizon": 6}, headers=creds("bob"))
    assert answer.status_code == 404
    assert "no longer on the server (or is not yours)" in answer.get_json()["error"]
    assert client.get("/api/v1/datasets", headers=creds("bob")).get_json() == {"datasets": []}
    listed = client.get("/api/v1/datasets", headers=creds("alice")).get_json()["datasets"]
    assert [(d["hash"], d["filename"]) for d in listed] == [(mine, "mine.csv")]
    # bob uploading the same bytes makes them his too (stored once)
    assert upload(client, "bob", air(data_dir, 2.0), "his.csv").get_json()["hash"] == mine
    again = dash_call(
        client, "bob", "diag-acf-slot.children", {"dataset.data": {"hash": mine}}, "dataset.data"
    )
    assert "Upload a CSV or pick a sample" not in again.text


def test_jobs_and_results_are_their_owners_on_pages_downloads_and_api(client, data_dir, store_url):
    raw = air(data_dir)
    submitted = client.post(
        "/api/v1/jobs",
        data={"file": (io.BytesIO(raw), "air.csv"), "horizon": "6", "models": "snaive,naive"},
        headers=creds("alice"),
        content_type="multipart/form-data",
    )
    assert submitted.status_code == 201, submitted.get_json()
    job_id = submitted.get_json()["id"]
    early = client.get(f"/api/v1/jobs/{job_id}/forecasts.csv", headers=creds("alice"))
    assert (
        early.status_code == 409 and "results appear when it is done" in early.get_json()["error"]
    )
    run_jobs(store_url)

    # API: alice sees, lists and downloads; bob gets 404 everywhere; root (admin) sees all
    shown = client.get(f"/api/v1/jobs/{job_id}", headers=creds("alice")).get_json()
    assert (shown["status"], shown["owner"], shown["horizon"]) == ("done", "alice", 6)
    assert {row["model"] for row in shown["leaderboard"]} == {"snaive", "naive"}
    csv = client.get(f"/api/v1/jobs/{job_id}/forecasts.csv", headers=creds("alice"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    forecasts = pd.read_csv(io.StringIO(csv.get_data(as_text=True)))
    assert len(forecasts) == 12 and set(forecasts["model"]) == {"snaive", "naive"}
    board = client.get(f"/api/v1/jobs/{job_id}/leaderboard.csv", headers=creds("alice"))
    assert board.status_code == 200 and "mae" in board.get_data(as_text=True)
    models = client.get(f"/api/v1/jobs/{job_id}/models.zip", headers=creds("alice"))
    assert models.status_code == 200 and models.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(models.data)) as archive:
        folders = {name.split("/")[0] for name in archive.namelist()}
    assert folders == {"snaive", "naive"}  # one folder of safetensors + JSON per model
    assert client.get("/api/v1/jobs", headers=creds("bob")).get_json() == {"jobs": []}
    for method, path in [
        ("get", f"/api/v1/jobs/{job_id}"),
        ("get", f"/api/v1/jobs/{job_id}/forecasts.csv"),
        ("get", f"/api/v1/jobs/{job_id}/leaderboard.csv"),
        ("get", f"/api/v1/jobs/{job_id}/models.zip"),
        ("post", f"/api/v1/jobs/{job_id}/cancel"),
        ("post", f"/api/v1/jobs/{job_id}/rerun"),
    ]:
        response = getattr(client, method)(path, headers=creds("bob"))
        assert response.status_code == 404, path
        assert response.get_json()["error"].startswith(f"No job with id '{job_id}'")
    assert [
        j["id"] for j in client.get("/api/v1/jobs", headers=creds("root")).get_json()["jobs"]
    ] == [job_id]
    rerun = client.post(f"/api/v1/jobs/{job_id}/rerun", headers=creds("alice"))
    assert rerun.status_code == 201
    new_id = rerun.get_json()["id"]
    cancel = client.post(f"/api/v1/jobs/{new_id}/cancel", headers=creds("alice"))
    assert cancel.get_json() == {"id": new_id, "status": "cancelled"}

    # Jobs page: alice's table lists her jobs, bob's does not; bob's cancel reads "no such job"
    table = dash_call(client, "alice", "jobs-table.children", {"jobs-tick.n_intervals": 0})
    assert job_id in table.text and new_id in table.text
    other = dash_call(client, "bob", "jobs-table.children", {"jobs-tick.n_intervals": 0})
    assert job_id not in other.text and "No jobs yet" in other.text
    button = {"index": job_id, "type": "job-rerun"}
    deps = client.get("/_dash-dependencies", headers=creds("bob")).get_json()
    cb = next(d for d in deps if "jobs-alert.children" in d["output"])
    body = {
        "output": cb["output"],
        "outputs": [
            {"id": "jobs-alert", "property": "children"},
            {"id": "job-id", "property": "data"},
        ],
        "inputs": [
            [],
            [{"id": button, "property": "n_clicks", "value": 1}],
        ],
        "state": [{"id": "job-id", "property": "data", "value": None}],
        "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"],
    }
    refused = client.post("/_dash-update-component", json=body, headers=creds("bob"))
    assert refused.status_code == 200 and f"No job with id '{job_id}'" in refused.text
    assert len(JobStore(store_url).list_jobs()) == 2  # bob's click queued nothing

    # Results page: options and downloads
    options = dash_call(client, "bob", "results-job.options", {"results-query.data": job_id})
    assert job_id not in options.text
    mine = dash_call(client, "alice", "results-job.options", {"results-query.data": job_id})
    assert job_id in mine.text
    values = {"dl-forecasts-btn.n_clicks": 1, "results-job.value": job_id}
    stolen = dash_call(client, "bob", "dl-forecasts.data", values)
    assert stolen.status_code == 204  # the job id was dropped: nothing to download
    got = dash_call(client, "alice", "dl-forecasts.data", values)
    assert got.status_code == 200 and f"forecasts-{job_id}.csv" in got.text


def test_api_bad_input_is_a_4xx_json_error_with_the_cli_message(client, data_dir):
    headers = creds("alice")
    cases = [
        (client.post("/api/v1/jobs", json={"horizon": 6}, headers=headers), 400, "lacks `dataset`"),
        (
            client.post("/api/v1/jobs", data="nonsense", headers=headers),
            400,
            "Send the job as JSON",
        ),
        (client.get("/api/v1/jobs?status=sleeping", headers=headers), 400, "Unknown status"),
        (client.get("/api/v1/jobs?limit=0", headers=headers), 400, "limit must be between"),
        (client.get("/api/v1/nothing", headers=headers), 404, "No API route"),
        (client.delete("/api/v1/jobs", headers=headers), 404, "No API route DELETE"),
    ]
    digest = upload(client, "alice", air(data_dir)).get_json()["hash"]
    post = client.post
    cases += [
        (
            post("/api/v1/jobs", json={"dataset": digest, "horizon": 0}, headers=headers),
            400,
            "horizon",
        ),
        (
            post("/api/v1/jobs", json={"dataset": digest, "models": "prophet"}, headers=headers),
            400,
            "prophet",
        ),
        (
            post("/api/v1/jobs", json={"dataset": digest, "colour": 1}, headers=headers),
            400,
            "colour",
        ),
        (
            post("/api/v1/jobs", json={"dataset": digest, "model_params": "{x"}, headers=headers),
            400,
            "model_params is not valid JSON",
        ),
        (post("/api/v1/jobs", json={"dataset": "0" * 64}, headers=headers), 404, "no longer"),
        (
            post(
                "/api/v1/jobs",
                data={"file": (io.BytesIO(b"a,b\n"), "x.xlsx"), "horizon": "3"},
                headers=headers,
                content_type="multipart/form-data",
            ),
            400,
            "is not a CSV file",
        ),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (words, response.get_json())
        assert words in response.get_json()["error"]
    # the spec's message is the one `forecast jobs submit` prints
    with pytest.raises(SpecError) as cli_error:
        from forecast.jobs import JobSpec

        JobSpec(dataset_hash=digest, dataset_path="x", horizon=0, models=["snaive"])
    zero = post("/api/v1/jobs", json={"dataset": digest, "horizon": 0}, headers=headers)
    assert zero.get_json()["error"] == str(cli_error.value)


def test_users_file_and_bind_rules(tmp_path):
    path = tmp_path / "users"
    auth.add_user(path, "ann", "pw1")
    auth.add_user(path, "ann", "pw2", admin=True)  # replaced, not duplicated
    users = auth.read_users(path)
    assert list(users) == ["ann"] and users["ann"].admin
    assert users["ann"].password_hash.startswith("$argon2id$")
    assert "pw2" not in path.read_text()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    path.write_text("ann:plaintext\n")
    with pytest.raises(SpecError, match="line 1: expected"):
        auth.read_users(path)
    with pytest.raises(SpecError, match="Cannot read the users file"):
        auth.read_users(tmp_path / "missing")
    with pytest.raises(SpecError, match="not allowed"):
        auth.add_user(tmp_path / "u2", "a b", "pw")
    with pytest.raises(SpecError, match="password is empty"):
        auth.add_user(tmp_path / "u2", "ab", "")
    open_config = auth.AuthConfig()
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        auth.check_bind(host, open_config)
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        with pytest.raises(SpecError, match=f"Refusing to serve on {host} without sign-in"):
            auth.check_bind(host, open_config)
        auth.check_bind(host, open_config, insecure=True)
        auth.check_bind(host, auth.AuthConfig(header="X-Forwarded-User"))


def test_a_trusted_proxy_header_signs_in(monkeypatch, store_url):
    monkeypatch.delenv("FORECAST_USERS_FILE", raising=False)
    monkeypatch.setenv("FORECAST_AUTH_HEADER", "X-Forwarded-User")
    monkeypatch.setenv("FORECAST_ADMINS", "boss")
    client = create_app(store_url).server.test_client()
    assert client.get("/api/v1/me").status_code == 401
    me = client.get("/api/v1/me", headers={"X-Forwarded-User": "carol"}).get_json()
    assert me == {"user": "carol", "admin": False}
    boss = client.get("/api/v1/me", headers={"X-Forwarded-User": "boss"}).get_json()
    assert boss == {"user": "boss", "admin": True}


def test_without_sign_in_everyone_is_an_unnamed_admin(monkeypatch, store_url, data_dir):
    monkeypatch.delenv("FORECAST_USERS_FILE", raising=False)
    monkeypatch.delenv("FORECAST_AUTH_HEADER", raising=False)
    client = create_app(store_url).server.test_client()
    assert client.get("/api/v1/me").get_json() == {"user": None, "admin": True}
    digest = upload(client, None, air(data_dir)).get_json()["hash"]
    job = client.post("/api/v1/jobs", json={"dataset": digest, "horizon": 3, "models": "naive"})
    assert job.status_code == 201
    listed = client.get("/api/v1/jobs").get_json()["jobs"]
    assert [(j["id"], j["owner"]) for j in listed] == [(job.get_json()["id"], None)]


def test_posts_from_another_sites_pages_are_refused(client, data_dir):
    raw = air(data_dir)
    evil = {"Origin": "https://evil.example", **creds("alice")}
    form = {"file": (io.BytesIO(raw), "air.csv"), "horizon": "6"}
    refused = client.post(
        "/api/v1/jobs", data=form, headers=evil, content_type="multipart/form-data"
    )
    assert refused.status_code == 403 and "another site" in refused.get_json()["error"]
    assert (
        client.post("/upload", data=raw, headers={FILENAME_HEADER: "a.csv", **evil}).status_code
        == 403
    )
    assert client.get("/api/v1/jobs", headers=evil).status_code == 200  # reading is harmless
    proxied = {"Origin": "https://forecast.example", "X-Forwarded-Host": "forecast.example"}
    answer = client.post(
        "/upload", data=raw, headers={FILENAME_HEADER: "a.csv", **proxied, **creds("alice")}
    )
    assert answer.status_code == 200
    same = {"Origin": "http://localhost", **creds("alice")}
    assert (
        client.post("/upload", data=raw, headers={FILENAME_HEADER: "a.csv", **same}).status_code
        == 200
    )


def test_every_result_reader_checks_access_before_its_cache(client, data_dir, store_url):
    """alice's reads fill the web process's cache; bob's same reads are refused all the same."""
    from dashboard import job_results, state

    submitted = client.post(
        "/api/v1/jobs",
        data={"file": (io.BytesIO(air(data_dir)), "air.csv"), "horizon": "6", "models": "snaive"},
        headers=creds("alice"),
        content_type="multipart/form-data",
    )
    job_id = submitted.get_json()["id"]
    run_jobs(store_url)
    readers = [
        lambda: job_results.load_result(job_id),
        lambda: job_results.residual_frame(job_id),
        lambda: job_results.history_acf(job_id, None),
        lambda: job_results.run_summary(job_id),
        lambda: job_results.backtest_frame(job_id),
        lambda: job_results.effective_memory(job_id, "snaive"),
        lambda: job_results.models_zip(job_id),
    ]
    server = client.application
    try:
        with server.test_request_context("/", headers=creds("alice")):
            server.preprocess_request()
            assert job_results.history_acf(job_id, None)[0] == 1.0
            for read in readers:
                read()  # alice may; her reads are cached now
        with server.test_request_context("/", headers=creds("bob")):
            server.preprocess_request()
            for read in readers:
                with pytest.raises(SpecError, match=f"No job with id '{job_id}'"):
                    read()
    finally:
        state.set_db(None)  # later tests get a store of their own, not this one

"""The Diagnostics page computed once for every web process: the shared cache under FORECAST_HOME.

Real app, real store, real files; a second web process is a second Python process (or, where
said, this one with its in-process memos forgotten).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from test_dashboard_auth import PASSWORDS, creds, dash_call, upload
from test_dashboard_diagnostics import _values

from dashboard import auth, datasets, shared_cache
from dashboard.app import create_app
from dashboard.pages import diagnostics as page
from forecast.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


def forget_this_process() -> None:
    """Drop every in-process memo of the page: this process now knows only the shared cache."""
    for fn in (page._diagnose, page._series, page._page, page._main_views, page._acf_views):
        fn.cache_clear()
    datasets._load.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_memos():
    forget_this_process()
    yield
    forget_this_process()


def air(scale: float = 1.0, bump_last: float = 0.0) -> bytes:
    frame = pd.read_csv(ROOT / "data" / "air_passengers.csv")
    col = frame.columns[1]
    frame[col] = frame[col] * scale
    frame.loc[frame.index[-1], col] += bump_last
    return frame.to_csv(index=False).encode()


def entries(kind: str = "diagnostics") -> list[Path]:
    return sorted(shared_cache.cache_dir(kind).glob("*.json"))


def test_a_second_process_reads_the_page_instead_of_computing_it(tmp_path):
    digest = datasets.save_dataset(air(), "air.csv")
    data = {"hash": digest, "overrides": {}}
    page.prefetch_first(data)  # what the upload does, on the background thread
    first = page.page_views(None, data, None, None)  # waits for the prefetch
    assert [p.name.split(".")[0] for p in entries()] == [digest]
    # another web process on the same FORECAST_HOME and store: its diagnosis would fail loudly
    script = f"""
import json, sys
import forecast.diagnostics.diagnosis as dd
def refuse(*a, **k):
    raise SystemExit("diagnosed again")
dd.diagnose_series = refuse
import forecast.ingest.reader
forecast.ingest.reader.read_csv = refuse
from dashboard.app import create_app
create_app(None)
from dashboard.pages import diagnostics as page
out = page.page_views(None, {{"hash": "{digest}", "overrides": {{}}}}, None, None)
print(json.dumps({{"uid": out[1], "max_lag": out[11], "acf": out[12], "stl": out[8]}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    other = json.loads(done.stdout.strip().splitlines()[-1])
    assert other["uid"] == first[1] == "Passengers" and other["max_lag"] == first[11] == 36
    assert other["acf"] == first[12] and other["stl"] == first[8]


def test_this_process_without_its_memos_reads_the_file():
    digest = datasets.save_dataset(air(), "air.csv")
    data = {"hash": digest, "overrides": {}}
    drawn = page.main_views(data, "Passengers")
    forget_this_process()
    calls = []
    original = page._draw_page
    page._draw_page = lambda *a: calls.append(a) or original(*a)
    try:
        again = page.main_views(data, "Passengers")
    finally:
        page._draw_page = original
    assert calls == [] and again[1] == drawn[1] and again[8] == drawn[8]
    # another lag range is drawn from the cached diagnosis, not diagnosed again
    acf, _ = page.acf_views(data, "Passengers", 10)
    assert max(_values(acf["data"][2]["x"])) == 10


def test_a_changed_file_is_diagnosed_anew():
    old = datasets.save_dataset(air(), "air.csv")
    new = datasets.save_dataset(air(bump_last=500.0), "air.csv")  # one value differs
    assert old != new
    a = page.page_content({"hash": old, "overrides": {}}, "Passengers")
    b = page.page_content({"hash": new, "overrides": {}}, "Passengers")
    assert len(entries()) == 2
    assert a["diagnosis"]["ljung_box"] != b["diagnosis"]["ljung_box"]
    # other column choices are another entry too
    c = page.page_content({"hash": old, "overrides": {"fill": "interpolate"}}, "Passengers")
    assert len(entries()) == 3 and c["diagnosis"]["n_obs"] == a["diagnosis"]["n_obs"]


def test_a_new_cache_version_ignores_old_entries(monkeypatch):
    digest = datasets.save_dataset(air(), "air.csv")
    page.page_content({"hash": digest, "overrides": {}}, "Passengers")
    forget_this_process()
    monkeypatch.setattr(shared_cache, "CACHE_VERSION", shared_cache.CACHE_VERSION + 1)
    page.page_content({"hash": digest, "overrides": {}}, "Passengers")
    assert len(entries()) == 2


def test_a_damaged_entry_is_computed_again():
    digest = datasets.save_dataset(air(), "air.csv")
    good = page.page_content({"hash": digest, "overrides": {}}, "Passengers")
    (path,) = entries()
    path.write_text('{"diagnosis": ', encoding="utf-8")  # cut short
    forget_this_process()
    again = page.page_content({"hash": digest, "overrides": {}}, "Passengers")
    assert again == good and json.loads(path.read_text()) == good


def test_one_computation_for_concurrent_callers_of_separate_opens():
    calls = []

    def slow() -> dict:
        calls.append(1)
        time.sleep(0.3)
        return {"value": 42}

    digest = "ab" * 32
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(shared_cache.shared("t", digest, {"k": 1}, slow))
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"value": 42}] * 4 and calls == [1]


def test_errors_are_reported_and_not_cached():
    digest = datasets.save_dataset(b"when,what\nyesterday,apples\ntoday,pears\n", "bad.csv")
    data = {"hash": digest, "overrides": {}}
    with pytest.raises(DataError):
        page.series_options(data)
    out = page.page_views(None, data, None, None)
    alert = out[2]
    assert alert is not None and "numeric" in json.dumps(alert.to_plotly_json(), default=str)
    assert entries() == [] and entries("diagnostics-series") == []
    good = datasets.save_dataset(air(), "air.csv")
    with pytest.raises(DataError, match="not in this file"):
        page.page_content({"hash": good, "overrides": {}}, "no-such-series")
    assert entries() == []


def test_another_user_never_gets_a_cached_page(tmp_path, monkeypatch):
    users = tmp_path / "users"
    for name, password in PASSWORDS.items():
        auth.add_user(users, name, password, admin=name == "root")
    monkeypatch.setenv("FORECAST_USERS_FILE", str(users))
    client = create_app(None).server.test_client()
    mine = upload(client, "alice", air(3.0)).get_json()["hash"]
    own = dash_call(
        client, "alice", "diag-acf-slot.children", {"dataset.data": {"hash": mine}}, "dataset.data"
    )
    assert own.status_code == 200 and "Ljung" in own.text
    assert [p.name.split(".")[0] for p in entries()] == [mine]  # cached, by content
    theirs = dash_call(
        client, "bob", "diag-acf-slot.children", {"dataset.data": {"hash": mine}}, "dataset.data"
    )
    assert "Upload a CSV or pick a sample" in theirs.text and "Ljung" not in theirs.text
    # the page's own functions refuse too (the callback layer is not the only guard)
    with client.application.test_request_context(headers=creds("bob")):
        from flask import g

        g.identity = auth.Identity("bob", admin=False)
        for call in (
            lambda: page.series_options({"hash": mine}),
            lambda: page.main_views({"hash": mine}, "Passengers"),
            lambda: page.acf_views({"hash": mine}, "Passengers", 10),
            lambda: page.page_content({"hash": mine}, "Passengers"),
        ):
            with pytest.raises(DataError, match="not yours"):
                call()

"""Big files on the Data page: read once in a child process and kept as Parquet for every web
process; a request waits for the reading at most its budget, then says so and polls."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from dashboard import budget, datasets, frame_cache, shared_cache, state
from dashboard.pages import data as data_page
from dashboard.upload import accept_upload
from forecast.errors import DataError
from forecast.ingest.reader import read_csv


@pytest.fixture
def big(monkeypatch, tmp_path):
    """Every file counts as big (read in a child), on a fresh store."""
    monkeypatch.setattr(frame_cache, "BIG_BYTES", 100)
    state.set_db(f"sqlite:///{tmp_path / 'jobs.db'}")
    datasets._load.cache_clear()
    yield
    datasets._load.cache_clear()


def test_a_big_file_is_read_in_a_child_once_and_kept_as_parquet(big, data_dir):
    raw = (data_dir / "air_passengers.csv").read_bytes()
    digest = accept_upload(raw, "air.csv")["hash"]
    df, report = datasets.load_frame(digest)
    expected, expected_report = read_csv(raw)
    pd.testing.assert_frame_equal(df, expected)
    assert df.attrs["freq"] == "MS" == report.freq
    assert (report.time_col, report.value_cols, report.repairs) == (
        expected_report.time_col,
        expected_report.value_cols,
        expected_report.repairs,
    )
    [entry] = list(shared_cache.cache_dir("frames").glob(f"{digest}.*.parquet"))
    stamp = entry.stat().st_mtime_ns
    datasets._load.cache_clear()  # another web process: reads the Parquet file, no child
    again, _ = datasets.load_frame(digest)
    pd.testing.assert_frame_equal(again, expected)
    assert entry.stat().st_mtime_ns == stamp
    assert entry in [e.path for e in shared_cache._entries(shared_cache.cache_root())]


def test_the_childs_data_error_is_the_message_shown(big):
    digest = datasets.save_dataset(b"when,value\nsoon,1\nlater,2\nnever,3\n", "bad.csv")
    with pytest.raises(DataError, match="No column holds dates"):
        datasets.load_frame(digest)
    out = data_page.render({"hash": digest, "filename": "bad.csv", "overrides": {}})
    assert "bad.csv: No column holds dates" in str(out[0])
    assert not list(shared_cache.cache_dir("frames").glob(f"{digest}.*.parquet"))


def test_the_page_answers_within_its_budget_and_polls_until_read(big, data_dir, monkeypatch):
    from dashboard.pages import diagnostics

    raw = (data_dir / "air_passengers.csv").read_bytes()
    data = {"hash": datasets.save_dataset(raw, "air.csv"), "filename": "air.csv", "overrides": {}}
    monkeypatch.setattr(diagnostics, "PAGE_BUDGET_S", 0.0)  # the child needs more than 0 s
    note = diagnostics.page_views(None, data, None, None)
    assert "Reading air.csv" in str(note[2]) and note[0] == []
    first = data_page.render_within(data, 0.0)  # still reading: no wait at all
    assert len(first) == data_page.N_OUTPUTS + 1 and first[-1] is False  # the poll is on
    assert "Reading air.csv" in str(first[1]) and "Month" in str(first[2])  # preview shown
    assert data_page.first_look(data, 0.0) is None
    done = data_page.render_within(data, 60.0)  # joins the same reading
    assert done[-1] is True and "144" in str(done[1])
    assert data_page.render(data)[4] == "Month"
    monkeypatch.setattr(diagnostics, "PAGE_BUDGET_S", 60.0)
    assert diagnostics.page_views(None, data, None, None)[1] == "Passengers"


@pytest.mark.timeout(60)
def test_within_returns_work_that_is_done_at_once():
    # a future done before its callback is added runs the callback in the caller, under the lock
    assert [budget.within(5, "fast", lambda k=k: k) for k in range(200)] == list(range(200))


def test_within_joins_running_work_and_raises_its_errors():
    gate, calls = threading.Event(), []

    def slow():
        calls.append(1)
        gate.wait(30)
        return 42

    with pytest.raises(budget.StillWorking):
        budget.within(0.01, "k", slow)
    with pytest.raises(budget.StillWorking):
        budget.within(0.01, "k", slow)
    assert len(calls) == 1  # the second request joined the running work
    gate.set()
    assert budget.within(30, "k", slow) == 42

    def bad():
        raise DataError("nope")

    with pytest.raises(DataError, match="nope"):
        budget.within(30, "e", bad)

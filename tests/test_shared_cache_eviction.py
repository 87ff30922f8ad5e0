"""The shared cache's size bound: least recently used entries deleted after a write.

Real folders under a temporary FORECAST_HOME (tests/conftest.py), real locks; a "process" that
holds or waits on an entry's lock is a thread with its own open file (``flock`` locks belong to
the open file, so they exclude each other as two processes' would).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboard import shared_cache
from forecast.cli import app
from forecast.errors import SpecError

DIGEST = "cd" * 32
BLOB = "x" * 1000  # each entry is about 1 kB of JSON
LIMIT_MB = 0.01  # 10,000 bytes: nine entries fit, the tenth write evicts


@pytest.fixture
def small_cache(monkeypatch):
    monkeypatch.setenv(shared_cache.LIMIT_ENV, str(LIMIT_MB))
    return shared_cache.cache_limit_bytes()


def put(i: int, calls: list | None = None) -> dict:
    def compute() -> dict:
        if calls is not None:
            calls.append(i)
        return {"i": i, "blob": BLOB}

    return shared_cache.shared("t", DIGEST, {"i": i}, compute)


def path_of(i: int) -> Path:
    return shared_cache.entry_path("t", DIGEST, {"i": i})


def on_disk() -> dict[int, int]:
    """Entry number -> bytes, for every entry file now in the cache."""
    out = {}
    for kind in shared_cache.cache_root().iterdir():
        for p in kind.glob("*.json"):
            out[json.loads(p.read_text())["i"]] = p.stat().st_size
    return out


def age(i: int, seconds: float) -> None:
    """Make entry ``i`` look last used ``seconds`` ago."""
    when = time.time() - seconds
    os.utime(path_of(i), (when, when))


def test_the_limit_is_respected_and_the_newest_entry_kept(small_cache):
    for i in range(40):
        assert put(i) == {"i": i, "blob": BLOB}
        sizes = on_disk()
        assert sum(sizes.values()) <= small_cache and i in sizes
    sizes = on_disk()
    # evicted down to 80 % of the limit at each overflow, then refilled: never a single entry
    assert 0.8 * small_cache - 1100 < sum(sizes.values()) <= small_cache
    assert 7 <= len(sizes) <= 9 and max(sizes) == 39
    # what was evicted is the oldest: the survivors are the latest writes
    assert sorted(sizes) == list(range(40 - len(sizes), 40))


def test_recently_used_entries_survive(small_cache):
    for i in range(8):
        put(i)
        age(i, 1000 - i)  # entry 0 written first, so least recently used
    calls = []
    assert put(0, calls) == {"i": 0, "blob": BLOB} and calls == []  # a hit ...
    assert time.time() - path_of(0).stat().st_mtime < 5  # ... marks it used now
    for i in range(8, 12):
        put(i)
    left = on_disk()
    assert 0 in left  # used recently, kept
    assert 1 not in left and 2 not in left  # the least recently used went first
    assert sum(left.values()) <= small_cache


def test_an_entry_that_vanishes_between_listing_and_deletion_is_fine(small_cache):
    for i in range(9):
        put(i)
        age(i, 1000 - i)
    found = shared_cache._entries(shared_cache.cache_root())
    assert len(found) == 9
    path_of(0).unlink()  # another process (or a person) deleted it meanwhile
    Path(str(path_of(1)) + ".lock").unlink()  # and the lock file of another
    gone = shared_cache._delete_oldest(found, limit=6000)
    assert gone[:2] == [path_of(0), path_of(1)]
    assert sum(on_disk().values()) <= 0.8 * 6000
    assert not path_of(1).exists()


def test_a_hit_after_eviction_computes_again(small_cache):
    calls: list = []
    put(1, calls)
    put(1, calls)
    assert calls == [1]
    gone = shared_cache.evict(limit=1)  # over any limit: everything not in use goes
    assert gone == [path_of(1)] and not Path(str(path_of(1)) + ".lock").exists()
    assert put(1, calls) == {"i": 1, "blob": BLOB} and calls == [1, 1]
    assert path_of(1).exists()


def test_an_entry_being_computed_is_not_evicted(small_cache):
    for i in range(3):
        put(i)
    with shared_cache._entry_lock(path_of(1)):  # a process computing entry 1 again
        gone = shared_cache.evict(limit=1)
    assert sorted(gone) == sorted([path_of(0), path_of(2)])
    assert set(on_disk()) == {1}


def test_a_waiter_whose_lock_file_was_evicted_takes_the_new_one(small_cache):
    """Without the inode check the waiter would compute while another process holds the
    entry's (new) lock file."""
    path = path_of(5)
    lock_path = Path(str(path) + ".lock")
    calls: list = []
    results: list = []
    holder = shared_cache._entry_lock(path)
    holder.__enter__()  # process A computes entry 5
    waiter = threading.Thread(target=lambda: results.append(put(5, calls)))
    waiter.start()  # process B waits on A's lock file
    time.sleep(0.2)
    first = lock_path.stat().st_ino
    lock_path.unlink()  # the evictor deletes the lock file (it held it: here A holds it)
    with shared_cache._entry_lock(path):  # process C takes the new lock file
        assert lock_path.stat().st_ino != first
        holder.__exit__(None, None, None)  # A is done: B wakes on the deleted file
        time.sleep(0.3)
        assert waiter.is_alive() and calls == []  # B saw the swap and waits for C
        shared_cache._write(path, json.dumps({"i": 5, "blob": "from C"}))
    waiter.join(10)
    assert results == [{"i": 5, "blob": "from C"}] and calls == []


def test_stale_temporary_files_are_removed_fresh_ones_kept(small_cache):
    folder = shared_cache.cache_dir("t")
    stale, fresh = folder / ".a.json.0001.tmp", folder / ".b.json.0002.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    when = time.time() - shared_cache.STALE_TMP_S - 10
    os.utime(stale, (when, when))
    assert shared_cache._entries(shared_cache.cache_root()) == []
    assert not stale.exists() and fresh.exists()


def test_the_limit_setting(monkeypatch):
    assert shared_cache.cache_limit_bytes({}) == 256_000_000
    assert shared_cache.cache_limit_bytes({"FORECAST_CACHE_MB": " 0.5 "}) == 500_000
    for bad in ("abc", "0", "-3", "nan", "inf", "1e-9"):
        with pytest.raises(SpecError, match="FORECAST_CACHE_MB must be a positive number"):
            shared_cache.cache_limit_bytes({"FORECAST_CACHE_MB": bad})
    # a request never fails on it: the value is served, eviction is skipped (serve refuses it)
    monkeypatch.setenv("FORECAST_CACHE_MB", "lots")
    assert put(3) == {"i": 3, "blob": BLOB}


def test_serve_refuses_a_bad_limit(monkeypatch):
    monkeypatch.setenv("FORECAST_CACHE_MB", "-1")
    out = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert out.exit_code == 2
    assert "error: FORECAST_CACHE_MB must be a positive number" in out.output

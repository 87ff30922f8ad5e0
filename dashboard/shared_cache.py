"""Results one web process computes and every web process reuses: JSON files under FORECAST_HOME.

``forecast serve`` runs several web processes, and consecutive requests of one browser may land
on any of them (or on one started after a crash). A result that costs CPU (a dataset's
diagnosis and its figures) is computed once, by whichever process needs it first, and kept in
``FORECAST_HOME/cache/<kind>/<dataset hash>.<key hash>.json``, where every process (and every
restart) finds it.

- **Key.** The dataset's content hash (SHA-256 of its bytes, as the dataset store names it),
  plus the options that change the result (column choices, series, ...) and
  :data:`CACHE_VERSION`. A changed file has another hash, so it never meets a stale entry;
  a change of what is computed bumps :data:`CACHE_VERSION` (older entries are then ignored).
- **Once.** A process about to compute takes an exclusive ``flock`` on the entry's lock file;
  another process wanting the same entry waits for it and then reads the file instead of
  computing it again. The kernel releases the lock of a process that dies (SIGKILL included), so
  the waiter then computes it itself.
- **Safe.** Values are JSON (never pickle); a file is written whole (to a temporary name, then
  renamed), and one that cannot be read is computed again. Errors are not cached: bad input is
  reported again on the next request.
- **Not an access check.** Entries are keyed by content, not by owner: callers check that the
  signed-in user may read the dataset (:func:`dashboard.datasets.resolve_path`) before asking.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from dashboard import state

__all__ = ["CACHE_VERSION", "cache_dir", "shared"]

log = logging.getLogger("dashboard")

#: Version of what is cached; bump it when a cached computation (diagnosis, figures) changes.
CACHE_VERSION = 1


def cache_dir(kind: str) -> Path:
    """``FORECAST_HOME/cache/<kind>`` (created on first use)."""
    folder = state.forecast_home() / "cache" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def entry_path(kind: str, digest: str, key: dict) -> Path:
    """The file of one entry: ``<digest>.<first 16 hex of sha256(key, version)>.json``."""
    text = json.dumps({"key": key, "version": CACHE_VERSION}, sort_keys=True)
    return cache_dir(kind) / f"{digest}.{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"


def _read(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # a damaged file: compute it again
        log.warning("ignoring the unreadable cache entry %s: %s", path, exc)
        return None
    return value if isinstance(value, dict) else None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # a full disk must not fail the request
        log.warning("could not write the cache entry %s: %s", path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()


def shared(kind: str, digest: str, key: dict, compute: Callable[[], dict]) -> dict:
    """The value of ``(kind, digest, key)``: read from the shared cache, or computed once.

    Parameters
    ----------
    kind : str
        What is cached (a folder name, e.g. ``"diagnostics"``).
    digest : str
        SHA-256 hex digest of the dataset the value is computed from.
    key : dict
        JSON-ready options that change the value.
    compute : callable
        Returns the value, a JSON-ready dict (no NaN: write None); called only when no process
        has stored it yet. Its exceptions propagate and nothing is stored.

    Returns
    -------
    dict
        The value, as read back from JSON (tuples become lists).
    """
    path = entry_path(kind, digest, key)
    hit = _read(path)
    if hit is not None:
        return hit
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released on close, or by the kernel if we die
        hit = _read(path)  # computed by another process while we waited
        if hit is not None:
            return hit
        text = json.dumps(compute(), separators=(",", ":"), allow_nan=False)
        _write(path, text)
        return json.loads(text)  # exactly what the other processes will read

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
- **Bounded.** After a write, when the entries under ``FORECAST_HOME/cache`` exceed
  ``$FORECAST_CACHE_MB`` megabytes (default :data:`DEFAULT_LIMIT_MB`), the least recently used
  are deleted until they take at most :data:`EVICT_TO` of it. "Used" is the file's modification
  time, which a hit refreshes (at most every :data:`TOUCH_AFTER_S` seconds; access times are not
  relied on). One process evicts at a time (a non-blocking ``flock`` on ``cache/.evict.lock``;
  the others skip), and it deletes an entry only while holding the entry's lock, so never one a
  process is computing. A reader that opened a file keeps reading it after its deletion; one that
  finds it gone computes it again. A process that waited on a lock file the evictor deleted
  meanwhile takes the new one (it checks the inode once it holds the lock).
- **Not an access check.** Entries are keyed by content, not by owner: callers check that the
  signed-in user may read the dataset (:func:`dashboard.datasets.resolve_path`) before asking.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import math
import os
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from dashboard import state
from forecast.errors import SpecError

__all__ = [
    "CACHE_VERSION",
    "DEFAULT_LIMIT_MB",
    "EVICT_TO",
    "LIMIT_ENV",
    "cache_dir",
    "cache_limit_bytes",
    "cache_root",
    "evict",
    "shared",
]

log = logging.getLogger("dashboard")

#: Version of what is cached; bump it when a cached computation (diagnosis, figures) changes.
CACHE_VERSION = 3  # 3: the readings name the series each decision was read off; labels
#: Environment variable holding the cache's size limit, in megabytes (10**6 bytes).
LIMIT_ENV = "FORECAST_CACHE_MB"
#: Size limit of the cache when :data:`LIMIT_ENV` is not set, in megabytes.
DEFAULT_LIMIT_MB = 256.0
#: Eviction deletes least recently used entries until they take at most this share of the limit.
EVICT_TO = 0.8
#: A hit refreshes its entry's modification time (its recency) when older than this, seconds.
TOUCH_AFTER_S = 60.0
#: Temporary files older than this (seconds) were left by a process that died mid-write.
STALE_TMP_S = 3600.0
_EVICT_LOCK = ".evict.lock"


def cache_root() -> Path:
    """``FORECAST_HOME/cache``, the folder of every kind (created on first use)."""
    folder = state.forecast_home() / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_dir(kind: str) -> Path:
    """``FORECAST_HOME/cache/<kind>`` (created on first use)."""
    folder = cache_root() / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_limit_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The cache's size limit: ``$FORECAST_CACHE_MB`` megabytes, default 256.

    Parameters
    ----------
    environ : mapping, optional
        Where to read the variable (default ``os.environ``).

    Returns
    -------
    int
        Bytes (a megabyte is 10**6 bytes; fractions are allowed).

    Raises
    ------
    SpecError
        If the value is not a positive number.
    """
    text = (os.environ if environ is None else environ).get(LIMIT_ENV, "").strip()
    if not text:
        return int(DEFAULT_LIMIT_MB * 1e6)
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not math.isfinite(mb) or mb <= 0 or mb * 1e6 < 1:
        raise SpecError(
            f"{LIMIT_ENV} must be a positive number of megabytes (e.g. {DEFAULT_LIMIT_MB:g}), "
            f"got {text!r}."
        )
    return int(mb * 1e6)


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
        _touch(path)
        return hit
    with _entry_lock(path):
        hit = _read(path)  # computed by another process while we waited
        if hit is not None:
            return hit
        text = json.dumps(compute(), separators=(",", ":"), allow_nan=False)
        _write(path, text)
    _evict_after_write()
    return json.loads(text)  # exactly what the other processes will read


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def _entry_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive ``flock`` of one entry (released on exit, or by the kernel if we die).

    The evictor deletes an entry's lock file while holding it; a process that was waiting on the
    deleted file then holds a lock nobody else can see, so it takes the current one instead.
    """
    lock_path = _lock_path(path)
    while True:
        fh = open(lock_path, "a")  # noqa: SIM115 - closed below or on exit
        try:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                current = os.stat(lock_path).st_ino
            except FileNotFoundError:
                current = None
        except BaseException:
            fh.close()
            raise
        if current == os.fstat(fh.fileno()).st_ino:
            break
        fh.close()
    try:
        yield
    finally:
        fh.close()


def _touch(path: Path) -> None:
    """Mark a hit: refresh the modification time, the recency eviction goes by."""
    try:
        if time.time() - os.stat(path).st_mtime > TOUCH_AFTER_S:
            os.utime(path)
    except OSError:  # evicted meanwhile, or a read-only cache: the hit stands
        pass


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int  # bytes
    used: float  # modification time, seconds since the epoch


def _entries(root: Path) -> list[_Entry]:
    """Every entry file under ``root/<kind>/``; stale temporary files are deleted on the way."""
    found: list[_Entry] = []
    now = time.time()
    try:
        kinds = [d.path for d in os.scandir(root) if d.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return found
    for kind in kinds:
        try:
            files = list(os.scandir(kind))
        except OSError:  # the folder went away meanwhile
            continue
        for f in files:
            try:
                st = f.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if f.name.startswith(".") and f.name.endswith(".tmp"):
                if now - st.st_mtime > STALE_TMP_S:
                    with contextlib.suppress(OSError):
                        os.unlink(f.path)
            elif f.name.endswith((".json", ".parquet")) and not f.name.startswith("."):
                found.append(_Entry(Path(f.path), st.st_size, st.st_mtime))
    return found


def _delete(entry: _Entry) -> bool:
    """Delete an entry and its lock file unless a process is computing it (holds its lock).

    Returns
    -------
    bool
        True when the entry is gone (deleted here, or already), False when it is in use.
    """
    lock_path = _lock_path(entry.path)
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        fd = None
    try:
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        with contextlib.suppress(FileNotFoundError):
            entry.path.unlink()
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                lock_path.unlink()  # while held: waiters notice, see _entry_lock
        return True
    finally:
        if fd is not None:
            os.close(fd)


def _delete_oldest(found: list[_Entry], limit: int) -> list[Path]:
    """Delete the least recently used of ``found`` until the rest take at most EVICT_TO x limit.

    Nothing is deleted while the total is within ``limit``. Entries that vanished since they
    were listed count as deleted; entries being computed are kept.

    Returns
    -------
    list of Path
        The entries gone, oldest first.
    """
    total = sum(e.size for e in found)
    gone: list[Path] = []
    if total <= limit:
        return gone
    for entry in sorted(found, key=lambda e: (e.used, e.path.name)):
        if total <= EVICT_TO * limit:
            break
        if _delete(entry):
            total -= entry.size
            gone.append(entry.path)
    return gone


def evict(limit: int | None = None) -> list[Path]:
    """Bring the cache under its size limit, least recently used entries first.

    Parameters
    ----------
    limit : int, optional
        Bytes (default :func:`cache_limit_bytes`). Over it, entries are deleted until they take
        at most :data:`EVICT_TO` of it.

    Returns
    -------
    list of Path
        The entries deleted; empty when within the limit or another process is evicting.

    Raises
    ------
    SpecError
        ``$FORECAST_CACHE_MB`` is not a positive number (when ``limit`` is not given).
    """
    limit = cache_limit_bytes() if limit is None else int(limit)
    root = cache_root()
    with open(root / _EVICT_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process is evicting
            return []
        return _delete_oldest(_entries(root), limit)


def _evict_after_write() -> None:
    """Evict if needed; never fail the request that wrote."""
    try:
        gone = evict()
    except (SpecError, OSError) as exc:
        log.warning("cache eviction skipped: %s", exc)
        return
    if gone:
        log.info("cache: evicted %d least recently used entries", len(gone))

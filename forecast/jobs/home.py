"""Where the job store keeps its files, and who may own them.

``FORECAST_HOME`` holds the SQLite database, the uploaded datasets and the artifacts of every
job. This module names it, keeps it private to the server's user, sweeps the partial files a
killed process left behind, and says what an owner (a user name) may be. Nothing here needs a
database.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from forecast.errors import SpecError

__all__ = [
    "STALE_PARTIAL_SECONDS",
    "SWEEP_EVERY",
    "USER_NAME",
    "check_owner",
    "forecast_home",
    "make_private",
    "sweep_partial_files",
]


#: What an owner (a user name) may be: 1-100 letters, digits or ``. _ @ + -``.
USER_NAME = re.compile(r"[A-Za-z0-9_.@+-]{1,100}")


def check_owner(owner: str | None) -> str | None:
    """``owner`` if it is None or a :data:`USER_NAME`; a :class:`SpecError` otherwise."""
    if owner is not None and not USER_NAME.fullmatch(owner):
        raise SpecError(
            f"Owner {owner!r} is not a user name; use 1-100 letters, digits or . _ @ + -."
        )
    return owner


def forecast_home() -> Path:
    """Data directory: ``$FORECAST_HOME``, default ``./.forecast`` (created on demand)."""
    return Path(os.environ.get("FORECAST_HOME") or ".forecast").resolve()


def make_private() -> Path:
    """Keep what this process writes to itself: ``FORECAST_HOME`` created 0700, files 0600.

    Sets the process's umask to 077 (folders 0700, files 0600, inherited by the processes it
    starts) and creates ``FORECAST_HOME`` if missing. For the server and its workers (the
    database, the uploads and the results are other people's data); an existing folder keeps
    its mode. Every process sharing ``FORECAST_HOME`` must then run as the same user.

    Returns
    -------
    Path
        ``FORECAST_HOME``.
    """
    os.umask(0o077)
    home = forecast_home()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return home


#: Age (s) after which a partial dataset file is stale (written by a process that died).
STALE_PARTIAL_SECONDS = 600.0
#: Seconds between sweeps of stale partial files by one process.
SWEEP_EVERY = 600.0


def sweep_partial_files(home: Path, older_than: float = STALE_PARTIAL_SECONDS) -> list[str]:
    """Delete partial files left in ``home/datasets`` by a process that died.

    A dataset is written to ``.<hash>.<random>.tmp`` and renamed when complete; a process
    killed in between leaves the temporary file. Those older than ``older_than`` seconds (no
    write takes that long) are removed. Called when a server or worker starts, and every
    :data:`SWEEP_EVERY` seconds by :meth:`JobStore.save_dataset`. Needs no database.

    Returns
    -------
    list of str
        The paths removed.
    """
    folder = Path(home) / "datasets"
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed.append(str(tmp))
        except OSError:  # gone already (another process swept it)
            continue
    return removed

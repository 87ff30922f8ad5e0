"""Server-side state of the dashboard: where files live and the job store, set once per app.

The browser only ever holds ids (dataset hashes, job ids) in ``dcc.Store``; everything they point
to lives here, on the server, under ``FORECAST_HOME``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

__all__ = ["DATA_DIR", "forecast_home", "get_store", "jobs_available", "set_db"]

log = logging.getLogger("dashboard")

#: Bundled sample CSVs (``data/`` at the repository root).
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

_DB: dict[str, Any] = {"url": None, "store": None, "home": None}


def forecast_home() -> Path:
    """The data directory: ``$FORECAST_HOME`` or ``./.forecast`` (created on first use)."""
    home = Path(os.environ.get("FORECAST_HOME") or ".forecast").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def set_db(url: str | None) -> None:
    """Choose the job store's SQLAlchemy URL (None: SQLite under FORECAST_HOME)."""
    if _DB["url"] != url:
        _DB["url"], _DB["store"] = url, None


def jobs_available() -> bool:
    """Whether :mod:`forecast.jobs` provides the job store and runner."""
    try:
        from forecast.jobs import JobSpec, JobStore  # noqa: F401
    except ImportError:
        return False
    return True


def get_store():
    """The shared :class:`forecast.jobs.JobStore` (built on first use).

    Raises
    ------
    RuntimeError
        When :mod:`forecast.jobs` is not installed.
    """
    home = os.environ.get("FORECAST_HOME")
    if _DB["store"] is None or _DB["home"] != home:
        try:
            from forecast.jobs import JobStore
        except ImportError as exc:  # pragma: no cover - depends on the jobs package
            raise RuntimeError("The job store (forecast.jobs) is not available.") from exc
        _DB["store"], _DB["home"] = JobStore(_DB["url"]), home
    return _DB["store"]

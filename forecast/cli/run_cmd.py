"""``forecast run``: not built yet (see the issue for its contract)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the command to the app (nothing yet)."""

"""``forecast dashboard``: serve the Dash app (and the embedded job runner)."""

from __future__ import annotations

from typing import Annotated

import typer


def dashboard(
    host: Annotated[
        str, typer.Option(help="Interface to bind (localhost by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8050,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL of the job store.")] = None,
    debug: Annotated[bool, typer.Option(help="Dash debug mode (never in production).")] = False,
) -> None:
    """Start the dashboard on http://HOST:PORT."""
    from dashboard.app import serve

    serve(host=host, port=port, db=db, debug=debug)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("dashboard")(dashboard)

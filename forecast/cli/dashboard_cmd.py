"""``forecast dashboard``: serve the Dash app (and the embedded job runner)."""

from __future__ import annotations

from typing import Annotated

import typer

from forecast.cli.common import fail
from forecast.cli.options import AllowedHosts, Db, Host, Insecure, Port
from forecast.errors import ForecastError


def dashboard(
    host: Host = "127.0.0.1",
    port: Port = 8050,
    db: Db = None,
    runner: Annotated[
        bool, typer.Option(help="Run jobs in this process (off: leave them to `forecast worker`).")
    ] = True,
    debug: Annotated[bool, typer.Option(help="Dash debug mode (never in production).")] = False,
    insecure: Insecure = False,
    allowed_hosts: AllowedHosts = None,
) -> None:
    """Start the dashboard on http://HOST:PORT, with an embedded job runner."""
    from dashboard.app import serve

    try:
        serve(
            host=host,
            port=port,
            db=db,
            debug=debug,
            runner=runner,
            insecure=insecure,
            allowed_hosts=allowed_hosts.split(",") if allowed_hosts else None,
        )
    except ForecastError as exc:
        fail(str(exc))
    except OSError as exc:  # port in use, address not available
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}; pick another --port.")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("dashboard")(dashboard)

"""The ``forecast`` command line (typer).

Each sub-command lives in its own module and registers itself on :data:`app`. Contract shared by
all of them: ``--json`` prints exactly one JSON object on stdout; bad input exits with status 2
and one line ``error: …`` on stderr, never a traceback.
"""

from __future__ import annotations

import typer

from forecast.cli import (
    common,
    dashboard_cmd,
    diagnose_cmd,
    inspect_cmd,
    jobs_cmd,
    predict_cmd,
    run_cmd,
    serve_cmd,
)

app = typer.Typer(
    name="forecast",
    help="Forecast Workbench: inspect, diagnose and forecast time series from CSV files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (inspect_cmd, diagnose_cmd, run_cmd, jobs_cmd, dashboard_cmd, predict_cmd, serve_cmd):
    module.register(app)


def main() -> None:
    """Entry point of the ``forecast`` console script."""
    common.run_app(app)


__all__ = ["app", "main"]

"""The typer options that several commands share, defined once so their flags and help agree.

Each is an ``Annotated`` alias; a command gives the default in its signature
(``time_col: TimeCol = None``), so one alias serves commands with different defaults
(``--out``). Options that only one command has stay in that command's module.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "AllowedHosts",
    "AsJson",
    "Calendar",
    "CsvFile",
    "Db",
    "Drivers",
    "Fill",
    "FutureFile",
    "Holidays",
    "Horizon",
    "Host",
    "IdCol",
    "Insecure",
    "Level",
    "Levels",
    "OutFolder",
    "Port",
    "Reconcile",
    "TimeCol",
    "ValueCol",
]

#: The CSV file a command reads (argument).
CsvFile = Annotated[str, typer.Argument(help="CSV file (wide or long).")]

#: How :func:`forecast.ingest.reader.read_csv` finds the series: columns named by the user, else detected.
TimeCol = Annotated[str | None, typer.Option("--time-col", help="Time column (detected).")]
ValueCol = Annotated[
    str | None, typer.Option("--value-col", help="Value column(s), comma-separated (detected).")
]
IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-col",
        help="Series key column(s) of a long file, comma-separated: store or state,gender "
        "(detected).",
    ),
]
Fill = Annotated[str, typer.Option("--fill", help="Gap policy: none, interpolate or ffill.")]

#: Drivers read beside the target (:mod:`forecast.ingest.drivers`).
Drivers = Annotated[
    str | None,
    typer.Option(
        "--drivers",
        help="Driver columns, comma-separated, or 'all' (every other numeric column; needs "
        "--value-col). Rows after the last target value holding driver values are their future.",
    ),
]
FutureFile = Annotated[
    str | None,
    typer.Option("--future", help="CSV of the drivers' future values (the file's columns)."),
]
Calendar = Annotated[
    bool,
    typer.Option("--calendar", help="Add calendar drivers (day of week, month, hour, quarter)."),
]
Holidays = Annotated[
    str | None,
    typer.Option(
        "--holidays", help="Add a public-holiday driver: country code, e.g. AU or AU-VIC."
    ),
]

#: Forecast length in steps of the series' frequency (required where it is used).
Horizon = Annotated[int, typer.Option("--horizon", help="Steps to forecast.")]
#: Prediction-interval level in percent.
Level = Annotated[float, typer.Option("--level", help="Prediction-interval level, %.")]
#: Aggregate levels of a keyed file, and how their forecasts are made coherent.
Levels = Annotated[
    str | None,
    typer.Option(
        "--levels",
        help="Aggregate levels of the key columns, summed from the bottom and forecast too: "
        "comma-separated, keys joined by '/' (state,state/gender,total), or all.",
    ),
]
Reconcile = Annotated[
    str,
    typer.Option(
        "--reconcile",
        help="With --levels: auto (the combination unless the backtest clearly prefers one "
        "method), bottom_up, ols, wls_struct, wls_var, mint_shrink, combination (mean of ols "
        "and mint_shrink) or none.",
    ),
]

#: Folder the command writes its CSV files into (created if missing).
OutFolder = Annotated[str, typer.Option("--out", help="Output folder.")]

#: ``--json``: print exactly one JSON object on stdout.
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

#: The job store (:class:`forecast.jobs.JobStore`; None: its default URL).
Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLAlchemy URL of the job store (default: $FORECAST_DB or SQLite "
        "under $FORECAST_HOME).",
    ),
]

#: Where the web commands listen (``forecast dashboard``, ``forecast serve``).
Host = Annotated[str, typer.Option("--host", help="Interface to bind (loopback by default).")]
Port = Annotated[int, typer.Option("--port", help="TCP port.", min=1, max=65535)]
AllowedHosts = Annotated[
    str | None,
    typer.Option(
        "--allowed-hosts",
        help="Comma-separated host names the server answers to (Host header; '*': any, "
        "'.example.org': its sub-domains). Default: the --host address, plus localhost, "
        "127.0.0.1 and ::1 on loopback.",
    ),
]
Insecure = Annotated[
    bool,
    typer.Option(
        "--insecure", help="Serve a non-loopback address without sign-in (anyone can use it)."
    ),
]

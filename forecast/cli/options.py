"""The typer options that several commands share, defined once so their flags and help agree.

Each is an ``Annotated`` alias; a command gives the default in its signature
(``time_col: TimeCol = None``), so one alias serves commands with different defaults
(``--out``). Options that only one command has stay in that command's module.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

if TYPE_CHECKING:
    import pandas as pd

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
    "Reading",
    "Reconcile",
    "TimeCol",
    "ValueCol",
    "reading_options",
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
        "method), bottom_up, top_down, ols, wls_struct, wls_var, mint_shrink, mint_backtest, "
        "combination (mean of top_down and mint_shrink; ols for top_down where levels cross) "
        "or none.",
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


@dataclass(frozen=True)
class Reading:
    """How a command reads its CSV: the values of the reading options (``--time-col``,
    ``--value-col``, ``--id-col``, ``--fill``, ``--drivers``, ``--future``, ``--calendar``,
    ``--holidays``), as :func:`forecast.ingest.reader.read_csv` takes them."""

    time_col: str | None = None
    value_col: str | None = None
    id_col: str | None = None
    fill: str = "none"
    drivers: str | None = None
    future: str | None = None
    calendar: bool = False
    holidays: str | None = None

    def load(self, file: str) -> tuple[pd.DataFrame, Any]:
        """Read ``file`` (:func:`forecast.cli.common.load_frame`: bad input exits 2).

        Returns
        -------
        (DataFrame, ReadReport)
            The long frame and what the reader inferred.
        """
        from forecast.cli.common import load_frame

        options = asdict(self)
        head = [options.pop(k) for k in ("time_col", "value_col", "id_col", "fill")]
        return load_frame(file, *head, **options)

    @staticmethod
    def drivers_future(report) -> pd.DataFrame | None:
        """The drivers' future rows the file (or ``--future``) gave, None when it gave none."""
        future = getattr(report, "future", None)
        if future is None or future.empty or len(future.columns) <= 2:
            return None
        return future


#: The reading options by parameter name: the option (its flag and help) of each field of
#: :class:`Reading`.
READING_OPTIONS = {
    "time_col": TimeCol,
    "value_col": ValueCol,
    "id_col": IdCol,
    "fill": Fill,
    "drivers": Drivers,
    "future": FutureFile,
    "calendar": Calendar,
    "holidays": Holidays,
}


def reading_options(**options) -> Callable[[Callable], Callable]:
    """Give a command the reading options, collected in its ``reading: Reading`` parameter.

    The command declares ``reading: Reading = Reading()`` where the options go; typer sees
    ``--time-col`` … ``--holidays`` there instead (their defaults those of :class:`Reading`), and
    the command gets them as one :class:`Reading`.

    Parameters
    ----------
    **options
        An option of the command's own for a field (``fill=DiagnoseFill``: another help text).

    Examples
    --------
    >>> @reading_options()
    ... def inspect(file: CsvFile, reading: Reading = Reading(), as_json: AsJson = False): ...
    """
    unknown = set(options) - set(READING_OPTIONS)
    if unknown:  # our own mistake, not the user's
        raise TypeError(f"not reading options: {sorted(unknown)}")
    aliases = {**READING_OPTIONS, **options}
    defaults = {f.name: f.default for f in fields(Reading)}

    def decorate(command: Callable) -> Callable:
        hints = get_type_hints(command, include_extras=True)
        params = []
        for param in inspect.signature(command).parameters.values():
            if param.name != "reading":
                params.append(param.replace(annotation=hints.get(param.name, param.annotation)))
                continue
            params.extend(
                inspect.Parameter(
                    name, param.kind, default=defaults[name], annotation=aliases[name]
                )
                for name in READING_OPTIONS
            )

        @functools.wraps(command)
        def wrapper(*args, **kwargs):
            reading = Reading(
                **{name: kwargs.pop(name) for name in READING_OPTIONS if name in kwargs}
            )
            return command(*args, reading=reading, **kwargs)

        del wrapper.__wrapped__  # typer reads the signature below, not the command's
        wrapper.__signature__ = inspect.Signature(params, return_annotation=None)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate

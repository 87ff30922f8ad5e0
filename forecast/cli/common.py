"""Helpers shared by the CLI commands: error exits, JSON output, reading and writing CSVs.

The options the commands share are in :mod:`forecast.cli.options`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from forecast.errors import ForecastError
from forecast.safe_csv import to_csv_for_people

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EXIT_BAD_INPUT", "fail", "load_frame", "print_json", "run_app", "write_csvs"]

#: Exit status for bad input or a bad spec.
EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with status 2."""
    text = " ".join(str(message).split())
    typer.echo(f"error: {text}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_json(obj: Any) -> None:
    """Print one JSON object on stdout (NaN written as null)."""
    from forecast.jsonable import to_jsonable  # numpy/pandas only when JSON is printed

    typer.echo(json.dumps(to_jsonable(obj), default=str))


def load_frame(
    path: str,
    time_col=None,
    value_col=None,
    id_col=None,
    fill="none",
    freq=None,
    *,
    drivers=None,
    future=None,
    calendar=False,
    holidays=None,
):
    """Read a CSV for a command, turning every :class:`DataError` into a clean exit 2.

    ``drivers``, ``future``, ``calendar`` and ``holidays`` are those of
    :func:`forecast.ingest.reader.read_csv` (the ``--drivers``, ``--future``, ``--calendar``
    and ``--holidays`` options).
    """
    from forecast.ingest.reader import read_csv

    try:
        return read_csv(
            path,
            time_col=time_col,
            value_cols=value_col,
            id_col=id_col,
            fill=fill,
            freq=freq,
            drivers=drivers,
            future=future,
            calendar=calendar,
            holidays=holidays,
        )
    except ForecastError as exc:
        fail(str(exc))


def write_csvs(out: str, frames: dict[str, pd.DataFrame]) -> dict[str, Path]:
    """Write each frame to ``OUT/NAME`` (no index), creating the folder ``OUT``.

    Parameters
    ----------
    out : str
        The ``--out`` folder.
    frames : dict of str to DataFrame
        File name -> frame, written in this order.

    Returns
    -------
    dict of str to Path
        File name -> the path written.

    Raises
    ------
    typer.Exit
        Status 2 with ``error: cannot write to OUT: …`` when the folder or a file cannot be
        written.
    """
    folder = Path(out)
    paths = {name: folder / name for name in frames}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in frames.items():
            to_csv_for_people(frame, paths[name], index=False)
    except OSError as exc:
        fail(f"cannot write to {folder}: {exc.strerror or exc}; pass a writable --out folder.")
    return paths


def run_app(app: typer.Typer) -> None:
    """Run the typer app; our own errors exit 2 with one line, usage errors keep click's exit 2."""
    try:
        app(standalone_mode=True)
    except ForecastError as exc:  # pragma: no cover - commands catch their own
        typer.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)

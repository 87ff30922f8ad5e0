"""``forecast run FILE --horizon H``: backtest, refit, forecast the future, recommend; write CSVs."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from forecast.cli.common import fail, print_json
from forecast.cli.options import (
    AsJson,
    CsvFile,
    Horizon,
    Level,
    Levels,
    OutFolder,
    Reading,
    Reconcile,
    reading_options,
)
from forecast.diagnostics.pvalues import pvalue_text
from forecast.errors import ForecastError
from forecast.models.registry import MODEL_NAMES
from forecast.run.defaults import DEFAULT_MODELS, DEFAULT_WINDOWS, SEARCH


@reading_options()
def run(
    file: CsvFile,
    horizon: Horizon,
    models: Annotated[
        str,
        typer.Option(
            "--models",
            help=f"Comma-separated, each once: {','.join(MODEL_NAMES)} (auto: per series, the "
            "combination of the models that backtest best).",
        ),
    ] = ",".join(DEFAULT_MODELS),
    holdout: Annotated[
        int,
        typer.Option(
            "--holdout",
            help="Hold out and score the last N points of every series (forecasts then cover "
            "the held-out part, not the future).",
        ),
    ] = 0,
    backtest_windows: Annotated[
        int,
        typer.Option(
            "--backtest-windows",
            help="Rolling-origin backtest windows (step = horizon; fewer on short series; "
            "0: no backtest).",
        ),
    ] = DEFAULT_WINDOWS,
    epochs: Annotated[
        int | None,
        typer.Option(
            "--epochs", help="Training epochs of the models that train by epochs (rnn, lstm...)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of neural models.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes the per-series models fit their series and backtest windows on "
            "(default: every available core; 1: all in this process). Global models keep "
            "their thread settings.",
        ),
    ] = None,
    search: Annotated[
        str,
        typer.Option(
            "--search",
            help="twice (default): ARIMA orders and the ETS model are searched per series on "
            "the oldest backtest window, re-estimated at the later ones, and searched again on "
            "the whole history for the future; once: re-estimated for the future too; every: "
            "searched at every origin and for the future.",
        ),
    ] = SEARCH,
    level: Level = 80,
    out: OutFolder = "forecast-run",
    reading: Reading = Reading(),
    levels: Levels = None,
    reconcile: Reconcile = "auto",
    as_json: AsJson = False,
) -> None:
    """Backtest every model, refit on the whole history, forecast the future, recommend one.

    Writes OUT/forecasts.csv (unique_id, ds, model, yhat, lo, hi: the future H steps, or the
    held-out part with --holdout), OUT/backtest.csv (the backtest forecasts beside the actuals
    and their cutoff), OUT/leaderboard.csv (backtest scores, skill against seasonal naive,
    interval coverage), OUT/leaderboard_by_series.csv (per series: the recommended model, its
    MASE, skill and coverage, residual verdict, the best single model; worst first), and the
    rest of the run's result as a job stores it: residuals.csv, summary.json, diagnostics.json
    and a model-NAME folder per fitted model. With key columns every file gains them and
    ``level``; --levels adds the aggregate series, reconciled.
    With --drivers, the models that take drivers use them (those with a future — rows after the
    last value, or --future — as known in advance), auto keeps them per series where they lower
    the backtest error, and the verdict and --json "drivers" say which and why.
    """
    from forecast.run.backtest import check_search
    from forecast.run.outputs import write_run
    from forecast.run.pipeline import run_forecast
    from forecast.run.workers import check_workers, local_pool

    try:  # bad settings fail before the file is read
        check_workers(workers)
        check_search(search)
    except ForecastError as exc:
        fail(str(exc))
    df, report = reading.load(file)
    x_future = reading.drivers_future(report)
    console = Console(stderr=True)
    progress_bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress_bar.add_task("forecasting", total=None)

    def progress(step: int, total: int, message: str) -> None:
        progress_bar.update(task, completed=step, total=total, description=message[:60])

    try:
        with progress_bar, local_pool(workers) as executor:
            result = run_forecast(
                df,
                horizon=horizon,
                models=models,
                holdout=holdout,
                backtest_windows=backtest_windows,
                epochs=epochs,
                seed=seed,
                level=level,
                progress=progress,
                executor=executor,
                search=search,
                levels=levels,
                reconcile=reconcile,
                X_future=x_future,
            )
    except ForecastError as exc:
        fail(str(exc))
    try:  # the effective memory is a figure of the dashboard's: not measured here
        paths, problems = write_run(result, out, memory=False)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}; pass a writable --out folder.")
    for problem in problems:
        console.print(f"[yellow]warning[/]: {problem}")
    forecasts_path = paths["forecasts.csv"]
    leaderboard_path = paths["leaderboard.csv"]
    backtest_path = paths["backtest.csv"]
    board = result.leaderboard
    if as_json:  # the run's one document, as summary.json holds it
        print_json(result.to_json(paths))
        return
    _print_table(board, result.level)
    console = Console()
    console.print(f"[bold]verdict[/]: {result.verdict}")
    typer.echo(
        f"wrote {forecasts_path}, {backtest_path}, {leaderboard_path} and "
        f"{paths['leaderboard_by_series.csv']}"
    )


def _fmt(value, spec: str = ".4g") -> str:
    """A table cell: '-' for missing, yes/no for booleans, numbers by ``spec``."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return format(float(value), spec)
    return str(value)


def _print_table(board, level: float) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    table = Table(
        "rank",
        "model",
        "MAE",
        "RMSE",
        "sMAPE",
        "MASE",
        f"cover {level:g}%",
        "held out",
        "skill",
        "LB p",
        "white",
        "fit s",
        title="leaderboard",
    )
    for row in board.to_dict("records"):
        table.add_row(
            _fmt(row["rank"], ".0f"),
            row["model"],
            _fmt(row["mae"]),
            _fmt(row["rmse"]),
            _fmt(row["smape"], ".2f"),
            _fmt(row["mase"], ".3f"),
            _fmt(row["coverage"], ".0%"),
            _fmt(row.get("heldout_coverage"), ".0%"),
            _fmt(row.get("skill"), "+.0%"),
            pvalue_text(row["ljung_box_pvalue"], digits=2, missing="-"),
            _fmt(row["residuals_white"]),
            _fmt(row["fit_seconds"], ".2f"),
        )
    console.print(table)
    for row in board.to_dict("records"):
        if isinstance(row.get("error"), str) and row["error"]:
            console.print(f"[red]{row['model']} failed[/]: {row['error']}")
        else:
            text = row.get("residual_verdict") or ""
            if isinstance(row.get("detail"), str) and row["detail"]:
                text += f"  [dim]({row['detail']})[/]"
            console.print(f"[bold]{row['model']}[/]: {text}")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command("run")(run)

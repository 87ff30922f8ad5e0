"""``forecast jobs submit|list|show|cancel|rerun`` and ``forecast worker``: persistent jobs.

Every command takes ``--db URL`` (default ``$FORECAST_DB``, else SQLite at
``$FORECAST_HOME/jobs.db``). ``--json`` prints exactly one JSON object on stdout; bad input exits
2 with one ``error: …`` line on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from forecast.cli.common import fail, print_json
from forecast.cli.options import AsJson, Calendar, Db, Drivers, Holidays, Levels, Reconcile
from forecast.errors import ForecastError
from forecast.models.registry import MODEL_NAMES
from forecast.run.defaults import DEFAULT_MODELS, DEFAULT_WINDOWS, SEARCH

jobs_app = typer.Typer(
    name="jobs",
    help="Submit, watch, cancel and re-run forecasting jobs (run by `forecast worker`).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JobId = Annotated[str, typer.Argument(help="Job id (see `forecast jobs list`).")]


def _store(db: str | None):
    from forecast.jobs import JobStore

    try:
        return JobStore(db)
    except ForecastError as exc:
        fail(str(exc))


@jobs_app.command("submit")
def submit(
    file: Annotated[str, typer.Argument(help="CSV file (a copy is stored with the job).")],
    horizon: Annotated[int, typer.Option(help="Steps to forecast.")] = 12,
    models: Annotated[
        str, typer.Option(help=f"Comma-separated, each once: {','.join(MODEL_NAMES)}.")
    ] = ",".join(DEFAULT_MODELS),
    holdout: Annotated[
        int, typer.Option(help="Trailing points per series held out and scored.")
    ] = 0,
    backtest_windows: Annotated[
        int,
        typer.Option(
            "--backtest-windows", help="Rolling-origin backtest windows (fewer on short series)."
        ),
    ] = DEFAULT_WINDOWS,
    epochs: Annotated[
        int | None, typer.Option(help="Training epochs of the models that train by epochs.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    level: Annotated[float, typer.Option(help="Interval level in percent.")] = 80.0,
    time_col: Annotated[str | None, typer.Option("--time-col", help="Time column.")] = None,
    value_col: Annotated[
        str | None, typer.Option("--value-col", help="Value column(s), comma-separated.")
    ] = None,
    id_col: Annotated[
        str | None,
        typer.Option("--id-col", help="Series key column(s), comma-separated: store or a,b,c."),
    ] = None,
    fill: Annotated[str, typer.Option(help="Gap policy: none, interpolate or ffill.")] = "none",
    freq: Annotated[str | None, typer.Option(help="Frequency alias (inferred).")] = None,
    model_params: Annotated[
        str | None,
        typer.Option(
            "--model-params",
            help='JSON of per-model parameters, e.g. \'{"gru": {"hidden_size": 16}}\'.',
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            help="User of `forecast serve` who owns the job and its dataset (sees, downloads, "
            "cancels and re-runs them there). Default: none (admins only).",
        ),
    ] = None,
    levels: Levels = None,
    reconcile: Reconcile = "auto",
    drivers: Drivers = None,
    observed_only: Annotated[
        str | None,
        typer.Option(
            "--observed-only",
            help="Drivers whose future rows are not to be used (not known in advance).",
        ),
    ] = None,
    calendar: Calendar = False,
    holidays: Holidays = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes the job's per-series models fit their series and backtest windows "
            "on (1: all in the job's process; default: the worker's --pool-workers).",
        ),
    ] = None,
    search: Annotated[
        str,
        typer.Option(
            "--search",
            help="When ARIMA orders and the ETS model are searched per series: once, twice "
            "(default) or every (as forecast run --search).",
        ),
    ] = SEARCH,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """Queue a job on FILE; prints its id. A worker (`forecast worker`) runs it.

    With --drivers (and --calendar, --holidays) the job reads and forecasts with them as
    ``forecast run`` does."""
    from forecast.jobs import JobSpec

    path = Path(file)
    if not path.is_file():
        fail(f"File not found: {file}. Check the path.")
    params = {}
    if model_params:
        try:
            params = json.loads(model_params)
        except json.JSONDecodeError as exc:
            fail(
                f'--model-params is not valid JSON ({exc}); write e.g. \'{{"gru": {{"epochs": 5}}}}\'.'
            )
    store = _store(db)
    try:
        digest, stored = store.save_dataset(path.read_bytes(), path.name, owner=owner)
        spec = JobSpec(
            dataset_hash=digest,
            dataset_path=stored,
            filename=path.name,
            time_col=time_col,
            value_cols=value_col,
            id_col=id_col,
            fill=fill,
            freq=freq,
            horizon=horizon,
            models=models,
            holdout=holdout,
            backtest_windows=backtest_windows,
            epochs=epochs,
            seed=seed,
            level=level,
            model_params=params,
            levels=levels,
            reconcile=reconcile,
            drivers=drivers,
            observed_only=observed_only,
            calendar=calendar,
            holidays=holidays,
            workers=workers,
            search=search,
        )
        job_id = store.submit(spec, owner=owner)
    except ForecastError as exc:
        fail(str(exc))
    if as_json:
        print_json({"id": job_id, "status": "queued"})
    else:
        typer.echo(job_id)


@jobs_app.command("list")
def list_jobs(
    limit: Annotated[int, typer.Option(help="Newest jobs to show.")] = 20,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    db: Db = None,
    as_json: AsJson = False,
) -> None:
    """List the newest jobs with their status and progress."""
    from forecast.jobs import STATUSES

    if status is not None and status not in STATUSES:
        fail(f"--status {status} is not a job status; use one of {', '.join(STATUSES)}.")
    if limit < 1:
        fail(f"--limit must be at least 1, got {limit}.")
    jobs = _store(db).list_jobs(limit=limit, status=status)
    if as_json:
        print_json({"jobs": [j.summary() for j in jobs]})
        return
    table = Table("status", "progress", "models", "file", "created (UTC)", "message")
    table.add_column("id", no_wrap=True)
    for j in jobs:
        table.add_row(
            j.status,
            f"{100 * j.progress:.0f}%",
            ",".join(j.spec.models),
            j.spec.filename,
            j.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            (j.error or j.message)[:60],
            j.id,
        )
    Console().print(table)


@jobs_app.command("show")
def show(job_id: JobId, db: Db = None, as_json: AsJson = False) -> None:
    """Status, progress, history and (when done) the leaderboard of one job."""
    store = _store(db)
    try:
        job = store.get(job_id)
        events = store.events(job_id)
        result = store.stored_run(job_id) if job.status == "done" else None
    except ForecastError as exc:
        fail(str(exc))
    board = None
    if result is not None:
        board = json.loads(result.leaderboard.to_json(orient="records", date_format="iso"))
    if as_json:
        print_json(
            {
                "job": job.summary()
                | {
                    "spec": job.spec.model_dump(),
                    "retries": job.retries,
                    "worker": job.worker,
                    "parent_id": job.parent_id,
                },
                "events": events,
                "leaderboard": board,
                "artifacts": None if result is None else result.artifacts,
            }
        )
        return
    console = Console()
    console.print(
        f"[bold]{job.id}[/] {job.status} {100 * job.progress:.0f}% — {job.message}  "
        f"({job.spec.filename}, models {','.join(job.spec.models)}, horizon {job.spec.horizon}, "
        f"attempts {job.attempts})"
    )
    if job.error:
        console.print(f"[red]error:[/] {job.error}")
    for ev in events[-15:]:
        console.print(f"  {ev['at'][11:19]}  {ev['kind']:<8} {ev['message']}")
    if board:
        from forecast.evaluation.leaderboard import LABELS, SHOWN_COLUMNS

        cols = [c for c in SHOWN_COLUMNS if c in board[0]]
        if all(row.get("error") in (None, "") for row in board):
            cols.remove("error")
        table = Table(*[LABELS[c] for c in cols])
        for row in board:
            table.add_row(*[_cell(row.get(c)) for c in cols])
        console.print(table)
    if result is not None:
        for name, path in result.artifacts.items():
            console.print(f"  {name}: {path}")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@jobs_app.command("cancel")
def cancel(job_id: JobId, db: Db = None, as_json: AsJson = False) -> None:
    """Cancel a job: a queued job at once, a running one at its next step or epoch."""
    try:
        status = _store(db).cancel(job_id)
    except ForecastError as exc:
        fail(str(exc))
    if as_json:
        print_json({"id": job_id, "status": status, "cancel_requested": status == "running"})
    elif status == "running":
        typer.echo(f"{job_id}: cancel requested; it stops at its next step")
    else:
        typer.echo(f"{job_id}: {status}")


@jobs_app.command("rerun")
def rerun(job_id: JobId, db: Db = None, as_json: AsJson = False) -> None:
    """Queue a new job with the same spec and dataset; prints the new id."""
    try:
        new_id = _store(db).rerun(job_id)
    except ForecastError as exc:
        fail(str(exc))
    if as_json:
        print_json({"id": new_id, "parent_id": job_id, "status": "queued"})
    else:
        typer.echo(new_id)


#: Default niceness of ``forecast worker``: jobs yield the CPU to interactive requests (pages,
#: API) of ``forecast serve`` on the same machine, and use it fully when those are idle.
WORKER_NICENESS = 10


def lower_priority(niceness: int) -> int:
    """Raise this process's niceness to ``niceness`` (never lower it); return the niceness now.

    Child processes (a job's per-series pool) inherit it. Niceness only orders processes that
    compete for a core: a niced worker on an otherwise idle machine runs at full speed.
    """
    if niceness > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    return os.getpriority(os.PRIO_PROCESS, 0)


def worker(
    db: Db = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Dask scheduler address, e.g. tcp://host:8786.")
    ] = None,
    concurrency: Annotated[int, typer.Option(help="Jobs run at once.")] = 1,
    once: Annotated[
        bool, typer.Option("--once", help="Exit when no job is queued or running.")
    ] = False,
    max_retries: Annotated[
        int, typer.Option("--max-retries", help="Re-queues of a job interrupted by a dead worker.")
    ] = 1,
    pool_workers: Annotated[
        int, typer.Option("--pool-workers", help="Local processes per job for per-series models.")
    ] = 0,
    stale_after: Annotated[
        float,
        typer.Option("--stale-after", help="Seconds without heartbeat before a job is orphaned."),
    ] = 30.0,
    nice: Annotated[
        int,
        typer.Option(
            "--nice",
            help="CPU priority of the worker and its jobs (Unix niceness, 0-19): web processes "
            "on the same machine keep their cores. 0 keeps the priority it was started with.",
            min=0,
            max=19,
        ),
    ] = WORKER_NICENESS,
) -> None:
    """Run queued jobs (recovering those left running by a dead worker) until stopped."""
    from forecast.jobs import LocalRunner
    from forecast.jobs.home import make_private

    niceness = lower_priority(nice)
    make_private()  # FORECAST_HOME 0700, results 0600

    if dask:
        try:
            from distributed import Client

            Client(dask, timeout="10s", set_as_default=False).close()
        except (OSError, TimeoutError) as exc:
            fail(f"Cannot reach the Dask scheduler at {dask} ({exc}); check --dask.")
    store = _store(db)
    store.sweep_partial_files()  # what a killed process left half-written
    try:
        runner = LocalRunner(
            store,
            concurrency=concurrency,
            dask_address=dask,
            pool_workers=pool_workers,
            max_retries=max_retries,
            stale_after=stale_after,
        )
    except ForecastError as exc:
        fail(str(exc))
    signal.signal(signal.SIGTERM, lambda *_: runner.request_stop())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    print(
        f"worker {runner.name} serving {store.url}"
        + (f" via {dask}" if dask else "")
        + f" (niceness {niceness})",
        file=sys.stderr,
        flush=True,
    )
    try:
        if once:
            done = runner.run_until_idle()
            print(f"worker {runner.name}: ran {len(done)} job(s)", file=sys.stderr)
        else:
            runner.run_forever()
    except KeyboardInterrupt:
        runner.request_stop()


def register(app: typer.Typer) -> None:
    """Add the ``jobs`` sub-app and the ``worker`` command."""
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)

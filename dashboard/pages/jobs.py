"""Jobs page: the signed-in user's jobs (an admin's: everyone's) with live progress, cancel and
re-run; survives reloads and restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import auth, state
from dashboard.components import FRIENDLY_ERROR, card, empty_state, error_alert, log
from forecast.errors import ForecastError

KEY = "jobs"
PATH = "/jobs"
TITLE = "Jobs"

#: Bootstrap colour of each status.
STATUS_COLORS = {
    "queued": "secondary",
    "running": "primary",
    "done": "success",
    "failed": "danger",
    "cancelled": "warning",
    "interrupted": "warning",
}
#: Refresh period of the list, in milliseconds.
REFRESH_MS = 1000


def layout(**_query):
    """The page's layout."""
    return html.Div(
        [
            dcc.Interval(id="jobs-tick", interval=REFRESH_MS, n_intervals=0),
            dcc.Store(id="jobs-signature"),
            html.H1("Jobs", className="h4"),
            html.Div(id="jobs-alert"),
            card("Your jobs (newest first)", html.Div(id="jobs-table")),
        ]
    )


def _when(record) -> str:
    return record.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _elapsed(record) -> str:
    seconds = record.elapsed_seconds
    if seconds is None:
        return "—"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def expected_finish(record, now: datetime | None = None) -> str | None:
    """``"expected finish 08:12 (in 4 min)"`` for a running job, at its pace so far (None
    before any progress, or when the job is not running)."""
    from forecast.run.cost import duration_text, eta_seconds

    if record.status != "running" or record.started_at is None:
        return None
    now = now or datetime.now(UTC)
    elapsed = (now - record.started_at).total_seconds()
    left = eta_seconds(elapsed, float(record.progress or 0), 1.0)
    if left is None or float(record.progress or 0) < 0.02:  # too early to tell
        return None
    end = (now + timedelta(seconds=left)).astimezone()
    return f"expected finish {end:%H:%M} (in {duration_text(left)})"


def job_row(record) -> html.Tr:
    """One table row for a :class:`forecast.jobs.JobRecord`."""
    status = record.status
    pct = round(100 * float(record.progress or 0))
    bar = dbc.Progress(
        value=pct if status != "done" else 100,
        label=f"{pct}%" if pct >= 10 else "",
        striped=status == "running",
        animated=status == "running",
        color=STATUS_COLORS.get(status, "secondary"),
        style={"height": "1.1rem"},
    )
    message = (
        record.error if status in {"failed", "interrupted"} and record.error else record.message
    )
    finish = expected_finish(record)
    if finish:
        message = f"{message or ''} · {finish}"
    actions = []
    if status in {"queued", "running"}:
        actions.append(
            dbc.Button(
                "Cancel",
                id={"type": "job-cancel", "index": record.id},
                size="sm",
                color="outline-danger",
                className="me-1",
                disabled=bool(record.cancel_requested),
            )
        )
    else:
        actions.append(
            dbc.Button(
                "Re-run",
                id={"type": "job-rerun", "index": record.id},
                size="sm",
                color="outline-secondary",
                className="me-1",
            )
        )
    if status == "done":
        actions.append(
            dcc.Link(
                "Results",
                href=f"/results?job={record.id}",
                className="btn btn-sm btn-outline-primary",
            )
        )
    spec = record.spec
    return html.Tr(
        [
            html.Td(html.Code(record.id)),
            html.Td(spec.filename or spec.dataset_hash[:10]),
            html.Td(", ".join(spec.models), className="small"),
            html.Td(
                dbc.Badge(
                    status, color=STATUS_COLORS.get(status, "secondary"), className="job-status"
                )
            ),
            html.Td(
                [bar, html.Div(message or "", className="small text-muted job-message")],
                style={"minWidth": "14rem"},
            ),
            html.Td(_when(record), className="small"),
            html.Td(_elapsed(record), className="small"),
            html.Td(actions, className="text-nowrap"),
        ],
        className="job-row",
        id={"type": "job-row", "index": record.id},
    )


def signature(records) -> str:
    """What the table shows of the jobs, minus the clock (to skip re-rendering unchanged tables,
    which would steal keyboard focus from the buttons every second)."""
    return "|".join(
        f"{r.id}:{r.status}:{r.progress:.3f}:{r.message}:{r.cancel_requested}" for r in records
    )


def jobs_table(limit: int = 50, records=None):
    """The jobs table (or an empty state) from the store."""
    if not state.jobs_available():
        return empty_state("The job runner is not installed in this deployment.")
    if records is None:
        records = state.get_store().list_jobs(limit=limit, owner=auth.owner_filter())
    if not records:
        return empty_state(
            "No jobs yet. Choose data, then submit one on the Run page.", link=("Go to Run", "/run")
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in ("Job", "Data", "Models", "Status", "Progress", "Created", "Elapsed", "")
            ]
        )
    )
    return dbc.Table(
        [head, html.Tbody([job_row(r) for r in records])],
        hover=True,
        responsive=True,
        size="sm",
        className="mb-0",
        id="jobs-list",
    )


def act(action: str, job_id: str) -> tuple[str, str, str | None]:
    """Cancel (``job-cancel``) or re-run (``job-rerun``) a job.

    Returns
    -------
    message, colour : str
        For the alert.
    new_id : str or None
        Id of the new job of a re-run.
    """
    store = state.get_store()
    owner = auth.owner_filter()  # someone else's job reads as one that does not exist
    if action == "job-cancel":
        status = store.cancel(job_id, owner=owner)
        if status == "running":
            return (
                f"Cancel requested for job {job_id}; it stops after its current step.",
                "info",
                None,
            )
        return f"Job {job_id} is {status}.", "info", None
    new_id = store.rerun(job_id, owner=owner)
    return f"Job {job_id} re-queued as {new_id}.", "success", new_id


def register(app) -> None:
    """Attach the page's callbacks to ``app``."""

    @app.callback(
        Output("jobs-table", "children"),
        Output("jobs-signature", "data"),
        Input("jobs-tick", "n_intervals"),
        State("jobs-signature", "data"),
    )
    def _refresh(n, previous):
        try:
            records = (
                state.get_store().list_jobs(limit=50, owner=auth.owner_filter())
                if state.jobs_available()
                else []
            )
            sig = signature(records)
            running = any(r.status == "running" for r in records)
            # unchanged: keep the table (and the focus); refresh the clock every 5 s only
            if n and sig == previous and not (running and n % 5 == 0):
                raise PreventUpdate
            return jobs_table(records=records), sig
        except PreventUpdate:
            raise
        except Exception as exc:
            if not isinstance(exc, ForecastError):
                log.exception("listing jobs failed")
            message = str(exc) if isinstance(exc, ForecastError) else FRIENDLY_ERROR
            return error_alert(message), None

    @app.callback(
        Output("jobs-alert", "children"),
        Output("job-id", "data", allow_duplicate=True),
        Input({"type": "job-cancel", "index": ALL}, "n_clicks"),
        Input({"type": "job-rerun", "index": ALL}, "n_clicks"),
        State("job-id", "data"),
        prevent_initial_call=True,
    )
    def _act(_cancels, _reruns, current):
        trigger = ctx.triggered_id
        if not trigger or not any(t.get("value") for t in ctx.triggered):
            raise PreventUpdate
        try:
            message, color, new_id = act(trigger["type"], trigger["index"])
        except Exception as exc:
            if not isinstance(exc, ForecastError):
                log.exception("job action failed")
            return error_alert(
                str(exc) if isinstance(exc, ForecastError) else FRIENDLY_ERROR
            ), no_update
        return error_alert(message, color=color), new_id or current

"""The JSON API for scripts: ``/api/v1/…`` on the dashboard's server, same sign-in, same owners.

Routes (every answer is JSON except the downloads; ``{"error": message}`` with a 4xx status for
bad input, with the messages of the command line):

- ``GET  /api/v1/me`` — who is signed in: ``{"user", "admin"}``
- ``GET  /api/v1/datasets`` — your datasets; ``POST /api/v1/datasets`` — upload one (multipart
  field ``file``, or the raw body with header ``X-Upload-Filename``): 201 ``{"hash", "filename"}``
- ``GET  /api/v1/jobs[?status=done&limit=50]`` — your jobs, newest first
- ``POST /api/v1/jobs`` — submit: multipart (field ``file`` plus the options as form fields) or
  JSON (``dataset``: a hash from ``POST /api/v1/datasets``, plus the options). Options, as for
  ``forecast jobs submit``: ``horizon``, ``models`` (comma-separated or a list), ``holdout``,
  ``backtest_windows``, ``epochs``, ``seed``, ``level``, ``time_col``, ``value_col``, ``id_col``
  (one key column, or several comma-separated or as a JSON list),
  ``fill``, ``freq``, ``model_params`` (JSON). 201 ``{"id", "status": "queued", "dataset"}``
- ``GET  /api/v1/jobs/ID`` — status, progress, events, and the leaderboard once done
- ``POST /api/v1/jobs/ID/cancel`` · ``POST /api/v1/jobs/ID/rerun`` (201, the new job)
- ``GET  /api/v1/jobs/ID/forecasts.csv`` · ``leaderboard.csv`` · ``models.zip``

Status codes: 400 bad input (spec, data, a host name not allowed, a malformed JSON body), 401 not
signed in, 403 a post from another site's page, 404 no such job or dataset (someone else's reads
the same), 409 results of a job that is not done, 413 a body over its limit (checked before
reading: :mod:`dashboard.guards`), 429 too many failed sign-ins (``Retry-After``). CSV downloads
neutralise formula cells (:mod:`forecast.safe_csv`).
``GET /healthz`` (public) answers 200 ``{"status": "ok"}`` when the store answers, else 503.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, jsonify, request

from dashboard import auth, datasets, state
from dashboard.components import FRIENDLY_ERROR, log
from dashboard.upload import FILENAME_HEADER, read_body
from forecast.errors import DataError, ForecastError, SpecError
from forecast.safe_csv import to_csv_for_people

__all__ = ["PREFIX", "register"]

#: Where the API lives.
PREFIX = "/api/v1"
#: JobSpec fields settable through the API, by their API (and CLI option) names.
OPTIONS = {
    "horizon": "horizon",
    "models": "models",
    "holdout": "holdout",
    "backtest_windows": "backtest_windows",
    "epochs": "epochs",
    "seed": "seed",
    "level": "level",
    "time_col": "time_col",
    "value_col": "value_cols",
    "value_cols": "value_cols",
    "id_col": "id_col",
    "fill": "fill",
    "freq": "freq",
    "model_params": "model_params",
}
#: Defaults of ``forecast jobs submit``.
DEFAULTS = {"horizon": 12, "models": "snaive,arima"}

api = Blueprint("forecast_api", __name__, url_prefix=PREFIX)


class _NotDone(SpecError):
    """Results asked of a job that is not done (409)."""


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _status_of(exc: ForecastError) -> int:
    text = str(exc)
    if isinstance(exc, _NotDone):
        return 409
    if text.startswith("No job with id") or "no longer on the server" in text:
        return 404
    if "upload limit" in text:
        return 413
    return 400


@api.errorhandler(ForecastError)
def _forecast_error(exc: ForecastError):
    return _error(str(exc), _status_of(exc))


@api.errorhandler(404)
def _not_found(_exc):
    return _error(f"No API route {request.method} {request.path}; see docs/deployment.md.", 404)


@api.errorhandler(405)
def _not_allowed(_exc):
    return _error(f"{request.method} is not allowed on {request.path}.", 405)


@api.errorhandler(Exception)
def _unexpected(exc: Exception):
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return _error(exc.description or exc.name, exc.code or 500)
    log.exception("API request %s %s failed", request.method, request.path)
    return _error(FRIENDLY_ERROR, 500)


def _summary(job) -> dict[str, Any]:
    """The fields of ``forecast jobs list --json``, plus the owner and the re-run's parent."""
    return {**job.summary(), "owner": job.owner, "parent_id": job.parent_id}


def _int_arg(name: str, default: int, most: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SpecError(f"{name} must be a whole number, got {raw!r}.") from None
    if not 1 <= value <= most:
        raise SpecError(f"{name} must be between 1 and {most}, got {value}.")
    return value


def _read_upload() -> tuple[bytes, str]:
    """The uploaded file of this request (raw body or multipart ``file``) and its name.

    With the ``X-Upload-Filename`` header the body is the file, whatever its ``Content-Type``
    says (``curl --data-binary`` sends a form's): it is read as bytes, never parsed as a form.
    """
    raw_name = request.headers.get(FILENAME_HEADER)
    if raw_name and request.mimetype != "multipart/form-data":
        name = datasets.clean_filename(unquote(raw_name))
        datasets.check_upload_name(name)
        datasets.check_upload_size(name, request.content_length)
        data = read_body(datasets.MAX_UPLOAD_BYTES + 1)
    else:
        upload = request.files.get("file")
        if upload is None:
            raise DataError(
                "No file: send it as the multipart field `file` (curl -F file=@data.csv), or as "
                f"the body with its name in the {FILENAME_HEADER} header."
            )
        name = datasets.clean_filename(upload.filename)
        datasets.check_upload_name(name)
        data = upload.read(datasets.MAX_UPLOAD_BYTES + 1)
    datasets.check_upload_size(name, len(data))
    datasets.check_upload_content(name, data)
    return data, name


def _options(source: dict[str, Any]) -> dict[str, Any]:
    """JobSpec fields from the request's options (unknown names are refused)."""
    unknown = sorted(set(source) - set(OPTIONS) - {"dataset", "file"})
    if unknown:
        raise SpecError(
            f"Unknown option(s) {', '.join(unknown)}; the options are {', '.join(OPTIONS)}."
        )
    fields: dict[str, Any] = {}
    for key, value in {**DEFAULTS, **source}.items():
        if key in OPTIONS and value not in (None, ""):
            fields[OPTIONS[key]] = value
    params = fields.get("model_params")
    if isinstance(params, str):
        try:
            fields["model_params"] = json.loads(params)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f'model_params is not valid JSON ({exc}); write e.g. {{"gru": {{"epochs": 5}}}}.'
            ) from None
    return fields


# ------------------------------------------------------------------ routes
@api.get("/me")
def me():
    ident = auth.current()
    return jsonify({"user": ident.name if ident else None, "admin": bool(ident and ident.admin)})


@api.get("/datasets")
def list_datasets():
    return jsonify({"datasets": state.get_store().list_datasets(owner=auth.owner_filter())})


@api.post("/datasets")
def upload_dataset():
    data, name = _read_upload()
    digest = datasets.save_dataset(data, name)
    return jsonify({"hash": digest, "filename": name}), 201


@api.get("/jobs")
def list_jobs():
    status = request.args.get("status") or None
    from forecast.jobs import STATUSES

    if status is not None and status not in STATUSES:
        raise SpecError(f"Unknown status {status!r}; use one of {', '.join(STATUSES)}.")
    limit = _int_arg("limit", 50, 1000)
    jobs = state.get_store().list_jobs(limit=limit, status=status, owner=auth.owner_filter())
    return jsonify({"jobs": [_summary(j) for j in jobs]})


@api.post("/jobs")
def submit_job():
    from forecast.jobs import JobSpec

    store = state.get_store()
    if request.files or request.form:
        source = dict(request.form.items())
        data, name = _read_upload()
        digest = datasets.save_dataset(data, name)
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise SpecError(
                "Send the job as JSON (with `dataset`: a hash from POST /api/v1/datasets) or as "
                "a multipart form with the CSV in `file`."
            )
        source = dict(body)
        digest = source.get("dataset")
        if not digest:
            raise SpecError("The JSON job lacks `dataset`: upload with POST /api/v1/datasets.")
        name = next(
            (
                d["filename"]
                for d in store.list_datasets(owner=auth.owner_filter())
                if d["hash"] == digest
            ),
            "",
        )
    path = datasets.resolve_path(digest)
    spec = JobSpec(dataset_hash=digest, dataset_path=str(path), filename=name, **_options(source))
    job_id = store.submit(spec, owner=auth.owner_name())
    return jsonify({"id": job_id, "status": "queued", "dataset": digest}), 201


@api.get("/jobs/<job_id>")
def show_job(job_id: str):
    store = state.get_store()
    owner = auth.owner_filter()
    job = store.get(job_id, owner=owner)
    out = _summary(job)
    out["spec"] = job.spec.model_dump()
    out["events"] = store.events(job_id, owner=owner)
    out["leaderboard"] = None
    if job.status == "done":
        from forecast.jsonable import to_jsonable

        result = store.stored_run(job_id, owner=owner)
        out["leaderboard"] = to_jsonable(result.leaderboard.to_dict(orient="records"))
    return jsonify(out)


@api.post("/jobs/<job_id>/cancel")
def cancel_job(job_id: str):
    status = state.get_store().cancel(job_id, owner=auth.owner_filter())
    return jsonify({"id": job_id, "status": status})


@api.post("/jobs/<job_id>/rerun")
def rerun_job(job_id: str):
    new_id = state.get_store().rerun(job_id, owner=auth.owner_filter())
    return jsonify({"id": new_id, "status": "queued", "parent_id": job_id}), 201


def _done_result(job_id: str):
    """The stored run of a done job of the caller (:meth:`JobStore.stored_run`), else 404/409."""
    store = state.get_store()
    owner = auth.owner_filter()
    job = store.get(job_id, owner=owner)
    if job.status != "done":
        raise _NotDone(f"Job {job_id} is {job.status}; results appear when it is done.")
    return store.stored_run(job_id, owner=owner)


def _csv(frame, filename: str) -> Response:
    response = Response(to_csv_for_people(frame, index=False), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@api.get("/jobs/<job_id>/forecasts.csv")
def forecasts_csv(job_id: str):
    return _csv(_done_result(job_id).forecasts, f"forecasts-{job_id}.csv")


@api.get("/jobs/<job_id>/leaderboard.csv")
def leaderboard_csv(job_id: str):
    return _csv(_done_result(job_id).leaderboard, f"leaderboard-{job_id}.csv")


@api.get("/jobs/<job_id>/models.zip")
def models_zip(job_id: str):
    from dashboard.job_results import models_zip as zip_of

    _done_result(job_id)
    response = Response(zip_of(job_id), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="models-{job_id}.zip"'
    return response


@api.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def _no_route(rest: str):
    """Anything else under the prefix: a JSON 404 (not the dashboard's page shell)."""
    return _not_found(None)


def health():
    """``GET /healthz``: 200 when the job store answers, 503 when not (for a load balancer)."""
    try:
        store = state.get_store()
        store.ping()
    except Exception as exc:
        log.warning("health check failed: %s", exc)
        return jsonify({"status": "unavailable", "error": str(exc)[:200]}), 503
    return jsonify({"status": "ok", "store": store.engine.dialect.name, "pid": os.getpid()})


def register(server: Flask) -> None:
    """Add the API and ``/healthz`` to a Flask server."""
    server.register_blueprint(api)
    server.add_url_rule("/healthz", endpoint="forecast_health", view_func=health)

"""The streamed upload: ``POST <prefix>upload`` on the app's Flask server.

``dcc.Upload`` alone reads a file into a base64 data URL in the browser and posts it as JSON
through a Dash callback (4/3 of the file, held in the page's state, decoded again at the
server). Instead, ``assets/upload.js`` takes the file chosen or dropped in the upload box and
sends its bytes as the body of one request to this route, which checks the name and size, saves
the file under its SHA-256 (as before), starts parsing and diagnosing it in the background, and
answers the dataset store's new content as JSON. The script puts that in the ``dataset`` store
(only the hash, the file name and the overrides travel to the browser); an error message goes to
the ``upload-error`` store, which the Data page shows next to the upload box.

Protocol: the body is the file's bytes; the header ``X-Upload-Filename`` carries the file's
name, URL-encoded. A custom header cannot be sent across origins without a CORS preflight, which
this server never grants, so another web site cannot upload into it from a visitor's browser.

- 200 ``{"hash", "filename", "overrides": {}}``
- 400 ``{"error"}``: no file name, a name that is not .csv/.tsv/.txt, an empty file, bytes
  that are not text, a header of more columns than :data:`forecast.ingest.limits.MAX_COLUMNS`
  (any ``Content-Type`` is accepted: the body is the file)
- 413 ``{"error"}``: over :data:`dashboard.datasets.MAX_UPLOAD_BYTES` (checked from the
  ``Content-Length`` before reading, and again on the bytes read)
- 500 ``{"error"}``: anything unexpected (the details go to the server log)
"""

from __future__ import annotations

from urllib.parse import unquote

from flask import Response, jsonify, request

from dashboard import datasets
from dashboard.components import FRIENDLY_ERROR, log
from forecast.errors import ForecastError

__all__ = ["FILENAME_HEADER", "UPLOAD_PATH", "accept_upload", "read_body", "register"]

#: The route, under the app's ``routes_pathname_prefix``.
UPLOAD_PATH = "upload"
#: Request header carrying the file's name (URL-encoded).
FILENAME_HEADER = "X-Upload-Filename"


def accept_upload(data: bytes, filename: str) -> dict:
    """Check and save an uploaded file, start its diagnosis; the dataset store's new content.

    Parameters
    ----------
    data : bytes
        The file.
    filename : str
        Its name as the browser gave it (only the base name is kept, for display).

    Returns
    -------
    dict
        ``{"hash", "filename", "overrides": {}}``.

    Raises
    ------
    DataError
        Wrong extension, over the size limit, empty, not text, or too many columns.
    """
    from dashboard.pages.diagnostics import prefetch_first

    name = datasets.clean_filename(filename)
    datasets.check_upload_name(name)
    datasets.check_upload_size(name, len(data))
    datasets.check_upload_content(name, data)
    chosen = {"hash": datasets.save_dataset(data, name), "filename": name, "overrides": {}}
    # Parse, diagnose and build the Diagnostics figures now, while the browser draws the Data
    # page: the Diagnostics page then finds them ready (or nearly).
    prefetch_first(chosen)
    return chosen


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def read_body(most: int) -> bytes:
    """The request body, or its first ``most`` bytes (a stream's read may return less)."""
    chunks, size = [], 0
    while size < most:
        chunk = request.stream.read(min(1 << 20, most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _receive():
    raw_name = request.headers.get(FILENAME_HEADER)
    if not raw_name:
        return _error(f"The upload lacks its file name (the {FILENAME_HEADER} header).", 400)
    name = datasets.clean_filename(unquote(raw_name))
    try:
        datasets.check_upload_name(name)
    except ForecastError as exc:
        return _error(str(exc), 400)
    try:
        datasets.check_upload_size(name, request.content_length)
        data = read_body(datasets.MAX_UPLOAD_BYTES + 1)
        datasets.check_upload_size(name, len(data))
    except ForecastError as exc:
        return _error(str(exc), 413)
    try:
        return jsonify(accept_upload(data, name))
    except ForecastError as exc:
        return _error(str(exc), 400)
    except Exception:
        log.exception("saving the upload %s failed", name)
        return _error(FRIENDLY_ERROR, 500)


def register(app) -> None:
    """Add the upload route to ``app.server`` (under the app's ``routes_pathname_prefix``)."""
    app.server.add_url_rule(
        app.config.routes_pathname_prefix + UPLOAD_PATH,
        endpoint="forecast_upload",
        view_func=_receive,
        methods=["POST"],
    )

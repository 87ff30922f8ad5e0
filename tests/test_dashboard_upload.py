"""The dashboard's streamed upload route (``POST /upload``), through Flask's test client."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest
from dash.exceptions import PreventUpdate

from dashboard import datasets
from dashboard.app import create_app
from dashboard.pages import data as data_page
from dashboard.upload import FILENAME_HEADER, accept_upload

AIR = datasets.state.DATA_DIR / "air_passengers.csv"


@pytest.fixture
def client(tmp_path, monkeypatch):
    monkeypatch.setenv("FORECAST_HOME", str(tmp_path))
    return create_app().server.test_client()


def post(client, raw: bytes, name: str | None, **headers):
    if name is not None:
        headers[FILENAME_HEADER] = quote(name)
    return client.post("/upload", data=raw, headers=headers)


def test_good_file_is_saved_under_its_hash_and_only_ids_come_back(client):
    raw = AIR.read_bytes()
    response = post(client, raw, "My data/air passengers ü.csv")
    assert response.status_code == 200
    answer = response.get_json()
    digest = hashlib.sha256(raw).hexdigest()
    # the folder part of a name is dropped; the name is for display only
    assert answer == {"hash": digest, "filename": "air passengers ü.csv", "overrides": {}}
    assert datasets.resolve_path(digest).read_bytes() == raw
    # the store content works as it is: the Data page reads the file
    out = data_page.render(answer)
    assert out[0] is None and "Passengers" in str(out[1])
    assert post(client, raw, "again.csv").get_json()["hash"] == digest  # same content, same id


def test_too_big_is_refused_before_reading(client, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_UPLOAD_BYTES", 100)
    raw = b"t,y\n" + b"2020-01-01,1\n" * 20
    response = post(client, raw, "big.csv")
    assert response.status_code == 413
    assert response.get_json()["error"].startswith("big.csv is over the 0 MB upload limit")
    with pytest.raises(datasets.DataError, match="no longer on the server"):
        datasets.resolve_path(hashlib.sha256(raw).hexdigest())


def test_without_content_length_the_bytes_read_are_checked(client, monkeypatch):
    # a chunked body (no Content-Length): read up to the limit, then refused
    raw = AIR.read_bytes()

    def chunked(body: bytes):
        return client.post(
            "/upload",
            input_stream=io.BytesIO(body),
            headers={FILENAME_HEADER: "air.csv"},
            environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
        )

    assert chunked(raw).get_json()["hash"] == hashlib.sha256(raw).hexdigest()
    monkeypatch.setattr(datasets, "MAX_UPLOAD_BYTES", 1000)
    response = chunked(raw)
    assert response.status_code == 413 and "upload limit" in response.get_json()["error"]
    with pytest.raises(datasets.DataError, match="upload limit"):
        accept_upload(raw, "big.csv")


@pytest.mark.parametrize("name", ["book.xlsx", "data.csv.exe", "noext"])
def test_wrong_extension_is_refused_with_a_message(client, name):
    response = post(client, AIR.read_bytes(), name)
    assert response.status_code == 400
    assert response.get_json()["error"] == (
        f"{name} is not a CSV file; upload a .csv (or .tsv/.txt) file with a time column "
        "and value columns."
    )


def test_missing_name_and_empty_file_are_refused(client):
    response = post(client, AIR.read_bytes(), None)
    assert response.status_code == 400 and FILENAME_HEADER in response.get_json()["error"]
    response = post(client, b"", "empty.csv")
    assert response.status_code == 400 and "empty" in response.get_json()["error"]


def test_only_post_uploads(client):
    assert client.put("/upload", data=AIR.read_bytes()).status_code == 405


def test_bad_csv_is_saved_then_the_data_page_says_what_is_wrong(client):
    raw = b"when,value\nyesterday,1\ntoday,2\ntomorrow,3\n"
    answer = post(client, raw, "bad.csv").get_json()
    alert = str(data_page.render(answer)[0])
    assert "bad.csv" in alert and "No column holds dates" in alert
    assert "Traceback" not in alert


def test_unexpected_failure_is_a_friendly_line(client, monkeypatch, caplog):
    def broken(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(datasets, "save_dataset", broken)
    response = post(client, AIR.read_bytes(), "air.csv")
    assert response.status_code == 500
    assert "went wrong on our side" in response.get_json()["error"]
    assert "disk on fire" in caplog.text and "disk on fire" not in response.get_data(as_text=True)


def test_upload_error_store_shows_the_message_next_to_the_box():
    alert = data_page.upload_alert({"message": "big.csv is over the 50 MB upload limit", "at": 1})
    assert alert.color == "danger" and alert.children.startswith("big.csv is over")
    with pytest.raises(PreventUpdate):
        data_page.upload_alert(None)


def test_dataset_ids_must_be_hashes():
    # the browser's store can be edited: an id never names another file
    for bad in ("../../etc/passwd", "*", "0" * 63, "A" * 64):
        with pytest.raises(datasets.DataError, match="not a dataset id"):
            datasets.resolve_path(bad)

"""Data page and dataset helpers of the dashboard, called directly (no browser)."""

from __future__ import annotations

import hashlib

import pytest
from dash.exceptions import PreventUpdate

from dashboard import datasets
from dashboard.app import create_app, default_dataset
from dashboard.pages import data as data_page
from dashboard.upload import accept_upload
from forecast.errors import DataError


def test_upload_checks_extension_and_size(monkeypatch):
    datasets.check_upload_name("a.CSV")
    with pytest.raises(DataError, match=r"book\.xlsx is not a CSV file"):
        datasets.check_upload_name("book.xlsx")
    monkeypatch.setattr(datasets, "MAX_UPLOAD_BYTES", 10)
    datasets.check_upload_size("a.csv", 10)
    datasets.check_upload_size("a.csv", None)  # unknown size: checked on the bytes read
    with pytest.raises(DataError, match="upload limit"):
        datasets.check_upload_size("a.csv", 11)
    assert datasets.clean_filename("C:\\Users\\me\\load.csv") == "load.csv"
    assert datasets.clean_filename("") == "upload"


def test_save_dataset_stores_under_content_hash(tmp_path, monkeypatch):
    raw = b"month,y\n2020-01,1\n2020-02,2\n2020-03,3\n"
    digest = datasets.save_dataset(raw, "y.csv")
    assert digest == hashlib.sha256(raw).hexdigest()
    path = datasets.resolve_path(digest)
    assert path.read_bytes() == raw
    assert path.name.startswith(digest)
    assert datasets.save_dataset(raw, "again.csv") == digest  # same content, same id
    with pytest.raises(DataError, match="no longer on the server"):
        datasets.resolve_path("0" * 64)


def test_choose_dataset_upload_sample_overrides_and_noop():
    raw = (datasets.state.DATA_DIR / "air_passengers.csv").read_bytes()
    store = accept_upload(raw, "air.csv")
    assert store == {
        "hash": hashlib.sha256(raw).hexdigest(),
        "filename": "air.csv",
        "overrides": {},
    }
    sample = data_page.choose_dataset("sample", "sunspots_yearly.csv", {}, store)
    assert sample["filename"] == "sunspots_yearly.csv" and sample["hash"] != store["hash"]
    applied = data_page.choose_dataset(
        "ov-apply",
        None,
        {"value_cols": ["Passengers"], "freq": " MS ", "fill": "ffill"},
        store,
    )
    assert applied["hash"] == store["hash"]
    assert applied["overrides"]["freq"] == "MS" and applied["overrides"]["fill"] == "ffill"
    assert data_page.choose_dataset("ov-reset", None, {}, applied)["overrides"] == {}
    with pytest.raises(PreventUpdate):
        data_page.choose_dataset("upload", None, {}, store)
    with pytest.raises(DataError, match="No sample named"):
        data_page.choose_dataset("sample", "nope.csv", {}, store)


def _text(component) -> str:
    """All text inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    out = _text(children)
    data = getattr(component, "data", None)
    if isinstance(data, list):
        out += " " + " ".join(str(v) for row in data for v in row.values())
    return out


def test_render_default_sample_shows_inference():
    store = default_dataset()
    assert store["filename"] == "air_passengers.csv"
    alert, summary, preview, time_opts, time_col, _, values, _, id_col, freq, fill = (
        data_page.render(store)[:11]
    )
    assert alert is None
    text = _text(summary)
    assert (
        "Month" in text
        and "monthly (MS, season length 12)" in text
        and "1 · 144 observations" in text
    )
    assert [o["value"] for o in time_opts] == ["Month", "Passengers"]
    assert (time_col, values, id_col, freq, fill) == ("Month", ["Passengers"], None, "MS", "none")
    assert len(preview.data) == 10 and preview.data[0] == {"Month": "1949-01", "Passengers": "112"}


def test_render_override_value_columns_of_a_wide_file():
    digest = datasets.save_sample("us_macro_quarterly.csv")
    full = data_page.render({"hash": digest, "filename": "m.csv", "overrides": {}})
    assert "5 · " in _text(full[1])
    one = data_page.render(
        {"hash": digest, "filename": "m.csv", "overrides": {"value_cols": ["cpi", "unemp"]}}
    )
    assert "2 · " in _text(one[1]) and one[6] == ["cpi", "unemp"]


def test_render_bad_csv_shows_the_data_error_not_a_traceback():
    digest = datasets.save_dataset(b"when,value\nyesterday,1\ntoday,2\ntomorrow,3\n", "bad.csv")
    out = data_page.render({"hash": digest, "filename": "bad.csv", "overrides": {}})
    message = _text(out[0])
    assert message.startswith("bad.csv: No column holds dates")
    assert "Traceback" not in message
    assert [o["value"] for o in out[3]] == ["when", "value"]  # the overrides can fix it
    fixed = data_page.render(
        {"hash": digest, "filename": "bad.csv", "overrides": {"time_col": "value"}}
    )
    assert "Column 'value' does not hold dates" in _text(fixed[0])


def test_render_empty_state_without_data():
    out = data_page.render(None)
    assert "Upload a CSV or pick a sample" in _text(out[1])


def test_app_serves_every_page():
    app = create_app()
    client = app.server.test_client()
    for path in ("/", "/diagnostics", "/run", "/jobs", "/results"):
        assert client.get(path).status_code == 200, path
    layout = client.get("/_dash-layout").get_json()
    assert "air_passengers.csv" in str(layout)  # the sample is pre-selected
    create_app()  # building a second app in one process works (tests, WSGI)
    assert client.get("/assets/00-bootstrap-5.3.8.min.css").status_code == 200


def test_unexpected_errors_show_a_friendly_line_and_are_logged(monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail that users must not see")

    monkeypatch.setattr(datasets, "load_frame", broken)
    with caplog.at_level("ERROR", logger="dashboard"):
        out = data_page.render(default_dataset())
    text = _text(out[0])
    assert "went wrong on our side" in text and "internal detail" not in text
    assert "internal detail" in caplog.text  # the details go to the server log


def test_binary_header_only_and_empty_uploads_get_readable_messages():
    binary = datasets.save_dataset(bytes(range(256)) * 8, "sheet.csv")
    out = data_page.render({"hash": binary, "filename": "sheet.csv", "overrides": {}})
    assert "not text" in _text(out[0]) and "Export the sheet as CSV" in _text(out[0])
    header = datasets.save_dataset(b"a,b\n", "h.csv")
    out = data_page.render({"hash": header, "filename": "h.csv", "overrides": {}})
    assert _text(out[0]).startswith("h.csv: The file has a header (a, b) but no data rows")
    with pytest.raises(DataError, match="empty"):
        accept_upload(b"", "e.csv")


def test_first_look_shows_the_pretrained_forecast_with_its_interval():
    store = default_dataset()
    look = data_page.first_look(store)
    assert "pretrained forecast of Passengers" in _text(look)
    graph = next(c for c in _walk(look) if getattr(c, "id", None) == "first-look-graph")
    names = [t.name for t in graph.figure.data]
    assert "history" in names[0].lower() or names[0] == "history"
    band = [t for t in graph.figure.data if getattr(t, "fill", None)]
    assert band, names  # the interval is drawn
    assert data_page.first_look(None) is None


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "children") or hasattr(child, "figure"):
            yield from _walk(child)


def test_render_a_file_with_three_key_columns_shows_and_filters_them():
    rows = [
        f"{s},{g},{q},{10 * i + k}"
        for i, (s, g) in enumerate([("ACT", "Female"), ("ACT", "Male"), ("NSW", "Female")])
        for k, q in enumerate(["2020Q1", "2020Q2", "2020Q3", "2020Q4"])
    ]
    raw = ("state,gender,t,count\n" + "\n".join(rows) + "\n").encode()
    digest = datasets.save_dataset(raw, "keys.csv")
    out = data_page.render({"hash": digest, "filename": "keys.csv", "overrides": {}})
    assert out[0] is None and out[8] == ["state", "gender"]  # the key dropdown's value
    text = _text(out[1])
    assert "Series key columns state, gender" in text and "ACT / Male" in text
    table = next(c for c in _walk(out[1]) if getattr(c, "id", None) == "series-table")
    assert table.filter_action == "native"
    assert [c["id"] for c in table.columns][:3] == ["state", "gender", "unique_id"]
    assert table.data[2]["state"] == "NSW" and table.data[2]["gender"] == "Female"
    # the multi-select's value comes back as a list and is kept joined with ","
    applied = data_page.choose_dataset(
        "ov-apply", None, {"id_col": ["gender", "state"]}, {"hash": digest, "overrides": {}}
    )
    assert applied["overrides"]["id_col"] == "gender,state"
    again = data_page.render({"hash": digest, "filename": "keys.csv", **applied})
    assert again[8] == ["gender", "state"] and "Male / ACT" in _text(again[1])


def _walk(component):
    """Every component in a Dash component tree."""
    if isinstance(component, (list, tuple)):
        for c in component:
            yield from _walk(c)
        return
    if component is None or isinstance(component, (str, int, float)):
        return
    yield component
    yield from _walk(getattr(component, "children", None))

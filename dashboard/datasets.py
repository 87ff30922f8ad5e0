"""Datasets of the dashboard: uploads saved under their content hash, samples, cached reading.

Only the hash (and the file name, for display) travels to the browser. There is one store of
datasets, the job store's (:meth:`forecast.jobs.JobStore.save_dataset`): the bytes under
``FORECAST_HOME/datasets/<sha256>.csv``, and a row per owner in its ``datasets`` table, so a
signed-in user reads only what they uploaded (or picked among the samples), and every web
process and job worker sharing the store and ``FORECAST_HOME`` finds the same files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import auth, frame_cache, state
from dashboard.cache import memo
from forecast.errors import DataError

__all__ = [
    "ALLOWED_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "Overrides",
    "check_upload_content",
    "check_upload_name",
    "check_upload_size",
    "clean_filename",
    "list_samples",
    "load_frame",
    "load_frame_within",
    "preview_table",
    "resolve_path",
    "save_dataset",
    "save_sample",
]

#: Largest accepted upload, in bytes (50 MB).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: File name endings accepted by the upload.
ALLOWED_EXTENSIONS = (".csv", ".tsv", ".txt")


@dataclass(frozen=True)
class Overrides:
    """What the user set on the Data page instead of what was inferred (None: infer).

    Attributes
    ----------
    time_col, id_col, freq : str or None
        Time column, series key column(s) of a long file (several joined with ``,``:
        ``"state,gender"``) and pandas offset alias.
    value_cols : tuple of str
        Value columns (empty: every numeric column).
    fill : str
        Gap policy: ``"none"``, ``"interpolate"`` or ``"ffill"``.
    drivers : tuple of str
        Driver columns (empty: none); see :func:`forecast.ingest.reader.read_csv`.
    observed_only : tuple of str
        Drivers the user marks as not known in advance, though the file has their future.
    calendar : bool
        Add calendar drivers.
    holidays : str or None
        Country code (``AU``, ``AU-VIC``) of a holiday driver.
    """

    time_col: str | None = None
    value_cols: tuple[str, ...] = field(default_factory=tuple)
    id_col: str | None = None
    freq: str | None = None
    fill: str = "none"
    drivers: tuple[str, ...] = field(default_factory=tuple)
    observed_only: tuple[str, ...] = field(default_factory=tuple)
    calendar: bool = False
    holidays: str | None = None

    @classmethod
    def from_dict(cls, data: dict | None) -> Overrides:
        """Build from the JSON kept in the dataset store (unknown keys ignored)."""
        data = data or {}
        values = data.get("value_cols") or ()
        if isinstance(values, str):
            values = (values,)
        return cls(
            time_col=data.get("time_col") or None,
            value_cols=tuple(values),
            id_col=_join_keys(data.get("id_col")),
            freq=(data.get("freq") or "").strip() or None,
            fill=data.get("fill") or "none",
            drivers=_names(data.get("drivers")),
            observed_only=_names(data.get("observed_only")),
            calendar=bool(data.get("calendar")),
            holidays=(data.get("holidays") or "").strip() or None,
        )

    def to_dict(self) -> dict:
        """JSON-ready dict (for ``dcc.Store`` and the job spec)."""
        return {
            "time_col": self.time_col,
            "value_cols": list(self.value_cols),
            "id_col": self.id_col,
            "freq": self.freq,
            "fill": self.fill,
            # the driver roles only when set: stores and specs written before them stay equal
            **({"drivers": list(self.drivers)} if self.drivers else {}),
            **({"observed_only": list(self.observed_only)} if self.observed_only else {}),
            **({"calendar": True} if self.calendar else {}),
            **({"holidays": self.holidays} if self.holidays else {}),
        }


def _names(value) -> tuple[str, ...]:
    """Column names from a list or a comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in (value or ()) if str(v).strip())


def _join_keys(value) -> str | None:
    """Key columns as the store keeps them: one name, or several joined with ``,`` (None: infer)."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v).strip() for v in value if str(v).strip())
    return value or None


def clean_filename(name: str | None) -> str:
    """The base name of an uploaded file's name, for display (no folders, at most 200 characters).

    Examples
    --------
    >>> clean_filename("C:\\data\\load.csv")
    'load.csv'
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "upload"


def check_upload_name(filename: str) -> None:
    """Raise a :class:`DataError` unless ``filename`` ends in one of :data:`ALLOWED_EXTENSIONS`."""
    if not filename.lower().endswith(ALLOWED_EXTENSIONS):
        raise DataError(
            f"{filename} is not a CSV file; upload a .csv (or .tsv/.txt) file with a time column "
            "and value columns."
        )


def check_upload_size(filename: str, size: int | None) -> None:
    """Raise a :class:`DataError` if ``size`` bytes is over :data:`MAX_UPLOAD_BYTES`."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise DataError(
            f"{filename} is over the {MAX_UPLOAD_BYTES // 2**20} MB upload limit; use "
            "`forecast jobs submit` for larger files, or upload a subset."
        )


def check_upload_content(filename: str, data: bytes) -> None:
    """Refuse, at upload, a file that is not text or is too wide, from its first 64 KiB.

    Raises
    ------
    DataError
        Empty, not text (NUL or control bytes: a workbook, an archive, random bytes), or more
        than :data:`forecast.ingest.limits.MAX_COLUMNS` columns in its header; the message
        names the file and says what to do.
    """
    from forecast.ingest.limits import check_header
    from forecast.ingest.parsing import decode

    if not data or data.isspace():
        raise DataError(f"The file {filename} is empty; upload a CSV with a header and data rows.")
    head = data[: 64 * 1024]
    try:
        decode(head)
    except DataError as exc:
        raise DataError(f"{filename}: {exc}") from None
    start = len(head) - len(head.lstrip())
    end = data.find(b"\n", start)
    check_header(data[start : len(data) if end < 0 else end].decode("latin-1"), filename)


def save_dataset(data: bytes, filename: str) -> str:
    """Save file bytes in the dataset store, owned by the signed-in user; return their hash.

    Parameters
    ----------
    data : bytes
        The file.
    filename : str
        Original name (kept for display only).

    Returns
    -------
    str
        sha256 hex digest of ``data``.

    Raises
    ------
    DataError
        Empty data.
    """
    digest, _ = state.get_store().save_dataset(data, filename, owner=auth.owner_name())
    return digest


def resolve_path(digest: str) -> Path:
    """Server-side path of a saved dataset the signed-in user may read.

    Raises
    ------
    DataError
        Not a SHA-256 hex digest (the browser's store can be edited: it must never name another
        file), not in the store (e.g. the data directory was wiped), or someone else's; the
        last two read alike.
    """
    return Path(state.get_store().dataset_path(digest, owner=auth.owner_filter()))


def list_samples() -> list[str]:
    """File names of the bundled sample CSVs (``data/*.csv``), sorted."""
    if not state.DATA_DIR.is_dir():
        return []
    return sorted(p.name for p in state.DATA_DIR.glob("*.csv"))


def save_sample(name: str) -> str:
    """Save a bundled sample like an upload and return its hash.

    Raises
    ------
    DataError
        Unknown sample name.
    """
    if name not in list_samples():
        raise DataError(f"No sample named {name!r}; pick one of {', '.join(list_samples())}.")
    return save_dataset((state.DATA_DIR / name).read_bytes(), name)


@memo(maxsize=8)
def _load(digest: str, overrides: Overrides):
    from forecast.ingest.frame import with_observed
    from forecast.ingest.reader import read_csv

    path = Path(state.get_store().dataset_path(digest))  # checked by load_frame before the cache
    plain = not (overrides.drivers or overrides.calendar or overrides.holidays)
    if plain and path.stat().st_size > frame_cache.BIG_BYTES:  # read once, in a child
        kwargs = {
            "time_col": overrides.time_col,
            "value_cols": list(overrides.value_cols) or None,
            "id_col": overrides.id_col,
            "freq": overrides.freq,
            "fill": overrides.fill,
        }
        return frame_cache.read_frame(path, digest, overrides.to_dict(), kwargs)
    df, report = read_csv(
        path,
        time_col=overrides.time_col,
        value_cols=list(overrides.value_cols) or None,
        id_col=overrides.id_col,
        freq=overrides.freq,
        fill=overrides.fill,
        drivers=list(overrides.drivers) or None,
        calendar=overrides.calendar,
        holidays=overrides.holidays,
    )
    marked = [d for d in report.drivers if d.name in overrides.observed_only]
    for fact in marked:  # the user's word: the file's future of this driver is not to be used
        fact.known_in_advance, fact.future_rows = False, 0
        report.future[fact.name] = float("nan")
        report.repairs.append(f"Driver '{fact.name}' marked observed only (not known in advance).")
    if report.drivers:
        with_observed(df, [d.name for d in report.drivers if not d.known_in_advance])
    return df, report


def load_frame(digest: str, overrides: Overrides | dict | None = None):
    """Read a saved dataset into the long frame (cached per hash and overrides).

    Parameters
    ----------
    digest : str
        Content hash from :func:`save_dataset`.
    overrides : Overrides or dict, optional
        Column mapping, frequency and fill policy chosen by the user.

    Returns
    -------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (a copy: callers may change it).
    report : forecast.ingest.reader.CsvReport
        What was inferred and repaired.

    Raises
    ------
    DataError
        The file cannot be used as given (the message says what to fix).
    """
    resolve_path(digest)  # the user's to read? (before the cache, which is everyone's)
    if not isinstance(overrides, Overrides):
        overrides = Overrides.from_dict(overrides)
    df, report = _load(digest, overrides)
    out = df.copy()
    out.attrs["freq"] = df.attrs.get("freq")
    return out, report


def is_big(digest: str) -> bool:
    """Whether a dataset is over :data:`dashboard.frame_cache.BIG_BYTES` (read in a child process,
    waited for within a budget)."""
    return resolve_path(digest).stat().st_size > frame_cache.BIG_BYTES


def load_frame_within(digest: str, overrides: Overrides | dict | None, seconds: float | None):
    """:func:`load_frame`, waiting at most ``seconds`` for a big file (None: as long as it takes).

    Files up to :data:`dashboard.frame_cache.BIG_BYTES` are read at once, as by :func:`load_frame`
    (a fraction of a second); bigger ones, read in a child process the first time, are waited
    for at most ``seconds``.

    Raises
    ------
    dashboard.budget.StillWorking
        Not read yet (a big file read for the first time); the reading goes on.
    DataError
        As :func:`load_frame`.
    """
    path = resolve_path(digest)  # the user's? (here, in the request: the reader has no user)
    if seconds is None or path.stat().st_size <= frame_cache.BIG_BYTES:
        return load_frame(digest, overrides)
    from dashboard.budget import within

    if not isinstance(overrides, Overrides):
        overrides = Overrides.from_dict(overrides)
    df, report = within(seconds, ("frame", digest, overrides), lambda: _load(digest, overrides))
    out = df.copy()
    out.attrs["freq"] = df.attrs.get("freq")
    return out, report


def preview_table(digest: str, rows: int = 10) -> pd.DataFrame:
    """The first ``rows`` data rows of a saved file, as text cells (header from the file).

    Reads only the beginning of the file, so it is instant on large uploads.

    Raises
    ------
    DataError
        The file is not text or cannot be split into fields.
    """
    from forecast.ingest.parsing import decode, read_table, sniff_delimiter

    with open(resolve_path(digest), "rb") as fh:
        head = fh.read(256 * 1024)
    text, _ = decode(head)
    lines = [line for line in text.splitlines() if line.strip()][: rows + 1]
    if not lines:
        raise DataError("The file is empty. Upload a CSV with a header row and data rows.")
    table = read_table("\n".join(lines) + "\n", sniff_delimiter(lines))
    return table.head(rows).reset_index(drop=True)

"""Big datasets read once, outside the web processes, and kept as Parquet for every process.

Reading a 50 MB CSV into the long frame takes many seconds and over a gigabyte at its peak;
done inside a web process, each process that needs the frame pays for it and keeps the peak.
For files over :data:`BIG_BYTES`, :func:`read_frame` instead runs the reading in a child process
(``python -m dashboard.frame_cache SOURCE OUT OVERRIDES``), which writes the frame to
``FORECAST_HOME/cache/frames/<hash>.<key>.parquet`` (the report in its metadata) and exits,
giving its memory back; every web process then reads the Parquet file (a fraction of a second,
a fraction of the memory). One process reads a file at a time (the entry's ``flock``, as in
:mod:`dashboard.shared_cache`); the others wait and read its result. The entries count towards
the shared cache's size limit and are evicted with it.

Only what the pages use is kept: the frame ``unique_id, ds, y`` (and key columns) and the
report's plain fields (the pages read no drivers).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pandas as pd

from dashboard import shared_cache
from forecast.errors import DataError

__all__ = ["BIG_BYTES", "read_frame"]

#: Files larger than this (bytes) are read in a child process and kept as Parquet.
BIG_BYTES = 5 * 1024 * 1024
#: Most seconds a child may take to read one file.
READ_TIMEOUT_S = 900
_VERSION = 2  # 2: the frame's attrs kept
_META = b"forecast.report"
_ERROR_EXIT = 3


def _report_fields() -> list[str]:
    from forecast.ingest.reader import CsvReport

    return [f.name for f in fields(CsvReport) if f.name not in ("drivers", "future")]


def _write(df: pd.DataFrame, report, out: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    meta = {name: getattr(report, name) for name in _report_fields()}
    table = pa.Table.from_pandas(df, preserve_index=False)
    attrs = {}
    for name, value in df.attrs.items():  # freq, keys...: what JSON can carry
        try:
            attrs[name] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            continue
    extra = {_META: json.dumps(meta).encode(), b"forecast.attrs": json.dumps(attrs).encode()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    pq.write_table(table, out)


def _load(path: Path):
    import pyarrow.parquet as pq

    from forecast.ingest.reader import CsvReport

    # no Arrow thread pool: a web process has its own threads (and may be a fork)
    table = pq.read_table(path, use_threads=False)
    meta = table.schema.metadata or {}
    report = CsvReport(**json.loads(meta[_META]))
    df = table.to_pandas(use_threads=False)
    df.attrs.update(json.loads(meta.get(b"forecast.attrs", b"{}")))
    df.attrs.setdefault("freq", report.freq)
    return df, report


def read_frame(source: Path, digest: str, overrides: dict, read_kwargs: dict):
    """The long frame and report of a stored dataset: from the Parquet cache, or read once.

    Parameters
    ----------
    source : Path
        The stored CSV.
    digest : str
        Its content hash (names the cache entry).
    overrides : dict
        The Data page's choices (part of the key).
    read_kwargs : dict
        Keyword arguments of :func:`forecast.ingest.reader.read_csv`.

    Returns
    -------
    df : DataFrame
        Long frame, as :func:`forecast.ingest.reader.read_csv` returns it.
    report : CsvReport
        Its report (without drivers).

    Raises
    ------
    DataError
        The file cannot be read as given (the child's message), or the child failed.
    """
    path = shared_cache.entry_path("frames", digest, {"o": overrides, "v": _VERSION})
    path = path.with_suffix(".parquet")
    try:
        return _load(path)
    except (OSError, KeyError, ValueError):
        pass
    with shared_cache._entry_lock(path):
        try:
            return _load(path)  # read by another process while we waited
        except (OSError, KeyError, ValueError):
            pass
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "dashboard.frame_cache", str(source), str(tmp)],
                input=json.dumps(read_kwargs),
                capture_output=True,
                text=True,
                timeout=READ_TIMEOUT_S,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
        except subprocess.TimeoutExpired:
            tmp.unlink(missing_ok=True)
            raise DataError(
                f"Reading this file took over {READ_TIMEOUT_S // 60} minutes; split it into "
                "smaller files."
            ) from None
        if done.returncode == _ERROR_EXIT:
            raise DataError(done.stdout.strip())
        if done.returncode != 0 or not tmp.exists():
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"reading {source} failed: {done.stderr[-2000:]}")
        os.replace(tmp, path)
    shared_cache._evict_after_write()
    return _load(path)


def _main(argv: list[str]) -> int:
    """Child process: read ``argv[0]`` with the JSON keyword arguments on stdin into ``argv[1]``."""
    from forecast.errors import ForecastError
    from forecast.ingest.reader import read_csv

    source, out = argv
    kwargs = json.loads(sys.stdin.read() or "{}")
    try:
        df, report = read_csv(source, **kwargs)
    except ForecastError as exc:
        print(str(exc))
        return _ERROR_EXIT
    _write(df, report, Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

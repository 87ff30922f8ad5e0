"""Saved models applied to new data: what ``forecast predict MODEL FILE`` does.

A saved model is a folder written by a model's ``save`` (``config.json`` naming the model, plus
safetensors arrays), or a zip of such folders (a job's "model files" download). Nothing is
unpickled. :func:`open_saved` loads every model of a folder or zip; :func:`apply_saved`
forecasts the series of a new frame with one of them:

- global windowed models (rnn, lstm, gru, bilstm, esn, ensemble, pretrained, finetuned)
  forecast each series from its last window with the trained network; a model trained on
  another frequency, or reading a longer window than a series offers, is refused with the
  reason (the pretrained model takes any frequency its corpus covered, and pads short series);
- per-series models (:class:`forecast.models.per_series.PerSeriesForecaster`) re-apply each
  series' fitted specification (matched by series id, or the one specification of a one-series
  model to every series) and re-estimate it on the new data: ``arima`` its orders (an
  STL-adjusted fit decomposes the new series again and adds its season back), ``ets`` its
  model, the others their method and settings;
- a model that does not declare ``reapplies`` (``hybrid``) is refused with the reason.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath

import pandas as pd

from forecast.errors import DataError, SpecError
from forecast.models.base import FORECAST_COLUMNS, check_horizon, check_level

__all__ = ["apply_saved", "load_saved_model", "open_saved"]

#: Largest zip accepted (bytes, uncompressed).
MAX_ZIP_BYTES = 512 * 1024 * 1024


def load_saved_model(folder: str | Path):
    """Load the model saved in ``folder`` (any registered model).

    Raises
    ------
    DataError
        No ``config.json``, a damaged or foreign file, or an unknown model name.
    """
    from forecast.models.base import Forecaster

    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise DataError(
            f"'{folder}' is not a saved model: no config.json inside; pass a folder written by "
            "a model's save() or a job's model-files zip."
        )
    return Forecaster.load(folder)


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    total = 0
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or ":" in info.filename:
            raise DataError(f"the zip holds an unsafe path {info.filename!r}; refusing it.")
        total += info.file_size
        if total > MAX_ZIP_BYTES:
            raise DataError("the zip unpacks to more than 512 MB; refusing it.")
    archive.extractall(target)


def open_saved(path: str | Path, names: list[str] | None = None) -> dict[str, object]:
    """Every model of a saved-model folder or zip, by name.

    Parameters
    ----------
    path : str or Path
        A model folder, a folder of model folders, or a zip of model folders.
    names : list of str, optional
        Only these (folder names in a zip, e.g. ``lstm``); all when None.

    Returns
    -------
    dict of str to model
        Folder name -> loaded model, in name order.

    Raises
    ------
    DataError
        A missing path, a bad zip, no model inside, or a damaged model file.
    SpecError
        A name asked for that the file does not hold.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"'{path}' does not exist; pass a saved model folder or a zip of them.")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(f"'{path}' is neither a model folder nor a zip of model folders.")
        with tempfile.TemporaryDirectory(prefix="forecast-model-") as tmp:
            try:
                with zipfile.ZipFile(path) as archive:
                    _safe_extract(archive, Path(tmp))
            except zipfile.BadZipFile as exc:
                raise DataError(f"'{path}' is a damaged zip ({exc}).") from None
            return open_saved(tmp, names)
    if (path / "config.json").is_file():
        found = {path.name: path}
    else:
        found = {p.name: p for p in sorted(path.iterdir()) if (p / "config.json").is_file()}
    if not found:
        raise DataError(f"'{path}' holds no saved model (no config.json in it or its folders).")
    if names:
        missing = [n for n in names if n not in found]
        if missing:
            raise SpecError(
                f"no model named {', '.join(missing)} in '{path}'; it holds {', '.join(found)}."
            )
        found = {n: found[n] for n in names}
    return {name: load_saved_model(folder) for name, folder in found.items()}


def apply_saved(model, df: pd.DataFrame, h: int, level: float = 80) -> pd.DataFrame:
    """Forecast the series of ``df`` with a saved (loaded) model.

    Parameters
    ----------
    model : object
        A model returned by :func:`open_saved`.
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    h : int
        Horizon in steps.
    level : float
        Interval level in percent.

    Returns
    -------
    DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.

    Raises
    ------
    SpecError
        The model cannot forecast this file, with the reason.
    DataError
        A bad frame.
    """
    h = check_horizon(h)
    level = check_level(level)
    if not type(model).reapplies:
        raise SpecError(
            f"{model.name}: a saved model of this kind cannot forecast another file (it does "
            "not declare reapplies: the hybrid pairs per-series ARIMA fits with a network "
            "trained on their residuals); run a job on the new file instead."
        )
    return model.forecast_from(df, h, level=level)[FORECAST_COLUMNS]

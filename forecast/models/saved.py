"""Saved models applied to new data: what ``forecast predict MODEL FILE`` does.

A saved model is a folder written by a model's ``save`` (``config.json`` naming the model, plus
safetensors arrays), or a zip of such folders (a job's "model files" download). Nothing is
unpickled. :func:`open_saved` loads every model of a folder or zip; :func:`apply_saved`
forecasts the series of a new frame with one of them:

- global windowed models (rnn, lstm, gru, bilstm, esn, ensemble, pretrained, finetuned)
  forecast each series from its last window with the trained network; a model trained on
  another frequency, or reading a longer window than a series offers, is refused with the
  reason (the pretrained model takes any frequency its corpus covered, and pads short series);
- ``arima`` re-applies each series' fitted orders (matched by series id, or the one order of a
  one-series model to every series) and re-estimates the coefficients on the new data; a model
  saved with drivers re-estimates them on the file's drivers and forecasts with the drivers'
  future rows, and refuses a file that lacks either, with the reason;
  ``naive``, ``snaive`` and ``drift`` apply their method and settings to each new series;
- ``hybrid`` is refused with the reason.
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


def apply_saved(
    model, df: pd.DataFrame, h: int, level: float = 80, X_future: pd.DataFrame | None = None
) -> pd.DataFrame:
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
    X_future : DataFrame, optional
        ``unique_id, ds, <drivers>`` over the ``h`` steps: required by a model saved with
        known-in-advance drivers (``df`` must hold those drivers too).

    Returns
    -------
    DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.

    Raises
    ------
    SpecError
        The model cannot forecast this file, with the reason.
    DataError
        A bad frame; a model with drivers and a file without them or without their future.
    """
    h = check_horizon(h)
    level = check_level(level)
    _check_drivers(model, df, X_future, h)
    if hasattr(model, "forecast_from"):
        return model.forecast_from(df, h, level=level)[FORECAST_COLUMNS]
    name = getattr(model, "name", type(model).__name__)
    if name == "arima":
        return _reapply_arima(model, df, h, level, X_future)
    if name in {"naive", "snaive", "drift"}:
        return _reapply_baseline(model, df, h, level)
    raise SpecError(
        f"{name}: a saved model of this kind cannot forecast another file (the hybrid pairs "
        "per-series ARIMA fits with a network trained on their residuals); run a job on the "
        "new file instead."
    )


def _check_same_frequency(model, freq: str) -> None:
    trained = getattr(model, "freq_", None)
    if trained and freq != trained:
        raise SpecError(
            f"{model.name}: this model was fitted on data of frequency {trained}, but the file's "
            f"frequency is {freq}; use a model fitted on {freq} data."
        )


def _reapply_baseline(model, df: pd.DataFrame, h: int, level: float) -> pd.DataFrame:
    """Naive, seasonal naive and drift: their specification is the method and its settings,
    applied to each new series."""
    from forecast.calendar.frequency import frame_freq

    _check_same_frequency(model, frame_freq(df))
    fresh = type(model)(**model.get_params())
    return fresh.fit(df).predict(h, level=level)[FORECAST_COLUMNS]


def _reapply_arima(
    model, df: pd.DataFrame, h: int, level: float, X_future: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each series with the orders fitted for it (coefficients re-estimated on the new data)."""
    from forecast.calendar.frequency import frame_freq
    from forecast.models.statistical.arima import AutoARIMA

    freq = frame_freq(df)
    _check_same_frequency(model, freq)
    fits = model.fits_
    out = []
    for uid, part in df.groupby("unique_id", sort=False):
        fit = fits.get(str(uid))
        if fit is None and len(fits) == 1:
            fit = next(iter(fits.values()))
        if fit is None:
            raise SpecError(
                f"arima: orders are fitted per series, and the model holds none for series "
                f"'{uid}' (it holds {', '.join(list(fits)[:5])}); name the series alike or run "
                "a job on the new file."
            )
        if type(fit).__name__ == "_SeasonalAdjustedFit":
            raise SpecError(
                f"arima: series '{uid}' was fitted after an STL adjustment, which cannot be "
                "re-applied; run a job on the new file."
            )
        seasonal = tuple(fit.seasonal_order)
        est = AutoARIMA(
            order=tuple(fit.order),
            seasonal_order=seasonal,
            season_length=int(getattr(model, "m_", 1) or 1) if any(seasonal) else 1,
        )
        drivers = list(getattr(model, "drivers_", None) or [])  # the saved model's, no others
        frame = part[["unique_id", "ds", "y", *drivers]].reset_index(drop=True)
        frame.attrs["freq"] = freq
        future = None
        if X_future is not None:
            future = X_future[X_future["unique_id"].astype(str) == str(uid)]
        out.append(est.fit(frame).predict(h, level=level, X_future=future))
    return pd.concat(out, ignore_index=True)[FORECAST_COLUMNS]


def _check_drivers(model, df: pd.DataFrame, X_future: pd.DataFrame | None, h: int) -> None:
    """A model saved with drivers needs them in the file's history and over its future."""
    drivers = list(getattr(model, "drivers_", None) or [])
    if not drivers:
        return
    name = getattr(model, "name", type(model).__name__)
    listed = ",".join(drivers)
    lacking = [d for d in drivers if d not in df.columns]
    if lacking:
        raise DataError(
            f"{name} was fitted with the drivers {', '.join(drivers)}; the file lacks "
            f"{', '.join(lacking)} (read it with --drivers {listed})."
        )
    future_cols = [] if X_future is None else list(X_future.columns)
    missing = [d for d in drivers if d not in future_cols]
    if missing:
        raise DataError(
            f"{name} was fitted with the known-in-advance drivers {', '.join(drivers)}; the file "
            f"has no future values of {', '.join(missing)}: add {h} rows after each series' last "
            "value holding them (the value column empty), or give --future FILE."
        )

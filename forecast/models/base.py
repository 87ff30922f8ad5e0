"""What every forecaster shares: input checks and the shape of its output.

The contract (scikit-learn style, see DESIGN.md): hyperparameters in ``__init__`` (stored, no
work); ``fit(df) -> self`` on a long frame ``unique_id, ds, y``; learned state in attributes
ending in ``_``; ``predict(h, level=80) -> DataFrame`` with columns ``FORECAST_COLUMNS``;
``residuals_`` a long frame ``unique_id, ds, resid`` of in-sample one-step-ahead residuals
(NaN where a model has none, e.g. the first m points of seasonal naive); ``n_params_`` the number
of fitted ARMA-type parameters per series (dict, used to adjust Ljung-Box degrees of freedom; 0
for models without them); ``name`` the short model name used in outputs (``"snaive"``, ``"lstm"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import DataError, SpecError
from forecast.frequency import frame_freq, future_dates

__all__ = [
    "FORECAST_COLUMNS",
    "RESIDUAL_COLUMNS",
    "check_fitted",
    "check_frame",
    "check_horizon",
    "check_level",
    "forecast_frame",
]

#: Columns of every model's forecast output.
FORECAST_COLUMNS = ["unique_id", "ds", "model", "yhat", "lo", "hi"]
#: Columns of ``residuals_``.
RESIDUAL_COLUMNS = ["unique_id", "ds", "resid"]


def check_frame(df: pd.DataFrame, *, min_length: int = 1, model: str = "model") -> str:
    """Validate a long frame before fitting and return its frequency.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    min_length : int
        Minimum length of every series.
    model : str
        Model name for messages.

    Returns
    -------
    str
        The frame's frequency alias.

    Raises
    ------
    DataError
        Missing columns, NaN values, or a series shorter than ``min_length``.
    """
    missing = {"unique_id", "ds", "y"} - set(df.columns)
    if missing:
        raise DataError(
            f"{model}: the frame lacks columns {sorted(missing)}; read CSVs with "
            "forecast.io.read_csv, which returns unique_id, ds, y."
        )
    if df.empty:
        raise DataError(f"{model}: the frame is empty.")
    nan = df["y"].isna()
    if nan.any():
        first = df.loc[nan].iloc[0]
        raise DataError(
            f"{model}: {int(nan.sum())} missing values remain (first in series "
            f"'{first['unique_id']}' at {first['ds']}); fill the gaps (fill='interpolate' "
            "or 'ffill' when reading) before fitting."
        )
    if not np.isfinite(df["y"].to_numpy(dtype=float)).all():
        raise DataError(f"{model}: the values contain infinities; remove them.")
    sizes = df.groupby("unique_id", sort=False).size()
    if (sizes < min_length).any():
        uid = sizes.idxmin()
        raise DataError(
            f"{model}: series '{uid}' has {int(sizes.min())} observations; this model needs "
            f"at least {min_length}."
        )
    return frame_freq(df)


def check_horizon(h: int) -> int:
    """Validate a forecast horizon (a positive integer number of steps)."""
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1:
        raise SpecError(f"The horizon must be a positive whole number of steps, got {h!r}.")
    return int(h)


def check_level(level: float) -> float:
    """Validate a prediction-interval level in percent (0 < level < 100)."""
    if not 0 < float(level) < 100:
        raise SpecError(f"The interval level is a percentage between 0 and 100, got {level!r}.")
    return float(level)


def check_fitted(model, attr: str = "last_ds_") -> None:
    """Raise a clear error when ``predict`` is called before ``fit``."""
    if not hasattr(model, attr):
        raise SpecError(f"{type(model).__name__} is not fitted yet; call fit(df) first.")


def forecast_frame(
    model: str,
    last_ds: dict[str, pd.Timestamp],
    freq: str,
    yhat: np.ndarray,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> pd.DataFrame:
    """Assemble the forecast output of one model.

    Parameters
    ----------
    model : str
        Model name.
    last_ds : dict of str to Timestamp
        Last training timestamp per series, in the row order of ``yhat``.
    freq : str
        Offset alias.
    yhat, lo, hi : ndarray, shape (n_series, h)
        Point forecasts and interval bounds (NaN bounds when a model has none).

    Returns
    -------
    DataFrame
        Columns ``FORECAST_COLUMNS``, ``h`` rows per series.
    """
    yhat = np.asarray(yhat, dtype=float)
    h = yhat.shape[1]
    lo = np.full_like(yhat, np.nan) if lo is None else np.asarray(lo, dtype=float)
    hi = np.full_like(yhat, np.nan) if hi is None else np.asarray(hi, dtype=float)
    ids = list(last_ds)
    ds = np.concatenate([future_dates(last_ds[uid], h, freq).to_numpy() for uid in ids])
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, h),
            "ds": ds,
            "model": model,
            "yhat": yhat.ravel(),
            "lo": lo.ravel(),
            "hi": hi.ravel(),
        }
    )

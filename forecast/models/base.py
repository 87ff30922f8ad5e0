"""What every forecaster shares: the estimator base, input checks and the shape of its output.

The contract (scikit-learn's ``BaseEstimator``, see DESIGN.md), kept by :class:`Forecaster`:

- hyperparameters are the keyword arguments of ``__init__``, which stores them and does nothing
  else, so ``get_params``, ``set_params``, ``sklearn.base.clone`` and ``repr`` work for every
  model;
- ``fit(df) -> self`` on a long frame ``unique_id, ds, y`` is the only method that learns
  (a global model trains for its ``horizon`` there: the default one when it is None);
- learned state lives in attributes ending in ``_``; ``predict`` before ``fit`` raises
  :class:`~forecast.errors.NotFittedError`;
- ``predict(h, level=80) -> DataFrame`` with columns ``FORECAST_COLUMNS``;
- ``residuals_`` a long frame ``unique_id, ds, resid`` of in-sample one-step-ahead residuals
  (NaN where a model has none, e.g. the first m points of seasonal naive); ``n_params_`` the
  number of fitted ARMA-type parameters per series (dict, for the Ljung-Box degrees of freedom;
  0 for models without them);
- ``save(path)`` / ``load(path)`` through one template: a folder with ``config.json`` (format
  tag, version, model name, hyperparameters, fitted metadata) and ``weights.safetensors``;
  nothing is ever unpickled.

What a model *is* (per series or global, neural, effective memory, ensemble member, label) is
declared on its class, next to its code, and read through :mod:`forecast.models.registry`.

How to add a model
------------------
One class and one registry line. A model fitted series by series subclasses
:class:`forecast.models.per_series.PerSeriesForecaster` instead and writes only
``fit_one(y, m)`` (and, optionally, ``fallback_one`` and ``refit_one``): the loop, fan-out,
residuals, summary, ``predict`` and re-application come with it. A global model is a class
like this::

    class Mean(Forecaster):
        # the mean of each series (or of its last ``window`` values), carried forward

        name = "mean"
        label = "Mean"

        def __init__(self, *, window: int | None = None) -> None:
            self.window = window

        def fit(self, df, *, progress=None, should_stop=None):
            self.freq_ = check_frame(df, model=self.name)
            tail = df.groupby("unique_id", sort=False)["y"]
            self.mean_ = {str(k): float(v.tail(self.window or len(v)).mean()) for k, v in tail}
            self.last_ds_ = {str(k): v.iloc[-1] for k, v in df.groupby("unique_id")["ds"]}
            ...  # residuals_, n_params_
            return self

        def predict(self, h, level=80):
            check_fitted(self)
            ...
            return forecast_frame(self.name, self.last_ds_, self.freq_, yhat, lo, hi)

        def _fitted_state(self, folder):  # what save() writes besides the hyperparameters
            return {"freq": self.freq_, ...}, {"mean": np.array(...)}

        def _restore_state(self, fitted, arrays, folder):  # what load() puts back
            ...

and in :data:`forecast.models.registry.MODELS` the line ``"mean": "forecast.models.mean:Mean",``.
The CLI, the job spec, the pipeline and the dashboard pages pick it up from there, and
``tests/test_models_contract.py`` checks its contract (clone, get_params, save/load, refusal of
options it does not take).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from forecast.calendar.frequency import frame_freq, future_dates
from forecast.errors import DataError, NotFittedError, SpecError

__all__ = [
    "FORECAST_COLUMNS",
    "RESIDUAL_COLUMNS",
    "RUN_OPTIONS",
    "Forecaster",
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
            "forecast.ingest.reader.read_csv, which returns unique_id, ds, y."
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
    """Raise :class:`~forecast.errors.NotFittedError` when ``model`` has not been fitted.

    Parameters
    ----------
    model : object
        The estimator.
    attr : str
        An attribute that ``fit`` sets (looked up in the instance, not the class).
    """
    if attr not in vars(model):
        raise NotFittedError(f"{type(model).__name__} is not fitted yet; call fit(df) first.")


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


#: Settings of a run (``forecast run``, a job, the Run page) that it hands to the models taking
#: them, by ``__init__`` parameter name: the forecast horizon, training epochs, the seed and the
#: look-back window.
RUN_OPTIONS = ("horizon", "epochs", "seed", "input_size")

Progress = Callable[[int, int, str], None]
ShouldStop = Callable[[], bool]


class Forecaster(BaseEstimator):
    """Base of every model: scikit-learn's estimator contract plus the facts the front ends read.

    Subclasses set the class attributes below, take their hyperparameters as keyword arguments
    of ``__init__`` (stored unchanged under the same names), and implement ``fit``, ``predict``,
    ``_fitted_state`` and ``_restore_state`` (see the module docstring for an example).

    Attributes
    ----------
    name : str
        Short name, the registry key and the ``model`` column of outputs (``"lstm"``).
    label : str
        Name for people (the Run page, the README's model table).
    scope : {"per_series", "global"}
        "per_series": fitted series by series (the pipeline may fan chunks of series out over
        an executor); "global": one model over every series of a frame.
    neural : bool
        A trained network whose intervals a run with backtest windows replaces by
        split-conformal ones.
    memory : bool
        Has ``effective_memory(df)`` (how far back it looks, by lag).
    member : bool
        May be a member of the ensemble or the residual model of the hybrid.
    min_length : int
        Fewest observations a series needs to be fitted (the backtest keeps at least this many
        training points in its oldest window).
    freqs : tuple of str or None
        Frequencies (offset aliases) the model serves; None: any.
    drivers_accepted : tuple of str
        Driver columns it takes, from ``{"known", "observed"}`` (known in advance / observed
        only); ``()``: none.
    searches : bool
        Chooses a specification per series (ARIMA orders, the ETS model) that ``refit`` can
        keep while re-estimating the coefficients (:mod:`forecast.models.per_series`).
    reapplies : bool
        Can forecast the series of another file once fitted (``forecast_from``, what
        ``forecast predict`` calls).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    scope: ClassVar[str] = "per_series"
    neural: ClassVar[bool] = False
    memory: ClassVar[bool] = False
    member: ClassVar[bool] = False
    min_length: ClassVar[int] = 1
    freqs: ClassVar[tuple[str, ...] | None] = None
    drivers_accepted: ClassVar[tuple[str, ...]] = ()
    searches: ClassVar[bool] = False
    reapplies: ClassVar[bool] = False
    #: Attribute set by ``fit`` whose absence means "not fitted".
    _fitted_attr: ClassVar[str] = "last_ds_"
    #: Hyperparameters that older model files hold and this version no longer takes (they
    #: had no effect); ``load`` drops them.
    _retired_params: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------------ facts
    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Hyperparameter names (the keyword arguments of ``__init__``), sorted."""
        return tuple(cls._get_param_names())

    @classmethod
    def run_options(cls) -> frozenset[str]:
        """The run settings (:data:`RUN_OPTIONS`) this model takes."""
        return frozenset(RUN_OPTIONS) & set(cls.param_names())

    @classmethod
    def check_params(cls, params: dict[str, Any]) -> None:
        """Refuse hyperparameters this model does not take.

        Raises
        ------
        SpecError
            Naming the unknown keys and the accepted ones.
        """
        unknown = sorted(set(params) - set(cls.param_names()))
        if unknown:
            raise SpecError(
                f"{cls.name} does not take {', '.join(unknown)}; its parameters are "
                f"{', '.join(cls.param_names()) or '(none)'}."
            )

    # ------------------------------------------------------------------ contract
    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Forecaster:  # pragma: no cover - abstract
        """Learn from a long frame ``unique_id, ds, y``; return self."""
        raise NotImplementedError

    def predict(self, h: int, level: float = 80) -> pd.DataFrame:  # pragma: no cover - abstract
        """Forecast ``h`` steps past the end of every series (columns ``FORECAST_COLUMNS``)."""
        raise NotImplementedError

    def forecast_from(self, df: pd.DataFrame, h: int, level: float = 80) -> pd.DataFrame:
        """Forecast the series of another frame with what was fitted (models with
        ``reapplies``); the others refuse.

        Raises
        ------
        SpecError
            This model cannot forecast another file.
        """
        raise SpecError(
            f"{self.name}: a saved model of this kind cannot forecast another file; run a job on "
            "the new file instead."
        )

    def __sklearn_is_fitted__(self) -> bool:
        return self._fitted_attr in vars(self)

    def _check_fitted(self) -> None:
        check_fitted(self, self._fitted_attr)

    # ------------------------------------------------------------------ persistence
    def _fitted_state(self, folder: Path) -> tuple[dict, dict[str, np.ndarray]]:
        """JSON-ready fitted metadata and named arrays for :meth:`save` (``folder`` is where the
        model is being written, for models that keep sub-models in sub-folders)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be saved")

    def _restore_state(self, fitted: dict, arrays: dict[str, np.ndarray], folder: Path) -> None:
        """Put back what :meth:`_fitted_state` wrote (``load`` calls it on a fresh instance)."""
        raise NotImplementedError(f"{type(self).__name__} cannot be loaded")

    @classmethod
    def _upgrade_config(cls, config: dict) -> dict:
        """Turn the config of an older file version into the current layout (default: drop
        retired hyperparameters)."""
        params = dict(config.get("params") or {})
        for key in cls._retired_params:
            params.pop(key, None)
        return {**config, "params": params}

    def save(self, path: str | Path) -> Path:
        """Save to a folder: ``config.json`` + ``weights.safetensors``; never pickles.

        Parameters
        ----------
        path : str or Path
            Folder to write (created; the model's files in it are overwritten).

        Returns
        -------
        Path
            The folder.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        """
        from forecast.jsonable import to_jsonable
        from forecast.models.persistence import write_model_files

        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        fitted, arrays = self._fitted_state(folder)
        config = {
            "model": self.name,
            "params": to_jsonable(self.get_params()),
            "fitted": to_jsonable(fitted),
        }
        return write_model_files(folder, config, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Load a model written by :meth:`save`; it predicts exactly what the saved one did.

        ``Forecaster.load(path)`` loads any model; ``LSTM.load(path)`` insists on an LSTM.

        Parameters
        ----------
        path : str or Path
            A folder that :meth:`save` wrote (any version this release reads).

        Returns
        -------
        Forecaster
            An instance of the saved model's class, fitted.

        Raises
        ------
        DataError
            The folder is not a saved model, holds another model than ``cls``, or was written
            by a newer version.
        """
        from forecast.models.persistence import read_model_files
        from forecast.models.registry import MODELS, model_class

        folder = Path(path)
        config, arrays = read_model_files(folder)
        name = config.get("model")
        if name not in MODELS:
            raise DataError(f"'{folder}' holds an unknown model {name!r}.")
        klass = model_class(name)
        if not issubclass(klass, cls):
            raise DataError(f"'{folder}' holds a '{name}' model, not {cls.__name__}.")
        config = klass._upgrade_config(config)
        params = klass._params_from_json(config.get("params") or {})
        try:
            model = klass(**params)
        except TypeError as exc:
            raise DataError(
                f"'{folder}': the saved parameters do not fit {name} ({exc})."
            ) from None
        model._restore_state(config.get("fitted") or {}, arrays, folder)
        return model

    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        """Hyperparameters read back from JSON (override to turn lists back into tuples)."""
        return dict(params)

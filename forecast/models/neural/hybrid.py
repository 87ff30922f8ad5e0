"""Zhang's hybrid: ARIMA for the linear part, a recurrent net for what ARIMA left in its residuals.

G. P. Zhang (2003), *Time series forecasting using a hybrid ARIMA and neural network model*,
Neurocomputing 50. With ``e_t = y_t - â_t`` ARIMA's in-sample one-step residuals, a recurrent
net (global over all series, LSTM by default) is trained on the series ``e_t``; the forecast is

    ŷ[T+h] = â[T+h | T] + ê[T+h | T].

Offered when ARIMA's residual check finds structure left (``forecast run`` says so in ARIMA's
leaderboard row). Intervals are ARIMA's, shifted by the net's residual forecast; a run with
backtest windows replaces them by split-conformal ones. ``residuals_`` are the hybrid's in-sample
one-step residuals ``e_t - ê_t`` (NaN for the net's first ``input_size`` points).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.errors import SpecError
from forecast.models.base import (
    Forecaster,
    Progress,
    ShouldStop,
    check_fitted,
    check_horizon,
    check_level,
)
from forecast.models.statistical.arima import AutoARIMA

__all__ = ["Hybrid"]

_NET_FOLDER = "residual_net"


class Hybrid(Forecaster):
    """ARIMA plus a recurrent model fitted to ARIMA's residuals.

    Parameters
    ----------
    horizon : int, optional
        Horizon the net's direct head is trained for (None: the first ``predict(h)``).
    input_size : int, optional
        Look-back of the net (None: the net's own rule).
    epochs : int, optional
        Training epochs of the net (None: its default).
    seed, n_seeds : int
        Seed and ensemble size of the net.
    season_length : int, optional
        Seasonal period for both parts (None: from the frequency).
    nn : str
        The residual model: a member model of the registry (``rnn``, ``lstm``, ``gru``,
        ``bilstm``, ``esn``).
    arima_params, nn_params : dict, optional
        Extra parameters of :class:`~forecast.models.statistical.arima.AutoARIMA` and of the net.

    Attributes
    ----------
    arima_ : AutoARIMA
        The fitted linear part.
    nn_ : object
        The fitted residual model.
    n_params_ : dict of str to int
        ARIMA's parameter counts (for the Ljung-Box dof).
    """

    name = "hybrid"
    label = "Hybrid ARIMA + LSTM"
    scope = "global"
    neural = True
    memory = True
    min_length = 4
    _fitted_attr = "nn_"

    def __init__(
        self,
        *,
        horizon: int | None = None,
        input_size: int | None = None,
        epochs: int | None = None,
        seed: int = 0,
        n_seeds: int = 1,
        season_length: int | None = None,
        nn: str = "lstm",
        arima_params: dict | None = None,
        nn_params: dict | None = None,
    ) -> None:
        self.horizon = horizon
        self.input_size = input_size
        self.epochs = epochs
        self.seed = seed
        self.n_seeds = n_seeds
        self.season_length = season_length
        self.nn = nn
        self.arima_params = arima_params
        self.nn_params = nn_params

    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Progress | None = None,
        should_stop: ShouldStop | None = None,
    ) -> Hybrid:
        """Fit ARIMA per series, then the net on ARIMA's residuals (globally).

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y``.
        progress : callable, optional
            ``progress(step, total, message)`` from the net's epochs.
        should_stop : callable, optional
            Checked between ARIMA series and the net's epochs (raises ``Cancelled``).

        Returns
        -------
        self
        """
        from forecast.models.registry import make_model, model_class, model_names

        nets = model_names(member=True)
        if self.nn not in nets:
            raise SpecError(f"hybrid: nn must be one of {', '.join(nets)}, got {self.nn!r}.")
        net_params = model_class(self.nn).param_names()
        if self.epochs is not None and "epochs" not in net_params:
            raise SpecError(
                f"hybrid: the residual model '{self.nn}' does not train by epochs; leave epochs "
                "empty or pick a recurrent net."
            )
        for attr in ("arima_", "nn_"):
            vars(self).pop(attr, None)
        # the whole history unless asked otherwise: the net learns from every residual
        arima_kwargs = {"max_history": None, **(self.arima_params or {})}
        arima = AutoARIMA(season_length=self.season_length, **arima_kwargs)
        arima.fit(df[["unique_id", "ds", "y"]], should_stop=should_stop)  # no drivers
        resid = arima.residuals_.rename(columns={"resid": "y"})
        resid["y"] = resid["y"].fillna(0.0)  # burn-in of a differenced fixed-order fit
        resid.attrs["freq"] = arima.freq_
        params = {
            "horizon": self.horizon,
            "input_size": self.input_size,
            "seed": self.seed,
            "n_seeds": self.n_seeds,
            "season_length": self.season_length,
            "log": False,
            "normalize": "mean",
        }
        if self.epochs is not None:
            params["epochs"] = self.epochs
        params.update(self.nn_params or {})
        net = make_model(self.nn, **params)
        net.fit(resid, progress=progress, should_stop=should_stop)
        self.arima_ = arima
        self.nn_ = net
        self.n_params_ = dict(self.arima_.n_params_)
        self.last_ds_ = dict(self.arima_.last_ds_)
        self.freq_ = self.arima_.freq_
        self.detail_ = f"{self.arima_.detail_} + {self.nn} on its residuals"
        return self

    @property
    def residuals_(self) -> pd.DataFrame:
        """In-sample one-step residuals of the hybrid, ``unique_id, ds, resid``."""
        check_fitted(self, "nn_")
        return self.nn_.residuals_

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps: ARIMA's forecast plus the net's residual forecast.

        Returns
        -------
        DataFrame
            ``unique_id, ds, model, yhat, lo, hi``.
        """
        check_fitted(self, "nn_")
        h = check_horizon(h)
        level = check_level(level)
        linear = self.arima_.predict(h, level=level)
        correction = self.nn_.predict(h, level=level)
        merged = linear.merge(
            correction[["unique_id", "ds", "yhat"]].rename(columns={"yhat": "delta"}),
            on=["unique_id", "ds"],
            how="left",
        )
        delta = merged["delta"].fillna(0.0)
        out = linear.copy()
        out["model"] = self.name
        out["yhat"] = linear["yhat"].to_numpy() + delta.to_numpy()
        out["lo"] = linear["lo"].to_numpy() + delta.to_numpy()
        out["hi"] = linear["hi"].to_numpy() + delta.to_numpy()
        return out

    def effective_memory(self, df: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
        """The residual net's effective memory (``lag, importance``) over the ARIMA residuals
        it was trained on (``df`` is accepted for the common signature and not used)."""
        check_fitted(self, "nn_")
        if not hasattr(self.nn_, "effective_memory"):
            raise SpecError(f"hybrid: the residual model '{self.nn}' has no effective memory.")
        return self.nn_.effective_memory(None, **kwargs)  # the net saw residuals, not df

    # ------------------------------------------------------------------ persistence
    def _fitted_state(self, folder: Path) -> tuple[dict, dict]:
        """ARIMA's state (arrays prefixed ``arima``) in this folder, the residual net in the
        sub-folder ``residual_net`` (a model folder of its own)."""
        arima_fitted, arrays = self.arima_._fitted_state(prefix="arima")
        self.nn_.save(Path(folder) / _NET_FOLDER)
        arima = {"params": self.arima_.get_params(), "fitted": arima_fitted}
        return {"arima": arima, "nn_folder": _NET_FOLDER}, arrays

    def _restore_state(self, fitted: dict, arrays: dict, folder: Path) -> None:
        from forecast.models.registry import model_class

        arima_params = AutoARIMA._params_from_json(fitted["arima"]["params"])
        arima = AutoARIMA(**arima_params)
        arima._restore_state(fitted["arima"]["fitted"], arrays, prefix="arima")
        self.arima_ = arima
        self.nn_ = model_class(self.nn).load(Path(folder) / _NET_FOLDER)
        self.n_params_ = dict(arima.n_params_)
        self.last_ds_ = dict(arima.last_ds_)
        self.freq_ = arima.freq_
        self.detail_ = f"{arima.detail_} + {self.nn} on its residuals"

    @classmethod
    def _upgrade_config(cls, config: dict) -> dict:
        config = super()._upgrade_config(config)
        if config.get("version") == 1:  # version 1 kept the ARIMA beside "params"
            arima = config.get("arima") or {}
            fitted = {"arima": {"params": arima.get("params"), "fitted": arima.get("fitted")}}
            config = {**config, "fitted": fitted}
        return config

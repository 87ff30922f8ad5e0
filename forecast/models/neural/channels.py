"""Drivers as input channels of the windowed networks: scaling, windows and packed inputs.

With ``drivers="channels"`` a windowed forecaster reads its drivers beside the target:

- every driver (known in advance or observed only) enters the input window as one more channel,
  its value at each of the ``L`` input steps;
- a known-in-advance driver also enters over the output steps: its ``K`` future values (``K`` the
  outputs of one network call: ``H`` for a direct head, 1 for a recursive one) reach the output
  layer (:class:`~forecast.models.neural.recurrent.RecurrentNet`) or the ridge readout
  (:class:`~forecast.models.neural.esn.ESN`), causally: output step ``j`` sees the future values
  of steps ``1 .. j`` only, so a forecast never depends on driver values past its own steps.

Each driver is scaled per series, ``(x - mean) / std`` with the mean and standard deviation of
that series' fitting history only (:class:`DriverScaler`, stored with the model). Past the last
observation an observed-only driver has no values; where a forecast longer than one network call
slides its input window into the future, its last observed value is carried forward.

The networks take one 2-D array per window (:func:`pack`): the ``L`` normalised target values,
then the ``L x k`` driver window (time-major), then the ``K x k_known`` future values, so the
training loop (:func:`forecast.models.neural.training.train_module`) is the same as without drivers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.models.neural.windows import make_windows

__all__ = [
    "Channels",
    "DriverScaler",
    "channel_windows",
    "future_channels",
    "pack",
    "packed_width",
]

_EPS = 1e-8


@dataclass
class DriverScaler:
    """Per-series standardisation of the drivers, fitted on the fitting history only.

    Attributes
    ----------
    mean, std : ndarray, shape (n_series, k)
        Mean and standard deviation of each driver in each series (``std`` 1 for a constant
        driver).
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, xs: list[np.ndarray]) -> DriverScaler:
        """Statistics of the history arrays ``xs`` (one (n_i, k) array per series)."""
        mean = np.stack([np.mean(x, axis=0) for x in xs])
        std = np.stack([np.std(x, axis=0) for x in xs])
        return cls(mean, np.where(std > _EPS, std, 1.0))

    def apply(self, i: int, x: np.ndarray, columns: slice | np.ndarray = slice(None)) -> np.ndarray:
        """Scaled values of series ``i``: ``x`` (n, k') holds the drivers at ``columns``."""
        return (np.asarray(x, dtype=float) - self.mean[i, columns]) / self.std[i, columns]


@dataclass
class Channels:
    """The drivers a fitted windowed model reads as channels.

    Attributes
    ----------
    known : list of str
        Known-in-advance drivers (channels ``0 .. k_known - 1``: input window and future).
    observed : list of str
        Observed-only drivers (the next channels: input window only).
    scaler : DriverScaler
        Per-series statistics over ``known + observed``.
    history : list of ndarray, each shape (n_i, k)
        Raw driver values over each series' fitting history (the forecasts' input windows).
    """

    known: list[str]
    observed: list[str]
    scaler: DriverScaler
    history: list[np.ndarray]

    @property
    def names(self) -> list[str]:
        return [*self.known, *self.observed]

    @property
    def k(self) -> int:
        return len(self.known) + len(self.observed)

    @property
    def k_known(self) -> int:
        return len(self.known)

    def scaled_history(self) -> list[np.ndarray]:
        """Scaled driver history of every series, each (n_i, k)."""
        return [self.scaler.apply(i, x) for i, x in enumerate(self.history)]


def channel_windows(
    dx: list[np.ndarray], input_size: int, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """Driver windows aligned with :func:`~forecast.models.neural.windows.make_windows`.

    Parameters
    ----------
    dx : list of ndarray, each shape (n_i, k)
        Scaled drivers of each series.
    input_size, horizon : int
        ``L`` and ``H`` of the target windows.

    Returns
    -------
    D : ndarray, shape (n, L, k)
        Driver values over each window's inputs.
    F : ndarray, shape (n, H, k)
        Driver values over each window's targets.
    """
    k = dx[0].shape[1]
    parts = [make_windows([x[:, c] for x in dx], input_size, horizon) for c in range(k)]
    return np.stack([p.X for p in parts], axis=2), np.stack([p.Y for p in parts], axis=2)


def future_channels(D: np.ndarray, known_future: np.ndarray, k_known: int) -> np.ndarray:
    """Every channel over the forecast steps: the known drivers' given future values, the
    observed-only drivers' last input value carried forward.

    Parameters
    ----------
    D : ndarray, shape (n, L, k)
        Driver windows (scaled).
    known_future : ndarray, shape (n, h, k_known)
        Known drivers over the ``h`` steps (scaled).
    k_known : int

    Returns
    -------
    ndarray, shape (n, h, k)
    """
    n, h = known_future.shape[0], known_future.shape[1]
    last = np.repeat(D[:, -1:, k_known:], h, axis=1)
    return np.concatenate([known_future.reshape(n, h, k_known), last], axis=2)


def packed_width(input_size: int, k: int, outputs: int, k_known: int) -> int:
    """Columns of a packed window: ``L + L k + K k_known``."""
    return input_size + input_size * k + outputs * k_known


def pack(Xn: np.ndarray, D: np.ndarray, F: np.ndarray) -> np.ndarray:
    """One row per window: normalised target (n, L), driver window (n, L, k) and known future
    (n, K, k_known), flattened time-major into shape (n, L + L k + K k_known)."""
    n = len(Xn)
    return np.concatenate([Xn, D.reshape(n, -1), F.reshape(n, -1)], axis=1)

"""Echo State Network forecaster: a fixed random reservoir read out by ridge regression.

The reservoir is a sparse random matrix scaled to a spectral radius below 1 (the echo state
property: the influence of old inputs fades), driven by each normalised input window with leaky
integration ``s_t = (1 - a) s_{t-1} + a tanh(W_in x_t + W s_{t-1} + b)`` from a zero state. The
first ``washout`` states of a window are discarded; the features are the final state, the mean
of the remaining states and the window itself, and a scikit-learn ``Ridge`` maps them to the
whole horizon at once. Nothing is trained by gradient descent, so a fit over thousands of series
takes seconds. ``alpha="auto"`` picks the ridge penalty on the validation tail.

With driver channels (``drivers="channels"``) the readout also reads the scaled driver window
and the known drivers' values over the horizon, causally: the ridge of output step ``j`` sees the
future values of steps ``1 .. j`` only (:func:`masked_ridge`).

Windows, normalisation, seed ensembles, intervals and persistence come from
:class:`~forecast.models.neural.windowed.WindowedForecaster`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from forecast.errors import Cancelled, SpecError
from forecast.models.base import check_fitted
from forecast.models.neural.training import torch_session
from forecast.models.neural.windowed import WindowedForecaster

__all__ = ["ESN", "Reservoir", "masked_ridge"]

_CHUNK = 16384
_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)


@dataclass
class Reservoir:
    """A fitted reservoir and its linear readout.

    Attributes
    ----------
    w_in : ndarray, shape (N,)
        Input weights.
    w : ndarray, shape (N, N)
        Recurrent weights (spectral radius as configured).
    bias : ndarray, shape (N,)
    coef : ndarray, shape (H, F)
        Readout weights over ``F = 2 N + L`` features.
    intercept : ndarray, shape (H,)
    """

    w_in: np.ndarray
    w: np.ndarray
    bias: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray


class ESN(WindowedForecaster):
    """Echo State Network, one global reservoir over all series.

    Parameters
    ----------
    horizon : int or None
        Steps the readout is fitted for; None: the first ``predict(h)`` decides.
    input_size : int or None
        Window length ``L`` (same default rule as the recurrent models).
    reservoir_size : int
        Reservoir units ``N``.
    spectral_radius : float
        Largest absolute eigenvalue of the recurrent matrix, in (0, 1).
    density : float
        Fraction of non-zero recurrent weights.
    leak : float
        Leaking rate ``a`` in (0, 1].
    input_scaling : float
        Scale of the input weights.
    washout : int or None
        States discarded at the start of each window (None: a quarter of the window).
    alpha : float or "auto"
        Ridge penalty; "auto" chooses among 0.01..100 by validation MAE.
    seed, n_seeds : int
        Reservoirs ``seed .. seed + n_seeds - 1``; forecasts are their median.
    normalize : {"season", "last", "mean", "none"}
        Per-window level removed from inputs and targets; default the mean of the last season
        of inputs (on M3 monthly, seeds 0/1/2: 13.99/14.04/14.07 sMAPE against 14.06/14.09/14.09
        with the last value).
    sampling : {"window", "series"}
        "window" (default): every window weighs the same in the ridge fit; "series": every
        series the same (window weights ``1 / windows of its series``). Unlike the recurrent
        nets, the ESN is worse with "series" on M3 monthly (14.02 against 13.73 sMAPE).
    drivers : {"channels", "regression"}
        "regression" (default, as for the recurrent nets): dynamic regression on the known
        drivers; "channels": their window and future are readout features. Observed-only drivers' windows are readout
        features with either.
    season_length, log, deseasonalize, val_windows, refit, threads :
        As for :class:`~forecast.models.neural.recurrent.RecurrentForecaster`.

    Notes
    -----
    Nothing is trained by epochs and the reservoir runs on the CPU, so the ESN takes neither
    ``epochs`` nor ``device`` (a run's epochs go to the models that train by epochs).
    """

    name = "esn"
    label = "Echo State Network"
    drivers_accepted = ("known", "observed")
    _retired_params = ("epochs", "device")

    def __init__(
        self,
        *,
        horizon: int | None = None,
        input_size: int | None = None,
        reservoir_size: int = 200,
        spectral_radius: float = 0.9,
        density: float = 0.1,
        leak: float = 0.5,
        input_scaling: float = 1.0,
        washout: int | None = None,
        alpha: float | str = "auto",
        seed: int = 0,
        n_seeds: int = 1,
        season_length: int | None = None,
        log: bool | str = "auto",
        normalize: str = "season",
        deseasonalize: bool | str = "auto",
        sampling: str = "window",
        val_windows: int | None = None,
        refit: bool = True,
        drivers: str = "regression",
        threads: int | None = None,
    ) -> None:
        self.horizon = horizon
        self.input_size = input_size
        self.reservoir_size = reservoir_size
        self.spectral_radius = spectral_radius
        self.density = density
        self.leak = leak
        self.input_scaling = input_scaling
        self.washout = washout
        self.alpha = alpha
        self.seed = seed
        self.n_seeds = n_seeds
        self.season_length = season_length
        self.log = log
        self.normalize = normalize
        self.deseasonalize = deseasonalize
        self.sampling = sampling
        self.val_windows = val_windows
        self.refit = refit
        self.drivers = drivers
        self.threads = threads

    def _check_params(self) -> None:
        super()._check_params()
        n = self.reservoir_size
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise SpecError(f"esn: reservoir_size must be a positive integer, got {n!r}.")
        if not 0 < float(self.spectral_radius) < 1:
            raise SpecError(
                f"esn: spectral_radius must lie in (0, 1) for the echo state property, "
                f"got {self.spectral_radius!r}."
            )
        if not 0 < float(self.density) <= 1:
            raise SpecError(f"esn: density must lie in (0, 1], got {self.density!r}.")
        if not 0 < float(self.leak) <= 1:
            raise SpecError(f"esn: leak must lie in (0, 1], got {self.leak!r}.")
        if self.alpha != "auto" and not float(self.alpha) > 0:
            raise SpecError(f"esn: alpha must be positive or 'auto', got {self.alpha!r}.")
        self._drivers_mode()

    # ------------------------------------------------------------------ reservoir
    def _random_reservoir(self, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        n = int(self.reservoir_size)
        w = rng.uniform(-1, 1, (n, n)) * (rng.random((n, n)) < float(self.density))
        radius = float(np.max(np.abs(np.linalg.eigvals(w)))) if n > 0 else 0.0
        if radius > 0:
            w *= float(self.spectral_radius) / radius
        w_in = rng.uniform(-1, 1, n) * float(self.input_scaling)
        bias = rng.uniform(-0.1, 0.1, n)
        return w_in.astype(np.float32), w.astype(np.float32), bias.astype(np.float32)

    def _features(self, res: Reservoir, X: np.ndarray) -> np.ndarray:
        """Reservoir features of windows ``X`` (n, L): shape (n, 2 N + L), float64; with
        channels ``X`` is packed (n, L + L k + K k_known) and its driver part is appended."""
        packed = X
        if getattr(self, "channels_", None) is not None:
            X = packed[:, : self.input_size_]
        L = X.shape[1]
        washout = min(int(self.washout if self.washout is not None else L // 4), L - 1)
        a = float(self.leak)
        w_in = torch.from_numpy(res.w_in)
        w_t = torch.from_numpy(res.w).T.contiguous()
        bias = torch.from_numpy(res.bias)
        out = []
        with torch_session(None, self.threads), torch.no_grad():
            for b in range(0, len(X), _CHUNK):
                x = torch.as_tensor(X[b : b + _CHUNK], dtype=torch.float32)
                s = torch.zeros(len(x), len(bias))
                acc = torch.zeros_like(s)
                for t in range(L):
                    s = (1 - a) * s + a * torch.tanh(x[:, t : t + 1] * w_in + s @ w_t + bias)
                    if t >= washout:
                        acc += s
                acc /= L - washout
                out.append(torch.cat([s, acc], dim=1).double().numpy())
        states = np.concatenate(out) if out else np.zeros((0, 2 * len(res.bias)))
        return np.concatenate([states, packed], axis=1)

    def _allowed(self, n_features: int, outputs: int) -> np.ndarray:
        """Readout features each output may use, (outputs, F): all but the known future of
        later steps (the last ``outputs * k_known`` features, time-major)."""
        kk = self.channels_.k_known
        allowed = np.ones((outputs, n_features), dtype=bool)
        if kk:
            step = np.arange(outputs * kk) // kk
            allowed[:, n_features - outputs * kk :] = step[None, :] <= np.arange(outputs)[:, None]
        return allowed

    @property
    def alpha_(self) -> float:
        """Ridge penalty the validation tail chose (of the last reservoir)."""
        check_fitted(self, "member_choices_")
        return self.member_choices_[-1]["alpha"]

    def _fit_member(
        self, X, Y, X_val, Y_val, *, seed, progress, should_stop, weights=None, refit_of=None
    ):
        from sklearn.linear_model import Ridge

        if should_stop is not None and should_stop():
            raise Cancelled("ESN fit stopped by request")
        w_in, w, bias = self._random_reservoir(seed)
        res = Reservoir(w_in, w, bias, np.zeros((Y.shape[1], 0)), np.zeros(Y.shape[1]))
        F = self._features(res, X)
        alphas = _ALPHAS if self.alpha == "auto" else (float(self.alpha),)
        if refit_of is not None:
            alphas = (refit_of["alpha"],)  # the refit keeps the penalty chosen on the tail
        if getattr(self, "channels_", None) is not None:
            return self._fit_channels(res, F, Y, X_val, Y_val, alphas, weights, seed, progress)
        best, best_err = None, np.inf
        if len(alphas) > 1 and len(X_val):
            F_val = self._features(res, X_val)
            for alpha in alphas:
                ridge = Ridge(alpha=alpha).fit(F, Y, sample_weight=weights)
                err = float(np.mean(np.abs(ridge.predict(F_val) - Y_val)))
                if err < best_err:
                    best, best_err = ridge, err
        else:
            best = Ridge(alpha=alphas[len(alphas) // 2]).fit(F, Y, sample_weight=weights)
        alpha = float(best.alpha)
        res.coef = np.asarray(best.coef_, dtype=np.float64).reshape(Y.shape[1], -1)
        res.intercept = np.asarray(best.intercept_, dtype=np.float64).reshape(Y.shape[1])
        if progress is not None:
            progress(1, 1, f"reservoir {seed}: ridge alpha {alpha:g}")
        return res, {"epochs": 1, "alpha": alpha}

    def _fit_channels(self, res, F, Y, X_val, Y_val, alphas, weights, seed, progress):
        """The causal readout with driver channels (:func:`masked_ridge`)."""
        allowed = self._allowed(F.shape[1], Y.shape[1])
        fits = masked_ridge(F, Y, alphas, allowed, weights)
        alpha = alphas[len(alphas) // 2]
        if len(alphas) > 1 and len(X_val):
            F_val = self._features(res, X_val)
            errs = [np.mean(np.abs(F_val @ c.T + b - Y_val)) for c, b in fits]
            alpha = alphas[int(np.argmin(errs))]
        res.coef, res.intercept = fits[list(alphas).index(alpha)]
        if progress is not None:
            progress(1, 1, f"reservoir {seed}: ridge alpha {alpha:g}")
        return res, {"epochs": 1, "alpha": float(alpha)}

    def _predict_member(self, member: Reservoir, X: np.ndarray) -> np.ndarray:
        return self._features(member, X) @ member.coef.T + member.intercept

    def _member_arrays(self, member: Reservoir) -> dict[str, np.ndarray]:
        return {
            "w_in": member.w_in,
            "w": member.w,
            "bias": member.bias,
            "coef": member.coef,
            "intercept": member.intercept,
        }

    def _member_from_arrays(self, arrays: dict[str, np.ndarray]) -> Reservoir:
        return Reservoir(
            arrays["w_in"], arrays["w"], arrays["bias"], arrays["coef"], arrays["intercept"]
        )


def masked_ridge(
    F: np.ndarray,
    Y: np.ndarray,
    alphas,
    allowed: np.ndarray,
    weights: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Ridge regression of each output on its allowed features, for each penalty.

    Minimises ``sum_i w_i (y_ij - b_j - f_i . c_j)^2 + alpha |c_j|^2`` per output ``j`` with
    ``c_j`` zero outside ``allowed[j]`` (the intercept is not penalised, as in scikit-learn's
    ``Ridge``); the weighted Gram matrix is formed once.

    Parameters
    ----------
    F : ndarray, shape (n, p)
        Features.
    Y : ndarray, shape (n, K)
        Targets.
    alphas : sequence of float
        Penalties.
    allowed : ndarray of bool, shape (K, p)
    weights : ndarray, shape (n,), optional
        Sample weights (None: 1).

    Returns
    -------
    list of (coef, intercept)
        Per penalty, ``coef`` (K, p) and ``intercept`` (K,).
    """
    w = np.ones(len(F)) if weights is None else np.asarray(weights, dtype=float)
    mu = np.average(F, axis=0, weights=w)
    ym = np.average(Y, axis=0, weights=w)
    root = np.sqrt(w)[:, None]
    A = (F - mu) * root
    gram = A.T @ A
    cross = A.T @ ((Y - ym) * root)
    out = []
    for alpha in alphas:
        coef = np.zeros((Y.shape[1], F.shape[1]))
        for j in range(Y.shape[1]):
            keep = np.flatnonzero(allowed[j])
            G = gram[np.ix_(keep, keep)] + float(alpha) * np.eye(len(keep))
            coef[j, keep] = np.linalg.solve(G, cross[keep, j])
        out.append((coef, ym - coef @ mu))
    return out

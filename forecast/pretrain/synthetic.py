"""Synthetic series for pretraining: shapes no single competition holds.

Five seeded generators, each ``f(rng, n, period) -> ndarray (n,)``:

- :func:`ets_series` — an ETS state-space simulation (additive or multiplicative error, no /
  additive / damped trend, no / additive / multiplicative season) with random smoothing
  parameters (Hyndman et al. 2008, ch. 2);
- :func:`arima_series` — a random stationary ARMA(p ≤ 2, q ≤ 2), integrated ``d ∈ {0, 1}``
  times, with an optional seasonal AR term at lag ``period``;
- :func:`trend_shift_series` — piecewise linear trends with level shifts, a seasonal profile
  and noise;
- :func:`intermittent_series` — counts with many zeros (Bernoulli occurrence × Poisson or
  negative binomial size), as in spare-parts demand;
- :func:`kernel_synth_series` — a Gaussian-process draw whose kernel is a random sum/product of
  kernels from a bank (linear, RBF, periodic, rational quadratic, white noise, constant), as in
  Chronos' KernelSynth (Ansari et al. 2024).

:func:`synthetic_corpus` draws a mix of them over the seasonal periods of
:data:`PERIODS` (hourly 24, daily 7, weekly 52, monthly 12, quarterly 4, yearly 1). Everything
depends only on the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from forecast.errors import SpecError

__all__ = [
    "GENERATORS",
    "PERIODS",
    "SyntheticSeries",
    "arima_series",
    "ets_series",
    "intermittent_series",
    "kernel_synth_series",
    "synthetic_corpus",
    "trend_shift_series",
]

#: Seasonal period -> frequency it stands for.
PERIODS: dict[int, str] = {
    1: "yearly",
    4: "quarterly",
    7: "daily",
    12: "monthly",
    24: "hourly",
    52: "weekly",
}


def _scale_and_place(rng: np.random.Generator, z: np.ndarray, positive: float = 0.85) -> np.ndarray:
    """Random scale (1e0..1e4) and, with probability ``positive``, a level that keeps the
    series positive."""
    z = np.asarray(z, dtype=float)
    spread = float(np.std(z)) or 1.0
    z = (z - z.mean()) / spread
    if rng.random() < positive:
        z = z - z.min() + rng.uniform(0.5, 10.0)
    return z * 10 ** rng.uniform(0, 4)


def ets_series(rng: np.random.Generator, n: int, period: int) -> np.ndarray:
    """Simulate an ETS model with random components and parameters.

    Parameters
    ----------
    rng : numpy Generator
    n : int
        Length.
    period : int
        Seasonal period ``m`` (1: no season).

    Returns
    -------
    ndarray, shape (n,)
        Positive values (multiplicative forms are simulated on a positive level).
    """
    multiplicative = rng.random() < 0.5
    trend = rng.choice(["N", "A", "Ad"], p=[0.4, 0.3, 0.3])
    season = "N" if period < 2 or rng.random() < 0.3 else rng.choice(["A", "M"])
    alpha = rng.uniform(0.05, 0.6)
    beta = rng.uniform(0.01, 0.2) * alpha
    gamma = rng.uniform(0.01, 0.3) * (1 - alpha)
    phi = rng.uniform(0.8, 0.98) if trend == "Ad" else 1.0
    sigma = rng.uniform(0.01, 0.08)
    level = 100.0
    slope = rng.normal(0, 0.6) if trend != "N" else 0.0
    m = max(int(period), 1)
    amp = rng.uniform(0.05, 0.4)
    seas = amp * np.sin(2 * np.pi * (np.arange(m) / m + rng.random())) + rng.normal(0, amp / 4, m)
    seas = seas - seas.mean()
    seas_state = (1 + seas) if season == "M" else seas * level
    y = np.empty(n)
    for t in range(n):
        s = seas_state[t % m] if season != "N" else (1.0 if season == "M" else 0.0)
        base = level + phi * slope
        mu = base * s if season == "M" else base + (s if season == "A" else 0.0)
        eps = rng.normal(0, sigma)
        err = mu * eps if multiplicative else 100.0 * eps
        y[t] = mu + err
        new_level = base + alpha * (err / s if season == "M" else err)
        slope = phi * slope + beta * (err / s if season == "M" else err)
        if season == "A":
            seas_state[t % m] += gamma * err
        elif season == "M":
            seas_state[t % m] = np.clip(seas_state[t % m] + gamma * err / max(base, 1e-6), 0.2, 5)
        level = min(max(new_level, 1.0), 1e6)
        slope = float(np.clip(slope, -0.05 * level, 0.05 * level))
    return _scale_and_place(rng, y, positive=1.0) if rng.random() < 0.5 else np.maximum(y, 1e-3)


def arima_series(rng: np.random.Generator, n: int, period: int) -> np.ndarray:
    """A random ARIMA(p, d, q)(P, 0, 0)_m draw (stationary AR, invertible MA by construction).

    Parameters
    ----------
    rng : numpy Generator
    n : int
    period : int
        Seasonal period of the optional seasonal AR term.

    Returns
    -------
    ndarray, shape (n,)
    """
    p, q = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    # AR/MA polynomials from roots outside the unit circle
    ar_roots = rng.uniform(1.2, 4.0, p) * rng.choice([-1, 1], p)
    ma_roots = rng.uniform(1.2, 4.0, q) * rng.choice([-1, 1], q)
    ar = np.poly(1 / ar_roots) if p else np.array([1.0])
    ma = np.poly(1 / ma_roots) if q else np.array([1.0])
    if period >= 2 and rng.random() < 0.6:
        seasonal = np.zeros(period + 1)
        seasonal[0], seasonal[period] = 1.0, -rng.uniform(0.3, 0.9)
        ar = np.convolve(ar, seasonal)
    burn = 2 * period + 50
    e = rng.normal(size=n + burn)
    z = lfilter(ma, ar, e)[burn:]
    d = int(rng.choice([0, 1], p=[0.4, 0.6]))
    if d:
        z = np.cumsum(z + rng.normal(0, 0.1))
    return _scale_and_place(rng, z)


def trend_shift_series(rng: np.random.Generator, n: int, period: int) -> np.ndarray:
    """Piecewise linear trend with 0–3 level shifts, a seasonal profile and noise.

    Parameters
    ----------
    rng : numpy Generator
    n : int
    period : int

    Returns
    -------
    ndarray, shape (n,)
    """
    t = np.arange(n, dtype=float)
    knots = np.sort(rng.integers(1, max(n - 1, 2), size=int(rng.integers(0, 3))))
    slopes = rng.normal(0, 1, len(knots) + 1)
    slope = np.choose(np.searchsorted(knots, t, side="right"), slopes)
    z = np.cumsum(slope) / max(n, 1) * rng.uniform(1, 10)
    for _ in range(int(rng.integers(0, 4))):
        at = int(rng.integers(1, n))
        z[at:] += rng.normal(0, 2)
    if period >= 2:
        profile = rng.normal(0, 1, period)
        z = z + rng.uniform(0, 2) * (profile - profile.mean())[np.arange(n) % period]
    z = z + rng.normal(0, rng.uniform(0.05, 1.0), n)
    return _scale_and_place(rng, z)


def intermittent_series(rng: np.random.Generator, n: int, period: int) -> np.ndarray:
    """Non-negative counts with many zeros.

    Parameters
    ----------
    rng : numpy Generator
    n : int
    period : int
        Unused beyond a mild seasonal modulation of the occurrence probability.

    Returns
    -------
    ndarray, shape (n,)
        Integers ≥ 0 stored as floats; at least one value is positive.
    """
    p = rng.uniform(0.1, 0.7)
    if period >= 2:
        mod = 1 + 0.5 * np.sin(2 * np.pi * (np.arange(n) / period + rng.random()))
        prob = np.clip(p * mod, 0, 1)
    else:
        prob = np.full(n, p)
    occurs = rng.random(n) < prob
    mean = 10 ** rng.uniform(0, 1.5)
    if rng.random() < 0.5:
        size = 1 + rng.poisson(mean, n)
    else:
        r = rng.uniform(0.5, 5)
        size = 1 + rng.negative_binomial(r, r / (r + mean), n)
    y = (occurs * size).astype(float)
    if not np.any(y > 0):
        y[int(rng.integers(0, n))] = 1.0
    return y


def _kernel(rng: np.random.Generator, t: np.ndarray, period: int) -> np.ndarray:
    """One random kernel matrix of the bank, shape (n, n), on times ``t`` in [0, 1]."""
    d = t[:, None] - t[None, :]
    kind = rng.choice(["linear", "rbf", "periodic", "rq", "white", "const"])
    if kind == "linear":
        c = rng.uniform(-0.5, 1.5)
        return (t[:, None] - c) * (t[None, :] - c)
    if kind == "rbf":
        ell = rng.uniform(0.02, 0.5)
        return np.exp(-0.5 * (d / ell) ** 2)
    if kind == "periodic":
        n = len(t)
        steps = (
            period if period >= 2 and rng.random() < 0.7 else int(rng.integers(3, max(n // 2, 4)))
        )
        p = steps / max(n - 1, 1)
        ell = rng.uniform(0.5, 2.0)
        return np.exp(-2 * np.sin(np.pi * np.abs(d) / p) ** 2 / ell**2)
    if kind == "rq":
        ell, a = rng.uniform(0.05, 0.5), rng.uniform(0.1, 5)
        return (1 + d**2 / (2 * a * ell**2)) ** (-a)
    if kind == "white":
        return np.eye(len(t)) * rng.uniform(0.01, 0.3)
    return np.full((len(t), len(t)), rng.uniform(0.1, 1.0))


def kernel_synth_series(rng: np.random.Generator, n: int, period: int) -> np.ndarray:
    """A Gaussian-process draw with a random composite kernel (KernelSynth).

    Up to four kernels from the bank are combined with random ``+`` or ``×``.

    Parameters
    ----------
    rng : numpy Generator
    n : int
    period : int
        Favoured period of the periodic kernels (in steps).

    Returns
    -------
    ndarray, shape (n,)
    """
    t = np.linspace(0, 1, n)
    K = _kernel(rng, t, period)
    for _ in range(int(rng.integers(0, 4))):
        other = _kernel(rng, t, period)
        K = K + other if rng.random() < 0.5 else K * other
    K = K + 1e-6 * np.eye(n) * (1 + np.abs(np.diag(K)).max())
    try:
        chol = np.linalg.cholesky(K)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(K)
        chol = v * np.sqrt(np.clip(w, 0, None))
    return _scale_and_place(rng, chol @ rng.normal(size=n))


#: Generator name -> function.
GENERATORS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "ets": ets_series,
    "arima": arima_series,
    "trend_shift": trend_shift_series,
    "intermittent": intermittent_series,
    "kernel_synth": kernel_synth_series,
}

#: Default share of each generator in a corpus.
_MIX = {"ets": 0.3, "arima": 0.2, "trend_shift": 0.15, "intermittent": 0.05, "kernel_synth": 0.3}


@dataclass
class SyntheticSeries:
    """One generated series.

    Attributes
    ----------
    values : ndarray, shape (n,)
    period : int
        Seasonal period it was generated with (a key of :data:`PERIODS`).
    kind : str
        Generator name (a key of :data:`GENERATORS`).
    """

    values: np.ndarray
    period: int
    kind: str


def synthetic_corpus(
    n_series: int,
    seed: int,
    *,
    min_length: int = 24,
    max_length: int = 240,
    periods: tuple[int, ...] = tuple(PERIODS),
    mix: dict[str, float] | None = None,
) -> list[SyntheticSeries]:
    """Draw ``n_series`` synthetic series, reproducibly from ``seed``.

    Parameters
    ----------
    n_series : int
        How many series.
    seed : int
    min_length, max_length : int
        Lengths are uniform in ``[min_length, max_length]`` (points).
    periods : tuple of int
        Seasonal periods to draw from, uniformly.
    mix : dict, optional
        Generator name -> share (normalised); default 30 % ETS, 20 % ARIMA, 15 % trends and
        shifts, 5 % intermittent, 30 % KernelSynth.

    Returns
    -------
    list of SyntheticSeries
        All values finite.

    Raises
    ------
    SpecError
        A non-positive count, bad lengths or an unknown generator.
    """
    if isinstance(n_series, bool) or not isinstance(n_series, (int, np.integer)) or n_series < 1:
        raise SpecError(f"n_series must be a positive integer, got {n_series!r}.")
    if not 4 <= min_length <= max_length:
        raise SpecError(f"need 4 <= min_length <= max_length, got {min_length}, {max_length}.")
    shares = dict(mix or _MIX)
    unknown = set(shares) - set(GENERATORS)
    if unknown:
        raise SpecError(f"unknown generators {sorted(unknown)}; choose from {sorted(GENERATORS)}.")
    names = list(shares)
    probs = np.array([shares[k] for k in names], dtype=float)
    probs = probs / probs.sum()
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(n_series)):
        kind = names[int(rng.choice(len(names), p=probs))]
        period = int(rng.choice(periods))
        n = int(rng.integers(min_length, max_length + 1))
        y = GENERATORS[kind](rng, n, period)
        if not np.all(np.isfinite(y)) or np.abs(y).max() > 1e8:  # a rare explosive draw
            y = trend_shift_series(rng, n, period)
        out.append(SyntheticSeries(values=np.asarray(y, dtype=float), period=period, kind=kind))
    return out

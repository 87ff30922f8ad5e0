"""forecast.models.drivers.LinearDrivers: the drivers' effect estimated three ways, where the
truth is known."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.models.drivers import METHODS, LinearDrivers


def _series(n: int = 200, seed: int = 0, walk: bool = True):
    """``y = 10 + 2 x + e`` with ``x`` a random walk; ``e`` a random walk (``walk``) or noise."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=n))
    e = np.cumsum(rng.normal(0, 0.5, n)) if walk else rng.normal(0, 0.5, n)
    return 10 + 2 * x + e, x[:, None]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("walk", [True, False])
def test_every_method_recovers_the_effect(method, walk):
    y, X = _series(walk=walk)
    lin = LinearDrivers.fit(y, X, m=12, method=method)
    assert lin.coef[1] == pytest.approx(2.0, abs=0.1)
    # the intercept keeps the level: what the drivers leave has the mean of y - 2 x
    np.testing.assert_allclose(lin.effect(X), X[:, 0] * lin.coef[1])


def test_diff_takes_differences_only_where_the_residuals_wander():
    y, X = _series(walk=True)
    diff, ar1 = LinearDrivers.fit(y, X, method="diff"), LinearDrivers.fit(y, X, method="ar1")
    assert ar1.rho > 0.9  # levels: the AR(1) errors near a unit root
    assert diff.rho < 0.5  # on the differences the errors are close to white
    y, X = _series(walk=False)
    same = LinearDrivers.fit(y, X, method="diff")
    np.testing.assert_allclose(same.coef, LinearDrivers.fit(y, X, method="ar1").coef)

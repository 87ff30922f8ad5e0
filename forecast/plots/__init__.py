"""Plotly figures shared by every front end. Each function takes data and returns a Figure.

Split by subject: :mod:`forecast.plots.series` (series, ACF/PACF, lag scatter, STL),
:mod:`forecast.plots.drivers` (cross-correlations of a target and its drivers),
:mod:`forecast.plots.forecasts` (fan charts, residual panels, leaderboard),
:mod:`forecast.plots.scenario` (with and without drivers, scenarios) and
:mod:`forecast.plots.memory` (effective memory of recurrent models). All are re-exported here.
A forecast's interval band is drawn by one helper, :func:`forecast.plots.bands.interval_band`,
in every figure that shows one.
"""

from forecast.plots.colors import MODEL_COLORS as MODEL_COLORS
from forecast.plots.colors import model_color as model_color
from forecast.plots.drivers import *  # noqa: F403
from forecast.plots.forecasts import *  # noqa: F403
from forecast.plots.hierarchy import *  # noqa: F403
from forecast.plots.memory import *  # noqa: F403
from forecast.plots.scenario import *  # noqa: F403
from forecast.plots.series import *  # noqa: F403

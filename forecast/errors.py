"""Exceptions a user can cause.

Every message says what is wrong, where, and what to do about it. Front ends (CLI, dashboard,
jobs) catch these and show the message; anything else is a bug in Forecast Workbench.
"""

from __future__ import annotations

__all__ = ["Cancelled", "DataError", "ForecastError", "NotFittedError", "SpecError"]


class ForecastError(Exception):
    """Base class of the errors a user can cause and fix."""


class DataError(ForecastError, ValueError):
    """The data cannot be used as given (unreadable file, bad values, too short a series...)."""


class SpecError(ForecastError, ValueError):
    """A setting is invalid (horizon, window length, model name, job spec...)."""


class NotFittedError(SpecError, AttributeError):
    """A model was asked to predict (or save, or report what it learned) before ``fit``.

    Also an ``AttributeError``, as scikit-learn's, so ``hasattr(model, "residuals_")`` is False
    on an unfitted model.
    """


class Cancelled(Exception):
    """Raised inside long work when its ``should_stop()`` callable returned True.

    Not a user error: jobs catch it and mark the job ``cancelled``.
    """

"""The dashboard's pages, in navigation order.

Each page module has ``KEY``, ``PATH``, ``TITLE``, ``layout(**query)`` and ``register(app)``
(which attaches its callbacks to the app).
"""

from dashboard.pages import data, diagnostics, jobs, results, run

PAGES = (data, diagnostics, run, jobs, results)

__all__ = ["PAGES"]

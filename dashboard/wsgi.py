"""WSGI entry point for production: ``gunicorn dashboard.wsgi:server``.

Serves the app only; run the jobs with a separate ``forecast worker`` process pointed at the
same store (``--db URL`` / ``FORECAST_DB``, and the same ``FORECAST_HOME`` for the datasets).
"""

from __future__ import annotations

import os

from dashboard.app import create_app

app = create_app(os.environ.get("FORECAST_DB") or None)
#: The Flask application gunicorn serves.
server = app.server

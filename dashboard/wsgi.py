"""WSGI entry point for production: ``forecast serve`` (gunicorn) loads ``dashboard.wsgi:server``.

Configured by environment, read once per process: ``FORECAST_DB`` (the job store's URL),
``FORECAST_HOME`` (datasets and model files; shared by every web process and job worker),
``FORECAST_USERS_FILE`` / ``FORECAST_AUTH_HEADER`` / ``FORECAST_ADMINS`` (sign-in, see
:mod:`dashboard.auth`). Serves the app only; run the jobs with separate ``forecast worker``
processes pointed at the same store and ``FORECAST_HOME``.
"""

from __future__ import annotations

import os

from dashboard.app import create_app

app = create_app(os.environ.get("FORECAST_DB") or None)
#: The Flask application gunicorn serves.
server = app.server

"""Create and serve the Dash app: navigation, the stores shared by the pages, page registration.

Pages are registered explicitly with Dash Pages (``use_pages=True``, ``pages_folder=""``) and
their callbacks are attached to the app by each page's ``register(app)``, so the app can be built
more than once in one process (tests, the WSGI entry point). The app's Flask server also carries
the sign-in (:mod:`dashboard.auth`), the upload route, the JSON API and ``/healthz``
(:mod:`dashboard.api`).
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from dashboard import api, auth, guards, shared_cache, state, upload
from dashboard.pages import PAGES

__all__ = ["create_app", "default_dataset", "serve", "warm_up"]

log = logging.getLogger("dashboard")

#: Logged when the start-up warm-up is over (``benchmarks/dashboard_latency.py`` waits for it).
WARM_MESSAGE = "diagnostics warmed up"
#: The sample selected when a browser opens the app for the first time.
DEFAULT_SAMPLE = "air_passengers.csv"


def default_dataset() -> dict | None:
    """Dataset store content for a first visit: the bundled air passengers sample, if present."""
    from dashboard.datasets import list_samples, save_sample

    if DEFAULT_SAMPLE not in list_samples():
        return None
    try:
        return {"hash": save_sample(DEFAULT_SAMPLE), "filename": DEFAULT_SAMPLE, "overrides": {}}
    except Exception:  # pragma: no cover - a read-only data directory
        log.exception("could not save the default sample")
        return None


def _navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(dbc.NavLink(page.TITLE, href=page.PATH, active="exact", id=f"nav-{page.KEY}"))
        for page in PAGES
    ]
    config = flask.current_app.config.get("FORECAST_AUTH") if flask.has_app_context() else None
    if config is not None and config.passwords:  # HTTP Basic: the browser forgets on a 401
        links.append(
            dbc.NavItem(
                dbc.NavLink("Sign out", href=auth.SIGN_OUT_PATH, external_link=True, id="nav-out")
            )
        )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Forecast Workbench", href="/"),
                dbc.Nav(links, navbar=True, className="ms-auto"),
                html.Span(id="nav-dataset", className="navbar-text ms-3 small text-light"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        sticky="top",  # long pages (Results: 3,000 px) keep the way to the other pages
        className="mb-3",
        id="navbar",
    )


def _layout() -> html.Div:
    return html.Div(
        [
            dcc.Store(id="dataset", storage_type="session", data=default_dataset()),
            dcc.Store(id="job-id", storage_type="session"),
            _navbar(),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )


def create_app(db: str | None = None, auth_config: auth.AuthConfig | None = None) -> dash.Dash:
    """Build the Dash app.

    Parameters
    ----------
    db : str, optional
        SQLAlchemy URL of the job store (None: SQLite under ``FORECAST_HOME``).
    auth_config : AuthConfig, optional
        Who may sign in (None: from the environment, :meth:`AuthConfig.from_env`).

    Returns
    -------
    dash.Dash
        The app; ``app.server`` is its Flask server (the WSGI application).

    Raises
    ------
    SpecError
        A bad users file.
    """
    config = auth.AuthConfig.from_env() if auth_config is None else auth_config
    state.set_db(db)
    _sweep()
    app = dash.Dash(
        __name__,
        title="Forecast Workbench",
        use_pages=True,
        pages_folder="",
        # Bootstrap 5.3.8 is vendored in assets/ (MIT): the app must work with no internet.
        suppress_callback_exceptions=True,
        assets_folder=str(state.Path(__file__).parent / "assets"),
    )
    for order, page in enumerate(PAGES):
        dash.register_page(
            page.__name__,
            path=page.PATH,
            name=page.TITLE,
            title=f"{page.TITLE} · Forecast Workbench",
            order=order,
            layout=page.layout,
        )
        page.register(app)
    app.layout = _layout
    guards.install(app.server, app.callback_map)  # host, origin, size, shape: before sign-in
    auth.install(app.server, config)
    guards.install_body_checks(app.server)
    upload.register(app)
    api.register(app.server)
    # In the browser: no round trip (and no wait behind a busy server) to show the file name.
    app.clientside_callback(
        "function (data) { return data && data.filename ? '· ' + data.filename : ''; }",
        dash.Output("nav-dataset", "children"),
        dash.Input("dataset", "data"),
    )
    return app


def _sweep() -> None:
    """Remove the partial uploads a killed web process left behind (start-up of the app).

    Touches files only: gunicorn's master builds the app before forking the web processes,
    and a database connection opened here would be shared by all of them.
    """
    from forecast.jobs.home import sweep_partial_files

    try:
        removed = sweep_partial_files(state.forecast_home())
    except OSError:
        log.exception("could not sweep partial files")
        return
    if removed:
        log.info("removed %d partial file(s) left by a killed process", len(removed))


def _check_port(host: str, port: int) -> None:
    """Raise OSError now if HOST:PORT cannot be listened on (before the runner starts)."""
    import socket

    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(info[0], socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])


def warm_up() -> float:
    """Import and exercise the reading, diagnostics and plotting code; return the seconds taken.

    The first upload otherwise pays for importing them (seconds for statsmodels and friends)
    and for plotly's first figures before its Data and Diagnostics pages can be drawn. Nothing
    is read or written: a small synthetic series is diagnosed and plotted. ``forecast serve``
    calls it in gunicorn's master, before the web processes are forked from it, so each of them
    (and each one started again after a crash) starts warm.
    """
    import time

    import numpy as np
    import pandas as pd

    start = time.perf_counter()

    import forecast.ingest.reader  # noqa: F401
    import forecast.plots as plots
    from forecast.diagnostics import diagnose_series

    t = np.arange(240)
    y = pd.Series(
        10 + np.sin(2 * np.pi * t / 24) + 0.01 * t,
        index=pd.date_range("2020-01-01", periods=len(t), freq="h"),
    )
    diag = diagnose_series(y, freq="h")
    plots.acf_figure(diag, kind="acf")
    plots.stl_figure(diag, 24)
    frame = pd.DataFrame({"unique_id": "a", "ds": y.index, "y": y.to_numpy()})
    plots.series_figure(frame, unique_id="a")
    plots.lag_scatter_figure(y, lags=(1, 24))
    return time.perf_counter() - start


def _warm_up() -> None:
    """:func:`warm_up` on the background thread (the development server's start-up)."""
    from dashboard.cache import prefetch

    def warm():
        log.info("%s in %.1f s", WARM_MESSAGE, warm_up())

    prefetch(warm)


def serve(
    host: str = "127.0.0.1",
    port: int = 8050,
    db: str | None = None,
    debug: bool = False,
    runner: bool = True,
    insecure: bool = False,
    allowed_hosts: list[str] | None = None,
) -> None:
    """Run the app with Dash's server on HOST:PORT, with the embedded job runner.

    Parameters
    ----------
    host, port : str, int
        Interface and TCP port (localhost by default).
    db : str, optional
        SQLAlchemy URL of the job store.
    debug : bool
        Dash debug mode (never in production).
    runner : bool
        Start a :class:`forecast.jobs.LocalRunner` in this process.
    insecure : bool
        Serve a non-loopback address without sign-in.
    allowed_hosts : list of str, optional
        Host names answered (default :func:`dashboard.guards.default_allowed_hosts` of ``host``).

    Raises
    ------
    OSError
        The address is in use or not available.
    SpecError
        The job store URL cannot be opened, a bad users file, a bad ``$FORECAST_CACHE_MB``,
        or a non-loopback ``host`` without sign-in (and without ``insecure``).
    """
    import os

    from forecast.jobs.home import make_private

    auth.check_bind(host, auth.AuthConfig.from_env(), insecure)
    hosts = allowed_hosts or guards.default_allowed_hosts(host)
    os.environ[guards.ALLOWED_HOSTS_ENV] = ",".join(h.strip() for h in hosts if h.strip())
    shared_cache.cache_limit_bytes()  # a bad $FORECAST_CACHE_MB fails here, not in a request
    _check_port(host, port)
    make_private()  # FORECAST_HOME 0700, its files 0600
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(db)
    local = None
    if runner and state.jobs_available():
        from forecast.jobs import LocalRunner

        local = LocalRunner(state.get_store())
        local.start()
    elif runner:
        log.warning("forecast.jobs is not available: jobs cannot run")
    _warm_up()  # once the job store has opened: a bad --db exits at once, with nothing after
    try:
        app.run(host=host, port=port, debug=debug, use_reloader=False)
    finally:
        if local is not None:
            local.stop()

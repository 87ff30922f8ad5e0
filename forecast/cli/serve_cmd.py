"""``forecast serve``: the dashboard and its JSON API under gunicorn; ``forecast users add``.

``forecast serve`` runs W web processes (gunicorn, threaded workers) that share nothing but the
job store (``--db``, e.g. PostgreSQL) and ``FORECAST_HOME``; jobs run in separate
``forecast worker`` processes, on this machine or others sharing both. A non-loopback ``--host``
is refused without sign-in (``--users FILE`` or ``--auth-header``) unless ``--insecure``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import fail
from forecast.cli.options import AllowedHosts, Db, Host, Insecure, Port
from forecast.errors import ForecastError

__all__ = ["register", "serve", "users_app"]


users_app = typer.Typer(
    name="users",
    help="Manage the users file of `forecast serve --users FILE`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _gunicorn_app(options: dict):
    """A gunicorn application serving :data:`dashboard.wsgi.server` with ``options``."""
    from gunicorn.app.base import BaseApplication

    class ForecastServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # in the master, before the web processes fork: each starts (and restarts) warm
            from dashboard.app import warm_up
            from dashboard.wsgi import server

            print(f"forecast serve: warmed up in {warm_up():.1f} s", file=sys.stderr, flush=True)
            return server

    return ForecastServer()


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8050,
    workers: Annotated[int, typer.Option(help="Web processes.", min=1, max=64)] = 2,
    threads: Annotated[int, typer.Option(help="Request threads per web process.", min=1)] = 4,
    db: Db = None,
    users: Annotated[
        Path | None,
        typer.Option(
            help="Users file (`forecast users add`); default $FORECAST_USERS_FILE.",
            dir_okay=False,
        ),
    ] = None,
    auth_header: Annotated[
        str | None,
        typer.Option(
            "--auth-header",
            help="Header with the user name, set by a trusted reverse proxy that signs users in.",
        ),
    ] = None,
    admins: Annotated[
        str | None, typer.Option(help="Comma-separated admins (with --auth-header).")
    ] = None,
    insecure: Insecure = False,
    allowed_hosts: AllowedHosts = None,
    timeout: Annotated[
        int, typer.Option(help="Seconds a request may take before its process is restarted.")
    ] = 120,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Log every request on stderr.")
    ] = False,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1) with W web processes (gunicorn).

    Jobs are run by `forecast worker` processes sharing the store and FORECAST_HOME.
    """
    from dashboard.app import _check_port
    from dashboard.auth import AuthConfig, check_bind
    from dashboard.guards import ALLOWED_HOSTS_ENV, default_allowed_hosts
    from dashboard.shared_cache import cache_limit_bytes
    from forecast.jobs.home import make_private

    env = {
        "FORECAST_DB": db,
        "FORECAST_USERS_FILE": str(users.resolve()) if users else None,
        "FORECAST_AUTH_HEADER": auth_header,
        "FORECAST_ADMINS": admins,
    }
    for key, value in env.items():
        if value is not None:
            os.environ[key] = value
    home = os.environ.get("FORECAST_HOME") or ".forecast"
    os.environ["FORECAST_HOME"] = str(Path(home).resolve())  # the same for every process
    hosts = allowed_hosts.split(",") if allowed_hosts else default_allowed_hosts(host)
    os.environ[ALLOWED_HOSTS_ENV] = ",".join(h.strip() for h in hosts if h.strip())
    make_private()  # FORECAST_HOME 0700, its files 0600, for every process forked from here
    try:
        config = AuthConfig.from_env()
        check_bind(host, config, insecure)
        cache_limit_bytes()  # a bad $FORECAST_CACHE_MB fails here, once
        from forecast.jobs import JobStore

        JobStore(os.environ.get("FORECAST_DB") or None).close()  # a bad URL fails here, once
        _check_port(host, port)
    except ForecastError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}; pick another --port.")
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    who = (
        (f"{len(config.users)} user(s)" if config.users else f"header {config.header}")
        if config.enabled
        else "no sign-in"
    )
    print(
        f"forecast serve: http://{bind}/ with {workers} web process(es), {who}, answering to "
        f"{os.environ[ALLOWED_HOSTS_ENV]}; run jobs with `forecast worker`",
        file=sys.stderr,
        flush=True,
    )
    options = {
        "bind": [bind],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": True,
        "proc_name": "forecast-serve",
        "control_socket_disable": True,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
    }
    sys.argv = [sys.argv[0]]  # gunicorn reads its own command line: give it none
    _gunicorn_app(options).run()


def add_user(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ + -).")],
    file: Annotated[Path, typer.Option("--file", help="Users file (created if missing).")],
    admin: Annotated[bool, typer.Option("--admin", help="Sees and acts on everyone's work.")] = (
        False
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add NAME (or change their password) in the users file; the password is hashed (Argon2id)."""
    from dashboard.auth import add_user as add

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add(file, name, password, admin)
    except ForecastError as exc:
        fail(str(exc))
    typer.echo(f"{name} added to {file}" + (" (admin)" if admin else ""))


def remove_user(
    name: Annotated[str, typer.Argument(help="User name.")],
    file: Annotated[Path, typer.Option("--file", help="Users file.")],
) -> None:
    """Remove NAME from the users file: their next request is refused, on every web process."""
    from dashboard.auth import remove_user as remove

    try:
        remove(file, name)
    except ForecastError as exc:
        fail(str(exc))
    typer.echo(f"{name} removed from {file}")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``users`` sub-app."""
    app.command("serve")(serve)
    users_app.command("add")(add_user)
    users_app.command("remove")(remove_user)
    app.add_typer(users_app, name="users")

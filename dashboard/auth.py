"""Sign-in and ownership for the shared server: who is asking, and what they may see.

Two ways to sign in, configured by environment (``forecast serve`` sets them from its options):

- ``FORECAST_USERS_FILE``: a users file, one ``name:argon2-hash[:admin]`` line per user (``#``
  comments), written by ``forecast users add``. Requests carry HTTP Basic credentials (browsers
  ask for them; ``curl -u name:password``). Hashes are Argon2id (:mod:`argon2`, argon2-cffi).
- ``FORECAST_AUTH_HEADER``: the name of a header set by a trusted reverse proxy that did the
  sign-in (single sign-on), e.g. ``X-Forwarded-User``; ``FORECAST_ADMINS`` lists admins by name.
  Only for a server reachable through that proxy alone.

With neither, sign-in is off: every request acts as an admin without a name (a single-user
server on loopback). ``/healthz`` is always public.

Ownership: a user reads and acts on their own datasets and jobs only; an admin on all.
:func:`owner_filter` is the ``owner=`` the job store's reads take (None: everything),
:func:`owner_name` the owner written on new datasets and jobs. Outside a request (a background
prefetch started by a request that was already checked) both are None.

Dash callbacks receive dataset hashes and job ids from the browser, which can be edited; the
request hook drops (to None) every such reference the user does not own before any callback
sees it, so a page behaves as if there were no dataset or job selected.

Nothing here is per-process state that a request relies on: credentials travel with every
request, so consecutive requests may land on different web processes. Successful password
checks are remembered per process (keyed by an HMAC of the credentials and the hash) to spare
the deliberately slow Argon2 on every request; a miss just verifies again.

Abuse: every password check passes the sign-in throttle first (:mod:`dashboard.sign_in_throttle`
on :mod:`forecast.jobs.throttle`: counts per name and per address in the job store, shared by
every web process; blocked: 429 with ``Retry-After``, the password unchecked); an unknown name
is checked against a dummy hash of the same cost (:mod:`dashboard.passwords`); the users file
is read again when it changes (:class:`_UsersFile`), so a changed password or a removed user
applies to the next request; ``GET /sign-out`` makes a
browser forget its credentials. Host, origin and body checks come before all this
(:mod:`dashboard.guards`).
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, g, has_request_context, jsonify, request

from dashboard.passwords import hash_password
from dashboard.sign_in_throttle import Throttled, check_password
from forecast.errors import ForecastError, SpecError
from forecast.jobs.home import USER_NAME

__all__ = [
    "PUBLIC_PATHS",
    "SIGN_OUT_PATH",
    "AuthConfig",
    "Identity",
    "add_user",
    "check_bind",
    "current",
    "hash_password",
    "install",
    "is_loopback",
    "owner_filter",
    "owner_name",
    "read_users",
    "remove_user",
]

#: Path of the sign-out page (password sign-in).
SIGN_OUT_PATH = "/sign-out"
#: Paths answered without sign-in (the load balancer's health check, the sign-out page).
PUBLIC_PATHS = frozenset({"/healthz", SIGN_OUT_PATH})
#: Allowed user names (the job store's owners).
_NAME = USER_NAME
#: Browser-facing realm of the Basic challenge.
REALM = "Forecast Workbench"

log = logging.getLogger("dashboard")


@dataclass(frozen=True)
class Identity:
    """Who makes a request.

    Attributes
    ----------
    name : str or None
        User name (None: sign-in is off).
    admin : bool
        Sees and acts on everyone's work.
    """

    name: str | None
    admin: bool = False


@dataclass(frozen=True)
class User:
    """One line of the users file: the Argon2 hash of the password and the role."""

    password_hash: str
    admin: bool = False


class _UsersFile:
    """The users of a users file, read again whenever the file changes.

    Checked on each request by the file's modification time, size and inode (``forecast users
    add`` replaces the file, so each change gets a new inode): a change, a new password or a
    removed user applies to the next request on every web process. A file that cannot be read
    or has a bad line keeps the users it had (logged), so a slip while editing by hand signs
    nobody in with a wrong password and locks nobody out.
    """

    def __init__(self, path: Path, users: dict[str, User]) -> None:
        self.path = Path(path)
        self._users = users
        self._stamp = self._stat()
        self._lock = threading.Lock()

    def _stat(self) -> tuple | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def users(self) -> dict[str, User]:
        stamp = self._stat()
        if stamp == self._stamp:
            return self._users
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._users = read_users(self.path)
                    log.info("users file %s read again: %d user(s)", self.path, len(self._users))
                except SpecError as exc:
                    log.error("users file changed but cannot be used, keeping the old one: %s", exc)
                self._stamp = stamp
        return self._users


@dataclass(frozen=True)
class AuthConfig:
    """How requests are signed in.

    Attributes
    ----------
    users : dict of str to User
        From the users file (empty: no password sign-in), as read at start-up;
        :meth:`current_users` gives them as the file says now.
    header : str or None
        Trusted reverse-proxy header naming the user.
    admins : frozenset of str
        Admins by name (for the header; users-file admins carry ``:admin``).
    users_file : Path or None
        The users file, read again when it changes.
    """

    users: dict[str, User] = field(default_factory=dict)
    header: str | None = None
    admins: frozenset[str] = frozenset()
    users_file: Path | None = None
    _source: _UsersFile | None = field(default=None, compare=False, repr=False)

    @property
    def enabled(self) -> bool:
        """Whether requests must be signed in (a users file, even emptied later, keeps it on)."""
        return bool(self.users) or self.users_file is not None or bool(self.header)

    @property
    def passwords(self) -> bool:
        """Whether users sign in with a password (HTTP Basic)."""
        return bool(self.users) or self.users_file is not None

    def current_users(self) -> dict[str, User]:
        """The users as the users file says now (read again when it changed)."""
        return self._source.users() if self._source is not None else self.users

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AuthConfig:
        """Read ``FORECAST_USERS_FILE``, ``FORECAST_AUTH_HEADER`` and ``FORECAST_ADMINS``.

        Raises
        ------
        SpecError
            The users file is missing or has a bad line.
        """
        env = os.environ if environ is None else environ
        path = env.get("FORECAST_USERS_FILE") or None
        users = read_users(Path(path)) if path else {}
        if path and not users:
            raise SpecError(
                f"The users file {path} lists no users; add one with `forecast users add NAME "
                f"--file {path}`."
            )
        header = (env.get("FORECAST_AUTH_HEADER") or "").strip() or None
        admins = frozenset(a.strip() for a in (env.get("FORECAST_ADMINS") or "").split(",") if a)
        source = _UsersFile(Path(path), users) if path else None
        return cls(
            users=users,
            header=header,
            admins=admins,
            users_file=Path(path) if path else None,
            _source=source,
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable from this machine only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_bind(host: str, config: AuthConfig, insecure: bool = False) -> None:
    """Refuse to serve on a non-loopback address without sign-in, unless ``insecure``.

    Raises
    ------
    SpecError
        ``host`` is reachable from other machines and ``config`` signs nobody in.
    """
    if config.enabled or insecure or is_loopback(host):
        return
    raise SpecError(
        f"Refusing to serve on {host} without sign-in: anyone who can reach it could read and "
        "cancel every dataset and job. Add users (`forecast users add NAME --file FILE`, then "
        "--users FILE), or name a trusted proxy's header (--auth-header), or pass --insecure "
        "to serve it open anyway."
    )


# ------------------------------------------------------------------ the users file
def read_users(path: Path) -> dict[str, User]:
    """Parse a users file (``name:argon2-hash[:admin]`` per line; ``#`` starts a comment).

    Raises
    ------
    SpecError
        Missing file, or a line that is not of that form (the message names the line).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(
            f"Cannot read the users file {path} ({exc.strerror or exc}); create it with "
            "`forecast users add NAME --file FILE`."
        ) from None
    users: dict[str, User] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()  # Argon2 strings never hold a '#'
        if not line:
            continue
        parts = line.split(":")
        role = parts[2].strip() if len(parts) == 3 else ""
        if (
            len(parts) not in (2, 3)
            or not _NAME.fullmatch(parts[0])
            or not parts[1].startswith("$argon2")
            or role not in ("", "admin")
        ):
            raise SpecError(
                f"{path}, line {number}: expected `name:argon2-hash` or `name:argon2-hash:admin`; "
                "write lines with `forecast users add NAME --file FILE`."
            )
        users[parts[0]] = User(parts[1], role == "admin")
    return users


def add_user(path: Path, name: str, password: str, admin: bool = False) -> None:
    """Add or replace ``name`` in the users file (created with mode 600).

    Raises
    ------
    SpecError
        A bad name, an empty password, or an unreadable existing file.
    """
    if not _NAME.fullmatch(name or ""):
        raise SpecError(
            f"User name {name!r} is not allowed; use 1-100 letters, digits or . _ @ + -."
        )
    path = Path(path)
    users = read_users(path) if path.exists() else {}
    users[name] = User(hash_password(password), admin)
    _write_users(path, users)


def remove_user(path: Path, name: str) -> None:
    """Remove ``name`` from the users file: their next request, on every web process, is refused.

    Raises
    ------
    SpecError
        No such user, or an unreadable file.
    """
    path = Path(path)
    users = read_users(path)
    if name not in users:
        raise SpecError(f"No user {name!r} in {path}; its users are {', '.join(users) or 'none'}.")
    del users[name]
    _write_users(path, users)


def _write_users(path: Path, users: dict[str, User]) -> None:
    """Replace the users file at once (a new file, mode 600, renamed over the old one)."""
    lines = [f"{n}:{u.password_hash}{':admin' if u.admin else ''}" for n, u in users.items()]
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, path)


def _check_password(name: str, password: str, users: dict[str, User]) -> Identity | None:
    """Check Basic credentials through the sign-in throttle (:mod:`dashboard.sign_in_throttle`);
    raises :class:`Throttled` when blocked."""
    user = users.get(name)
    hashed = user.password_hash if user is not None else None  # None: checked all the same
    if not check_password(name, password, hashed, request.remote_addr) or user is None:
        return None
    return Identity(name, admin=user.admin)


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        name, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (name, password) if sep else None


def identify(config: AuthConfig) -> Identity | None:
    """The signed-in :class:`Identity` of the current request, or None when it is not signed in.

    Raises
    ------
    Throttled
        Too many failed sign-ins for the name given, or from the request's address.
    """
    if not config.enabled:
        return Identity(None, admin=True)
    users = config.current_users()
    if config.header:
        name = (request.headers.get(config.header) or "").strip()
        if name and _NAME.fullmatch(name):
            user = users.get(name)
            return Identity(name, admin=name in config.admins or bool(user and user.admin))
    creds = _basic_credentials()
    if creds is not None and config.passwords:
        return _check_password(*creds, users)
    return None


def current() -> Identity | None:
    """The identity of the request being served (None outside a request)."""
    if not has_request_context():
        return None
    return g.get("identity")


def owner_filter() -> str | None:
    """``owner=`` for the store's reads: the user's name, or None (an admin, or no request)."""
    ident = current()
    return None if ident is None or ident.admin else ident.name


def owner_name() -> str | None:
    """The owner recorded on new datasets and jobs (None: sign-in off, or no request)."""
    ident = current()
    return None if ident is None else ident.name


def _refusal(message: str, status: int, headers: dict[str, str]) -> Response:
    """A refused request: ``{"error": message}`` under ``/api/``, plain text elsewhere."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": message})
    else:
        response = Response(message + "\n", mimetype="text/plain")
    response.status_code = status
    response.headers.update(headers)
    return response


def _challenge() -> Response:
    return _refusal(
        "Sign in: send your user name and password (HTTP Basic, e.g. `curl -u NAME:PASSWORD`).",
        401,
        {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
    )


def _throttled(wait: Throttled) -> Response:
    return _refusal(
        f"Too many failed sign-ins for this user name or from this address; try again in "
        f"{wait.seconds} s.",
        429,
        {"Retry-After": str(wait.seconds)},
    )


def _sign_out() -> Response:
    """``GET /sign-out``: a 401 challenge, so that the browser forgets the name and password.

    HTTP Basic has no session on the server: the browser keeps the credentials and sends them
    with every request. Answering 401 makes it drop them (it asks again on the next page).
    The navigation bar's "Sign out" first sends a request with a name that is no user's, which
    replaces the remembered credentials in the browsers that keep them across a 401.
    """
    page = (
        "<!doctype html><title>Signed out · Forecast Workbench</title>"
        "<p>You are signed out. Close this tab, or <a href='/'>sign in again</a>.</p>"
    )
    response = Response(page, mimetype="text/html")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ Dash callbacks
#: Component ids whose value is a job id.
_JOB_IDS = frozenset({"job-id", "results-job", "results-query"})


def _scrub_callback(body: dict, ident: Identity) -> None:
    """Set to None every dataset or job reference of ``body`` (a Dash callback request) that
    ``ident`` does not own."""
    from dashboard import state

    store = state.get_store()
    items = []
    for key in ("inputs", "state"):
        for item in body.get(key) or []:
            items.extend(item if isinstance(item, list) else [item])
    for item in items:
        if not isinstance(item, dict) or item.get("value") in (None, ""):
            continue
        cid, value = item.get("id"), item.get("value")
        if not isinstance(cid, str):  # a pattern-matching id: its callback checks the owner
            continue
        try:
            if cid == "dataset" and item.get("property") == "data":
                digest = value.get("hash") if isinstance(value, dict) else None
                if digest is not None:
                    store.dataset_path(digest, owner=ident.name)
            elif cid in _JOB_IDS and item.get("property") in ("data", "value"):
                store.get(str(value), owner=ident.name)
        except ForecastError:
            item["value"] = None


def install(app: Flask, config: AuthConfig) -> None:
    """Check every request of ``app`` (a Flask server) against ``config``.

    Unsigned requests get 401 with a Basic challenge (JSON under ``/api/``), throttled ones 429
    with ``Retry-After``; signed ones carry their :class:`Identity` in ``flask.g.identity``.
    ``GET /sign-out`` (public) answers the 401 that makes a browser forget its credentials. Every response names the web process that
    served it (``X-Forecast-Worker``: its pid), which load tests and health checks use.
    """
    app.config["FORECAST_AUTH"] = config

    app.add_url_rule(SIGN_OUT_PATH, endpoint="forecast_sign_out", view_func=_sign_out)

    @app.before_request
    def _sign_in():
        if request.path in PUBLIC_PATHS:
            g.identity = None
            return None
        try:
            ident = identify(config)
        except Throttled as wait:
            return _throttled(wait)
        if ident is None:
            return _challenge()
        g.identity = ident
        if (
            not ident.admin
            and request.method == "POST"
            and request.path.endswith("_dash-update-component")
        ):
            from dashboard.guards import body_problem

            if body_problem(app.config.get("FORECAST_CALLBACK_MAP")) is None:
                _scrub_callback(request.get_json(), ident)
        return None

    @app.after_request
    def _stamp(response: Response) -> Response:
        response.headers["X-Forecast-Worker"] = str(os.getpid())
        return response

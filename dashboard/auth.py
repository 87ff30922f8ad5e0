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
checks are remembered per process (keyed by an HMAC of the credentials) to spare the
deliberately slow Argon2 on every request; a miss just verifies again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, g, has_request_context, jsonify, request

from forecast.errors import ForecastError, SpecError
from forecast.jobs.store import USER_NAME

__all__ = [
    "PUBLIC_PATHS",
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
]

#: Paths answered without sign-in (the load balancer's health check).
PUBLIC_PATHS = frozenset({"/healthz"})
#: Allowed user names (the job store's owners).
_NAME = USER_NAME
#: Browser-facing realm of the Basic challenge.
REALM = "Forecast Workbench"


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


@dataclass(frozen=True)
class AuthConfig:
    """How requests are signed in.

    Attributes
    ----------
    users : dict of str to User
        From the users file (empty: no password sign-in).
    header : str or None
        Trusted reverse-proxy header naming the user.
    admins : frozenset of str
        Admins by name (for the header; users-file admins carry ``:admin``).
    """

    users: dict[str, User] = field(default_factory=dict)
    header: str | None = None
    admins: frozenset[str] = frozenset()

    @property
    def enabled(self) -> bool:
        """Whether requests must be signed in."""
        return bool(self.users) or bool(self.header)

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
        return cls(users=users, header=header, admins=admins)


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
#: Argon2id cost of new hashes: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), about
#: 0.05 s of CPU per check here; argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) took 0.26 s,
#: paid by each web process for each user. A hash carries its own parameters: old ones still
#: verify.
ARGON2_PARAMS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher(**ARGON2_PARAMS)


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (salted; the parameters are encoded in the string)."""
    if not password:
        raise SpecError("The password is empty; choose a non-empty password.")
    return _hasher().hash(password)


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
    lines = [f"{n}:{u.password_hash}{':admin' if u.admin else ''}" for n, u in users.items()]
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    os.replace(tmp, path)


# ------------------------------------------------------------------ checking a request
class _Verified:
    """Successful password checks of this process, by HMAC of (name, password, hash)."""

    def __init__(self, size: int = 1024) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def check(self, name: str, password: str, user: User) -> bool:
        digest = hmac.new(
            self._key, f"{name}\0{password}\0{user.password_hash}".encode(), hashlib.sha256
        ).digest()
        with self._lock:
            if digest in self._seen:
                self._seen.move_to_end(digest)
                return True
        try:
            _hasher().verify(user.password_hash, password)
        except Exception:  # VerifyMismatchError, InvalidHashError...
            return False
        with self._lock:
            self._seen[digest] = None
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        return True


_VERIFIED = _Verified()


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
    """The signed-in :class:`Identity` of the current request, or None when it is not signed in."""
    if not config.enabled:
        return Identity(None, admin=True)
    if config.header:
        name = (request.headers.get(config.header) or "").strip()
        if name and _NAME.fullmatch(name):
            user = config.users.get(name)
            return Identity(name, admin=name in config.admins or bool(user and user.admin))
    creds = _basic_credentials()
    if creds is not None and config.users:
        name, password = creds
        user = config.users.get(name)
        if user is not None and _VERIFIED.check(name, password, user):
            return Identity(name, admin=user.admin)
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


def _challenge() -> Response:
    message = (
        "Sign in: send your user name and password (HTTP Basic, e.g. `curl -u NAME:PASSWORD`)."
    )
    if request.path.startswith("/api/"):
        response = jsonify({"error": message})
    else:
        response = Response(message + "\n", mimetype="text/plain")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _cross_site() -> bool:
    """Whether a browser sends this state-changing request from another site's page.

    Browsers resend Basic credentials on their own, so a page elsewhere could otherwise post a
    form (a job, a cancel) here in its visitor's name. They name the page's origin in ``Origin``
    on such posts; scripts (curl) send none.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin == "null"
    # behind a reverse proxy the browser's host may arrive as X-Forwarded-Host (a header that a
    # page elsewhere cannot add to a simple cross-site post)
    hosts = {
        request.host,
        *(h.strip() for h in request.headers.get("X-Forwarded-Host", "").split(",")),
    }
    return origin.split("://", 1)[-1].rstrip("/") not in hosts


def _refuse_cross_site() -> Response:
    response = jsonify({"error": "Requests from another site's pages are refused."})
    response.status_code = 403
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

    Unsigned requests get 401 with a Basic challenge (JSON under ``/api/``); signed ones carry
    their :class:`Identity` in ``flask.g.identity``. Every response names the web process that
    served it (``X-Forecast-Worker``: its pid), which load tests and health checks use.
    """
    app.config["FORECAST_AUTH"] = config

    @app.before_request
    def _sign_in():
        if request.path in PUBLIC_PATHS:
            g.identity = None
            return None
        if _cross_site():
            return _refuse_cross_site()
        ident = identify(config)
        if ident is None:
            return _challenge()
        g.identity = ident
        if (
            not ident.admin
            and request.method == "POST"
            and request.path.endswith("_dash-update-component")
        ):
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                _scrub_callback(body, ident)
        return None

    @app.after_request
    def _stamp(response: Response) -> Response:
        response.headers["X-Forecast-Worker"] = str(os.getpid())
        return response

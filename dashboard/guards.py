"""Checks every request passes before sign-in and the pages: host, origin, size, shape; and the
headers every answer carries.

- **Host allow-list** (DNS rebinding): a page on ``rebind.attacker.example`` whose name the
  attacker points at 127.0.0.1 would otherwise read and act on a local server as if it were
  the same site. The ``Host`` of every request (``/healthz`` aside) must be one of the allowed
  names (``FORECAST_ALLOWED_HOSTS``, comma-separated; ``*`` allows any; ``.example.org`` allows
  its sub-domains), else 400. ``forecast serve`` and ``forecast dashboard`` set it from
  ``--allowed-hosts``, by default from the address they serve (:func:`default_allowed_hosts`).
- **Origin** of state-changing requests: refused (403) when a browser names another site's
  page, ``null`` (a sandboxed frame, a ``data:`` page) or a ``file://`` page.
- **Size before reading**: bodies over :data:`MAX_BODY_BYTES` (the upload limit plus room for a
  multipart form) and Dash callback bodies over :data:`MAX_CALLBACK_BYTES` are refused (413)
  from their ``Content-Length``, before a byte is read; a body without one is cut at the limit.
- **JSON shape**: a JSON body that is not JSON, or nests deeper than :data:`MAX_JSON_DEPTH`, is
  refused (400); a Dash callback body must name a callback of the app with its inputs and
  states as lists of ``{"id", "property"}`` items, as Dash's renderer sends them (400 else).
- **Frames**: every answer carries ``X-Frame-Options: DENY`` and ``Content-Security-Policy:
  frame-ancestors 'none'`` (no other site may show the app in a frame and trick clicks out of
  it), and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket

from flask import Flask, Response, g, jsonify, request

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "MAX_BODY_BYTES",
    "MAX_CALLBACK_BYTES",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "allowed_hosts",
    "body_problem",
    "default_allowed_hosts",
    "host_allowed",
    "install",
    "install_body_checks",
]

#: Environment variable holding the allowed host names.
ALLOWED_HOSTS_ENV = "FORECAST_ALLOWED_HOSTS"
#: Loopback names, allowed when the server listens on loopback (and by default).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Largest request body (bytes): the 50 MB upload limit plus 1 MB for a multipart form's fields.
MAX_BODY_BYTES = 51 * 1024 * 1024
#: Largest Dash callback body (bytes). The pages send ids, options and small figures' state.
MAX_CALLBACK_BYTES = 2 * 1024 * 1024
#: Largest JSON body of the API (bytes): a job's options.
MAX_JSON_BYTES = 1024 * 1024
#: Deepest nesting of a JSON body (objects and arrays).
MAX_JSON_DEPTH = 64
#: Answers exempt from the host check (a load balancer's health check names the address).
_HOST_EXEMPT = frozenset({"/healthz"})
_CALLBACK_SUFFIX = "_dash-update-component"
#: The header of a raw file upload (dashboard.upload.FILENAME_HEADER).
_FILENAME_HEADER = "X-Upload-Filename"


def _strip_port(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8050
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host  # a bare IPv6 address, or a name without a port


def default_allowed_hosts(bind: str) -> list[str]:
    """The host names a server bound to ``bind`` answers by default.

    Loopback: ``bind``, ``localhost``, ``127.0.0.1`` and ``::1``. A wildcard address (``0.0.0.0``,
    ``::``): this machine's names and addresses as it knows them, plus loopback. Any other
    address or name: that one alone.

    Examples
    --------
    >>> default_allowed_hosts("127.0.0.1")
    ['127.0.0.1', 'localhost', '::1']
    """
    bind = _strip_port(bind) if bind.startswith("[") else bind.strip().lower()
    try:
        address = ipaddress.ip_address(bind)
    except ValueError:
        address = None
    names: list[str] = [bind]
    if bind == "localhost" or (address is not None and address.is_loopback):
        names += LOOPBACK_HOSTS
    elif address is not None and address.is_unspecified:
        names = [*LOOPBACK_HOSTS]
        hostname = socket.gethostname()
        names += [hostname, socket.getfqdn()]
        with contextlib.suppress(OSError):
            names += socket.gethostbyname_ex(hostname)[2]
    return list(dict.fromkeys(n.lower() for n in names if n))


def allowed_hosts(environ: dict[str, str] | None = None) -> list[str]:
    """The allowed host names from ``FORECAST_ALLOWED_HOSTS`` (default: the loopback names)."""
    env = os.environ if environ is None else environ
    raw = env.get(ALLOWED_HOSTS_ENV)
    if raw is None or not raw.strip():
        return list(LOOPBACK_HOSTS)
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether a ``Host`` header value (with or without a port) is one of ``allowed``."""
    name = _strip_port(host or "")
    if not name:
        return False
    for entry in allowed:
        if entry == "*" or entry == name:
            return True
        if entry.startswith(".") and (name.endswith(entry) or name == entry[1:]):
            return True
    return False


def _error(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def cross_site() -> bool:
    """Whether a browser sends this state-changing request from another site's page.

    Browsers resend Basic credentials on their own, so a page elsewhere could otherwise post a
    form (a job, a cancel) here in its visitor's name. They name the page's origin in ``Origin``
    on such posts; scripts (curl) send none. ``null`` (sandboxed frames, ``data:`` pages) and
    ``file://`` pages count as another site.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    scheme, sep, rest = origin.strip().partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        return True  # null, file://, and anything that is not a web page's origin
    # behind a reverse proxy the browser's host may arrive as X-Forwarded-Host (a header that a
    # page elsewhere cannot add to a simple cross-site post)
    hosts = {
        request.host.lower(),
        *(h.strip().lower() for h in request.headers.get("X-Forwarded-Host", "").split(",")),
    } - {""}
    return rest.rstrip("/").lower() not in hosts


def _depth_over(value, most: int) -> bool:
    """Whether ``value`` (parsed JSON) nests objects and arrays deeper than ``most``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > most:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _parse_json() -> tuple[object, str | None]:
    """The request's JSON body (cached by Flask for the view), or the reason it is refused."""
    import json

    try:
        text = request.get_data(cache=True)
        body = json.loads(text)
    except RecursionError:
        return None, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"The body is not valid JSON ({exc}); send a JSON object."
    if _depth_over(body, MAX_JSON_DEPTH):
        return None, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels."
    request._cached_json = (body, body)  # what request.get_json() answers from now on
    return body, None


def _items_ok(items, expected: list) -> bool:
    if not isinstance(items, list) or len(items) != len(expected):
        return False
    for item in items:
        for one in item if isinstance(item, list) else [item]:
            if not isinstance(one, dict) or "id" not in one or "property" not in one:
                return False
            if not isinstance(one["property"], str):
                return False
    return True


def callback_problem(body: object, callback_map: dict) -> str | None:
    """Why ``body`` is not a Dash callback request of this app (None: it is one)."""
    if not isinstance(body, dict):
        return "A callback request is a JSON object."
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "The callback request names no callback of this app (`output`)."
    cb = callback_map[output]
    if not _items_ok(body.get("inputs"), cb.get("inputs", [])):
        return "The callback request's `inputs` do not match the callback's."
    if not _items_ok(body.get("state", []), cb.get("state", [])):
        return "The callback request's `state` does not match the callback's."
    outputs = body.get("outputs", [])
    if not isinstance(outputs, (dict, list)):
        return "The callback request's `outputs` is not an object or a list."
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "The callback request's `changedPropIds` is not a list of names."
    return None


def body_problem(callback_map: dict | None = None) -> str | None:
    """Why the body of this request is refused (None: it is fine or not JSON); parsed once.

    JSON bodies (the API's, Dash callbacks') must parse, nest at most :data:`MAX_JSON_DEPTH`
    deep, and for a callback match one of ``callback_map``. A raw file upload (the
    ``X-Upload-Filename`` header) is bytes whatever its content type, checked by its route.
    """
    if "forecast_body_problem" in g:
        return g.forecast_body_problem
    problem = None
    if request.method in ("POST", "PUT", "PATCH"):
        is_callback = request.path.endswith(_CALLBACK_SUFFIX)
        is_file = _FILENAME_HEADER in request.headers and not is_callback
        if is_callback or (request.mimetype == "application/json" and not is_file):
            body, problem = _parse_json()
            if problem is None and is_callback and callback_map is not None:
                problem = callback_problem(body, callback_map)
    g.forecast_body_problem = problem
    return problem


def install(server: Flask, callback_map: dict | None = None) -> None:
    """Check every request of ``server`` as the module says.

    The host, the origin and the declared size are checked before any other hook (call this
    before :func:`dashboard.auth.install`); the body's JSON once the request is signed in (a
    hook added after the others run, and :func:`body_problem` for the sign-in's own reading).

    Parameters
    ----------
    server : Flask
        The Dash app's server.
    callback_map : dict, optional
        The Dash app's ``callback_map`` (callback bodies are checked against it).
    """
    hosts = allowed_hosts()
    server.config["FORECAST_ALLOWED_HOSTS"] = hosts
    server.config["FORECAST_CALLBACK_MAP"] = callback_map
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @server.before_request
    def _guard():
        if request.path not in _HOST_EXEMPT and not host_allowed(request.host, hosts):
            return _error(
                f"This server does not answer to the host name {request.host!r}; if that is its "
                f"name, add it with `forecast serve --allowed-hosts` ({ALLOWED_HOSTS_ENV}).",
                400,
            )
        if cross_site():
            return _error("Requests from another site's pages are refused.", 403)
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        is_callback = request.path.endswith(_CALLBACK_SUFFIX)
        is_file = _FILENAME_HEADER in request.headers and not is_callback
        if is_callback or (request.mimetype == "application/json" and not is_file):
            most = MAX_CALLBACK_BYTES if is_callback else MAX_JSON_BYTES
            size = request.content_length
            if size is not None and size > most:
                return _error(
                    f"The request body ({size / 2**20:.1f} MB) is over the "
                    f"{most / 2**20:.0f} MB limit of this route.",
                    413,
                )
            request.max_content_length = most  # a body without a length is cut here
        return None


def install_body_checks(server: Flask) -> None:
    """Refuse (400) a signed-in request whose JSON body :func:`body_problem` finds wrong."""

    @server.before_request
    def _body():
        problem = body_problem(server.config.get("FORECAST_CALLBACK_MAP"))
        return None if problem is None else _error(problem, 400)

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Frame-Options", "DENY")
        csp = response.headers.get("Content-Security-Policy")
        if not csp:
            response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
        elif "frame-ancestors" not in csp:
            response.headers["Content-Security-Policy"] = csp + "; frame-ancestors 'none'"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

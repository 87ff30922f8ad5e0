"""Password sign-in through the throttle: blocked names and addresses, checks made once.

:func:`check_password` is every password check of :mod:`dashboard.auth`. It passes the sign-in
throttle first (:class:`forecast.jobs.throttle.SignInThrottle`: counts of failed sign-ins per
name and per address in the job store, shared by every web process); while blocked it raises
:class:`Throttled` and the password is not checked. An unknown name is checked against a dummy
hash of the same cost (:func:`dashboard.passwords.dummy_hash`).

Successful checks are remembered per process (keyed by an HMAC of the name, the password and
the hash, under a key of this process) to spare the deliberately slow Argon2 on every request;
a miss just verifies again. Requests that bring the same credentials at the same moment (a page
load sends several) wait for one check instead of each counting as an attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

from dashboard.passwords import dummy_hash, verify_password

__all__ = ["Throttled", "check_password"]


class Throttled(Exception):
    """Too many failed sign-ins for a user name or from an address: wait ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = max(1, math.ceil(seconds))


class _Verified:
    """Successful password checks of this process, by HMAC of (name, password, hash)."""

    def __init__(self, size: int = 1024) -> None:
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self._inflight: dict[bytes, Future] = {}

    def _digest(self, name: str, password: str, password_hash: str) -> bytes:
        return hmac.new(
            self._key, f"{name}\0{password}\0{password_hash}".encode(), hashlib.sha256
        ).digest()

    def seen(self, name: str, password: str, password_hash: str) -> bool:
        """Whether this process already checked these credentials against this hash."""
        digest = self._digest(name, password, password_hash)
        with self._lock:
            if digest in self._seen:
                self._seen.move_to_end(digest)
                return True
        return False

    def remember(self, name: str, password: str, password_hash: str) -> None:
        digest = self._digest(name, password, password_hash)
        with self._lock:
            self._seen[digest] = None
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)

    def once(self, name: str, password: str, password_hash: str, check: Callable[[], bool]):
        """``check()`` for these credentials, run once in this process however many requests
        bring them at the same moment (a page load sends several): the others wait for its
        answer instead of counting as more attempts."""
        key = self._digest(name, password, password_hash)
        with self._lock:
            future = self._inflight.get(key)
            mine = future is None
            if mine:
                future = self._inflight[key] = Future()
        if not mine:
            return future.result()
        try:
            result = check()
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)


_VERIFIED = _Verified()
_THROTTLE: dict = {}


def _throttle():
    """The sign-in throttle on the job store of this app (counters shared by every process)."""
    from dashboard import state
    from forecast.jobs.throttle import SignInThrottle

    store = state.get_store()
    cached = _THROTTLE.get("throttle")
    if cached is None or cached.store is not store:
        cached = _THROTTLE["throttle"] = SignInThrottle(store)
    return cached


def check_password(
    name: str, password: str, password_hash: str | None, address: str | None
) -> bool:
    """Check one sign-in's password through the throttle.

    Parameters
    ----------
    name, password : str
        The credentials sent (HTTP Basic).
    password_hash : str or None
        The user's Argon2 hash from the users file; None for a name that is no user's (checked
        against a dummy hash all the same, and counted as a failure).
    address : str or None
        The request's remote address (counted apart from the name).

    Returns
    -------
    bool
        Whether the password matches (a success clears the name's count).

    Raises
    ------
    Throttled
        The name or the address is blocked: every attempt waits, even a known-good one.
    """
    throttle = _throttle()
    keys = throttle.keys(name, address)
    if password_hash is not None and _VERIFIED.seen(name, password, password_hash):
        wait = throttle.wait(keys)  # a block applies to every attempt, even a known-good one
        if wait > 0:
            raise Throttled(wait)
        return True

    def check() -> bool:
        wait = throttle.admit(keys)  # the name's count goes up until the check succeeds
        if wait > 0:
            raise Throttled(wait)
        ok = verify_password(password_hash if password_hash is not None else dummy_hash(), password)
        if ok and password_hash is not None:
            throttle.succeeded(keys)
            _VERIFIED.remember(name, password, password_hash)
            return True
        throttle.failed(keys)
        return False

    return bool(_VERIFIED.once(name, password, password_hash or "", check))

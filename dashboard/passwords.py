"""Passwords of the users file: Argon2id hashes, and checking a password against one.

Hashes are Argon2id (:mod:`argon2`, argon2-cffi) at :data:`ARGON2_PARAMS`; a hash carries its own
parameters, so hashes made at other costs still verify. An unknown user name is checked against
:func:`dummy_hash`, of the same cost, so that it takes as long to refuse as a wrong password.
"""

from __future__ import annotations

import secrets

from forecast.errors import SpecError

__all__ = ["ARGON2_PARAMS", "dummy_hash", "hash_password", "verify_password"]

#: Argon2id cost of new hashes: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), about
#: 0.05 s of CPU per check here; argon2-cffi's defaults (64 MiB, 3 passes, 4 lanes) took 0.26 s,
#: paid by each web process for each user. A hash carries its own parameters: old ones still
#: verify.
ARGON2_PARAMS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}

_DUMMY: dict[str, str] = {}


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher(**ARGON2_PARAMS)


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (salted; the parameters are encoded in the string).

    Raises
    ------
    SpecError
        The password is empty.
    """
    if not password:
        raise SpecError("The password is empty; choose a non-empty password.")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash too)."""
    try:
        return bool(_hasher().verify(password_hash, password))
    except Exception:  # VerifyMismatchError, InvalidHashError...
        return False


def dummy_hash() -> str:
    """A hash of a random password with the cost of real ones (made once per process), checked
    for unknown names so that an unknown name takes as long to refuse as a wrong password (no
    enumeration by time)."""
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = _hasher().hash(secrets.token_urlsafe(16))
    return _DUMMY["hash"]

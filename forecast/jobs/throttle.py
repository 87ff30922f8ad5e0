"""Sign-in throttling shared by every web process: failed attempts counted in the job store.

Each password check is *admitted* first: in one write transaction the counters of its keys (the
user name, known or not, and the client's address) are read; if any key is blocked the attempt
is refused without checking the password, otherwise the user name's counter goes up by one, as
if the attempt failed, and a block is set once it reaches its free allowance. A check that then
succeeds clears the name's counter. Counting the name before checking means that concurrent
guesses on several web processes cannot slip past its block between the check and the count.
The address's counter counts failed checks only, after them (:meth:`SignInThrottle.failed`):
many users of one address signing in at the same moment must not look like guesses.

Back-off: after ``free`` counted attempts the key is blocked for ``base`` seconds, doubling with
each further attempt, at most ``cap``; counters are forgotten ``forget`` seconds after their
last attempt. With the user defaults (3 free, 15 s doubling) at most 5 attempts per user reach
the password check in any minute: 3 at once, one after 15 s, one after 30 s more, then 60 s,
120 s, ... up to 15 minutes.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from forecast.jobs.schema import sign_in_failures as _failures

__all__ = ["ADDRESS_POLICY", "USER_POLICY", "BackOff", "SignInThrottle"]


@dataclass(frozen=True)
class BackOff:
    """How one kind of key backs off.

    Attributes
    ----------
    free : int
        Attempts counted before the first block.
    base : float
        Seconds of the first block; each further attempt doubles it.
    cap : float
        Longest block, in seconds.
    forget : float
        Seconds after the last attempt when the count starts again from 0.
    """

    free: int
    base: float = 15.0
    cap: float = 900.0
    forget: float = 3600.0

    def block(self, failures: int) -> float:
        """Seconds blocked after ``failures`` counted attempts (0: not blocked)."""
        if failures < self.free:
            return 0.0
        return min(self.base * 2.0 ** (failures - self.free), self.cap)


#: Per user name: 3 attempts, then 15 s, 30 s, 60 s, ... 15 min.
USER_POLICY = BackOff(free=3)
#: Per client address (many users may share one): 30 failed checks, then the same doubling.
ADDRESS_POLICY = BackOff(free=30)


class SignInThrottle:
    """Admission of password checks, by user name and client address.

    Parameters
    ----------
    store : JobStore
        Where the counters live (shared by every web process of the deployment).
    user, address : BackOff
        Policies of the two kinds of key.
    """

    def __init__(self, store, user: BackOff = USER_POLICY, address: BackOff = ADDRESS_POLICY):
        self.store = store
        self.policies = {"user": user, "addr": address}

    @staticmethod
    def keys(name: str, address: str | None) -> list[str]:
        """The counter keys of an attempt by ``name`` from ``address``."""
        return [f"user:{name}"[:320]] + ([f"addr:{address}"[:320]] if address else [])

    def _policy(self, key: str) -> BackOff:
        return self.policies[key.split(":", 1)[0]]

    def wait(self, keys: list[str], now: float | None = None) -> float:
        """Seconds until none of ``keys`` is blocked (0: none is); reads only."""
        now = time.time() if now is None else now
        with self.store._read() as conn:
            rows = conn.execute(
                select(_failures.c.blocked_until).where(_failures.c.key.in_(keys))
            ).all()
        return max([0.0, *(r.blocked_until - now for r in rows)])

    def admit(self, keys: list[str], now: float | None = None) -> float:
        """Count one attempt on the user key of ``keys`` unless one of them is blocked.

        Returns
        -------
        float
            0 when admitted (the attempt is counted as a failure until :meth:`succeeded`), else
            the seconds to wait (nothing counted).
        """
        now = time.time() if now is None else now
        with self.store._write() as conn:
            query = select(_failures).where(_failures.c.key.in_(keys))
            if self.store.engine.dialect.name == "postgresql":
                query = query.with_for_update()
            rows = {r.key: r for r in conn.execute(query).all()}
            fresh = {
                k: r
                for k, r in rows.items()
                if r.last_at >= now - self._policy(k).forget or r.blocked_until > now
            }
            wait = max([0.0, *(r.blocked_until - now for r in fresh.values())])
            if wait > 0:
                return wait
            for key in (k for k in keys if k.startswith("user:")):
                failures = (fresh[key].failures if key in fresh else 0) + 1
                values = {
                    "failures": failures,
                    "last_at": now,
                    "blocked_until": now + self._policy(key).block(failures),
                }
                if key in rows:
                    conn.execute(update(_failures).where(_failures.c.key == key).values(**values))
                else:
                    self._insert(conn, key, values)
            if random.random() < 0.02:  # forget old counters now and then (unknown names too)
                longest = max(p.forget + p.cap for p in self.policies.values())
                conn.execute(delete(_failures).where(_failures.c.last_at < now - longest))
        return 0.0

    def _insert(self, conn, key: str, values: dict) -> None:
        dialect = self.store.engine.dialect.name
        module = __import__(f"sqlalchemy.dialects.{dialect}", fromlist=["insert"])
        stmt = module.insert(_failures).values(key=key, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_=values))

    def succeeded(self, keys: list[str]) -> None:
        """An admitted attempt was right: clear the user's counter (the address's stays)."""
        with self.store._write() as conn:
            for key in (k for k in keys if k.startswith("user:")):
                conn.execute(delete(_failures).where(_failures.c.key == key))

    def failed(self, keys: list[str], now: float | None = None) -> None:
        """An admitted attempt was wrong: count it on the address keys of ``keys``."""
        now = time.time() if now is None else now
        with self.store._write() as conn:
            for key in (k for k in keys if not k.startswith("user:")):
                query = select(_failures).where(_failures.c.key == key)
                if self.store.engine.dialect.name == "postgresql":
                    query = query.with_for_update()
                row = conn.execute(query).first()
                fresh = row is not None and row.last_at >= now - self._policy(key).forget
                failures = (row.failures if fresh else 0) + 1
                values = {
                    "failures": failures,
                    "last_at": now,
                    "blocked_until": now + self._policy(key).block(failures),
                }
                if row is not None:
                    conn.execute(update(_failures).where(_failures.c.key == key).values(**values))
                else:
                    self._insert(conn, key, values)

"""Limits on guessing: therapist passwords (per account and per address) and enrolment
codes (per address).

Each limited thing has a counter row in PostgreSQL (table ``auth_throttle``), so the limit
holds across every uvicorn worker and survives a restart. Its key is a SHA-256 of what is
counted ("login-account:ana", "enrol-address:10.0.0.7"), so the table holds no usernames
(nor a password typed into the username box) and no addresses.

An attempt is counted *before* the password or code is checked, under a row lock: however
many requests an attacker sends at once, at most ``limit`` of them are checked before the
lock. A right password or code takes its attempt back (and clears the account's counter).
After ``limit`` failures the key is locked for ``first_lock``, doubling with each failure
after that up to ``most_lock``; a counter with no failure for ``forget_after`` starts again.

No library fits: ``limits`` (and slowapi on top of it) counts requests per time window in
memory, Redis, Memcached, MongoDB or etcd, not failures with a growing lock, and not in
PostgreSQL; the clinic would have to run a second service for a few rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection, Engine

from server.schema import auth_throttle

security = logging.getLogger("squeeze_quest.server.security")


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # failures allowed; the limit-th locks
    first_lock: timedelta
    most_lock: timedelta
    forget_after: timedelta = timedelta(hours=24)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.limit:
            return None
        return min(self.most_lock, self.first_lock * 2 ** min(failures - self.limit, 20))


# One therapist's account: 5 wrong passwords, then 1 minute, 2, 4... at most an hour.
LOGIN_ACCOUNT = Rule("login-account", 5, timedelta(minutes=1), timedelta(hours=1))
# One address (a ward PC may be shared by several therapists): 20, then the same.
LOGIN_ADDRESS = Rule("login-address", 20, timedelta(minutes=1), timedelta(hours=1))
# Enrolment codes from one address: 10 wrong codes, then 5 minutes, 10... at most an hour.
ENROL_ADDRESS = Rule("enrol-address", 10, timedelta(minutes=5), timedelta(hours=1))


class TooManyTries(Exception):
    """Refused without checking: a key is locked for ``wait`` more."""

    def __init__(self, wait: timedelta, rule: Rule) -> None:
        super().__init__(f"locked for {wait}")
        self.wait = wait
        self.rule = rule

    @property
    def minutes(self) -> int:
        # rounded: an attempt's clock is read before it waits for the row lock, so a wait
        # can be a little over the lock's length
        return max(1, round(self.wait.total_seconds() / 60))

    def words(self) -> str:
        """In English, for the API (the portal says it in the therapist's language)."""
        n = self.minutes
        return f"Too many tries. Wait {n} minute{'s' if n != 1 else ''}, or ask the clinic's administrator."


def key(rule: Rule, subject: str) -> str:
    return hashlib.sha256(f"{rule.name}:{subject}".encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """An attempt counted as a failure until :func:`succeeded` takes it back: per key its
    rule, the key, and the lock this attempt set (None: it set none)."""

    keys: tuple[tuple[Rule, str, datetime | None], ...]


def begin(engine: Engine, checks: Sequence[tuple[Rule, str]], now: datetime) -> Attempt:
    """Count an attempt on every (rule, subject); TooManyTries (nothing counted) if any is locked.

    Its own transaction, committed before the caller checks the secret, so a parallel
    attempt on another worker sees the count."""
    keyed = sorted({(key(r, s), r) for r, s in checks}, key=lambda kr: kr[0])  # one lock order: no deadlock
    done = []
    with engine.begin() as conn:
        conn.execute(insert(auth_throttle).values([{"key": k, "failures": 0, "last_failure_at": now}
                                                   for k, _r in keyed]).on_conflict_do_nothing())
        rows = {row.key: row for row in conn.execute(
            select(auth_throttle).where(auth_throttle.c.key.in_([k for k, _r in keyed]))
            .order_by(auth_throttle.c.key).with_for_update())}
        locked = [(rows[k].locked_until - now, r) for k, r in keyed
                  if rows[k].locked_until is not None and rows[k].locked_until > now]
        if locked:
            wait, rule = max(locked, key=lambda wr: wr[0])
            raise TooManyTries(wait, rule)
        for k, r in keyed:
            row = rows[k]
            failures = 1 if now - row.last_failure_at >= r.forget_after else row.failures + 1
            lock = r.lock_for(failures)
            until = now + lock if lock else None
            conn.execute(update(auth_throttle).where(auth_throttle.c.key == k).values(
                failures=failures, last_failure_at=now, locked_until=until))
            done.append((r, k, until))
        # Counters nobody has touched for a day go (the table stays small whatever is tried).
        conn.execute(delete(auth_throttle).where(auth_throttle.c.last_failure_at < now - timedelta(hours=24),
                                                 auth_throttle.c.locked_until.is_(None)
                                                 | (auth_throttle.c.locked_until < now)))
    return Attempt(tuple(done))


def lock_set(attempt: Attempt, now: datetime) -> TooManyTries | None:
    """The lock this (failed) attempt set, if it was the one too many: to say so at once."""
    locks = [(until - now, rule) for rule, _k, until in attempt.keys if until is not None]
    return TooManyTries(*max(locks, key=lambda wr: wr[0])) if locks else None


def succeeded(conn: Connection, attempt: Attempt, clear: Sequence[Rule] = ()) -> None:
    """The secret was right: the attempt is taken back (with the lock it set, unless a later
    attempt set another); the counters of the ``clear`` rules end."""
    for rule, k, until in attempt.keys:
        if rule in clear:
            conn.execute(delete(auth_throttle).where(auth_throttle.c.key == k))
            continue
        lock = auth_throttle.c.locked_until
        conn.execute(update(auth_throttle).where(auth_throttle.c.key == k).values(
            failures=func.greatest(auth_throttle.c.failures - 1, 0),
            locked_until=lock if until is None else case((lock == until, None), else_=lock)))


def unlock(conn: Connection, rule: Rule, subject: str) -> bool:
    """The administrator ends a lock (and the count); True if there was one."""
    return conn.execute(delete(auth_throttle).where(auth_throttle.c.key == key(rule, subject))).rowcount > 0

"""Sign-in throttling: failed attempts per account and per client address, counted in the database for every instance.

After a few free failures a key must wait before its next attempt: FIRST_WAIT, doubling with each further failure up
to MAX_WAIT; an hour without failures forgets it. Attempts refused while waiting count for nothing, so the wait does
not grow by itself. A browser that has signed in to an account before (it holds that account's known-browser
token) is not held back by the account's count, only by its address's: guessing at an admin's password from
elsewhere cannot lock the admin out.
"""

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from core.app import Core
from core.errors import Unauthorized
from data.tables import SignInThrottle, utcnow

ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20  # one address may be a whole office behind NAT
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
_ROW = SignInThrottle.__table__.c


class Throttled(Unauthorized):
    """Too many failed sign-ins; `retry_after` says how many seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f'too many failed sign-ins: try again in {wait_text(self.retry_after)}')


def wait_after(failures: int, free: int) -> timedelta:
    """How long a key waits after its `failures`-th failure: nothing while free, then FIRST_WAIT doubling up to MAX_WAIT."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - free, 10), MAX_WAIT)


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return f'{seconds} second{"s" if seconds != 1 else ""}'
    minutes = math.ceil(seconds / 60)
    return f'{minutes} minute{"s" if minutes != 1 else ""}'


def account_key(email: str) -> str:
    return f'account:{email}'


def address_key(address: str) -> str:
    return f'address:{address}'


def check(session: Session, *, email: str, address: str, known_browser: bool) -> None:
    """Throttled when the address, or (for a browser new to this account) the account, must still wait."""
    keys = [address_key(address)] + ([] if known_browser else [account_key(email)])
    now = utcnow()
    waits = session.execute(sa.select(_ROW.blocked_until).where(_ROW.key.in_(keys), _ROW.blocked_until > now)).scalars()
    longest = max(waits, default=None)
    if longest is not None:
        raise Throttled((longest - now).total_seconds())


def record_failure(core: Core, *, email: str, address: str) -> None:
    """Count a failure against the account and the address (in its own transaction, so a refusal cannot undo it)."""
    now = utcnow()
    with core.session() as session:
        for key, free in ((account_key(email), ACCOUNT_FREE_FAILURES), (address_key(address), ADDRESS_FREE_FAILURES)):
            failures = _count(session, key, now)
            wait = wait_after(failures, free)
            if wait:
                until = now + wait
                session.execute(
                    sa.update(SignInThrottle)
                    .where(_ROW.key == key, sa.or_(_ROW.blocked_until.is_(None), _ROW.blocked_until < until))
                    .values(blocked_until=until)
                )
        session.execute(sa.delete(SignInThrottle).where(_ROW.last_failure_at < now - FORGET_AFTER))


def record_success(session: Session, *, email: str) -> None:
    """A right password clears the account's count, unless the account is held back (a known browser got through)."""
    now = utcnow()
    session.execute(
        sa.delete(SignInThrottle).where(
            _ROW.key == account_key(email), sa.or_(_ROW.blocked_until.is_(None), _ROW.blocked_until <= now)
        )
    )


def _count(session: Session, key: str, now: datetime) -> int:
    """Add one failure to `key` in one atomic upsert (instances may count at once); the new count."""
    insert = (postgresql.insert if session.bind.dialect.name == 'postgresql' else sqlite.insert)(SignInThrottle)
    stale = _ROW.last_failure_at < now - FORGET_AFTER
    statement = (
        insert.values(key=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[_ROW.key],
            set_={'failures': sa.case((stale, 1), else_=_ROW.failures + 1), 'last_failure_at': now},
        )
        .returning(_ROW.failures)
    )
    return session.execute(statement).scalar_one()

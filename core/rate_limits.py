"""Per-key rate limits, the run path's admission step: `requestsPerMinute` (a request quota) and `concurrentRuns`.

Both are counted in the database, so every instance on one PostgreSQL (and every process on one SQLite file) shares
them. The step runs in the run's own transaction, just before its insert, and first locks the key: its row on
PostgreSQL (FOR UPDATE), the database's write lock on SQLite. Two runs of one key are so admitted one after the other
and cannot both take the last slot; a refused run writes nothing.
- The quota is pyrate-limiter's GCRA: a key may start `requestsPerMinute` runs at once, and the quota refills
  continuously, one run every 60/N seconds. Its whole state is one number per key (api_key.request_quota_tat).
- Runs in flight are the key's pending and running executions, counted from the executions table (an index on
  (api_key_id, status)): nothing to give back when a run ends, fails, is cancelled or its worker dies.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pyrate_limiter import GCRA, Duration, Rate

from core.errors import Invalid, RateLimited
from core.permissions import Actor
from data.tables import UNFINISHED, ApiKey, Execution

MAXIMUM = {'requestsPerMinute': 100_000, 'concurrentRuns': 10_000}
IN_FLIGHT_RETRY_SECONDS = 1  # when a run in flight ends is anyone's guess; a client waiting for one asks again after this
_GCRA = GCRA()


@dataclass(frozen=True)
class RequestQuota:
    """Where a key's requests-per-minute quota stands: what the RateLimit-Limit, -Remaining and -Reset headers say."""

    limit: int
    remaining: int  # runs the key may start right now
    reset_seconds: int  # until the whole quota is back


def checked_limit(field: str, value: Any) -> int | None:
    """A limit (`requestsPerMinute` or `concurrentRuns`) as given, None for none; Invalid names the field otherwise."""
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= MAXIMUM[field]:  # a bool is no number
        raise Invalid(field, f'must be a whole number from 1 to {MAXIMUM[field]:,}, or empty for no limit')
    return value


def admit(connection: sa.Connection, actor: Actor, now: datetime) -> RequestQuota | None:
    """Let `actor` start one run, or raise RateLimited; where its request quota stands then (None: it has none).

    Call it in the transaction that inserts the run, after the run's other checks: the key stays locked until commit.
    Two statements for a limited key: the lock, which reads its limits and state; then the quota spent and the runs in
    flight counted in one (a refusal then rolls the spending back with the transaction).
    """
    if not actor.rate_limited:
        return None
    key = connection.execute(_LOCKED[connection.dialect.name == 'sqlite'], {'key_id': actor.id}).one()
    now_ms = int(now.timestamp() * 1000)
    rates = [Rate(key.requests_per_minute, Duration.MINUTE)] if key.requests_per_minute else []
    state = spent = (key.request_quota_tat or 0,)
    if rates:
        spent, decision = _GCRA.step(rates, state, now_ms, 1)
        if not decision.allowed:
            wait = decision.retry_after_ms / 1000
            message = f'this API key may start {key.requests_per_minute} runs a minute; the next may start in {math.ceil(wait)} s'
            raise RateLimited(message, retry_after=wait, quota=_quota(rates, state, now_ms))
    counted, in_flight = key.concurrent_runs is not None, 0
    if rates:
        spending = connection.execute(_SPEND[counted], {'key_id': actor.id, 'tat': spent[0]})
        in_flight = spending.scalar_one() if counted else 0
    elif counted:
        in_flight = connection.execute(_IN_FLIGHT, {'key_id': actor.id}).scalar_one()
    if counted and in_flight >= key.concurrent_runs:
        message = f'this API key may have {key.concurrent_runs} runs in flight (pending or running) and has {in_flight}'
        raise RateLimited(message, retry_after=IN_FLIGHT_RETRY_SECONDS, quota=_quota(rates, state, now_ms))
    return _quota(rates, spent, now_ms)


def _quota(rates: list[Rate], state: tuple[int, ...], now_ms: int) -> RequestQuota | None:
    if not rates:
        return None
    owed_us = max(0, state[0] - now_ms * 1000)  # the GCRA's state is in microseconds
    remaining = max(0, rates[0].limit - _GCRA.consumed(rates, state, now_ms))
    return RequestQuota(limit=rates[0].limit, remaining=remaining, reset_seconds=math.ceil(owed_us / 1_000_000))


_KEY = ApiKey.__table__
_EXECUTION = Execution.__table__
_LIMITS = (_KEY.c.requests_per_minute, _KEY.c.concurrent_runs, _KEY.c.request_quota_tat)
_THIS_KEY = _KEY.c.id == sa.bindparam('key_id')
_LOCKED = {
    False: sa.select(*_LIMITS).where(_THIS_KEY).with_for_update(),  # PostgreSQL: the key's row, until commit
    # SQLite ignores FOR UPDATE; its lock is the database's, and the first write in a transaction takes it until commit
    True: sa.update(_KEY).where(_THIS_KEY).values(request_quota_tat=_KEY.c.request_quota_tat).returning(*_LIMITS),
}
# after the lock, so it sees every run committed before: PostgreSQL takes a statement's snapshot as the statement starts
_IN_FLIGHT_COUNT = (
    sa.select(sa.func.count())
    .select_from(_EXECUTION)
    .where(_EXECUTION.c.api_key_id == sa.bindparam('key_id'), _EXECUTION.c.status.in_(sorted(UNFINISHED)))
    .scalar_subquery()
)
_IN_FLIGHT = sa.select(_IN_FLIGHT_COUNT)
_SPENT = sa.update(_KEY).where(_THIS_KEY).values(request_quota_tat=sa.bindparam('tat'))
_SPEND = {False: _SPENT, True: _SPENT.returning(_IN_FLIGHT_COUNT)}  # counting the runs in flight when they are limited

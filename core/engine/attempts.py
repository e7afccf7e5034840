"""Each provider call of an execution, kept as a row: when it started and ended, how long it took, how it ended.

The engine writes an attempt in the transactions it makes anyway: a failure that will be retried with the retry's
bookkeeping (queue.record_retry), the last attempt with the outcome (queue.exchange), several executions' in one
statement. So an attempt in flight when its worker dies, or when its execution is cancelled or handed back at a stop,
leaves no row: the execution's `attempts` count says how many calls began, the rows say what the recorded ones did.
"""

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from data.tables import AttemptOutcome, ExecutionAttempt, new_id, utcnow

ATTEMPT = ExecutionAttempt.__table__
_INSERT = sa.insert(ATTEMPT)


@dataclass(frozen=True)
class Attempt:
    """One provider call: its number among the execution's attempts, its times, and how it ended."""

    number: int
    started_at: datetime
    completed_at: datetime
    duration_ms: int
    outcome: AttemptOutcome
    error: str | None = None
    http_status: int | None = None  # the provider's HTTP status, when a failure came with one


class Stopwatch:
    """Times one attempt: the wall clock for when, the monotonic clock for how long."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.started_at = utcnow()
        self._started = time.perf_counter()

    def stop(self, outcome: AttemptOutcome, *, error: str | None = None, http_status: int | None = None) -> Attempt:
        duration_ms = round((time.perf_counter() - self._started) * 1000)
        return Attempt(self.number, self.started_at, utcnow(), duration_ms, outcome, error, http_status)


def insert_attempts(connection: sa.Connection, attempts: list[tuple[str, Attempt]]) -> None:
    """Write (execution id, attempt) pairs in the caller's transaction, in one statement."""
    if attempts:
        connection.execute(_INSERT, [_row(execution_id, attempt) for execution_id, attempt in attempts])


def read_attempts(connection: sa.Connection, execution_ids: list[str]) -> dict[str, tuple[Attempt, ...]]:
    """The recorded attempts of these executions, first first (an execution without any is left out)."""
    found: dict[str, list[Attempt]] = {}
    for row in connection.execute(_OF_EXECUTIONS, {'ids': execution_ids}).mappings():
        values = {name: row[name] for name in _FIELDS}
        found.setdefault(row['execution_id'], []).append(Attempt(**values | {'outcome': AttemptOutcome(row['outcome'])}))
    return {execution_id: tuple(attempts) for execution_id, attempts in found.items()}


def _row(execution_id: str, attempt: Attempt) -> dict:
    return {'id': new_id(), 'execution_id': execution_id, **vars(attempt)}


_FIELDS = tuple(Attempt.__dataclass_fields__)
_OF_EXECUTIONS = (
    sa.select(ATTEMPT.c.execution_id, *(ATTEMPT.c[name] for name in _FIELDS))
    .where(ATTEMPT.c.execution_id.in_(sa.bindparam('ids', expanding=True)))
    .order_by(ATTEMPT.c.execution_id, ATTEMPT.c.number, ATTEMPT.c.started_at)
)

"""The executions table as a queue: atomic claims under a lease, lease renewal, fenced writes and recovery.

Every write after a claim names the claim's `lease_token`: a worker whose lease expired (and was taken over, or
whose execution was cancelled) finds its token gone and its write dropped, so no execution completes twice.
These are short synchronous statements; the worker runs a round (outcomes written, new claims taken) in one transaction.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import leases
from core.engine.attempts import Attempt, insert_attempts
from core.pricing import cost_usd
from data.tables import Execution, ExecutionStatus, new_id, utcnow

EXECUTION = Execution.__table__
LOST_MESSAGE = 'the worker running this execution stopped responding, and no attempts are left'
# called in the transaction that finishes executions, with their ids (the webhook outbox queues their deliveries there)
OnFinished = Callable[[sa.Connection, list[str]], object]


@dataclass(frozen=True)
class Claim:
    """What a worker needs to run one claimed execution; `attempts` already counts the call it is about to make."""

    id: str
    provider: str
    model: str
    messages: list
    options: dict
    response_schema: dict | None
    file_id: str | None
    rollout_id: str | None  # the rollout whose guardrails weigh its outcome
    attempts: int
    lease_token: str


@dataclass(frozen=True)
class Outcome:
    """How a run ended, written in one fenced statement."""

    status: ExecutionStatus  # COMPLETED | FAILED
    attempts: int
    result: str | None = None
    result_valid: bool | None = None
    result_validation_message: str | None = None
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None
    attempt: Attempt | None = None  # the last call's record, written with the outcome (None: nothing to record)


_CLAIM_COLUMNS = [EXECUTION.c[name] for name in Claim.__dataclass_fields__ if name != 'lease_token']
_OUTCOME_FIELDS = tuple(name for name in Outcome.__dataclass_fields__ if name != 'attempt')


def exchange(
    engine: sa.Engine,
    finished: list[tuple[Claim, Outcome]],
    wanted: dict[str, int],
    *,
    lease_seconds: float,
    on_finished: OnFinished | None = None,
) -> tuple[set[str], list[Claim]]:
    """One transaction for a worker's round: write its finished outcomes (fenced), then claim up to `wanted[provider]`
    more pending executions of each provider, oldest first, each provider's in one atomic statement.

    Returns the ids whose outcome landed (the others had lost their lease) and the new claims.
    """
    with engine.begin() as connection:
        landed = _finish(connection, finished) if finished else set()
        if landed and on_finished is not None:
            on_finished(connection, sorted(landed))
        claims = [c for provider, limit in wanted.items() for c in _claim(connection, provider, limit, lease_seconds)]
    return landed, claims


def _claim(connection: sa.Connection, provider: str, limit: int, lease_seconds: float) -> list[Claim]:
    now = utcnow()
    token = new_id()
    params = {
        'claim_provider': provider,
        'limit': limit,
        'token': token,
        'now': now,
        'expires': now + timedelta(seconds=lease_seconds),
    }
    rows = connection.execute(_claim_statement(connection.dialect.name == 'sqlite'), params).all()
    return [Claim(**row._mapping, lease_token=token) for row in rows]


def _finish(connection: sa.Connection, finished: list[tuple[Claim, Outcome]]) -> set[str]:
    """Write the outcomes still ours, and the last attempt of each of those; returns their ids."""
    landed = _write_outcomes(connection, finished)
    insert_attempts(connection, [(c.id, o.attempt) for c, o in finished if c.id in landed and o.attempt is not None])
    return landed


def _write_outcomes(connection: sa.Connection, finished: list[tuple[Claim, Outcome]]) -> set[str]:
    now = utcnow()
    rows = [
        {name: getattr(outcome, name) for name in _OUTCOME_FIELDS}
        | {'cost_usd': _cost(claim, outcome, now), 'claim_id': claim.id, 'claim_token': claim.lease_token, 'now': now}
        for claim, outcome in finished
    ]
    # one executemany; its row count says whether every lease was still held (the common case)
    if connection.execute(_FINISH, rows).rowcount == len(rows):
        return {row['claim_id'] for row in rows}
    # some were cancelled or taken over: ours are the rows now finished at exactly `now` (a fenced row cannot be)
    ours = sa.select(EXECUTION.c.id).where(
        EXECUTION.c.id.in_([row['claim_id'] for row in rows]),
        EXECUTION.c.status.in_((ExecutionStatus.COMPLETED, ExecutionStatus.FAILED)),
        EXECUTION.c.completed_at == sa.bindparam('now', now, type_=EXECUTION.c.completed_at.type),
    )
    return set(connection.execute(ours).scalars())


def _cost(claim: Claim, outcome: Outcome, now: datetime) -> float | None:
    """What the call cost in USD at today's prices (None for a model the price table does not list)."""
    cost = cost_usd(
        provider=claim.provider, model=claim.model, input_tokens=outcome.input_tokens, output_tokens=outcome.output_tokens,
        at=now,
    )  # fmt: skip
    return float(cost) if cost is not None else None


@functools.cache
def _claim_statement(sqlite: bool) -> sa.Update:
    """Built once per dialect (the hot path: SQLAlchemy then reuses the compiled form)."""
    oldest = (
        sa.select(EXECUTION.c.id)
        .where(EXECUTION.c.status == ExecutionStatus.PENDING, EXECUTION.c.provider == sa.bindparam('claim_provider'))
        .order_by(EXECUTION.c.created_at)
        .limit(sa.bindparam('limit'))
    )
    if sqlite:
        oldest = oldest.cte('oldest')  # SQLite has one writer at a time: the statement alone is atomic
    else:
        # concurrent workers each take different rows; the materialized CTE runs once (a subquery in the WHERE
        # may be rescanned, and each rescan would skip past the rows just taken and take more than `limit`)
        oldest = oldest.with_for_update(skip_locked=True).cte('oldest').prefix_with('MATERIALIZED')
    now = sa.bindparam('now', type_=EXECUTION.c.started_at.type)
    return (
        sa.update(EXECUTION)
        .where(EXECUTION.c.id.in_(sa.select(oldest.c.id)), EXECUTION.c.status == ExecutionStatus.PENDING)
        .values(
            status=ExecutionStatus.RUNNING,
            lease_token=sa.bindparam('token'),
            lease_expires_at=sa.bindparam('expires', type_=EXECUTION.c.lease_expires_at.type),
            started_at=sa.func.coalesce(EXECUTION.c.started_at, now),
            attempts=EXECUTION.c.attempts + 1,
        )
        .returning(*_CLAIM_COLUMNS)
    )


def renew_leases(engine: sa.Engine, tokens: set[str], *, lease_seconds: float) -> set[str]:
    """Extend the leases still held under `tokens`; returns the ids of the executions still ours."""
    return leases.renew(engine, EXECUTION, tokens, held_status=ExecutionStatus.RUNNING, lease_seconds=lease_seconds)


def record_retry(engine: sa.Engine, claim: Claim, *, failed: Attempt) -> bool:
    """Record the attempt that `failed` and note that the next one is scheduled; False when the lease is no longer ours."""
    next_attempt = {'attempts': failed.number + 1, 'error': failed.error}
    statement = _fenced(claim).values(**next_attempt).returning(EXECUTION.c.id)
    with engine.begin() as connection:
        if connection.execute(statement).first() is None:
            return False
        insert_attempts(connection, [(claim.id, failed)])
        return True


def release_executions(engine: sa.Engine, claims: list[Claim]) -> set[str]:
    """Hand unfinished executions back to the queue (graceful stop); the interrupted attempt does not count."""
    released: set[str] = set()
    values = {'status': ExecutionStatus.PENDING, 'lease_token': None, 'lease_expires_at': None}
    values['attempts'] = EXECUTION.c.attempts - 1
    with engine.begin() as connection:
        for claim in claims:
            if connection.execute(_fenced(claim).values(**values).returning(EXECUTION.c.id)).first() is not None:
                released.add(claim.id)
    return released


def requeue_expired(engine: sa.Engine, *, max_attempts: int, on_finished: OnFinished | None = None) -> dict[str, str]:
    """Recover running executions whose lease expired: back to pending, or failed once out of attempts.

    Returns {execution id: new status}.
    """
    now = utcnow()
    expired = sa.and_(EXECUTION.c.status == ExecutionStatus.RUNNING, EXECUTION.c.lease_expires_at < now)
    cleared = {'lease_token': None, 'lease_expires_at': None}
    give_up = (
        sa.update(EXECUTION)
        .where(expired, EXECUTION.c.attempts >= max_attempts)
        .values(status=ExecutionStatus.FAILED, error=LOST_MESSAGE, completed_at=now, **cleared)
        .returning(EXECUTION.c.id)
    )
    requeue = sa.update(EXECUTION).where(expired).values(status=ExecutionStatus.PENDING, **cleared).returning(EXECUTION.c.id)
    with engine.begin() as connection:
        failed = connection.execute(give_up).scalars().all()
        if failed and on_finished is not None:
            on_finished(connection, list(failed))
        pending = connection.execute(requeue).scalars().all()
    return {**dict.fromkeys(pending, ExecutionStatus.PENDING), **dict.fromkeys(failed, ExecutionStatus.FAILED)}


_FINISH = (
    sa.update(EXECUTION)
    .where(
        EXECUTION.c.id == sa.bindparam('claim_id'),
        EXECUTION.c.lease_token == sa.bindparam('claim_token'),
        EXECUTION.c.status == ExecutionStatus.RUNNING,
    )
    .values(
        **{name: sa.bindparam(name) for name in _OUTCOME_FIELDS},
        cost_usd=sa.bindparam('cost_usd'),
        lease_token=None,
        lease_expires_at=None,
        completed_at=sa.bindparam('now', type_=EXECUTION.c.completed_at.type),
    )
)


def _fenced(claim: Claim) -> sa.Update:
    """An UPDATE that only touches the row while this claim still holds it."""
    return sa.update(EXECUTION).where(
        EXECUTION.c.id == claim.id, EXECUTION.c.lease_token == claim.lease_token, EXECUTION.c.status == ExecutionStatus.RUNNING
    )

"""The queue at the database level: atomic claims, leases, fenced writes and recovery (SQLite and PostgreSQL)."""

import threading
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from core.engine import queue
from core.engine.attempts import Stopwatch, read_attempts
from core.engine.queue import EXECUTION, Claim, Outcome
from data.tables import AttemptOutcome, Execution, utcnow


def add_executions(engine: sa.Engine, count: int, *, provider: str = 'openai') -> list[str]:
    start = utcnow()
    rows = [
        Execution(
            provider=provider,
            model='gpt-4o-mini',
            messages=[{'role': 'user', 'content': f'run {i}'}],
            user_input=f'run {i}',
            created_at=start + timedelta(microseconds=i),
        )
        for i in range(count)
    ]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def claim_pending(engine: sa.Engine, provider: str, limit: int, lease_seconds: float) -> list[Claim]:
    """A round that only claims."""
    return queue.exchange(engine, [], {provider: limit}, lease_seconds=lease_seconds)[1]


def write_outcomes(engine: sa.Engine, finished: list[tuple[Claim, Outcome]]) -> set[str]:
    """A round that only writes outcomes."""
    return queue.exchange(engine, finished, {}, lease_seconds=30)[0]


def load(engine: sa.Engine, execution_id: str) -> Execution:
    with Session(engine) as session:
        return session.get(Execution, execution_id)


def expire_leases(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(EXECUTION).where(EXECUTION.c.status == 'running').values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_a_claim_takes_the_oldest_pending_executions_under_a_lease(engine):
    ids = add_executions(engine, 5)
    before = utcnow()
    claims = claim_pending(engine, 'openai', 3, lease_seconds=30)
    assert sorted(c.id for c in claims) == sorted(ids[:3])
    assert {c.attempts for c in claims} == {1}
    row = load(engine, ids[0])
    assert row.status == 'running'
    assert row.lease_token == claims[0].lease_token
    assert row.started_at >= before
    assert row.lease_expires_at >= before + timedelta(seconds=29)
    assert row.attempts == 1
    assert load(engine, ids[4]).status == 'pending'


def test_a_claim_only_takes_its_own_provider(engine):
    add_executions(engine, 2, provider='anthropic')
    assert claim_pending(engine, 'openai', 5, lease_seconds=30) == []
    assert len(claim_pending(engine, 'anthropic', 5, lease_seconds=30)) == 2


def test_concurrent_claims_never_take_the_same_execution(engine):
    ids = add_executions(engine, 120)
    claimed: list[list[str]] = [[] for _ in range(6)]

    def drain(mine: list[str]) -> None:
        while batch := claim_pending(engine, 'openai', 4, lease_seconds=30):
            mine.extend(c.id for c in batch)

    threads = [threading.Thread(target=drain, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for mine in claimed for i in mine]
    assert sorted(everything) == sorted(ids)  # each claimed once: no duplicates, none missed


def test_an_outcome_lands_only_while_the_lease_is_held(engine):
    [execution_id] = add_executions(engine, 1)
    [first] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    expire_leases(engine)
    assert queue.requeue_expired(engine, max_attempts=4) == {execution_id: 'pending'}
    [second] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    assert second.lease_token != first.lease_token and second.attempts == 2

    late = Outcome('completed', 1, result='from the worker that lost its lease')
    assert write_outcomes(engine, [(first, late)]) == set()
    assert write_outcomes(engine, [(second, Outcome('completed', 2, result='ok'))]) == {execution_id}
    row = load(engine, execution_id)
    assert (row.status, row.result, row.attempts, row.lease_token) == ('completed', 'ok', 2, None)
    assert row.completed_at is not None
    assert write_outcomes(engine, [(second, Outcome('failed', 2, error='again'))]) == set()


def test_a_batch_of_outcomes_reports_which_landed(engine):
    ids = add_executions(engine, 3)
    claims = claim_pending(engine, 'openai', 3, lease_seconds=30)
    with engine.begin() as connection:  # as cancel does
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == ids[1]).values(status='cancelled', lease_token=None))
    landed = write_outcomes(engine, [(c, Outcome('completed', 1, result='ok')) for c in claims])
    assert landed == {ids[0], ids[2]}
    assert [load(engine, i).status for i in ids] == ['completed', 'cancelled', 'completed']


def test_a_round_writes_outcomes_and_takes_new_claims_together(engine):
    ids = add_executions(engine, 3)
    [first] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    landed, claims = queue.exchange(engine, [(first, Outcome('completed', 1, result='ok'))], {'openai': 5}, lease_seconds=30)
    assert landed == {ids[0]}
    assert sorted(c.id for c in claims) == sorted(ids[1:])
    assert load(engine, ids[0]).status == 'completed'


def test_expired_leases_without_attempts_left_fail(engine):
    [execution_id] = add_executions(engine, 1)
    with engine.begin() as connection:
        connection.execute(sa.update(EXECUTION).values(attempts=3))
    claim_pending(engine, 'openai', 1, lease_seconds=30)
    expire_leases(engine)
    assert queue.requeue_expired(engine, max_attempts=4) == {execution_id: 'failed'}
    row = load(engine, execution_id)
    assert row.status == 'failed' and row.attempts == 4
    assert 'stopped responding' in row.error


def test_live_leases_are_not_recovered(engine):
    add_executions(engine, 1)
    claim_pending(engine, 'openai', 1, lease_seconds=30)
    assert queue.requeue_expired(engine, max_attempts=4) == {}


def test_renewing_extends_held_leases_and_reports_lost_ones(engine):
    ids = add_executions(engine, 2)
    claims = claim_pending(engine, 'openai', 2, lease_seconds=1)
    first_expiry = load(engine, ids[0]).lease_expires_at
    with engine.begin() as connection:  # as cancel does: the row is no longer anyone's
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == ids[1]).values(status='cancelled', lease_token=None))
    time.sleep(0.01)
    held = queue.renew_leases(engine, {c.lease_token for c in claims}, lease_seconds=30)
    assert held == {ids[0]}
    assert load(engine, ids[0]).lease_expires_at > first_expiry + timedelta(seconds=20)


def test_retry_bookkeeping_is_fenced(engine):
    [execution_id] = add_executions(engine, 1)
    [claim] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    assert queue.record_retry(engine, claim, failed=failed_attempt(1, 'rate limited', 429))
    row = load(engine, execution_id)
    assert (row.attempts, row.error) == (2, 'rate limited')
    expire_leases(engine)
    queue.requeue_expired(engine, max_attempts=4)
    assert not queue.record_retry(engine, claim, failed=failed_attempt(2, 'too late'))
    assert [(a.number, a.outcome, a.error, a.http_status) for a in attempts_of(engine, execution_id)] == [
        (1, 'retried', 'rate limited', 429)
    ]


def test_only_the_outcomes_that_landed_write_their_attempts(engine):
    ids = add_executions(engine, 2)
    claims = claim_pending(engine, 'openai', 2, lease_seconds=30)
    with engine.begin() as connection:  # as cancel does
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == ids[1]).values(status='cancelled', lease_token=None))
    finished = [(c, Outcome('completed', 1, result='ok', attempt=Stopwatch(1).stop(AttemptOutcome.SUCCEEDED))) for c in claims]
    assert write_outcomes(engine, finished) == {ids[0]}
    [attempt] = attempts_of(engine, ids[0])
    assert (attempt.number, attempt.outcome, attempt.error) == (1, 'succeeded', None)
    assert attempt.started_at <= attempt.completed_at
    assert attempts_of(engine, ids[1]) == []


def failed_attempt(number: int, error: str, http_status: int | None = None):
    return Stopwatch(number).stop(AttemptOutcome.RETRIED, error=error, http_status=http_status)


def attempts_of(engine: sa.Engine, execution_id: str) -> list:
    with engine.connect() as connection:
        return list(read_attempts(connection, [execution_id]).get(execution_id, ()))


def test_released_executions_go_back_to_the_queue_without_counting_the_interrupted_attempt(engine):
    [execution_id] = add_executions(engine, 1)
    [claim] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    assert queue.release_executions(engine, [claim]) == {execution_id}
    row = load(engine, execution_id)
    assert (row.status, row.attempts, row.lease_token) == ('pending', 0, None)
    [again] = claim_pending(engine, 'openai', 1, lease_seconds=30)
    assert again.id == execution_id

"""The webhook_delivery table as a queue: atomic claims under a lease, fenced outcomes, lease renewal.

As with executions (core/engine/queue.py), every write after a claim names the claim's `lease_token`, so a process
whose lease expired (killed, or stalled) cannot record over the one that took the delivery over.
"""

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from core import leases
from core.webhooks.attempts import Attempt
from core.webhooks.schedule import retry_delay, should_disable
from data.tables import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, new_id, utcnow

DELIVERY = WebhookDelivery.__table__
ENDPOINT = WebhookEndpoint.__table__
ATTEMPT = WebhookAttempt.__table__
DISABLED_REASON = 'disabled after every delivery failed for 24 hours; the last attempt: {error}'


@dataclass(frozen=True)
class DeliveryClaim:
    """One delivery to attempt now; `attempts` already counts it. The secrets are still encrypted."""

    id: str
    endpoint_id: str
    message_id: str
    body: str
    attempts: int
    round_attempts: int
    lease_token: str
    url: str
    secrets: tuple[str, ...]


def exchange(
    engine: sa.Engine,
    outcomes: list[tuple[DeliveryClaim, Attempt]],
    limit: int,
    *,
    lease_seconds: float,
    schedule: tuple[float, ...],
) -> tuple[dict[str, DeliveryStatus], list[DeliveryClaim]]:
    """One transaction per round of the delivery loop: record the attempts made (fenced), then claim up to `limit` due
    deliveries of enabled endpoints (and any whose lease expired), oldest due first.

    Returns the new status of each delivery whose attempt landed (the others had lost their lease) and the new claims.
    """
    now = utcnow()
    landed: dict[str, DeliveryStatus] = {}
    if not outcomes and not _any_due(engine, now):
        return landed, []  # a read, not a write: on SQLite an UPDATE takes the write lock even when it matches nothing
    with engine.begin() as connection:
        made: list[tuple[DeliveryClaim, Attempt]] = []
        for claim, attempt in outcomes:
            status = _record(connection, claim, attempt, schedule, now)
            if status is not None:
                landed[claim.id] = status
                made.append((claim, attempt))
        if made:
            connection.execute(sa.insert(ATTEMPT), [_attempt_row(claim, attempt, now) for claim, attempt in made])
            # each endpoint's state follows its latest attempt of the round: one write per endpoint, not per attempt
            for endpoint_id, attempt in {claim.endpoint_id: attempt for claim, attempt in made}.items():
                _note_on_endpoint(connection, endpoint_id, attempt, now)
        claims = _claim(connection, limit, lease_seconds, now) if limit > 0 else []
    return landed, claims


def _claim(connection: sa.Connection, limit: int, lease_seconds: float, now: datetime) -> list[DeliveryClaim]:
    token = new_id()
    params = {'limit': limit, 'token': token, 'now': now, 'expires': now + timedelta(seconds=lease_seconds)}
    rows = connection.execute(_claim_statement(connection.dialect.name == 'sqlite'), params).all()
    if not rows:
        return []
    endpoints = {row.id: row for row in connection.execute(_endpoints({row.endpoint_id for row in rows}))}
    return [_claim_of(row, endpoints[row.endpoint_id], token, now) for row in rows if row.endpoint_id in endpoints]


def _record(
    connection: sa.Connection, claim: DeliveryClaim, attempt: Attempt, schedule: tuple[float, ...], now: datetime
) -> DeliveryStatus | None:
    """The delivery's new state after `attempt` (fenced); None when the lease was no longer ours."""
    delay = retry_delay(claim.round_attempts, schedule) if attempt.retryable else None
    if attempt.delivered:
        status, values = DeliveryStatus.DELIVERED, {'finished_at': now}
    elif delay is not None:
        status, values = DeliveryStatus.PENDING, {'next_attempt_at': now + timedelta(seconds=delay)}
    else:
        status, values = DeliveryStatus.FAILED, {'finished_at': now}
    outcome = {'last_status_code': attempt.status_code, 'last_error': attempt.error, 'lease_token': None}
    fenced = _fenced(claim).values(status=status, lease_expires_at=None, **outcome, **values).returning(DELIVERY.c.id)
    return status if connection.execute(fenced).first() is not None else None


def renew_leases(engine: sa.Engine, tokens: set[str], *, lease_seconds: float) -> set[str]:
    """Extend the leases still held under `tokens`; returns the ids of the deliveries still ours."""
    return leases.renew(engine, DELIVERY, tokens, held_status=DeliveryStatus.SENDING, lease_seconds=lease_seconds)


def _note_on_endpoint(connection: sa.Connection, endpoint_id: str, attempt: Attempt, now: datetime) -> None:
    """The endpoint's last attempt, and since when it has failed; 24 h of failures disable it, saying why."""
    where = ENDPOINT.c.id == endpoint_id
    if attempt.delivered:
        connection.execute(sa.update(ENDPOINT).where(where).values(last_attempt_at=now, last_attempt_ok=True, failing_since=None))
        return
    failing_since = sa.func.coalesce(ENDPOINT.c.failing_since, now)
    update = sa.update(ENDPOINT).where(where).values(last_attempt_at=now, last_attempt_ok=False, failing_since=failing_since)
    since = connection.execute(update.returning(ENDPOINT.c.failing_since, ENDPOINT.c.enabled)).first()
    if since is not None and since.enabled and should_disable(since.failing_since, now):
        reason = DISABLED_REASON.format(error=attempt.error)
        connection.execute(sa.update(ENDPOINT).where(where).values(enabled=False, disabled_reason=reason, updated_at=now))


def _attempt_row(claim: DeliveryClaim, attempt: Attempt, now: datetime) -> dict:
    return {
        'id': new_id(),
        'delivery_id': claim.id,
        'endpoint_id': claim.endpoint_id,
        'number': claim.attempts,
        'at': now,
        'status_code': attempt.status_code,
        'duration_ms': attempt.duration_ms,
        'response_excerpt': attempt.response_excerpt,
        'error': attempt.error,
    }


def _claim_of(row: sa.Row, endpoint: sa.Row, token: str, now: datetime) -> DeliveryClaim:
    secrets = [endpoint.secret_encrypted]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets.append(endpoint.previous_secret_encrypted)
    return DeliveryClaim(
        id=row.id,
        endpoint_id=row.endpoint_id,
        message_id=row.message_id,
        body=row.body,
        attempts=row.attempts,
        round_attempts=row.round_attempts,
        lease_token=token,
        url=endpoint.url,
        secrets=tuple(secrets),
    )


def _endpoints(ids: set[str]) -> sa.Select:
    columns = ('id', 'url', 'secret_encrypted', 'previous_secret_encrypted', 'previous_secret_expires_at')
    return sa.select(*(ENDPOINT.c[name] for name in columns)).where(ENDPOINT.c.id.in_(ids))


def _any_due(engine: sa.Engine, now: datetime) -> bool:
    with engine.connect() as connection:
        return connection.execute(_due_one(), {'now': now}).first() is not None


@functools.cache
def _due_one() -> sa.Select:
    return _due_ids().limit(1)


def _due_ids() -> sa.Select:
    """Deliveries of enabled endpoints due now."""
    enabled = sa.select(ENDPOINT.c.id).where(ENDPOINT.c.enabled.is_(True))
    return sa.select(DELIVERY.c.id).where(_due(), DELIVERY.c.endpoint_id.in_(enabled))


def _due() -> sa.ColumnElement[bool]:
    """Pending deliveries whose time came, and sending ones whose lease expired (their process died)."""
    now = sa.bindparam('now', type_=DELIVERY.c.next_attempt_at.type)
    return sa.or_(
        sa.and_(DELIVERY.c.status == DeliveryStatus.PENDING, DELIVERY.c.next_attempt_at <= now),
        sa.and_(DELIVERY.c.status == DeliveryStatus.SENDING, DELIVERY.c.lease_expires_at < now),
    )


@functools.cache
def _claim_statement(sqlite: bool) -> sa.Update:
    """Built once per dialect (the due rows, oldest due first)."""
    oldest = _due_ids().order_by(DELIVERY.c.next_attempt_at).limit(sa.bindparam('limit'))
    if sqlite:
        oldest = oldest.cte('oldest')
    else:  # as the execution queue does: concurrent processes skip each other's rows; the CTE runs once
        oldest = oldest.with_for_update(of=DELIVERY, skip_locked=True).cte('oldest').prefix_with('MATERIALIZED')
    return (
        sa.update(DELIVERY)
        .where(DELIVERY.c.id.in_(sa.select(oldest.c.id)), _due())
        .values(
            status=DeliveryStatus.SENDING,
            lease_token=sa.bindparam('token'),
            lease_expires_at=sa.bindparam('expires', type_=DELIVERY.c.lease_expires_at.type),
            attempts=DELIVERY.c.attempts + 1,
            round_attempts=DELIVERY.c.round_attempts + 1,
        )
        .returning(
            DELIVERY.c.id,
            DELIVERY.c.endpoint_id,
            DELIVERY.c.message_id,
            DELIVERY.c.body,
            DELIVERY.c.attempts,
            DELIVERY.c.round_attempts,
        )
    )


def _fenced(claim: DeliveryClaim) -> sa.Update:
    return sa.update(DELIVERY).where(
        DELIVERY.c.id == claim.id, DELIVERY.c.lease_token == claim.lease_token, DELIVERY.c.status == DeliveryStatus.SENDING
    )

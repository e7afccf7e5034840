"""Deliveries as people see them: an endpoint's log, an execution's deliveries, "Send test event" and "Resend"."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.errors import Conflict, NotFound
from core.pagination import Page, check_paging
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.webhooks.deliverer import wake_deliverers
from core.webhooks.endpoints import EndpointView, endpoint_view, find_endpoint
from core.webhooks.outbox import enqueue_test
from data.tables import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow


@dataclass(frozen=True)
class AttemptView:
    number: int
    at: datetime
    status_code: int | None
    duration_ms: int
    response_excerpt: str  # the first 1 KB of the answer
    error: str | None  # None: delivered


@dataclass(frozen=True)
class DeliveryView:
    """One event for one endpoint, with every attempt so far (newest first)."""

    id: str
    endpoint_id: str
    event_type: WebhookEvent
    message_id: str  # the `webhook-id` header, the same on every attempt: receivers de-duplicate by it
    record_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None  # when pending
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    log: list[AttemptView]


def list_deliveries(core: Core, actor: Actor, endpoint_id: str, *, page: int = 1, page_size: int = 20) -> Page[DeliveryView]:
    """The endpoint's deliveries, newest first, each with its attempts."""
    actor.require('webhooks:read')
    page, page_size = check_paging(page, page_size)
    with core.session() as session:
        find_endpoint(session, endpoint_id)
        where = WebhookDelivery.endpoint_id == endpoint_id
        total = session.exec(sa.select(sa.func.count()).select_from(WebhookDelivery).where(where)).scalar_one()
        statement = sa.select(WebhookDelivery).where(where).order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        rows = session.exec(statement.limit(page_size).offset((page - 1) * page_size)).scalars().all()
        return Page(_views(session, rows), total, page, page_size)


def execution_deliveries(core: Core, actor: Actor, execution_id: str) -> list[DeliveryView]:
    """The deliveries that tell of one execution (its detail page shows them), oldest first."""
    actor.require('webhooks:read')
    with core.session() as session:
        statement = sa.select(WebhookDelivery).where(WebhookDelivery.record_id == execution_id)
        rows = session.exec(statement.order_by(WebhookDelivery.created_at, WebhookDelivery.id)).scalars().all()
        return _views(session, rows)


def send_test(core: Core, actor: Actor, endpoint_id: str) -> DeliveryView:
    """Queue a `webhook.test` event for this endpoint now; Conflict when it is disabled."""
    actor.require('webhooks:write')
    with core.session() as session:
        endpoint = find_endpoint(session, endpoint_id)
        if not endpoint.enabled:
            raise Conflict('the endpoint is disabled; enable it to send events')
        delivery_id = enqueue_test(session.connection(), endpoint.id)
        view = _views(session, [session.get(WebhookDelivery, delivery_id)])[0]
    wake_deliverers(core, delivery_id)
    return view


def resend(core: Core, actor: Actor, endpoint_id: str, delivery_id: str) -> DeliveryView:
    """Send the delivery again now, same body and `webhook-id`, with the retry schedule from its start."""
    actor.require('webhooks:write')
    with core.session() as session:
        endpoint = find_endpoint(session, endpoint_id)
        delivery = session.get(WebhookDelivery, delivery_id) if looks_like_uuid(delivery_id) else None
        if delivery is None or delivery.endpoint_id != endpoint.id:
            raise NotFound(f'no delivery {delivery_id!r} for this endpoint')
        if not endpoint.enabled:
            raise Conflict('the endpoint is disabled; enable it to send events')
        if delivery.status == DeliveryStatus.SENDING:
            raise Conflict('the delivery is being sent right now')
        delivery.status, delivery.round_attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
        delivery.finished_at = None
        session.add(delivery)
        session.flush()
        view = _views(session, [delivery])[0]
    wake_deliverers(core, delivery_id)
    return view


def auto_disabled_endpoints(core: Core, actor: Actor) -> list[EndpointView]:
    """Endpoints we disabled after 24 h of failures, for the admins' notice (empty for anyone else)."""
    if not actor.can('webhooks:read'):
        return []
    with core.session() as session:
        statement = sa.select(WebhookEndpoint).where(WebhookEndpoint.disabled_reason.is_not(None))
        return [endpoint_view(row) for row in session.exec(statement).scalars()]


def _views(session: Session, deliveries: list[WebhookDelivery]) -> list[DeliveryView]:
    ids = [delivery.id for delivery in deliveries]
    attempts: dict[str, list[AttemptView]] = {delivery_id: [] for delivery_id in ids}
    if ids:
        statement = sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)).order_by(WebhookAttempt.number.desc())
        for row in session.exec(statement).scalars():
            attempts[row.delivery_id].append(
                AttemptView(row.number, row.at, row.status_code, row.duration_ms, row.response_excerpt, row.error)
            )
    return [
        DeliveryView(
            id=d.id,
            endpoint_id=d.endpoint_id,
            event_type=WebhookEvent(d.event_type),
            message_id=d.message_id,
            record_id=d.record_id,
            status=DeliveryStatus(d.status),
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if d.status == DeliveryStatus.PENDING else None,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=d.created_at,
            finished_at=d.finished_at,
            log=attempts[d.id],
        )
        for d in deliveries
    ]

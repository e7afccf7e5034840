"""Queue deliveries in the caller's transaction: an event is queued exactly when the change it tells of commits."""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.engine.attempts import read_attempts
from core.executions import execution_detail
from core.webhooks.records import execution_record
from data.tables import (
    DeliveryStatus,
    Execution,
    ExecutionStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_id,
    utcnow,
)

DELIVERY = WebhookDelivery.__table__
ENDPOINT = WebhookEndpoint.__table__
EXECUTION = Execution.__table__
EVENT_OF_STATUS = {
    ExecutionStatus.COMPLETED: WebhookEvent.EXECUTION_COMPLETED,
    ExecutionStatus.FAILED: WebhookEvent.EXECUTION_FAILED,
    ExecutionStatus.CANCELLED: WebhookEvent.EXECUTION_CANCELLED,
}
_ENABLED = sa.select(ENDPOINT.c.id, ENDPOINT.c.events, ENDPOINT.c.deployments).where(ENDPOINT.c.enabled.is_(True))


def enqueue_event(
    connection: sa.Connection, event_type: WebhookEvent, record: dict[str, Any], *, deployment: str | None, record_id: str | None
) -> list[str]:
    """Queue `event_type` with `record` as its data for every enabled endpoint that wants it (and `deployment`, when the
    endpoint names deployments); returns the new deliveries' ids. Any event with a record goes this way (rollout.updated)."""
    endpoints = connection.execute(_ENABLED).all()
    return _insert(connection, _wanting(endpoints, event_type, deployment), event_type, record, record_id)


def enqueue_executions(connection: sa.Connection, execution_ids: Iterable[str]) -> int:
    """Queue the finish events of these executions (completed, failed or cancelled, as each row now stands)."""
    ids = list(execution_ids)
    if not ids:
        return 0
    endpoints = connection.execute(_ENABLED).all()
    if not endpoints:  # the common case costs one small read
        return 0
    queued = 0
    attempts = read_attempts(connection, ids)  # the record is the one GET /executions/{id} returns, attempts included
    for row in connection.execute(sa.select(EXECUTION).where(EXECUTION.c.id.in_(ids))).mappings():
        event_type = EVENT_OF_STATUS.get(row['status'])
        if event_type is None:
            continue
        wanting = _wanting(endpoints, event_type, row['deployment_name'])
        record = execution_record(execution_detail(row, attempts.get(row['id'], ())))
        queued += len(_insert(connection, wanting, event_type, record, row['id']))
    return queued


def enqueue_test(connection: sa.Connection, endpoint_id: str) -> str:
    """Queue a test event for one endpoint, whatever it subscribes to."""
    data = {'endpointId': endpoint_id, 'message': 'a test event from Hypersigil'}
    [delivery_id] = _insert(connection, [endpoint_id], WebhookEvent.TEST, data, None)
    return delivery_id


def message_body(event_type: WebhookEvent, record: dict[str, Any], at: datetime) -> str:
    """The body every attempt sends: `{type, timestamp, data}` as compact JSON."""
    timestamp = at.isoformat().replace('+00:00', 'Z')
    return json.dumps({'type': str(event_type), 'timestamp': timestamp, 'data': record}, separators=(',', ':'))


def _wanting(endpoints: Sequence[sa.Row], event_type: WebhookEvent, deployment: str | None) -> list[str]:
    return [
        endpoint.id
        for endpoint in endpoints
        if event_type in endpoint.events and (endpoint.deployments is None or deployment in endpoint.deployments)
    ]


def _insert(
    connection: sa.Connection, endpoint_ids: list[str], event_type: WebhookEvent, record: dict, record_id: str | None
) -> list[str]:
    if not endpoint_ids:
        return []
    now = utcnow()
    body = message_body(event_type, record, now)
    rows = [
        {
            'id': new_id(),
            'endpoint_id': endpoint_id,
            'event_type': str(event_type),
            'message_id': f'msg_{new_id().replace("-", "")}',
            'record_id': record_id,
            'body': body,
            'status': DeliveryStatus.PENDING,
            'attempts': 0,
            'round_attempts': 0,
            'next_attempt_at': now,
            'created_at': now,
        }
        for endpoint_id in endpoint_ids
    ]
    connection.execute(sa.insert(DELIVERY), rows)
    return [row['id'] for row in rows]

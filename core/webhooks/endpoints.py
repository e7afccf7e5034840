"""Webhook endpoints: create (the `whsec_` secret shown once), edit, rotate the secret, disable, delete."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core.app import Core
from core.errors import Invalid, NotFound
from core.permissions import Actor
from core.refs import looks_like_uuid
from core.text import reject_nul
from core.webhooks.signing import generate_secret
from core.webhooks.targets import check_url
from data.tables import SUBSCRIBABLE_EVENTS, Deployment, WebhookEndpoint, WebhookEvent, utcnow

ROTATION_OVERLAP = timedelta(hours=24)  # after a rotation the old secret signs too, as the specification allows
MAX_DESCRIPTION = 500
MAX_DEPLOYMENTS = 100
EDITABLE = ('url', 'events', 'deployments', 'description', 'enabled')


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as its admins see it; never its secret."""

    id: str
    url: str
    description: str
    events: list[WebhookEvent]
    deployments: list[str] | None  # None: every deployment
    enabled: bool
    disabled_reason: str | None  # why we disabled it (24 h of failures); None when a person did, or it is enabled
    last_attempt_at: datetime | None
    last_attempt_ok: bool | None
    rotating_until: datetime | None  # the previous secret still signs until then
    created_by: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: EndpointView
    secret: str  # shown once: at creation, or at a rotation


def list_endpoints(core: Core, actor: Actor) -> list[EndpointView]:
    actor.require('webhooks:read')
    with core.session() as session:
        rows = session.exec(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.created_at.desc())).scalars().all()
        return [endpoint_view(row) for row in rows]


def get_endpoint(core: Core, actor: Actor, endpoint_id: str) -> EndpointView:
    actor.require('webhooks:read')
    with core.session() as session:
        return endpoint_view(find_endpoint(session, endpoint_id))


def create_endpoint(
    core: Core,
    actor: Actor,
    *,
    url: str,
    events: list[str],
    deployments: list[str] | None = None,
    description: str = '',
    enabled: bool = True,
) -> EndpointWithSecret:
    """A new endpoint and its secret; checks the URL (which resolves its host: call it off the event loop)."""
    actor.require('webhooks:write')
    fields = {'url': url, 'events': events, 'deployments': deployments, 'description': description, 'enabled': enabled}
    with core.session() as session:
        values = _checked(core, session, fields)
        secret = generate_secret()
        row = WebhookEndpoint(**values, secret_encrypted=core.box.encrypt(secret), created_by=actor.name)
        session.add(row)
        session.flush()
        return EndpointWithSecret(endpoint_view(row), secret)


def update_endpoint(core: Core, actor: Actor, endpoint_id: str, *, changes: dict[str, Any]) -> EndpointView:
    """Change any of url, events, deployments, description, enabled; enabling again forgets past failures."""
    actor.require('webhooks:write')
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise Invalid(unknown[0], 'cannot be changed')
    with core.session() as session:
        row = find_endpoint(session, endpoint_id)
        values = _checked(core, session, changes)
        if values.get('enabled') and not row.enabled:
            row.failing_since, row.disabled_reason = None, None
        if values.get('enabled') is False:
            row.disabled_reason = None  # a person disabled it: no notice needed
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        return endpoint_view(row)


def rotate_secret(core: Core, actor: Actor, endpoint_id: str) -> EndpointWithSecret:
    """A new secret; the old one keeps signing beside it for 24 h, so receivers can switch without losing a message."""
    actor.require('webhooks:write')
    with core.session() as session:
        row = find_endpoint(session, endpoint_id)
        secret = generate_secret()
        now = utcnow()
        row.previous_secret_encrypted, row.previous_secret_expires_at = row.secret_encrypted, now + ROTATION_OVERLAP
        row.secret_encrypted, row.updated_at = core.box.encrypt(secret), now
        session.add(row)
        session.flush()
        return EndpointWithSecret(endpoint_view(row), secret)


def delete_endpoint(core: Core, actor: Actor, endpoint_id: str) -> None:
    """Delete the endpoint with its deliveries and their log."""
    actor.require('webhooks:write')
    with core.session() as session:
        session.delete(find_endpoint(session, endpoint_id))


def find_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id) if looks_like_uuid(endpoint_id) else None
    if row is None:
        raise NotFound(f'no webhook endpoint {endpoint_id!r}')
    return row


def endpoint_view(row: WebhookEndpoint) -> EndpointView:
    rotating = row.previous_secret_expires_at
    return EndpointView(
        id=row.id,
        url=row.url,
        description=row.description,
        events=[WebhookEvent(event) for event in row.events],
        deployments=list(row.deployments) if row.deployments is not None else None,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        last_attempt_at=row.last_attempt_at,
        last_attempt_ok=row.last_attempt_ok,
        rotating_until=rotating if rotating is not None and rotating > utcnow() else None,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _checked(core: Core, session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as stored, or Invalid naming the first wrong one; nothing is written before all pass."""
    reject_nul(**{name: value for name, value in fields.items() if name != 'enabled'})
    values: dict[str, Any] = {}
    if 'url' in fields:
        if not isinstance(fields['url'], str) or not fields['url'].strip():
            raise Invalid('url', 'must be a URL such as https://example.com/hook')
        values['url'] = check_url(fields['url'].strip(), allow_private=core.settings.webhook_allow_private)
    if 'events' in fields:
        values['events'] = _checked_events(fields['events'])
    if 'deployments' in fields:
        values['deployments'] = _checked_deployments(session, fields['deployments'])
    if 'description' in fields:
        description = fields['description'] if fields['description'] is not None else ''
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise Invalid('description', f'must be text of at most {MAX_DESCRIPTION} characters')
        values['description'] = description.strip()
    if 'enabled' in fields:
        if not isinstance(fields['enabled'], bool):
            raise Invalid('enabled', 'must be true or false')
        values['enabled'] = fields['enabled']
    return values


def _checked_events(events: Any) -> list[str]:
    known = ', '.join(SUBSCRIBABLE_EVENTS)
    if not isinstance(events, list | tuple) or not events:
        raise Invalid('events', f'name at least one of: {known}')
    for event in events:
        if event not in SUBSCRIBABLE_EVENTS:
            raise Invalid('events', f'unknown event type {event!r}; known: {known}')
    return list(dict.fromkeys(str(WebhookEvent(event)) for event in events))


def _checked_deployments(session: Session, names: Any) -> list[str] | None:
    """None (every deployment) or deployment names that exist now."""
    if names is None:
        return None
    if not isinstance(names, list | tuple) or not names or len(names) > MAX_DEPLOYMENTS:
        raise Invalid('deployments', f'must be null (every deployment) or a list of 1 to {MAX_DEPLOYMENTS} deployment names')
    if not all(isinstance(name, str) for name in names):
        raise Invalid('deployments', 'must list deployment names')
    wanted = list(dict.fromkeys(names))
    found = set(session.exec(sa.select(Deployment.name).where(Deployment.name.in_(wanted))).scalars())
    missing = [name for name in wanted if name not in found]
    if missing:
        raise Invalid('deployments', f'no deployment named {missing[0]!r}')
    return wanted

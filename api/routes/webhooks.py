"""Webhook endpoints: list, create (the secret shown in that answer only), read, change, delete, rotate the secret,
the delivery log, a test event, and resending a delivery."""

from dataclasses import asdict

from fastapi import APIRouter, Response

from api.deps import CoreDep, PageNumber, PageSize, WebhooksRead, WebhooksWrite
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from core.webhooks import deliveries, endpoints

router = APIRouter(prefix='/webhooks', tags=['webhooks'], responses=RESPONSES)


@router.get('', response_model=WebhooksPublic)
def list_webhooks(core: CoreDep, actor: WebhooksRead):
    """Every endpoint, newest first, with how its last attempt went; never a secret."""
    return WebhooksPublic(items=endpoints.list_endpoints(core, actor))


@router.post('', status_code=201, response_model=WebhookCreated)
def create_webhook(core: CoreDep, actor: WebhooksWrite, body: WebhookCreate, response: Response):
    """A new endpoint; its `secret` is in this answer only. The URL's host must not resolve to a private address."""
    created = endpoints.create_endpoint(
        core, actor, url=body.url, events=body.events, deployments=body.deployments, description=body.description,
        enabled=body.enabled,
    )  # fmt: skip
    response.headers['Cache-Control'] = 'no-store'
    return WebhookCreated(**asdict(created.endpoint), secret=created.secret)


@router.get('/{webhook_id}', response_model=WebhookPublic, responses=NOT_FOUND)
def get_webhook(core: CoreDep, actor: WebhooksRead, webhook_id: str):
    return endpoints.get_endpoint(core, actor, webhook_id)


@router.patch('/{webhook_id}', response_model=WebhookPublic, responses=NOT_FOUND)
def update_webhook(core: CoreDep, actor: WebhooksWrite, webhook_id: str, body: WebhookUpdate):
    """Change any field; `enabled: true` on an endpoint disabled after failures forgets them."""
    return endpoints.update_endpoint(core, actor, webhook_id, changes=body.changes())


@router.delete('/{webhook_id}', status_code=204, responses=NOT_FOUND)
def delete_webhook(core: CoreDep, actor: WebhooksWrite, webhook_id: str) -> None:
    """Delete the endpoint, its pending deliveries and its log."""
    endpoints.delete_endpoint(core, actor, webhook_id)


@router.post('/{webhook_id}/rotate-secret', response_model=WebhookCreated, responses=NOT_FOUND)
def rotate_secret(core: CoreDep, actor: WebhooksWrite, webhook_id: str, response: Response):
    """A new `secret` (in this answer only); for 24 h deliveries carry signatures by the old and the new one."""
    rotated = endpoints.rotate_secret(core, actor, webhook_id)
    response.headers['Cache-Control'] = 'no-store'
    return WebhookCreated(**asdict(rotated.endpoint), secret=rotated.secret)


@router.get('/{webhook_id}/deliveries', response_model=DeliveriesPublic, responses=NOT_FOUND)
def list_deliveries(core: CoreDep, actor: WebhooksRead, webhook_id: str, page: PageNumber = 1, page_size: PageSize = 20):
    """The endpoint's deliveries, newest first, each with its attempts (status code, duration, response excerpt)."""
    return DeliveriesPublic.model_validate(deliveries.list_deliveries(core, actor, webhook_id, page=page, page_size=page_size))


@router.post('/{webhook_id}/test', status_code=202, response_model=DeliveryPublic, responses={**NOT_FOUND, **CONFLICT})
def send_test(core: CoreDep, actor: WebhooksWrite, webhook_id: str):
    """Queue a `webhook.test` event for this endpoint; 409 when it is disabled."""
    return deliveries.send_test(core, actor, webhook_id)


@router.post(
    '/{webhook_id}/deliveries/{delivery_id}/resend',
    status_code=202,
    response_model=DeliveryPublic,
    responses={**NOT_FOUND, **CONFLICT},
)
def resend(core: CoreDep, actor: WebhooksWrite, webhook_id: str, delivery_id: str):
    """Send the delivery again (same body, same `webhook-id`); 409 while it is being sent or the endpoint is disabled."""
    return deliveries.resend(core, actor, webhook_id, delivery_id)

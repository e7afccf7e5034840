"""Webhook endpoint and delivery bodies: the endpoint's secret appears only in the answers that make one."""

from typing import Any

from pydantic import Field, StrictBool

from api.schemas.common import PageFields, RequestModel, ResponseModel, public_model
from core.vocabulary import SUBSCRIBABLE_EVENTS
from core.webhooks.deliveries import AttemptView, DeliveryView
from core.webhooks.endpoints import MAX_DEPLOYMENTS, MAX_DESCRIPTION, EndpointView

EVENTS = f'any of: {", ".join(SUBSCRIBABLE_EVENTS)}'
DEPLOYMENTS = 'deployment names whose executions it receives; null: every deployment'


class WebhookCreate(RequestModel):
    url: str = Field(min_length=1, description='https (http only with HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE=1); no private hosts')
    events: list[str] = Field(min_length=1, max_length=len(SUBSCRIBABLE_EVENTS), description=EVENTS)
    deployments: list[str] | None = Field(default=None, min_length=1, max_length=MAX_DEPLOYMENTS, description=DEPLOYMENTS)
    description: str = Field(default='', max_length=MAX_DESCRIPTION)
    enabled: StrictBool = True


class WebhookUpdate(RequestModel):
    """Only the fields sent change (`deployments: null` means every deployment)."""

    url: str | None = Field(default=None, min_length=1)
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(SUBSCRIBABLE_EVENTS), description=EVENTS)
    deployments: list[str] | None = Field(default=None, min_length=1, max_length=MAX_DEPLOYMENTS, description=DEPLOYMENTS)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    enabled: StrictBool | None = None

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True)
        return {key: value for key, value in sent.items() if value is not None or key == 'deployments'}


WebhookPublic = public_model(
    EndpointView,
    'WebhookPublic',
    descriptions={
        'disabled_reason': 'why Hypersigil disabled it (every delivery failed for 24 h); null otherwise',
        'rotating_until': 'after a rotation, the previous secret also signs until then',
    },
)


class WebhookCreated(WebhookPublic):
    secret: str = Field(description='the `whsec_` signing secret: store it now, it is never shown again')


class WebhooksPublic(ResponseModel):
    items: list[WebhookPublic]


AttemptPublic = public_model(AttemptView, 'WebhookAttemptPublic')


class DeliveryPublic(public_model(DeliveryView, 'DeliveryBase')):
    """One event for one endpoint, with its attempts, newest first."""

    log: list[AttemptPublic]


class DeliveriesPublic(PageFields):
    items: list[DeliveryPublic]

"""What the webhook delivery tests share: an endpoint made through core, and reading its deliveries."""

import asyncio
import time

from core.permissions import Actor
from core.webhooks import deliveries, endpoints

SYSTEM = Actor.system()
EXECUTION_EVENTS = ['execution.completed', 'execution.failed', 'execution.cancelled']


def add_endpoint(core, url: str, *, events: list[str] | None = None, deployments: list[str] | None = None, **fields):
    return endpoints.create_endpoint(core, SYSTEM, url=url, events=events or EXECUTION_EVENTS, deployments=deployments, **fields)


async def settled(core, endpoint_id: str, count: int, timeout: float = 10.0) -> list[deliveries.DeliveryView]:
    """The endpoint's deliveries once `count` of them are delivered or failed."""
    deadline = time.monotonic() + timeout
    while True:
        found = (await asyncio.to_thread(deliveries.list_deliveries, core, SYSTEM, endpoint_id, page_size=100)).items
        done = [d for d in found if d.status in ('delivered', 'failed')]
        if len(done) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f'{len(done)} of {count} deliveries settled within {timeout} s: {found}')
        await asyncio.sleep(0.05)

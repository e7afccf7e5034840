"""Wait for an execution to finish: woken by its status events, with a slow re-read for other processes' workers."""

import asyncio
import time

from core.app import Core
from core.engine.queue import FINISHED
from core.errors import NotFound
from core.events import Subscription
from data.tables import Execution

RECHECK_SECONDS = 1.0  # a worker in another process publishes on its own bus, not ours


async def wait_for_execution(core: Core, execution_id: str, timeout: float) -> Execution:
    """The execution once finished, or as it stands when `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    async with core.bus.subscribe(execution_id) as subscription:
        while True:
            execution = _load(core, execution_id)
            remaining = deadline - time.monotonic()
            if execution.status in FINISHED or remaining <= 0:
                return execution
            await _next_status(subscription, min(remaining, RECHECK_SECONDS))


def _load(core: Core, execution_id: str) -> Execution:
    with core.session() as session:
        execution = session.get(Execution, execution_id)
    if execution is None:
        raise NotFound(f'no execution {execution_id!r}')
    return execution


async def _next_status(subscription: Subscription, timeout: float) -> None:
    """Return at the next status event (deltas are skipped) or after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while (await subscription.get()).kind != 'status':
                pass
    except TimeoutError:
        return

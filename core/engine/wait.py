"""Wait for an execution to finish: woken by its finished status event, with a slow re-read for other processes' workers."""

import asyncio
import time

import sqlalchemy as sa

from core.app import Core
from core.errors import NotFound
from core.events import Subscription
from data.tables import FINISHED, Execution

RECHECK_SECONDS = 1.0  # a worker in another process publishes on its own bus, not ours
_BY_ID = sa.select(Execution.__table__).where(Execution.__table__.c.id == sa.bindparam('id'))


async def wait_for_execution(core: Core, execution_id: str, timeout: float, *, known: Execution | None = None) -> Execution:
    """The execution once finished, or as it stands when `timeout` seconds have passed.

    `known` is the execution as the caller last read it (e.g. just queued), which saves the first read."""
    deadline = time.monotonic() + timeout
    async with core.bus.subscribe(execution_id, kinds=frozenset({'status'})) as subscription:
        execution = known if known is not None else _load(core, execution_id)
        while execution.status not in FINISHED and (remaining := deadline - time.monotonic()) > 0:
            await _finished_status(subscription, min(remaining, RECHECK_SECONDS))
            execution = _load(core, execution_id)
        return execution


def _load(core: Core, execution_id: str) -> Execution:
    # a plain select, not a session: this runs on the loop once per wait, and the ORM's unit of work costs more than it
    with core.db.connect() as connection:
        row = connection.execute(_BY_ID, {'id': execution_id}).one_or_none()
    if row is None:
        raise NotFound(f'no execution {execution_id!r}')
    return Execution.model_construct(**row._mapping)


async def _finished_status(subscription: Subscription, timeout: float) -> None:
    """Return at the next status event that finishes the execution, or after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while (await subscription.get()).data.get('status') not in FINISHED:
                pass
    except TimeoutError:
        return

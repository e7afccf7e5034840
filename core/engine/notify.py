"""PostgreSQL LISTEN/NOTIFY: a worker hears at once of executions created or cancelled by other processes.

The notifications come from triggers on the execution table (migration 0002), so every writer sends them.
Without PostgreSQL (or while the connection is down) the worker's slow poll and lease renewals cover the same ground.
"""

import asyncio
import logging
from collections.abc import Callable

import psycopg
import sqlalchemy as sa

log = logging.getLogger(__name__)
CHANNEL = 'hypersigil_executions'
RECONNECT_SECONDS = 5.0


async def listen(engine: sa.Engine, *, on_created: Callable[[str], None], on_cancelled: Callable[[str], None]) -> None:
    """Forward 'created <provider>' and 'cancelled <id>' notifications until cancelled; reconnect when the link drops."""
    url = engine.url.set(drivername='postgresql').render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
                await connection.execute(f'LISTEN {CHANNEL}')
                async for notification in connection.notifies():
                    kind, _, value = notification.payload.partition(' ')
                    (on_created if kind == 'created' else on_cancelled)(value)
        except (psycopg.Error, OSError) as error:
            log.warning('listening for executions failed (%s); polling until reconnected', error)
        await asyncio.sleep(RECONNECT_SECONDS)

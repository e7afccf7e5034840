"""Follow the event bus while a page is open: batches of events pushed to a callback, a slow poll as a safety net."""

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from core.app import Core
from core.events import Event

BATCH_SECONDS = 0.15  # gather a burst (e.g. created + running) into one refresh


def follow(
    core: Core,
    on_events: Callable[[list[Event]], Awaitable[None] | None],
    *,
    execution_id: str | None = None,
    kinds: frozenset[str] | None = None,
    idle_seconds: float | None = None,
    on_idle: Callable[[], Awaitable[None] | None] | None = None,
) -> asyncio.Task:
    """Call `on_events` with each burst of bus events until the page closes.

    `on_idle` runs after `idle_seconds` without events: executions run by another process (a separate worker)
    publish on that process's bus, so pages also re-read the database now and then.
    """

    async def run() -> None:
        async with core.bus.subscribe(execution_id, kinds=kinds) as subscription:
            while True:
                event = await subscription.get(timeout=idle_seconds)
                if event is None:
                    await _call(on_idle)
                    continue
                await asyncio.sleep(BATCH_SECONDS)
                batch = [event]
                while not subscription.queue.empty():
                    batch.append(subscription.queue.get_nowait())
                await _call(on_events, batch)

    client = ui.context.client
    task = background_tasks.create(run(), name='follow events', context=client)
    client.on_delete(task.cancel)
    return task


async def _call(callback: Callable | None, *args) -> None:
    if callback is None:
        return
    result = callback(*args)
    if result is not None:
        await result

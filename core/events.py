"""In-process event bus: execution status changes and text deltas, for the UI and the API streams."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    kind: str  # 'created' | 'status' | 'delta'
    execution_id: str
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    def __init__(self, bus: 'EventBus', execution_id: str | None, kinds: frozenset[str] | None) -> None:
        self.execution_id = execution_id
        self.kinds = kinds
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self._bus = bus

    def __aiter__(self) -> 'Subscription':
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None when `timeout` seconds pass without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def pending(self) -> list[Event]:
        """The events already delivered and not yet read, without waiting."""
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events

    def offer(self, event: Event) -> None:
        if self.execution_id is not None and event.execution_id != self.execution_id:
            return
        if self.kinds is not None and event.kind not in self.kinds:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.queue.put_nowait(event)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)


class EventBus:
    """Publish from any thread or loop; each subscriber receives on the loop it subscribed from."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()

    @asynccontextmanager
    async def subscribe(
        self, execution_id: str | None = None, *, kinds: frozenset[str] | None = None
    ) -> AsyncIterator[Subscription]:
        """Events of one execution (or all), of the given kinds (or all)."""
        subscription = Subscription(self, execution_id, kinds)
        with self._lock:
            self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                self._subscriptions.discard(subscription)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription.offer(event)

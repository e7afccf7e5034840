"""The event bus: execution status changes and text deltas, for the UI, the API streams and the workers.

Within a process, publish() hands an event to every subscriber at once. Once connected to a transport (core.bus: the
database's LISTEN/NOTIFY, or sockets between the processes of one machine), it also carries events to and from the
other processes, so a stream follows an execution whichever process runs it. When a transport may have missed events,
every subscriber gets a GAP event, whatever it filters: what it follows must be re-read.
"""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.bus.transport import Transport

GAP = 'gap'  # the kind of the event that says events from other processes may have been missed


@dataclass(frozen=True)
class Event:
    kind: str  # 'created' | 'status' | 'delta' | GAP
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
        if event.kind != GAP and not self._wants(event):
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.queue.put_nowait(event)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)

    def _wants(self, event: Event) -> bool:
        return (self.execution_id is None or event.execution_id == self.execution_id) and (
            self.kinds is None or event.kind in self.kinds
        )


class EventBus:
    """Publish from any thread or loop; each subscriber receives on the loop it subscribed from."""

    def __init__(self) -> None:
        # by the execution they follow (None: every execution), so an event meets only the subscriptions it may concern:
        # each request waiting on its run holds one, and each run publishes several events
        self._subscriptions: dict[str | None, set[Subscription]] = {}
        self._lock = threading.Lock()
        self.transport: Transport | None = None

    async def connect(self, transport: 'Transport') -> None:
        """Carry events to and from the other processes that listen on `transport` (call on the loop that stays)."""
        self.transport = transport
        await transport.listen(self._deliver, on_gap=lambda: self._deliver(Event(GAP, '')))

    async def disconnect(self) -> None:
        """Send what is queued for other processes (a second at most) and stop listening to them."""
        transport, self.transport = self.transport, None
        if transport is not None:
            await transport.close()

    @asynccontextmanager
    async def subscribe(
        self, execution_id: str | None = None, *, kinds: frozenset[str] | None = None
    ) -> AsyncIterator[Subscription]:
        """Events of one execution (or all), of the given kinds (or all)."""
        subscription = Subscription(self, execution_id, kinds)
        with self._lock:
            self._subscriptions.setdefault(execution_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                followers = self._subscriptions[execution_id]
                followers.discard(subscription)
                if not followers:
                    del self._subscriptions[execution_id]

    def publish(self, event: Event) -> None:
        self._deliver(event)
        transport = self.transport
        if transport is not None:
            transport.publish(event)  # never waits: the transport's own thread sends it

    def _deliver(self, event: Event) -> None:
        """To this process's subscribers only (an event from another process is not sent on again)."""
        with self._lock:
            if event.kind == GAP:  # every subscriber must re-read, whatever it follows
                subscriptions = [subscription for group in self._subscriptions.values() for subscription in group]
            else:
                subscriptions = [*self._subscriptions.get(None, ()), *self._subscriptions.get(event.execution_id, ())]
        for subscription in subscriptions:
            subscription.offer(event)

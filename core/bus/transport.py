"""The interface between the in-process event bus and the other processes: publish to them, listen to them."""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

from core.bus.counters import Counters
from core.bus.sender import CAPACITY, WINDOW_SECONDS, Sender
from core.bus.wire import Packer, Reader, Received, new_origin
from core.events import Event

log = logging.getLogger(__name__)
Deliver = Callable[[Event], None]  # called on the listening loop, once per event from another process, in their order
OnGap = Callable[[], None]  # called on the listening loop when events from other processes may have been missed


class Transport(ABC):
    """Carries events to the other processes that listen; never to this one, whose bus delivered them already."""

    payload_limit: int  # bytes per notification or datagram

    def __init__(self, *, window: float = WINDOW_SECONDS, capacity: int = CAPACITY) -> None:
        self.origin = new_origin()
        self.counters = Counters()
        self._reader = Reader(self.origin)
        packer = Packer(self.origin, self.payload_limit)
        self._sender = Sender(self._send, packer, counters=self.counters, window=window, capacity=capacity)

    def publish(self, event: Event) -> None:
        """Send an event to every other listening process; from any thread, returns at once (never waits on I/O)."""
        self._sender.put(event)

    @property
    def queued(self) -> int:
        """Events published and not yet sent: how far behind the sending thread is."""
        return self._sender.queued

    @abstractmethod
    async def listen(self, deliver: Deliver, *, on_gap: OnGap | None = None) -> None:
        """Deliver other processes' events on this event loop from now on; returns once listening (or trying to)."""

    async def close(self) -> None:
        """Stop listening, send what is queued (a second at most), release the links."""
        await self._stop_listening()
        await asyncio.to_thread(self._sender.stop)
        await asyncio.to_thread(self._release)

    @abstractmethod
    def _send(self, payloads: list[str]) -> bool:
        """On the sending thread: send in order; True when some wait for a slow listener; raise when none went out."""

    @abstractmethod
    async def _stop_listening(self) -> None: ...

    @abstractmethod
    def _release(self) -> None:
        """Close the sending thread's links (it has ended)."""

    def _read(self, payload: str) -> Received | None:
        """What a payload from the link completes; None when there is nothing to hand over."""
        self.counters.received_payloads += 1
        received = self._reader.read(payload)
        if received is None:
            self.counters.own_payloads += 1
            return None
        return received if received.events or received.gap else None

    def _hand_over(self, received: Received, deliver: Deliver, on_gap: OnGap | None) -> None:
        """On the listening loop: the gap first (what was missed is older), then the events in order."""
        self.counters.received_events += len(received.events)
        if received.gap:
            self._missed(on_gap)
        for event in received.events:
            _call(deliver, event)

    def _missed(self, on_gap: OnGap | None) -> None:
        """On the listening loop: events from other processes may have been missed."""
        self.counters.gaps += 1
        if on_gap is not None:
            _call(on_gap)


def _call(callback: Callable, *args) -> None:
    try:
        callback(*args)
    except Exception:  # one failing subscriber must not stop the others' events
        log.exception('bus: a listener callback failed')

"""A transport's sending thread: publishers hand it events without waiting; it gathers deltas and sends in order.

An event other than a delta is sent at once, with the deltas gathered before it. Deltas go out at most once per
`window` seconds (a fast stream becomes one payload per window, not one per token); a delta that follows a quiet
moment goes out at once. The queue holds `capacity` events: past that (the link is down or slow) events are dropped,
deltas counted and statuses logged one by one, and listeners see the gap.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from core.bus.counters import Counters
from core.bus.wire import Packer
from core.events import Event

log = logging.getLogger(__name__)
GATHERED = frozenset({'delta'})  # the kinds that may wait for the window; any other is sent at once
WINDOW_SECONDS = 0.005
CAPACITY = 10_000
RETRY_SECONDS = 0.002  # while a transport holds payloads a listener could not take yet
LOSS_LOG_SECONDS = 1.0

# sends payloads in order; returns True when some wait for a slow listener (call again soon); raises when none went out
Send = Callable[[list[str]], bool]


class Sender:
    """The sending thread of one transport, started by the first event published."""

    def __init__(
        self, send: Send, packer: Packer, *, counters: Counters, window: float = WINDOW_SECONDS, capacity: int = CAPACITY
    ) -> None:
        self._send = send
        self._packer = packer
        self._counters = counters
        self._window = window
        self._capacity = capacity
        self._queue: deque[Event] = deque()
        self._wake = threading.Event()
        self._idle = True  # the thread waits for an event: any event must wake it
        self._overflowed = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._losses = Losses(counters)

    def put(self, event: Event) -> None:
        """Queue an event (from any thread); never waits."""
        if len(self._queue) >= self._capacity or self._stopping:
            self._overflowed = True
            self._losses.lost([event], 'the bus is closed' if self._stopping else 'the send queue is full')
            return
        self._queue.append(event)
        if self._thread is None:
            self._start()
        if self._idle or event.kind not in GATHERED:
            self._wake.set()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def stop(self, timeout: float = 1.0) -> None:
        """Send what is queued (waiting `timeout` seconds at most), then end the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name='bus-sender', daemon=True)
                self._thread.start()

    def _run(self) -> None:
        pending: list[Event] = []
        urgent = held = False  # held: the transport keeps payloads for a slow listener
        last_flush = float('-inf')
        while True:
            while self._queue:
                event = self._queue.popleft()
                pending.append(event)
                urgent = urgent or event.kind not in GATHERED
            now = time.monotonic()
            stopping = self._stopping
            if pending and (urgent or stopping or now >= last_flush + self._window):
                held = self._flush(pending)
                pending, urgent, last_flush = [], False, now
            elif held:
                held = self._flush([])
            if stopping and not self._queue:
                return
            self._sleep(self._timeout(pending, held, last_flush + self._window - now))

    @staticmethod
    def _timeout(pending: list[Event], held: bool, until_window: float) -> float | None:
        timeouts = ([max(until_window, 0.0)] if pending else []) + ([RETRY_SECONDS] if held else [])
        return min(timeouts) if timeouts else None

    def _sleep(self, timeout: float | None) -> None:
        if timeout is None:
            self._idle = True
            if self._queue:  # appended before _idle was set: its publisher may not have woken us
                self._idle = False
                return
        self._wake.wait(timeout)
        self._wake.clear()
        self._idle = False

    def _flush(self, events: list[Event]) -> bool:
        if self._overflowed:
            self._overflowed = False
            self._packer.skip()
        try:
            payloads = self._packer.pack(events) if events else []
            held = self._send(payloads)
        except Exception as error:  # a link that is down, or a bug: either way these events are lost, and said so
            self._losses.lost(events, f'{type(error).__name__}: {error}'.strip())
            return False
        self._counters.sent_payloads += len(payloads)
        self._counters.sent_events += len(events)
        return held


class Losses:
    """Says which events other processes will not get: each status (and other non-delta), and deltas counted."""

    def __init__(self, counters: Counters) -> None:
        self._counters = counters
        self._deltas = 0
        self._logged = float('-inf')

    def lost(self, events: Iterable[Event], reason: str) -> None:
        for event in events:
            self._counters.lost_events += 1
            if event.kind in GATHERED:
                self._deltas += 1
            else:
                log.warning('bus: %s event of %s not sent to other processes (%s)', event.kind, event.execution_id, reason)
        if self._deltas and time.monotonic() - self._logged >= LOSS_LOG_SECONDS:
            log.warning('bus: %d deltas not sent to other processes (%s); their listeners re-read', self._deltas, reason)
            self._deltas, self._logged = 0, time.monotonic()

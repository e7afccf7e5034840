"""The sending thread alone, with a send that keeps what it is given: gathering, order, a full queue, a failing link."""

import threading
import time

from core.bus.counters import Counters
from core.bus.sender import Sender
from core.bus.wire import Packer, Reader
from core.events import Event

LIMIT = 7999


class Link:
    """What a transport's send does, kept: the payloads, in the order they were sent."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.payloads: list[list[str]] = []
        self.fail_first = fail_first
        self.open = threading.Event()
        self.open.set()
        self.called = threading.Event()

    def send(self, payloads: list[str]) -> bool:
        self.called.set()
        self.open.wait()
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError('the database went away')
        self.payloads.append(payloads)
        return False

    def events(self) -> tuple[list[Event], int]:
        reader, events, gaps = Reader('listener'), [], 0
        for payload in (payload for sent in self.payloads for payload in sent):
            received = reader.read(payload)
            events += received.events
            gaps += received.gap
        return events, gaps


def sender(link: Link, **options) -> tuple[Sender, Counters]:
    counters = Counters()
    return Sender(link.send, Packer('publisher', LIMIT), counters=counters, **options), counters


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.005)


def deltas(count: int, start: int = 0) -> list[Event]:
    return [Event('delta', 'e', {'text': str(n)}) for n in range(start, start + count)]


def test_a_status_goes_out_at_once_with_the_deltas_gathered_before_it():
    link = Link()
    bus, counters = sender(link, window=60.0)  # deltas would wait a minute for the window
    events = [*deltas(5), Event('status', 'e', {'status': 'completed'})]
    for event in events:
        bus.put(event)
    wait_for(lambda: counters.sent_events == 6)
    assert link.events() == (events, 0)
    assert len(link.payloads) <= 2  # the first delta after a quiet moment at once; the rest with the status
    bus.stop()


def test_deltas_in_a_stream_are_gathered_for_the_window():
    link = Link()
    bus, counters = sender(link, window=1.0)
    bus.put(deltas(1)[0])
    wait_for(lambda: counters.sent_events == 1)  # after a quiet moment: at once
    for event in deltas(100, start=1):
        bus.put(event)
    wait_for(lambda: counters.sent_events == 101)
    assert [len(sent) for sent in link.payloads] == [1, 1]  # the 100 in one payload, one window later
    assert link.events() == (deltas(101), 0)
    bus.stop()


def test_a_full_queue_drops_logs_the_statuses_and_leaves_a_gap(caplog):
    link = Link()
    link.open.clear()  # the link hangs: the thread waits in send with the first event
    bus, counters = sender(link, capacity=10)
    events = [Event('status', f'e{n}', {'status': 'running'}) for n in range(21)]
    bus.put(events[0])
    wait_for(link.called.is_set)
    for event in events[1:]:
        bus.put(event)  # 10 are queued, 10 dropped
    link.open.set()
    wait_for(lambda: counters.sent_events == 11)
    assert counters.lost_events == 10
    assert link.events() == (events[:11], 1)
    for event in events[11:]:
        assert f'status event of {event.execution_id} not sent to other processes (the send queue is full)' in caplog.text
    bus.stop()


def test_a_failed_send_loses_that_batch_says_so_and_the_next_goes_out(caplog):
    link = Link(fail_first=1)
    bus, counters = sender(link)
    bus.put(Event('status', 'lost', {'status': 'running'}))
    wait_for(lambda: counters.lost_events == 1)
    bus.put(Event('status', 'sent', {'status': 'completed'}))
    wait_for(lambda: counters.sent_events == 1)
    assert link.events() == ([Event('status', 'sent', {'status': 'completed'})], 0)
    assert 'status event of lost not sent to other processes (ConnectionError: the database went away)' in caplog.text
    bus.stop()


def test_stopping_sends_the_deltas_still_waiting_for_the_window():
    link = Link()
    bus, counters = sender(link, window=60.0)
    for event in deltas(50):
        bus.put(event)
    bus.stop()
    assert link.events() == (deltas(50), 0)
    assert counters.sent_events == 50

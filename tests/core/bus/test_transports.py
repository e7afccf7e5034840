"""The bus between real processes, on both transports: Unix sockets beside SQLite, LISTEN/NOTIFY on PostgreSQL.

The test process publishes (as a worker would); listeners run in processes of their own. Latency is measured by
bench/bus.py, not asserted here; "never blocks" is asserted against a bound far below one blocked send.
"""

import asyncio
import logging
import math
import signal
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from core.bus.postgres import PostgresTransport
from core.bus.sockets import SocketTransport
from core.bus.wire import MAX_EVENT_BYTES
from core.events import Event
from core.settings import Settings

BLOCKED_SECONDS = 1.0  # one send that waited on a listener or a database would take longer than all 1,000 publishes


def as_lines(events: list[Event]) -> list[tuple]:
    return [(event.kind, event.execution_id, event.data) for event in events]


def received(lines: list[dict]) -> list[tuple]:
    return [(line['kind'], line['id'], line['data']) for line in lines]


def statuses(count: int) -> list[Event]:
    execution_id = str(uuid.uuid4())
    return [Event('status', execution_id, {'status': 'running', 'attempts': n}) for n in range(count)]


def publish_all(transport, events: list[Event]) -> float:
    """Publish the events; the seconds it took the publisher."""
    started = time.perf_counter()
    for event in events:
        transport.publish(event)
    return time.perf_counter() - started


async def eventually(condition, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f'not {what} within {seconds} s'
        await asyncio.sleep(0.01)


async def test_events_reach_another_process_in_order(make_transport, spawn_listener):
    listener = await spawn_listener()
    publisher = make_transport()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    events = [
        Event('created', first, {'provider': 'openai', 'deploymentName': 'support-bot'}),
        Event('status', first, {'status': 'running', 'attempts': 1}),
        Event('created', second, {'provider': 'ollama'}),
        *(Event('delta', first if n % 3 else second, {'text': f'tok {n} é ✓ 🙂 "q" \\ \n'}) for n in range(30)),
        Event('rollout', 'rollout-7', {'status': 'paused', 'arms': {'stable': {'p95Ms': 812.5}}, 'reason': None}),
        Event('status', first, {'status': 'completed', 'attempts': 1}),
        Event('status', second, {'status': 'failed', 'attempts': 4, 'error': 'rate limited (429)'}),
    ]
    publish_all(publisher, events)
    assert received(await listener.events(len(events))) == as_lines(events)


async def test_a_burst_of_1000_deltas_arrives_coalesced_complete_and_in_order(make_transport, spawn_listener):
    listener = await spawn_listener()
    publisher = make_transport()
    execution_id = str(uuid.uuid4())
    events = [Event('delta', execution_id, {'text': f' word{n}'}) for n in range(1000)]
    events.append(Event('status', execution_id, {'status': 'completed', 'attempts': 1}))
    publish_all(publisher, events)
    assert received(await listener.events(len(events))) == as_lines(events)
    await eventually(lambda: publisher.counters.sent_events == 1001, 'counted')  # after the send returned
    counters = await listener.counters()
    assert counters['received_events'] == 1001
    assert counters['received_payloads'] == publisher.counters.sent_payloads
    assert counters['received_payloads'] < 100, 'the deltas went out one by one, not gathered'
    assert counters['gaps'] == 0


async def test_a_listener_that_starts_late_gets_only_later_events(make_transport, spawn_listener):
    publisher = make_transport()
    early, late = statuses(5), statuses(5)
    publish_all(publisher, early)
    await eventually(lambda: publisher.counters.sent_events == 5, 'sent')
    listener = await spawn_listener()
    publish_all(publisher, late)
    assert received(await listener.events(5)) == as_lines(late)
    assert (await listener.counters())['received_events'] == 5


async def test_a_process_does_not_get_its_own_events_back(make_transport):
    own, other = [], []
    publisher, neighbour = make_transport(), make_transport()  # another transport is another process to the bus
    await publisher.listen(own.append)
    await neighbour.listen(other.append)
    events = statuses(20)
    publish_all(publisher, events)
    await eventually(lambda: len(other) == 20, 'delivered to the other listener')
    if isinstance(publisher, PostgresTransport):  # PostgreSQL hands our notifications back to us too: we skip them
        await eventually(lambda: publisher.counters.own_payloads == publisher.counters.sent_payloads, 'skipped')
    else:
        await asyncio.sleep(0.2)  # a datagram to ourselves would have arrived by now
    assert as_lines(other) == as_lines(events)
    assert own == []
    assert publisher.counters.received_events == 0


async def test_events_over_the_payload_limit_arrive_whole_and_in_order(make_transport, spawn_listener):
    listener = await spawn_listener()
    publisher = make_transport()
    execution_id = str(uuid.uuid4())
    events = [
        Event('delta', execution_id, {'text': 'before'}),
        Event('delta', execution_id, {'text': 'x' * 50_000}),  # over NOTIFY's 8,000 bytes, under a datagram
        Event('delta', execution_id, {'text': 'between'}),
        Event('status', execution_id, {'status': 'failed', 'error': 'é✓' * 10_000}),  # 120 KB escaped: over both
        Event('delta', execution_id, {'text': 'after'}),
    ]
    publish_all(publisher, events)
    assert received(await listener.events(len(events))) == as_lines(events)
    await eventually(lambda: publisher.counters.sent_events == 5, 'counted')  # after the send returned
    assert publisher.counters.sent_payloads >= math.ceil(120_000 / publisher.payload_limit), 'the large one was not split'
    assert (await listener.counters())['gaps'] == 0


async def test_an_event_over_the_largest_is_not_sent_and_listeners_see_a_gap(make_transport, spawn_listener, caplog):
    listener = await spawn_listener()
    publisher = make_transport()
    execution_id = str(uuid.uuid4())
    huge = Event('status', execution_id, {'status': 'failed', 'error': 'x' * MAX_EVENT_BYTES})
    publish_all(publisher, [Event('delta', execution_id, {'text': 'a'}), huge, Event('delta', execution_id, {'text': 'b'})])
    first, gap, last = [await listener.next_line() for _ in range(3)]
    assert (first['data'], gap.get('gap'), last['data']) == ({'text': 'a'}, True, {'text': 'b'})
    assert f'status event of {execution_id} is ' in caplog.text
    assert f'over the {MAX_EVENT_BYTES} other processes are sent' in caplog.text


async def test_a_killed_listener_does_not_stall_publishers_and_its_socket_is_removed(make_transport, spawn_listener):
    killed, alive = await spawn_listener(), await spawn_listener()
    killed.kill()
    publisher = make_transport()
    events = statuses(1000)  # each sent at once, not gathered: many payloads to the dead listener
    took = publish_all(publisher, events)
    assert received(await alive.events(1000)) == as_lines(events)
    assert took < BLOCKED_SECONDS
    if isinstance(publisher, SocketTransport):
        assert not Path(killed.socket).exists()
        assert Path(alive.socket).exists()


async def test_a_listener_paused_for_a_moment_gets_everything_once_it_resumes(make_transport, spawn_listener):
    listener = await spawn_listener()
    publisher = make_transport()
    listener.process.send_signal(signal.SIGSTOP)  # as a loop busy for half a second would be
    try:
        events, took = statuses(1000), 0.0
        for start in range(0, 1000, 20):  # in 50 moments: far more datagrams than the kernel queues for one socket
            took += publish_all(publisher, events[start : start + 20])
            await asyncio.sleep(0.002)
        await eventually(lambda: publisher.counters.sent_events == 1000, 'taken by the sending thread')
        await asyncio.sleep(0.3)
    finally:
        listener.process.send_signal(signal.SIGCONT)
    assert received(await listener.events(1000)) == as_lines(events)
    assert took < BLOCKED_SECONDS
    assert publisher.counters.sent_payloads > 20
    assert (await listener.counters())['gaps'] == 0


async def test_a_listener_that_never_reads_does_not_stall_publishers(make_transport, spawn_listener, bus_settings):
    alive = await spawn_listener()
    publisher = make_transport()
    with never_reading_listener(publisher, bus_settings):
        events = statuses(1000)
        took = publish_all(publisher, events)
        assert received(await alive.events(1000)) == as_lines(events)
    assert took < BLOCKED_SECONDS
    assert publisher.counters.lost_events == 0


@contextmanager
def never_reading_listener(transport, settings: Settings) -> Iterator[None]:
    """A listener that subscribed and then reads nothing: a bound socket, or a LISTEN connection."""
    if isinstance(transport, SocketTransport):
        link = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        link.bind(transport.address('1-stuck.sock'))
    else:
        link = psycopg.connect(sa.make_url(settings.database_url).set(drivername='postgresql').render_as_string(False))
        link.execute('LISTEN hypersigil_events')
        link.commit()
    try:
        yield
    finally:
        link.close()


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)
async def test_links_that_drop_are_reopened_and_the_listener_told_of_the_gap(make_transport, spawn_listener, bus_settings):
    listener = await spawn_listener()
    publisher = make_transport()
    before, after = statuses(3), statuses(3)
    publish_all(publisher, before)
    assert received(await listener.events(3)) == as_lines(before)
    terminate_bus_connections(bus_settings)  # both ends: the listener's and the publisher's
    assert (await listener.next_line()).get('gap') is True
    publish_all(publisher, after)
    assert received(await listener.events(3)) == as_lines(after)
    assert publisher.counters.lost_events == 0  # the publisher reopened its link and sent again


def terminate_bus_connections(settings: Settings) -> None:
    engine = sa.create_engine(settings.database_url)
    with engine.begin() as connection:
        ended = connection.execute(
            sa.text(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                "WHERE datname = current_database() AND application_name LIKE 'hypersigil bus %'"
            )
        ).all()
    engine.dispose()
    assert len(ended) == 2


async def test_publishing_to_an_unreachable_database_drops_and_logs_statuses(caplog):
    with socket.socket() as closed:
        closed.bind(('127.0.0.1', 0))
        port = closed.getsockname()[1]  # nothing listens there once closed
    publisher = PostgresTransport(f'postgresql://postgres@127.0.0.1:{port}/nowhere')
    events = [Event('delta', 'e1', {'text': 'a'}), *statuses(3)]
    with caplog.at_level(logging.WARNING, logger='core.bus'):
        took = publish_all(publisher, events)
        await eventually(lambda: publisher.counters.lost_events == 4, 'lost')
    await publisher.close()
    assert took < BLOCKED_SECONDS
    assert 'not sent to other processes (OperationalError: connection failed' in caplog.text
    for event in events[1:]:  # each status said, the deltas counted
        assert f'status event of {event.execution_id} not sent to other processes (' in caplog.text
    assert '1 deltas not sent' in caplog.text


async def test_publishing_while_the_database_does_not_answer_never_waits(caplog):
    with socket.socket() as silent:  # accepts connections (the kernel does) and never says a word
        silent.bind(('127.0.0.1', 0))
        silent.listen(16)
        publisher = PostgresTransport(f'postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/x', capacity=100)
        events = statuses(1000)
        with caplog.at_level(logging.WARNING, logger='core.bus'):
            took = publish_all(publisher, events)
        assert took < BLOCKED_SECONDS
        assert publisher.counters.lost_events >= 890  # the sending thread waits on the database with the first few
        assert f'status event of {events[-1].execution_id} not sent to other processes (the send queue is full)' in caplog.text
        await publisher.close()


@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)
async def test_the_sockets_directory_is_private(make_transport, bus_settings):
    directory = bus_settings.data_dir / 'bus'
    directory.mkdir(parents=True, mode=0o755)
    directory.chmod(0o755)
    await make_transport().listen(lambda event: None)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700

"""The event bus across processes: events/s and delivery latency of each transport beside the in-process bus.

`python -m bench.bus [--events 20000] [--samples 500] [--database-url URL]` measures, in this one run:
  in-process: core.events.EventBus, publisher and subscriber on one loop (the baseline: no process boundary);
  sockets:    Unix datagram sockets under a temporary data dir (the SQLite set-up), to a listener process;
  postgresql: LISTEN/NOTIFY, to a listener process (a throwaway database on --database-url's server, default
              HYPERSIGIL_TEST_POSTGRES_URL or postgres@127.0.0.1:5432; left out when none is reachable).
For each: a burst of --events deltas published as fast as the bus takes them (100 at a time, pausing while more than
1,000 wait for the sending thread: a tight loop would only measure how soon the send queue fills): events/s until the
last arrived, the payloads they took and any event lost; --samples status events one every 2 ms (latency from publish
to the listener's callback: sent at once); --samples deltas one per ms, as a fast token stream (latency including the
gathering window). The listener process imports only the bus: a process with a large heap (the web process) also
pauses for its garbage collector while events arrive. Figures vary with the machine's load: run it on a quiet one.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa

from core.bus.factory import transport_for
from core.events import Event, EventBus
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get('HYPERSIGIL_TEST_POSTGRES_URL', 'postgresql+psycopg://postgres@127.0.0.1:5432/postgres')
PHASES = ('burst', 'status', 'stream')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--events', type=int, default=20_000, help='deltas in the burst')
    parser.add_argument('--samples', type=int, default=500, help='events in each latency phase')
    parser.add_argument('--database-url', help='a PostgreSQL server to create a throwaway database on')
    parser.add_argument('--listen', action='store_true', help=argparse.SUPPRESS)  # the listener process
    args = parser.parse_args(argv)
    if args.listen:
        asyncio.run(listen())
        return
    print(f'bus: {args.events} deltas in a burst, {args.samples} latency samples per phase, {os.cpu_count()} cores')
    columns = f'{"events/s":>10} {"payloads":>9} {"lost":>5}   {"status p50 / p99 ms":>19}   {"stream p50 / p99 ms":>19}'
    print(f'  {"transport":<11} {columns}')
    row('in-process', asyncio.run(measure_in_process(args)))
    with tempfile.TemporaryDirectory(prefix='hypersigil-bench-bus-') as directory:
        sqlite = Settings.from_env({'HYPERSIGIL_DATA_DIR': directory})
        row('sockets', asyncio.run(measure_across(sqlite, args)))
    with throwaway_postgres(args.database_url or POSTGRES_URL) as url:
        if url is None:
            print('  postgresql  (no PostgreSQL reachable: left out)')
        else:
            row('postgresql', asyncio.run(measure_across(Settings.from_env({'HYPERSIGIL_DATABASE_URL': url}), args)))


def row(label: str, figures: dict) -> None:
    status, stream = figures['status'], figures['stream']
    print(
        f'  {label:<11} {figures["rate"]:>10,.0f} {figures["payloads"]:>9} {figures["lost"]:>5}   '
        f'{statistics.median(status):>8.2f} / {p99(status):<7.2f}   {statistics.median(stream):>8.2f} / {p99(stream):<7.2f}'
    )


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[98]


async def measure_in_process(args) -> dict:
    bus, tally = EventBus(), Tally()
    results: dict[str, dict] = {}
    async with bus.subscribe() as subscription:

        async def consume() -> None:
            async for event in subscription:
                if (result := tally.add(event)) is not None:
                    results[result['phase']] = result

        consumer = asyncio.create_task(consume())
        figures = await drive(bus.publish, args, lambda phase: wait_for(results, phase), queued=lambda: 0)
        consumer.cancel()
    return {**figures, 'payloads': '-', 'lost': 0}


async def measure_across(settings: Settings, args) -> dict:
    listener = subprocess.Popen(
        [sys.executable, '-m', 'bench.bus', '--listen'],
        cwd=ROOT,
        env={**os.environ, 'HYPERSIGIL_DATA_DIR': str(settings.data_dir), 'HYPERSIGIL_DATABASE_URL': settings.database_url},
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert json.loads(await asyncio.to_thread(listener.stdout.readline)) == {'ready': True}
        transport = transport_for(settings)
        figures = await drive(transport.publish, args, lambda _phase: read_result(listener), queued=lambda: transport.queued)
        await transport.close()
        return {**figures, 'payloads': transport.counters.sent_payloads, 'lost': transport.counters.lost_events}
    finally:
        listener.stdin.close()
        listener.wait(10)


async def drive(publish: Callable[[Event], None], args, result: Callable, *, queued: Callable[[], int]) -> dict:
    """Publish the three phases as a worker would (from its loop); each ends with a marker the listener answers."""
    started = time.monotonic()
    burst = str(uuid.uuid4())
    for n in range(args.events):
        publish(Event('delta', burst, {'text': ' token'}))
        if n % 100 == 99:
            await asyncio.sleep(0)
            while queued() > 1000:
                await asyncio.sleep(0.0002)
    publish(Event('status', burst, {'end': 'burst'}))
    rate = args.events / ((await result('burst'))['last'] - started)
    for kind, phase, pause in (('status', 'status', 0.002), ('delta', 'stream', 0.001)):
        execution = str(uuid.uuid4())
        for _ in range(args.samples):
            publish(Event(kind, execution, {'text': ' token', 'sent': time.monotonic()}))
            await asyncio.sleep(pause)
        publish(Event('status', execution, {'end': phase}))
    latencies = {phase: (await result(phase))['latencies'] for phase in ('status', 'stream')}
    return {'rate': rate, **latencies}


class Tally:
    """The listener's side: counts each phase's events and their latencies; a marker ends a phase."""

    def __init__(self) -> None:
        self.count = 0
        self.latencies: list[float] = []

    def add(self, event: Event) -> dict | None:
        now = time.monotonic()
        if 'end' in event.data:
            result = {'phase': event.data['end'], 'count': self.count, 'last': now, 'latencies': self.latencies}
            self.count, self.latencies = 0, []
            return result
        self.count += 1
        if 'sent' in event.data:
            self.latencies.append((now - event.data['sent']) * 1000)
        return None


async def wait_for(results: dict, phase: str) -> dict:
    while phase not in results:
        await asyncio.sleep(0.001)
    return results.pop(phase)


async def read_result(listener: subprocess.Popen) -> dict:
    return json.loads(await asyncio.wait_for(asyncio.to_thread(listener.stdout.readline), 60))


async def listen() -> None:
    """The listener process: answers each phase's marker with a line of JSON."""
    tally = Tally()

    def on_event(event: Event) -> None:
        if (result := tally.add(event)) is not None:
            sys.stdout.write(json.dumps(result) + '\n')
            sys.stdout.flush()

    transport = transport_for(Settings.from_env())
    await transport.listen(on_event)
    sys.stdout.write(json.dumps({'ready': True}) + '\n')
    sys.stdout.flush()
    await asyncio.to_thread(sys.stdin.read)  # until the benchmark closes our stdin
    await transport.close()


@contextmanager
def throwaway_postgres(server_url: str):
    """A database of its own on the server (so no one else's listeners hear us), dropped afterwards; None if unreachable."""
    name = f'hs_bench_bus_{uuid.uuid4().hex[:8]}'
    admin = sa.create_engine(server_url, isolation_level='AUTOCOMMIT', connect_args={'connect_timeout': 3})
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE {name}')
    except sa.exc.OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with suppress(sa.exc.OperationalError), admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')
        admin.dispose()


if __name__ == '__main__':
    main()

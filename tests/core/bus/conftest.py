"""Fixtures of the bus tests: transports in this process, and listeners in processes of their own."""

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path

import pytest

from core.bus.factory import transport_for
from core.bus.transport import Transport
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 20.0  # generous: a shared 2-core machine under load


class ListenerProcess:
    """A listener process started by a test, read line by line from a thread (its stdout is a pipe)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'tests.core.bus.listener_process'],
            cwd=ROOT,
            env={**os.environ, **env},
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.lines: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.socket: str | None = None

    async def ready(self) -> 'ListenerProcess':
        line = await self.next_line()
        assert 'ready' in line, line
        self.socket = line['socket']
        return self

    async def next_line(self) -> dict:
        try:
            return await asyncio.to_thread(self.lines.get, True, WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError(f'listener {self.process.pid} said nothing for {WAIT_SECONDS} s') from None

    async def events(self, count: int) -> list[dict]:
        """The next `count` events (gaps are kept out: a test that expects one reads lines itself)."""
        events: list[dict] = []
        while len(events) < count:
            line = await self.next_line()
            assert 'kind' in line, f'expected an event, got {line}'
            events.append(line)
        return events

    async def counters(self) -> dict:
        self.process.stdin.write('counters\n')
        self.process.stdin.flush()
        while 'counters' not in (line := await self.next_line()):
            pass
        return line['counters']

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT_SECONDS)

    def stop(self) -> None:
        with suppress(BrokenPipeError, OSError):
            self.process.stdin.close()
        try:
            self.process.wait(WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(json.loads(line))


@pytest.fixture
def bus_settings(database_url: str, tmp_path: Path) -> Settings:
    """The settings every process of a test shares: one database (so one transport) and one data dir."""
    return Settings.from_env({'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data'), 'HYPERSIGIL_DATABASE_URL': database_url})


@pytest.fixture
async def make_transport(bus_settings: Settings):
    """Transports in this process, as another process would have them (closed at the end)."""
    made: list[Transport] = []

    def make(**options) -> Transport:
        made.append(transport_for(bus_settings, **options))
        return made[-1]

    yield make
    for transport in made:
        await transport.close()


@pytest.fixture
async def spawn_listener(bus_settings: Settings):
    """Start a listener process on the test's database and data dir; returns once it listens."""
    started: list[ListenerProcess] = []

    async def spawn() -> ListenerProcess:
        env = {'HYPERSIGIL_DATA_DIR': str(bus_settings.data_dir), 'HYPERSIGIL_DATABASE_URL': bus_settings.database_url}
        started.append(ListenerProcess(env))
        return await started[-1].ready()

    yield spawn
    for listener in started:
        listener.stop()

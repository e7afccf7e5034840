"""PostgreSQL LISTEN/NOTIFY as the bus's transport: every process on one database hears the others' events.

Sending: the sending thread holds its own connection (autocommit) and sends each flush's payloads in one pipelined
round trip, one notification each (NOTIFY takes under 8000 bytes), so they commit, and arrive, in order. A link the
server closed is reopened once at once; a link that cannot be opened is tried again a second later, and what is
published meanwhile is dropped (statuses logged). Listening: an async connection on the loop; when it drops, it is
reopened with backoff (0.1 s to 5 s), and on_gap tells the listener that what was sent meanwhile never reached it.
"""

import asyncio
import logging
import time

import psycopg

from core.bus.transport import Deliver, OnGap, Transport

log = logging.getLogger(__name__)
CHANNEL = 'hypersigil_events'
PAYLOAD_LIMIT = 7999  # NOTIFY refuses a payload of 8000 bytes or more
NOTIFY = 'SELECT pg_notify(%s, %s)'
LINK = {'connect_timeout': 5, 'keepalives': 1, 'keepalives_idle': 10, 'keepalives_interval': 5, 'keepalives_count': 3}
SENDER_OPTIONS = '-c synchronous_commit=off'  # a notification is not worth waiting for the WAL's flush to disk
RETRY_SECONDS = 1.0
RECONNECT_SECONDS = (0.1, 5.0)  # the listener's first and longest wait before reconnecting


class LinkDown(ConnectionError):
    """The sending link failed lately; it is tried again after RETRY_SECONDS."""


class PostgresTransport(Transport):
    payload_limit = PAYLOAD_LIMIT

    def __init__(self, conninfo: str, **options) -> None:
        super().__init__(**options)
        self._conninfo = conninfo
        self._connection: psycopg.Connection | None = None  # the sending thread's
        self._down_until = 0.0
        self._listener: asyncio.Task | None = None

    async def listen(self, deliver: Deliver, *, on_gap: OnGap | None = None) -> None:
        first_attempt = asyncio.get_running_loop().create_future()
        self._listener = asyncio.create_task(self._listen(deliver, on_gap, first_attempt), name='bus-listener')
        await first_attempt

    async def _listen(self, deliver: Deliver, on_gap: OnGap | None, first_attempt: asyncio.Future) -> None:
        delay = RECONNECT_SECONDS[0]
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name='hypersigil bus listener', **LINK
                ) as connection:
                    await connection.execute(f'LISTEN {CHANNEL}')
                    if first_attempt.done():
                        self._missed(on_gap)  # whatever was sent while we were not listening never reaches us
                    _settle(first_attempt)
                    delay = RECONNECT_SECONDS[0]
                    async for notification in connection.notifies():
                        received = self._read(notification.payload)
                        if received is not None:
                            self._hand_over(received, deliver, on_gap)
            except (psycopg.Error, OSError) as error:
                log.warning('bus: listening on PostgreSQL failed (%s); trying again in %.1f s', error, delay)
            _settle(first_attempt)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_SECONDS[1])

    async def _stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None

    def _send(self, payloads: list[str]) -> bool:
        if not payloads:
            return False
        reused = self._connection is not None
        try:
            self._notify(payloads)
        except psycopg.OperationalError:
            self._release()
            if not reused:
                self._down_until = time.monotonic() + RETRY_SECONDS
                raise
            self._notify_again(payloads)  # the server may have closed a link that sat idle; once more on a new one
        return False

    def _notify_again(self, payloads: list[str]) -> None:
        try:
            self._notify(payloads)
        except psycopg.OperationalError:
            self._release()
            self._down_until = time.monotonic() + RETRY_SECONDS
            raise

    def _notify(self, payloads: list[str]) -> None:
        if self._connection is None:
            if time.monotonic() < self._down_until:
                raise LinkDown('PostgreSQL was unreachable a moment ago')
            self._connection = psycopg.connect(
                self._conninfo, autocommit=True, application_name='hypersigil bus sender', options=SENDER_OPTIONS, **LINK
            )
        with self._connection.cursor() as cursor:
            cursor.executemany(NOTIFY, [(CHANNEL, payload) for payload in payloads])

    def _release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _settle(first_attempt: asyncio.Future) -> None:
    if not first_attempt.done():
        first_attempt.set_result(None)

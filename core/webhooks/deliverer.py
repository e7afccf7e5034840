"""The delivery loop: claims due deliveries, sends each signed (several at once), records what happened.

It runs beside the execution worker (in the web process and in `python main.py worker`). It wakes when an execution
finishes or a delivery is queued ('status' and 'webhook' events on the bus, which crosses processes), and polls every
`poll_seconds` for retries that came due. Each round is one transaction that records the attempts made since the last
and claims what the free slots take (on SQLite a write transaction per attempt would contend with the worker's for the
one write lock). Database work runs on a thread of its own; only the HTTP calls use the loop.
"""

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, suppress

from core.app import Core
from core.events import Event, Subscription
from core.webhooks import delivery_queue
from core.webhooks.attempts import Attempt, send
from core.webhooks.delivery_queue import DeliveryClaim
from core.webhooks.signing import signature_headers
from data.tables import FINISHED

log = logging.getLogger(__name__)
WAKE_KINDS = frozenset({'status', 'webhook'})
CONCURRENCY = 100  # attempts in flight per process: a slow receiver holds one each, and leaves the others plenty


def wake_deliverers(core: Core, delivery_id: str) -> None:
    """Tell every process's deliverer that a delivery is queued (after its commit)."""
    try:
        core.bus.publish(Event('webhook', delivery_id, {}))
    except Exception:  # the next poll finds it anyway
        log.exception('could not announce webhook delivery %s', delivery_id)


class Deliverer:
    def __init__(self, core: Core, *, concurrency: int = CONCURRENCY, poll_seconds: float = 1.0) -> None:
        self.core = core
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self._in_flight: dict[str, tuple[DeliveryClaim, asyncio.Task]] = {}
        self._outcomes: list[tuple[DeliveryClaim, Attempt]] = []  # attempts made, for the next round to record
        self._wake = asyncio.Event()
        self._stopping = False
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix='hypersigil-webhooks')
        self._stack = AsyncExitStack()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        subscription = await self._stack.enter_async_context(self.core.bus.subscribe(kinds=WAKE_KINDS))
        self._tasks = [
            asyncio.create_task(self._loop(), name='webhook deliveries'),
            asyncio.create_task(self._listen(subscription), name='webhook wake-ups'),
            asyncio.create_task(self._heartbeat(), name='webhook leases'),
        ]

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Claim nothing more; attempts in flight get `grace_seconds` (then their leases expire and another process
        takes them); the attempts made are recorded."""
        if self._stopping:
            return
        self._stopping = True
        self._wake.set()
        tasks = [task for _, task in self._in_flight.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._wake.set()
        await asyncio.gather(self._tasks[0], return_exceptions=True)  # its last round records the attempts made
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._stack.aclose()
        await asyncio.to_thread(self._db_thread.shutdown, cancel_futures=True)

    async def _loop(self) -> None:
        while True:
            with suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            last = self._stopping and not self._in_flight  # stopping: one more round once no attempt is in flight
            try:
                await self._round()
            except Exception:  # a database hiccup must not end deliveries: the next round tries again
                log.exception('webhook deliveries: a round failed')
                if last:
                    return
                await asyncio.sleep(0.5)
            if last:
                return

    async def _round(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        free = 0 if self._stopping else self.concurrency - len(self._in_flight)
        if not outcomes and free <= 0:
            return
        settings = self.core.settings
        try:
            landed, claims = await self._on_db_thread(
                delivery_queue.exchange, self.core.db, outcomes, free,
                lease_seconds=settings.lease_seconds, schedule=settings.webhook_retry_seconds,
            )  # fmt: skip
        except Exception:
            self._outcomes[:0] = outcomes  # recorded by the next round (their leases are still renewed meanwhile)
            raise
        for claim, _ in outcomes:
            if claim.id not in landed:
                log.info('webhook delivery %s was taken over; its attempt is not recorded', claim.id)
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim), name=f'webhook delivery {claim.id}')
            self._in_flight[claim.id] = (claim, task)
        if claims and len(claims) == free:
            self._wake.set()  # there may be more: take them as slots free up

    async def _deliver(self, claim: DeliveryClaim) -> None:
        try:
            secrets = [self.core.box.decrypt(secret) for secret in claim.secrets]
            body = claim.body.encode()
            headers = signature_headers(message_id=claim.message_id, body=body, secrets=[s for s in secrets if s])
            attempt = await send(claim.url, body, headers, allow_private=self.core.settings.webhook_allow_private)
            self._outcomes.append((claim, attempt))
        except Exception:  # its lease expires and another round tries again
            log.exception('webhook delivery %s: the attempt could not be made', claim.id)
        finally:
            self._in_flight.pop(claim.id, None)
            self._wake.set()

    async def _listen(self, subscription: Subscription) -> None:
        async for event in subscription:
            if event.kind == 'webhook' or event.data.get('status') in FINISHED:
                self._wake.set()

    async def _heartbeat(self) -> None:
        """Renew the leases of attempts in flight, so a short lease never lets a second process send the same one."""
        lease = self.core.settings.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            claims = [claim for claim, _ in self._in_flight.values()] + [claim for claim, _ in self._outcomes]
            tokens = {claim.lease_token for claim in claims}
            if not tokens:
                continue
            try:
                await self._on_db_thread(delivery_queue.renew_leases, self.core.db, tokens, lease_seconds=lease)
            except Exception:
                log.exception('webhook deliveries: could not renew leases')

    async def _on_db_thread(self, function, /, *args, **kwargs):
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, call)

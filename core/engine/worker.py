"""The worker: claims executions as slots free up, runs them concurrently per provider, and keeps their leases alive.

Wake-up: a 'created' event on the in-process bus (or, on PostgreSQL, a notification from any process) starts new work
at once; a slow poll (`poll_seconds`) finds rows the notifications missed and recovers expired leases.
Each round writes the outcomes that finished since the last one and claims what fits in the free slots, in one
transaction; a slot frees when its provider call ends, so the next execution never waits for the previous one's write.
Under load a worker also claims a little ahead: as many executions as its slots will free in the next `AHEAD_SECONDS` at
the recent rate, so a freed slot starts the next call at once instead of after a database round. An execution claimed
ahead is `running` in the table that much early (tens of milliseconds); when calls are slow, nothing is claimed ahead.
"""

import asyncio
import functools
import logging
import os
import signal
import socket
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

from core.app import Core, build_core
from core.engine import notify, queue
from core.engine.backoff import Backoff
from core.engine.call import LeaseLost, call_provider
from core.engine.queue import Claim, Outcome
from core.events import Event, Subscription
from core.files import load_file
from core.providers.base import FileInput
from core.settings import PROVIDERS, Settings
from data.db import is_sqlite
from data.tables import ExecutionStatus, new_id

__all__ = ['Timing', 'Worker', 'run_worker']
log = logging.getLogger(__name__)
AHEAD_SECONDS = 0.05  # claim ahead what the slots take in this time at the recent rate
RATE_WINDOW_SECONDS = 1.0  # the recent rate: slots freed in this window
GATHER_SECONDS = 0.01  # while executions claimed ahead wait, a round waits this long to write and claim more at once


@dataclass
class Timing:
    """perf_counter marks of one run (benchmarks read these to measure the engine's own overhead)."""

    execution_id: str
    claimed: float
    call_started: float = 0.0
    call_ended: float = 0.0
    recorded: float = 0.0


@dataclass
class Run:
    claim: Claim
    timing: Timing
    task: asyncio.Task | None = None
    holds_slot: bool = True  # until its provider call ends
    finishing: bool = False  # handed to the recorder: too late to cancel


class Worker:
    def __init__(
        self,
        core: Core,
        *,
        name: str | None = None,
        backoff: Backoff | None = None,
        poll_seconds: float = 1.0,
        ahead_seconds: float = AHEAD_SECONDS,
        record_timings: bool = False,
    ) -> None:
        self.core = core
        self.name = name or f'{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}'
        self.backoff = backoff or Backoff()
        self.poll_seconds = poll_seconds
        self.ahead_seconds = ahead_seconds
        self.timings: list[Timing] | None = [] if record_timings else None
        self._runs: dict[str, Run] = {}
        self._running: Counter[str] = Counter()  # provider calls in flight per provider
        self._ready: dict[str, deque[Claim]] = {provider: deque() for provider in PROVIDERS}  # claimed ahead
        self._frees: dict[str, deque[float]] = {provider: deque() for provider in PROVIDERS}  # when slots freed (recent)
        self._maybe_work: set[str] = set(PROVIDERS)  # providers that may have pending rows
        self._finished: list[tuple[Claim, Outcome, asyncio.Future[bool]]] = []  # outcomes for the next round
        self._wake = asyncio.Event()
        self._stopping = False  # no more claims
        self._closing = False  # the dispatcher ends once the last outcomes are written
        # SQLite statements take tens of microseconds: run inline (under load a thread hop costs milliseconds,
        # waiting for the GIL); PostgreSQL ones wait on the network: give them a thread
        sqlite = is_sqlite(core.db)
        self._db_thread = None if sqlite else ThreadPoolExecutor(max_workers=1, thread_name_prefix='hypersigil-db')
        self._stack = AsyncExitStack()
        self._dispatcher: asyncio.Task | None = None
        self._helpers: list[asyncio.Task] = []

    async def start(self) -> None:
        """Recover expired leases, then run until stop()."""
        await asyncio.to_thread(self.core.registry.load_adapters)  # seconds of SDK imports, not on the first run
        subscription = await self._stack.enter_async_context(self.core.bus.subscribe(kinds=frozenset({'created', 'status'})))
        await self._recover()
        self._wake.set()  # a first round at once: rows may have waited while no worker ran
        self._dispatcher = asyncio.create_task(self._dispatch(), name=f'{self.name} dispatch')
        self._helpers = [
            asyncio.create_task(self._listen(subscription), name=f'{self.name} listen'),
            asyncio.create_task(self._heartbeat(), name=f'{self.name} heartbeat'),
        ]
        if not is_sqlite(self.core.db):
            listening = notify.listen(self.core.db, on_created=self._created, on_cancelled=self._abandon)
            self._helpers.append(asyncio.create_task(listening, name=f'{self.name} notifications'))
        log.info('worker %s started', self.name)

    async def stop(self, *, grace: float = 10.0) -> None:
        """Claim nothing more, let runs in flight finish for `grace` seconds, and hand the rest back to the queue."""
        if self._stopping or self._dispatcher is None:
            return
        self._stopping = True
        await self._hand_back(self._take_ready())  # not started: another worker may have them now
        runs = list(self._runs.values())
        if runs:
            await asyncio.wait([run.task for run in runs], timeout=grace)
        unfinished = [run for run in runs if not run.task.done() and not run.finishing]
        for run in unfinished:
            run.task.cancel()
        await asyncio.gather(*(run.task for run in unfinished), return_exceptions=True)
        if unfinished:
            await self._hand_back([run.claim for run in unfinished])
        self._closing = True  # the dispatcher writes the outcomes still waiting, then ends
        self._wake.set()
        await asyncio.gather(self._dispatcher, return_exceptions=True)
        await self._hand_back(self._take_ready())  # claimed by a round that was under way
        await asyncio.gather(*(run.task for run in runs), return_exceptions=True)
        for task in self._helpers:
            task.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        await self._stack.aclose()
        if self._db_thread is not None:
            self._db_thread.shutdown(wait=True)
        log.info('worker %s stopped', self.name)

    async def _hand_back(self, claims: list[Claim]) -> None:
        if not claims:
            return
        try:
            released = await self._db(queue.release_executions, claims)
        except Exception:  # their leases expire instead, and another worker recovers them
            log.exception('worker %s could not hand back %d executions', self.name, len(claims))
            return
        for execution_id in released:
            self._publish(execution_id, ExecutionStatus.PENDING)

    # -- rounds: write what finished, claim what fits --

    async def _dispatch(self) -> None:
        last_poll = time.monotonic()
        while not (self._closing and not self._finished):
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, last_poll + self.poll_seconds - time.monotonic())):
                    await self._wake.wait()
            if any(self._ready.values()) and not self._closing:
                await asyncio.sleep(GATHER_SECONDS)  # busy, and the slots have work: let a round gather more
            self._wake.clear()
            try:
                if not self._stopping and time.monotonic() - last_poll >= self.poll_seconds:
                    last_poll = time.monotonic()
                    await self._recover()
                    self._maybe_work.update(PROVIDERS)
                await self._round()
            except Exception as error:  # a database hiccup must not end the worker: the next round tries again
                log.exception('worker %s: a round failed', self.name)
                if self._closing:
                    self._fail_outcomes(error)
                    return
                await asyncio.sleep(0.5)

    async def _round(self) -> None:
        finished, self._finished = self._finished, []
        wanted = {} if self._stopping else self._wanted()
        if not finished and not wanted:
            return
        try:
            landed, claims = await self._db(
                queue.exchange, [(c, o) for c, o, _ in finished], wanted, lease_seconds=self.core.settings.lease_seconds
            )
        except Exception:
            self._finished[:0] = finished
            self._maybe_work.update(wanted)
            raise
        for claim, _, future in finished:
            if not future.done():
                future.set_result(claim.id in landed)
        taken = Counter(claim.provider for claim in claims)
        self._maybe_work.update(provider for provider, limit in wanted.items() if taken[provider] == limit)
        for claim in claims:
            if self._stopping or self._running[claim.provider] >= self.core.settings.concurrency(claim.provider):
                self._ready[claim.provider].append(claim)
            else:
                self._start(claim)

    def _wanted(self) -> dict[str, int]:
        """Free slots (plus what to claim ahead) of the providers that may have work; they are marked as not (the
        claim tells, and an event arriving meanwhile marks them again)."""
        wanted = {}
        for provider in PROVIDERS:
            limit = self.core.settings.concurrency(provider)
            free = limit - self._running[provider] - len(self._ready[provider]) + self._ahead(provider, limit)
            if provider in self._maybe_work and free > 0:
                wanted[provider] = free
                self._maybe_work.discard(provider)
        return wanted

    def _ahead(self, provider: str, limit: int) -> int:
        """How many slots of `provider` will free within `ahead_seconds`, at the rate of the last RATE_WINDOW_SECONDS."""
        frees = self._frees[provider]
        horizon = time.monotonic() - RATE_WINDOW_SECONDS
        while frees and frees[0] < horizon:
            frees.popleft()
        return min(limit, int(len(frees) / RATE_WINDOW_SECONDS * self.ahead_seconds))

    def _take_ready(self) -> list[Claim]:
        claims = [claim for ready in self._ready.values() for claim in ready]
        for ready in self._ready.values():
            ready.clear()
        return claims

    async def _record(self, claim: Claim, outcome: Outcome) -> bool:
        """Hand the outcome to the next round; True once written, False when the lease was no longer ours."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._finished.append((claim, outcome, future))
        self._wake.set()
        return await future

    def _fail_outcomes(self, error: Exception) -> None:
        for _, _, future in self._finished:
            if not future.done():
                future.set_exception(error)
        self._finished = []

    async def _recover(self) -> None:
        recovered = await self._db(queue.requeue_expired, max_attempts=self.core.settings.max_attempts)
        for execution_id, status in recovered.items():
            log.warning('execution %s lost its lease; now %s', execution_id, status)
            self._publish(execution_id, status)

    # -- running --

    def _start(self, claim: Claim) -> None:
        log.debug('worker %s claimed %s (attempt %d)', self.name, claim.id, claim.attempts)
        run = Run(claim, Timing(claim.id, claimed=time.perf_counter()))
        self._runs[claim.id] = run
        self._running[claim.provider] += 1
        run.task = asyncio.create_task(self._run(run), name=f'execution {claim.id}')
        self._publish(claim.id, ExecutionStatus.RUNNING, attempts=claim.attempts)

    async def _run(self, run: Run) -> None:
        claim, timing = run.claim, run.timing
        try:
            outcome = await self._outcome(claim, timing)
            run.finishing = True
            self._free_slot(run)  # the next execution need not wait for this outcome's write
            if await self._record(claim, outcome):
                timing.recorded = time.perf_counter()
                self._publish(claim.id, outcome.status, attempts=outcome.attempts, error=outcome.error)
            else:
                log.info('execution %s was cancelled or taken over; its outcome is dropped', claim.id)
        except LeaseLost:
            log.info('execution %s was cancelled or taken over while retrying', claim.id)
        except Exception:
            log.exception('worker %s failed to finish execution %s; its lease will expire', self.name, claim.id)
        finally:
            self._runs.pop(claim.id, None)
            self._free_slot(run)
            if self.timings is not None and timing.recorded:
                self.timings.append(timing)

    def _free_slot(self, run: Run) -> None:
        if run.holds_slot:
            run.holds_slot = False
            provider = run.claim.provider
            self._running[provider] -= 1
            self._frees[provider].append(time.monotonic())
            if self._ready[provider] and not self._stopping:
                self._start(self._ready[provider].popleft())  # claimed ahead for this moment
            if provider in self._maybe_work:
                self._wake.set()

    async def _outcome(self, claim: Claim, timing: Timing) -> Outcome:
        file = None
        if claim.file_id:
            found = await asyncio.to_thread(load_file, self.core, claim.file_id)  # up to megabytes: off the loop
            if found is None:
                return Outcome(ExecutionStatus.FAILED, claim.attempts, error='the file this execution was given has been deleted')
            view, data = found
            file = FileInput(filename=view.filename, content_type=view.content_type, data=data)
        timing.call_started = time.perf_counter()
        outcome = await call_provider(
            self.core,
            claim,
            file=file,
            backoff=self.backoff,
            on_delta=lambda text: self.core.bus.publish(Event('delta', claim.id, {'text': text})),
            on_retry=functools.partial(self._retrying, claim),
        )
        timing.call_ended = time.perf_counter()
        return outcome

    async def _retrying(self, claim: Claim, attempts: int, error: str) -> bool:
        if not await self._db(queue.record_retry, claim, attempts=attempts, error=error):
            return False
        # 'retrying' tells listeners that the deltas streamed so far were from an attempt that failed
        self._publish(claim.id, ExecutionStatus.RUNNING, attempts=attempts, error=error, retrying=True)
        return True

    # -- staying in touch --

    async def _listen(self, subscription: Subscription) -> None:
        async for event in subscription:
            if event.kind == 'created':
                self._created(event.data.get('provider'))
            elif event.kind == 'status' and event.data.get('status') == ExecutionStatus.CANCELLED:
                self._abandon(event.execution_id)

    async def _heartbeat(self) -> None:
        """Renew our leases; a run whose row is no longer ours (cancelled elsewhere, or taken over) is stopped."""
        interval = self.core.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            claims = [run.claim for run in self._runs.values()] + [c for ready in self._ready.values() for c in ready]
            if not claims:
                continue
            try:
                tokens = {claim.lease_token for claim in claims}
                held = await self._db(queue.renew_leases, tokens, lease_seconds=self.core.settings.lease_seconds)
            except Exception:
                log.exception('worker %s could not renew its leases', self.name)
                continue
            for execution_id in {claim.id for claim in claims} - held:
                self._abandon(execution_id)

    def _created(self, provider: str | None) -> None:
        self._maybe_work.update([provider] if provider in PROVIDERS else PROVIDERS)
        self._wake.set()

    def _abandon(self, execution_id: str) -> None:
        for ready in self._ready.values():
            for claim in ready:
                if claim.id == execution_id:
                    ready.remove(claim)  # not started: dropping it is all there is to do
                    return
        run = self._runs.get(execution_id)
        if run is not None and not run.finishing and run.task is not None:
            log.info('worker %s stops execution %s: cancelled or taken over', self.name, execution_id)
            run.task.cancel()

    # -- helpers --

    async def _db(self, function, *args, **kwargs):
        """Run a short database function: inline on SQLite, on the worker's database thread otherwise."""
        if self._db_thread is None:
            return function(self.core.db, *args, **kwargs)
        call = functools.partial(function, self.core.db, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, call)

    def _publish(self, execution_id: str, status: str, **data) -> None:
        data = {key: value for key, value in data.items() if value is not None}
        self.core.bus.publish(Event('status', execution_id, {'status': status, **data}))


def run_worker(settings: Settings) -> None:
    """`python main.py worker`: run a worker until SIGTERM or Ctrl-C, then stop gracefully."""
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    core = build_core(settings)
    try:
        with event_loop_runner() as runner:
            runner.run(_serve(core))
    finally:
        core.db.dispose()


def event_loop_runner() -> asyncio.Runner:
    """uvloop when installed (as uvicorn picks for the web process): the SDKs' streaming costs less CPU on it."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


async def _serve(core: Core) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    worker = Worker(core)
    await worker.start()
    await stop.wait()
    await worker.stop()
    await core.registry.aclose()

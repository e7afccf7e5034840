"""The worker: claims executions as slots free up, runs them concurrently per provider, and keeps their leases alive.

Wake-up: a 'created' event on the bus (from any process once the bus is connected; on PostgreSQL also a notification
from the table's triggers) starts new work
at once; a slow poll (`poll_seconds`) finds rows the notifications missed and recovers expired leases.
Each round writes the outcomes that finished since the last one and claims what fits in the free slots (core.engine.slots
decides how many), in one transaction; a slot frees when its provider call ends, so the next execution never waits for
the previous one's write. Every database statement runs on the worker's own database thread, never on its event loop:
a lock held by another process (SQLite waits up to 30 s for one) must not stop the calls, heartbeats and cancels there.
"""

import asyncio
import functools
import logging
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass

from core.app import Core
from core.engine import notify, queue
from core.engine.attempts import Attempt
from core.engine.backoff import Backoff
from core.engine.call import LeaseLost, call_provider, failed_at_once, find_adapter
from core.engine.queue import Claim, Outcome
from core.engine.slots import Slots
from core.errors import DomainError
from core.events import GAP, Event, Subscription
from core.files import load_file
from core.providers.base import FileInput, ProviderAdapter
from core.rollouts import evaluation as rollouts
from core.settings import PROVIDERS
from core.webhooks.outbox import enqueue_executions
from data.db import is_sqlite
from data.tables import ExecutionStatus, new_id

log = logging.getLogger(__name__)
AHEAD_SECONDS = 0.05  # claim ahead what the slots take in this time at the recent rate
ABANDONED_KEPT = 1024  # cancels remembered for claims still on their way from the database
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
        grace_seconds: float = 10.0,
        record_timings: bool = False,
    ) -> None:
        self.core = core
        self.name = name or f'{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}'
        self.backoff = backoff or Backoff()
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self.timings: list[Timing] | None = [] if record_timings else None
        self._slots = Slots({p: core.settings.concurrency(p) for p in PROVIDERS}, ahead_seconds=ahead_seconds)
        self._runs: dict[str, Run] = {}
        self._finished: list[tuple[Claim, Outcome, asyncio.Future[bool]]] = []  # outcomes for the next round
        self._adapters: dict[str, ProviderAdapter | DomainError] = {}  # looked up by the rounds, on the database thread
        self._rollouts = rollouts.Pacing()  # used on the database thread only
        # cancelled while a round that claimed them was still on its way back from the database thread: never started
        self._abandoned: dict[str, None] = {}
        self._wake = asyncio.Event()
        self._closing = False  # the dispatcher ends once the last outcomes are written
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix='hypersigil-db')
        self._stack = AsyncExitStack()
        self._dispatcher: asyncio.Task | None = None
        self._helpers: list[asyncio.Task] = []

    async def start(self) -> None:
        """Recover expired leases, then run until stop()."""
        await asyncio.to_thread(self.core.registry.load_adapters)  # seconds of SDK imports, not on the first run
        # the worker's own 'running' and 'completed' events arrive here too: the bus filters by kind, not by status
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

    async def stop(self) -> None:
        """Claim nothing more, let runs in flight finish for `grace_seconds`, and hand the rest back to the queue."""
        if self._slots.closed or self._dispatcher is None:
            return
        await self._hand_back(self._slots.close())  # not started: another worker may have them now
        runs = list(self._runs.values())
        if runs:
            await asyncio.wait([run.task for run in runs], timeout=self.grace_seconds)
        unfinished = [run for run in runs if not run.task.done() and not run.finishing]
        for run in unfinished:
            run.task.cancel()
        await asyncio.gather(*(run.task for run in unfinished), return_exceptions=True)
        if unfinished:
            await self._hand_back([run.claim for run in unfinished])
        self._closing = True  # the dispatcher writes the outcomes still waiting, then ends
        self._wake.set()
        await asyncio.gather(self._dispatcher, return_exceptions=True)
        await self._hand_back(self._slots.close())  # claimed by a round that was under way
        await asyncio.gather(*(run.task for run in runs), return_exceptions=True)
        for task in self._helpers:
            task.cancel()
        await asyncio.gather(*self._helpers, return_exceptions=True)
        await self._stack.aclose()
        await asyncio.to_thread(self._db_thread.shutdown, cancel_futures=True)  # a cancelled heartbeat's statement
        log.info('worker %s stopped', self.name)

    async def _hand_back(self, claims: list[Claim]) -> None:
        if not claims:
            return
        try:
            released = await self._on_db_thread(queue.release_executions, self.core.db, claims)
        except Exception:  # their leases expire instead, and another worker recovers them
            log.exception('worker %s could not hand back %d executions', self.name, len(claims))
            return
        for execution_id in released:
            self._publish(execution_id, ExecutionStatus.PENDING)

    async def _dispatch(self) -> None:
        """Rounds, each woken by a finished call, new work or the poll, until stop() has the last outcomes written."""
        last_poll = time.monotonic()
        while not (self._closing and not self._finished):
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, last_poll + self.poll_seconds - time.monotonic())):
                    await self._wake.wait()
            if self._slots.any_waiting() and not self._closing:
                await asyncio.sleep(GATHER_SECONDS)  # busy, and the slots have work: let a round gather more
            self._wake.clear()
            try:
                if not self._slots.closed and time.monotonic() - last_poll >= self.poll_seconds:
                    last_poll = time.monotonic()
                    await self._recover()
                    await self._on_db_thread(self._evaluate_running_rollouts)
                    self._slots.mark()
                await self._round()
            except Exception as error:  # a database hiccup must not end the worker: the next round tries again
                log.exception('worker %s: a round failed', self.name)
                if self._closing:
                    self._fail_outcomes(error)
                    return
                await asyncio.sleep(0.5)

    async def _round(self) -> None:
        """Write the outcomes that finished, claim what the slots want, and start what fits."""
        finished, self._finished = self._finished, []
        wanted = self._slots.wanted(time.monotonic())
        if not finished and not wanted:
            return
        try:
            landed, claims = await self._on_db_thread(self._exchange, [(c, o) for c, o, _ in finished], wanted)
        except Exception:
            self._finished[:0] = finished
            for provider in wanted:
                self._slots.mark(provider)
            raise
        for claim, _, future in finished:
            if not future.done():
                future.set_result(claim.id in landed)
        claims = [claim for claim in claims if not self._forget_abandoned(claim.id)]
        for claim in self._slots.claimed(wanted, claims):
            self._start(claim)

    def _exchange(self, finished: list[tuple[Claim, Outcome]], wanted: dict[str, int]) -> tuple[set[str], list[Claim]]:
        """A round's database work, on the database thread: the transaction, then the adapters of the providers claimed
        (looking one up reads its credentials from the database every few seconds)."""
        lease_seconds, on_finished = self.core.settings.lease_seconds, enqueue_executions  # webhooks, in the same transaction
        landed, claims = queue.exchange(self.core.db, finished, wanted, lease_seconds=lease_seconds, on_finished=on_finished)
        # the rollouts these outcomes inform take their next step now (advance, promote, pause, roll back)
        self._rollouts.evaluate(self.core, {claim.rollout_id for claim, _ in finished if claim.rollout_id and claim.id in landed})
        for provider in {claim.provider for claim in claims}:
            try:
                self._adapters[provider] = find_adapter(self.core, provider)
            except Exception:  # the claims are taken: keep the adapter we have (if none, their runs fail and are retried)
                log.exception('worker %s could not look up the %s adapter', self.name, provider)
        return landed, claims

    def _evaluate_running_rollouts(self) -> None:
        """A stage whose minutes run out while no run finishes still ends: each running rollout, at the slow poll."""
        rollouts.evaluate(self.core, rollouts.running_rollouts(self.core))

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
        max_attempts = self.core.settings.max_attempts
        requeue = functools.partial(queue.requeue_expired, on_finished=enqueue_executions)
        recovered = await self._on_db_thread(requeue, self.core.db, max_attempts=max_attempts)
        for execution_id, status in recovered.items():
            log.warning('execution %s lost its lease; now %s', execution_id, status)
            self._publish(execution_id, status)

    def _start(self, claim: Claim) -> None:
        log.debug('worker %s claimed %s (attempt %d)', self.name, claim.id, claim.attempts)
        run = Run(claim, Timing(claim.id, claimed=time.perf_counter()))
        self._runs[claim.id] = run
        run.task = asyncio.create_task(self._run(run), name=f'execution {claim.id}')
        self._publish(claim.id, ExecutionStatus.RUNNING, attempts=claim.attempts)

    async def _run(self, run: Run) -> None:
        claim, timing = run.claim, run.timing
        try:
            outcome = await self._call_provider(claim, timing)
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
        if not run.holds_slot:
            return
        run.holds_slot = False
        provider = run.claim.provider
        following = self._slots.free(provider, time.monotonic())
        if following is not None:
            self._start(following)  # claimed ahead for this moment
        if self._slots.may_have_work(provider):
            self._wake.set()

    async def _call_provider(self, claim: Claim, timing: Timing) -> Outcome:
        file = None
        if claim.file_id:
            found = await asyncio.to_thread(load_file, self.core, claim.file_id)  # up to megabytes: not on the round's thread
            if found is None:
                return failed_at_once(claim, 'the file this execution was given has been deleted')
            view, data = found
            file = FileInput(filename=view.filename, content_type=view.content_type, data=data)
        adapter = self._adapters.get(claim.provider)
        if adapter is None:
            raise RuntimeError(f'no {claim.provider} adapter: looking it up failed')
        timing.call_started = time.perf_counter()
        outcome = await call_provider(
            self.core,
            claim,
            adapter=adapter,
            file=file,
            backoff=self.backoff,
            on_delta=lambda text: self.core.bus.publish(Event('delta', claim.id, {'text': text})),
            on_retry=functools.partial(self._retrying, claim),
        )
        timing.call_ended = time.perf_counter()
        return outcome

    async def _retrying(self, claim: Claim, failed: Attempt) -> bool:
        if not await self._on_db_thread(queue.record_retry, self.core.db, claim, failed=failed):
            return False
        # 'retrying' tells listeners that the deltas streamed so far were from an attempt that failed
        self._publish(claim.id, ExecutionStatus.RUNNING, attempts=failed.number + 1, error=failed.error, retrying=True)
        return True

    async def _listen(self, subscription: Subscription) -> None:
        async for event in subscription:
            if event.kind == 'created':
                self._created(event.data.get('provider'))
            elif event.kind == GAP:  # news from another process may be lost: look for work now, not at the next poll
                self._created(None)
            elif event.kind == 'status' and event.data.get('status') == ExecutionStatus.CANCELLED:
                self._abandon(event.execution_id)

    async def _heartbeat(self) -> None:
        """Renew our leases; a run whose row is no longer ours (cancelled elsewhere, or taken over) is stopped."""
        interval = self.core.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            claims = [run.claim for run in self._runs.values()] + self._slots.waiting()
            if not claims:
                continue
            try:
                tokens = {claim.lease_token for claim in claims}
                lease_seconds = self.core.settings.lease_seconds
                held = await self._on_db_thread(queue.renew_leases, self.core.db, tokens, lease_seconds=lease_seconds)
            except Exception:
                log.exception('worker %s could not renew its leases', self.name)
                continue
            for execution_id in {claim.id for claim in claims} - held:
                self._abandon(execution_id)

    def _created(self, provider: str | None) -> None:
        self._slots.mark(provider)
        self._wake.set()

    def _abandon(self, execution_id: str) -> None:
        if self._slots.drop(execution_id):
            return  # not started: dropping it is all there is to do
        run = self._runs.get(execution_id)
        if run is None:
            self._remember_abandoned(execution_id)
        elif not run.finishing and run.task is not None:
            log.info('worker %s stops execution %s: cancelled or taken over', self.name, execution_id)
            run.task.cancel()

    def _forget_abandoned(self, execution_id: str) -> bool:
        """True (once) when the execution was cancelled before its claim reached the slots: it must not start."""
        return self._abandoned.pop(execution_id, False) is None

    def _remember_abandoned(self, execution_id: str) -> None:
        """A cancel for an execution we do not hold (yet): a round may have claimed it and not placed it in the slots."""
        self._abandoned[execution_id] = None
        if len(self._abandoned) > ABANDONED_KEPT:
            del self._abandoned[next(iter(self._abandoned))]  # most are other workers' executions: keep the latest

    async def _on_db_thread(self, function, /, *args, **kwargs):
        """Run database work on the worker's one database thread (in order, one statement at a time), off its loop."""
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._db_thread, call)

    def _publish(self, execution_id: str, status: str, **data) -> None:
        data = {key: value for key, value in data.items() if value is not None}
        self.core.bus.publish(Event('status', execution_id, {'status': status, **data}))

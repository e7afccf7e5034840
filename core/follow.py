"""Follow executions as they run: one execution's status changes and text deltas until it ends, then its record.

Everything that watches executions (a run's `?wait`, the API's event streams, the dashboard's Try it and live views)
builds on `follow` and `watch_executions`, and none of it touches the event bus itself. The bus carries events between
processes (core.bus), so a worker in another process is followed as closely as one in this process. As a safety net,
the row is also re-read whenever a second passes without news, and at once when the bus says it may have missed some.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import sqlalchemy as sa

from core.app import Core
from core.errors import DatabaseBusy
from core.events import GAP, Event, Subscription
from core.executions import ExecutionView, get_execution, read_execution
from core.permissions import Actor
from data.tables import FINISHED, ExecutionStatus

log = logging.getLogger(__name__)
RECHECK_SECONDS = 1.0  # without news, re-read the row this often
BURST_SECONDS = 0.15  # watch_executions gathers a burst (e.g. created, then running) into one change
FOLLOWED = frozenset({'status', 'delta'})
STATUS = frozenset({'status'})
WATCHED = frozenset({'created', 'status'})


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StatusChange:
    status: ExecutionStatus
    attempts: int | None = None
    error: str | None = None
    retrying: bool = False  # the text so far came from an attempt that failed: the next attempt starts over


@dataclass(frozen=True)
class Quiet:
    """Nothing happened for `quiet_seconds` (a stream sends a keep-alive)."""


Update = TextDelta | StatusChange | Quiet | ExecutionView


async def follow(
    core: Core,
    execution_id: str,
    *,
    actor: Actor | None = None,
    queue: Callable[[], Awaitable[ExecutionView]] | None = None,
    timeout: float | None = None,
    quiet_seconds: float | None = None,
    deltas: bool = True,
) -> AsyncIterator[Update]:
    """Where the execution stands, its changes as they happen, and last its record: finished, or as it stands when
    `timeout` seconds have passed.

    The first step listens, then reads the execution as `actor` (who needs `executions:read`), or queues it with
    `queue` (which returns it as queued, and whose errors are the caller's: nothing was queued): a run followed from
    its very start misses nothing, even when a worker is quicker than its caller. `deltas=False` leaves out the text
    (a wait needs only the end).
    """
    if (actor is None) == (queue is None):
        raise TypeError('follow takes either an actor (to read the execution) or queue (to queue it)')
    deadline = None if timeout is None else time.monotonic() + timeout
    kinds = FOLLOWED if deltas else STATUS
    async with core.bus.subscribe(execution_id, kinds=kinds) as subscription:
        if queue is not None:
            execution = await queue()
        else:
            execution = await asyncio.to_thread(get_execution, core, actor, execution_id)
        if execution.id == execution_id:
            async for update in _followed(core, execution, subscription, deadline, quiet_seconds):
                yield update
            return
    # an idempotent replay: the run an earlier request queued, under its own id; read again once listening for it
    async with core.bus.subscribe(execution.id, kinds=kinds) as subscription:
        execution = await _reread(core, execution)
        async for update in _followed(core, execution, subscription, deadline, quiet_seconds):
            yield update


async def _followed(
    core: Core, execution: ExecutionView, subscription: Subscription, deadline: float | None, quiet_seconds: float | None
) -> AsyncIterator[Update]:
    """follow()'s updates once the execution has been read while `subscription` listens for it."""
    said: ExecutionStatus | None = None  # the last status told
    if not execution.finished:
        said = execution.status
        yield StatusChange(execution.status, attempts=execution.attempts)
    quiet = 0.0
    while not execution.finished:
        wait = RECHECK_SECONDS if deadline is None else min(RECHECK_SECONDS, deadline - time.monotonic())
        if wait <= 0:
            break
        event = await subscription.get(timeout=wait)
        if event is None or event.kind == GAP:  # quiet, or events were lost between processes: read the row
            if event is None:
                quiet += wait
            if quiet_seconds is not None and quiet >= quiet_seconds:
                quiet = 0.0
                yield Quiet()
            execution = await _reread(core, execution)
            if execution.status != said:  # a worker elsewhere moved it on
                said, quiet = execution.status, 0.0
                yield StatusChange(execution.status, attempts=execution.attempts, error=execution.error)
            continue
        quiet, update = 0.0, _update(event)
        if not _is_news(update, said):
            continue
        if isinstance(update, StatusChange):
            said = update.status
            if update.status in FINISHED:
                execution = await _reread(core, execution)  # the row is the truth: it has the result
        yield update
    # a run can finish before the first read of its row: its events are still queued
    for update in map(_update, [event for event in subscription.pending() if event.kind != GAP]):
        if _is_news(update, said):
            said = update.status if isinstance(update, StatusChange) else said
            yield update
    yield execution


async def wait_for_execution(
    core: Core, execution_id: str, timeout: float, *, queue: Callable[[], Awaitable[ExecutionView]] | None = None
) -> ExecutionView:
    """The execution once finished, or as it stands when `timeout` seconds have passed; `queue` as for follow().

    Without `queue`, the execution is read with core's own permissions: the caller has checked who may see it.
    """
    actor = None if queue is not None else Actor.system()
    async for update in follow(core, execution_id, actor=actor, queue=queue, timeout=timeout, deltas=False):
        last = update
    assert isinstance(last, ExecutionView)  # follow always ends with the execution
    return last


@dataclass(frozen=True)
class ExecutionChange:
    execution_id: str
    status: ExecutionStatus
    deployment_name: str | None  # known for new executions only


async def watch_executions(core: Core, *, idle_seconds: float) -> AsyncIterator[list[ExecutionChange]]:
    """New executions and status changes of any execution, a burst at a time.

    An empty burst comes first, once subscribed (time to read), and after `idle_seconds` without news or when the bus
    may have missed some (time to re-read: the safety net under the bus between processes)."""
    async with core.bus.subscribe(kinds=WATCHED) as subscription:
        yield []
        while True:
            event = await subscription.get(timeout=idle_seconds)
            if event is None or event.kind == GAP:
                yield []  # time to re-read
                continue
            await asyncio.sleep(BURST_SECONDS)
            burst = [event, *subscription.pending()]
            yield [] if any(event.kind == GAP for event in burst) else [_change(event) for event in burst]


def _update(event: Event) -> TextDelta | StatusChange:
    data = event.data
    if event.kind == 'delta':
        return TextDelta(data.get('text', ''))
    status = ExecutionStatus(data['status'])
    return StatusChange(status, attempts=data.get('attempts'), error=data.get('error'), retrying=bool(data.get('retrying')))


def _is_news(update: TextDelta | StatusChange, said: ExecutionStatus | None) -> bool:
    """Text always is; a status already told (a re-read found it first) is not, unless it is a retry."""
    return not isinstance(update, StatusChange) or update.status != said or update.retrying


def _change(event: Event) -> ExecutionChange:
    status = ExecutionStatus.PENDING if event.kind == 'created' else ExecutionStatus(event.data['status'])
    return ExecutionChange(event.execution_id, status, event.data.get('deploymentName'))


async def _reread(core: Core, execution: ExecutionView) -> ExecutionView:
    """The row as it is now; as it was last seen when the database cannot say (the next re-read tries again)."""
    try:
        return await asyncio.to_thread(read_execution, core, execution.id)
    except (DatabaseBusy, sa.exc.SQLAlchemyError) as error:
        log.warning('could not re-read execution %s: %s', execution.id, error)
        return execution

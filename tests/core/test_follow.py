"""Following executions (core/follow.py): what a `?wait`, the event streams, Try it and the live views all build on."""

import asyncio
import time
from functools import partial

import pytest
import sqlalchemy as sa

from core.errors import Forbidden, NotFound
from core.events import GAP, Event
from core.executions import EXECUTION, ExecutionView, new_execution_id, run_deployment
from core.follow import (
    RECHECK_SECONDS,
    ExecutionChange,
    Quiet,
    StatusChange,
    TextDelta,
    follow,
    wait_for_execution,
    watch_executions,
)
from core.permissions import Actor
from data.tables import utcnow
from tests.actors import SYSTEM, VIEWER
from tests.core.engine_helpers import deploy, run

RUNNER = Actor.api_key('k-1', 'ci', ['deployments:run'])


async def updates_of(core, execution: ExecutionView, **options) -> list:
    return [update async for update in follow(core, execution.id, actor=SYSTEM, **options)]


async def test_follow_tells_the_status_then_each_change_and_delta_and_ends_with_the_record(core, fake_llm, start_worker):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    following = follow(core, execution.id, actor=SYSTEM)
    first = await anext(following)
    await start_worker()
    updates = [first] + [update async for update in following]
    statuses = [update.status for update in updates if isinstance(update, StatusChange)]
    assert statuses == ['pending', 'running', 'completed']
    deltas = [update.text for update in updates if isinstance(update, TextDelta)]
    assert len(deltas) >= 3 and ''.join(deltas) == fake_llm.reply_text
    final = updates[-1]
    assert isinstance(final, ExecutionView) and (final.status, final.result) == ('completed', fake_llm.reply_text)


async def test_a_follower_that_falls_behind_still_gets_every_delta_of_a_run_that_ended(core, fake_llm, start_worker):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    updates = follow(core, execution.id, actor=SYSTEM)
    assert await anext(updates) == StatusChange('pending', attempts=0)  # subscribed, and the row read
    await start_worker()
    await wait_for_execution(core, execution.id, 5)  # the whole run happens while nobody reads
    rest = [update async for update in updates]
    assert ''.join(update.text for update in rest if isinstance(update, TextDelta)) == fake_llm.reply_text
    assert rest[-1].status == 'completed' and rest[-1].result == fake_llm.reply_text


async def test_a_retry_is_told_so_the_text_streamed_so_far_can_be_dropped(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.fail(500, midstream=True)  # the first attempt streams a little, then fails inside the stream
    execution = await run(core, deployment)
    await start_worker()
    updates = await updates_of(core, execution)
    retries = [update for update in updates if isinstance(update, StatusChange) and update.retrying]
    assert len(retries) == 1 and retries[0].status == 'running' and retries[0].attempts == 2 and retries[0].error
    after_retry = updates[updates.index(retries[0]) + 1 :]
    assert ''.join(update.text for update in after_retry if isinstance(update, TextDelta)) == fake_llm.reply_text
    assert updates[-1].status == 'completed'


async def test_without_news_the_row_is_read_again(core):
    """The safety net: a change that came with no event (and no gap) is found in the row within a second or so."""
    deployment = await deploy(core)
    execution = await run(core, deployment)
    updates = follow(core, execution.id, actor=SYSTEM)
    assert (await anext(updates)).status == 'pending'
    with core.db.begin() as connection:  # as another process's worker writes it, without a word on our bus
        done = {'status': 'completed', 'result': 'from elsewhere', 'attempts': 1, 'completed_at': utcnow()}
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == execution.id).values(**done))
    started = time.monotonic()
    rest = [update async for update in updates]
    assert rest[0] == StatusChange('completed', attempts=1)
    assert (rest[-1].status, rest[-1].result) == ('completed', 'from elsewhere')
    assert time.monotonic() - started < 2.5


async def test_a_quiet_follower_is_told_so_and_a_timeout_ends_with_the_record_as_it_stands(core):
    deployment = await deploy(core)
    execution = await run(core, deployment)  # no worker: it stays pending
    started = time.monotonic()
    updates = await updates_of(core, execution, timeout=2.5, quiet_seconds=1)
    assert 2.5 <= time.monotonic() - started < 5
    assert updates[0] == StatusChange('pending', attempts=0)
    # a quiet second each, two in 2.5 s; on a loaded machine slow re-reads can leave the second one short of a second
    assert updates[1:-1] in ([Quiet(), Quiet()], [Quiet()])
    assert isinstance(updates[-1], ExecutionView) and updates[-1].status == 'pending'


async def test_following_a_finished_execution_is_just_its_record(core):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    with core.db.begin() as connection:
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == execution.id).values(status='cancelled'))
    updates = await updates_of(core, execution)
    assert [type(update) for update in updates] == [ExecutionView] and updates[0].status == 'cancelled'


async def test_a_run_followed_from_its_start_misses_nothing_even_when_the_worker_is_quicker(core, fake_llm, start_worker):
    deployment = await deploy(core)
    await start_worker()
    execution_id = new_execution_id()

    async def queue_then_dawdle() -> ExecutionView:
        execution = await run_deployment(core, RUNNER, deployment.name, user_input='hi', execution_id=execution_id)
        await wait_for_execution(core, execution_id, 5)  # the worker runs it all before its caller comes back
        return execution

    updates = [update async for update in follow(core, execution_id, queue=queue_then_dawdle)]
    assert ''.join(update.text for update in updates if isinstance(update, TextDelta)) == fake_llm.reply_text
    assert (updates[-1].id, updates[-1].status) == (execution_id, 'completed')


async def test_following_needs_read_permission_unless_following_ones_own_run(core):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    with pytest.raises(Forbidden):
        await anext(follow(core, execution.id, actor=RUNNER))
    assert (await anext(follow(core, execution.id, actor=VIEWER))).status == 'pending'
    own_id = new_execution_id()
    own_run = partial(run_deployment, core, RUNNER, deployment.name, user_input='hi', execution_id=own_id)
    assert (await anext(follow(core, own_id, queue=own_run))).status == 'pending'
    for unknown in ('00000000-0000-4000-8000-000000000000', 'not-an-id'):
        with pytest.raises(NotFound):
            await anext(follow(core, unknown, actor=SYSTEM))
    with pytest.raises(TypeError):
        await anext(follow(core, execution.id))


async def test_watching_executions_comes_in_bursts_with_an_empty_one_to_read_first_and_when_quiet(core, fake_llm, start_worker):
    deployment = await deploy(core)
    bursts = watch_executions(core, idle_seconds=0.5)
    assert await anext(bursts) == []  # subscribed: time to read
    execution = await run(core, deployment)
    await start_worker()
    seen: list[ExecutionChange] = []
    while not any(change.status == 'completed' for change in seen):
        seen += await asyncio.wait_for(anext(bursts), 5)
    assert seen[0] == ExecutionChange(execution.id, 'pending', 'support-bot')
    assert {change.status for change in seen} == {'pending', 'running', 'completed'}
    assert await asyncio.wait_for(anext(bursts), 2) == []  # quiet again: time to re-read
    await bursts.aclose()


async def test_a_follower_that_needs_only_the_end_gets_no_text(core, fake_llm, start_worker):
    deployment = await deploy(core)
    execution = await run(core, deployment)
    await start_worker()
    updates = await updates_of(core, execution, deltas=False)
    assert not any(isinstance(update, TextDelta) for update in updates)
    assert updates[-1].status == 'completed' and updates[-1].result == fake_llm.reply_text


async def test_when_the_bus_may_have_missed_events_followers_read_again_at_once(core):
    """A gap (a transport between processes lost payloads, or its link dropped) reaches every subscriber, whatever it
    filters: a follower and a watcher re-read now rather than after their quiet second."""
    deployment = await deploy(core)
    execution = await run(core, deployment)
    following = follow(core, execution.id, actor=SYSTEM)
    watching = watch_executions(core, idle_seconds=30)
    assert (await anext(following)).status == 'pending' and await anext(watching) == []
    with core.db.begin() as connection:  # another process ran it, and its events were lost on the way
        connection.execute(sa.update(EXECUTION).where(EXECUTION.c.id == execution.id).values(status='running'))
    started = time.monotonic()
    core.bus.publish(Event(GAP, ''))
    assert await asyncio.wait_for(anext(following), 1) == StatusChange('running', attempts=0)
    assert await asyncio.wait_for(anext(watching), 1) == []  # time to re-read
    assert time.monotonic() - started < RECHECK_SECONDS / 2
    await following.aclose()
    await watching.aclose()

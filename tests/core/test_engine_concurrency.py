"""A running worker's slots: at most C provider calls at once and, under load, a few executions claimed ahead of them
(the bookkeeping alone is tested in test_engine_slots.py)."""

import asyncio

import sqlalchemy as sa

from core.engine.cancel import cancel_execution
from core.engine.queue import EXECUTION
from core.executions import get_execution
from tests.core.engine_helpers import SYSTEM, deploy, finished, queue_row, run


async def test_each_provider_runs_at_most_its_concurrency_at_once(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.latency = 0.2
    await start_worker(provider_concurrency={'openai': 2})
    executions = [await run(core, deployment, f'question {i}') for i in range(6)]
    assert {(await finished(core, e)).status for e in executions} == {'completed'}
    assert most_calls_at_once(fake_llm, latency=0.2) == 2


def most_calls_at_once(fake_llm, *, latency: float) -> int:
    """Each call lasts at least the latency: three arrivals within one latency would be three calls at once."""
    arrivals = [call.at for call in fake_llm.chat_requests()]
    return max(sum(1 for other in arrivals if at - latency < other <= at) for at in arrivals)


async def most_running_while(core, busy) -> int:
    """The most rows `running` at once in the table, sampled until `busy()` turns false."""
    most = 0
    count = sa.select(sa.func.count()).where(EXECUTION.c.status == 'running')
    while busy():
        with core.db.connect() as connection:
            most = max(most, connection.execute(count).scalar_one())
        await asyncio.sleep(0.005)
    return most


async def test_under_load_a_worker_claims_a_little_ahead_but_calls_at_most_its_concurrency(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.latency = 0.02
    executions = [await run(core, deployment, f'question {i}') for i in range(80)]
    await start_worker(provider_concurrency={'openai': 2})
    last = executions[-3:]
    most_running = await most_running_while(
        core, lambda: any(get_execution(core, SYSTEM, e.id).status in ('pending', 'running') for e in last)
    )
    assert {(await finished(core, e)).status for e in executions} == {'completed'}
    assert 2 < most_running <= 4  # at most one more per slot is claimed ahead
    assert most_calls_at_once(fake_llm, latency=0.02) == 2
    assert len(fake_llm.chat_requests()) == 80  # each ran once


async def test_slow_calls_are_not_claimed_ahead(core, fake_llm, start_worker):
    deployment = await deploy(core)
    fake_llm.latency = 0.15
    executions = [await run(core, deployment, f'question {i}') for i in range(4)]
    await start_worker(provider_concurrency={'openai': 1})
    last = executions[-1]
    assert await most_running_while(core, lambda: get_execution(core, SYSTEM, last.id).status != 'completed') == 1


async def slot_busy_with_one_claimed_ahead(core, fake_llm, start_worker):
    """A worker with one slot, a call hanging in it, and the next execution claimed ahead (a third still pending)."""
    deployment = await deploy(core)
    worker = await start_worker(ahead_seconds=5.0, provider_concurrency={'openai': 1})  # one recent free is enough
    await finished(core, await run(core, deployment, 'warm up'))
    fake_llm.hang(30)
    hanging = await run(core, deployment, 'hangs')
    await fake_llm.wait_for_chats(2)
    ahead, pending = [await run(core, deployment, f'queued {i}') for i in range(2)]
    for _ in range(100):
        if get_execution(core, SYSTEM, ahead.id).status == 'running':
            break
        await asyncio.sleep(0.01)
    assert [get_execution(core, SYSTEM, e.id).status for e in (hanging, ahead, pending)] == ['running', 'running', 'pending']
    assert len(fake_llm.chat_requests()) == 2  # claimed ahead is not called yet
    return worker, hanging, ahead, pending


async def test_an_execution_claimed_ahead_starts_when_the_slot_frees(core, fake_llm, start_worker):
    _, hanging, ahead, pending = await slot_busy_with_one_claimed_ahead(core, fake_llm, start_worker)
    fake_llm.release()
    assert [(await finished(core, e)).status for e in (hanging, ahead, pending)] == ['completed'] * 3
    assert [call.body['messages'][-1]['content'] for call in fake_llm.chat_requests()][1:] == ['hangs', 'queued 0', 'queued 1']


async def test_cancelling_an_execution_claimed_ahead_means_it_never_runs(core, fake_llm, start_worker):
    _, hanging, ahead, pending = await slot_busy_with_one_claimed_ahead(core, fake_llm, start_worker)
    cancel_execution(core, SYSTEM, ahead.id)
    fake_llm.release()
    assert [(await finished(core, e)).status for e in (hanging, ahead, pending)] == ['completed', 'cancelled', 'completed']
    assert 'queued 0' not in [call.body['messages'][-1]['content'] for call in fake_llm.chat_requests()]


async def test_stopping_hands_back_what_was_claimed_ahead(core, fake_llm, start_worker):
    worker, hanging, ahead, pending = await slot_busy_with_one_claimed_ahead(core, fake_llm, start_worker)
    worker.grace_seconds = 0.1
    await worker.stop()
    for execution in (hanging, ahead, pending):
        handed_back = queue_row(core, execution.id)
        assert (handed_back.status, handed_back.attempts, handed_back.lease_token) == ('pending', 0, None)

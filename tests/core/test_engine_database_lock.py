"""A write lock that another process holds on SQLite stalls only the worker's database thread, never its event loop:
its calls, heartbeats and cancels go on (a frozen loop would let leases expire under a live worker)."""

import asyncio
import sys
import time

import pytest

from core.events import Subscription
from core.vocabulary import ExecutionStatus
from tests.core.engine_helpers import deploy, finished, run

LOCK_SECONDS = 3.0
HOLD_WRITE_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
time.sleep(float(sys.argv[2]))
connection.execute('COMMIT')
"""


@pytest.mark.parametrize('database_url', ['sqlite'], indirect=True)  # PostgreSQL has no database-wide write lock
async def test_a_write_lock_held_by_another_process_leaves_the_workers_loop_free_and_the_work_completes_after(
    core, fake_llm, start_worker
):
    deployment = await deploy(core)
    fake_llm.hang(30)
    await start_worker(poll_seconds=0.1)  # each poll writes (it recovers expired leases): it meets the lock at once
    execution = await run(core, deployment)
    await fake_llm.wait_for_chats(1)

    async with core.bus.subscribe(execution.id, kinds=frozenset({'status'})) as events:
        locker = await asyncio.create_subprocess_exec(
            sys.executable, '-c', HOLD_WRITE_LOCK, core.db.url.database, str(LOCK_SECONDS), stdout=asyncio.subprocess.PIPE
        )
        assert await locker.stdout.readline() == b'locked\n'
        locked = time.monotonic()
        completed = asyncio.create_task(when_completed(events))
        fake_llm.release()  # the call ends while the lock is held: its outcome must wait for it
        assert await worst_lag_until(locker.wait()) < 0.5  # the loop kept answering through the whole lock
        assert await completed - locked >= LOCK_SECONDS - 0.5  # the outcome was written once the lock went

    done = await finished(core, execution)
    assert (done.status, done.result) == ('completed', fake_llm.reply_text)


async def when_completed(events: Subscription) -> float:
    """The moment the worker says the execution completed (it says so once the outcome is committed)."""
    while (await events.get()).data['status'] != ExecutionStatus.COMPLETED:
        pass
    return time.monotonic()


async def worst_lag_until(awaitable, tick: float = 0.02) -> float:
    """The longest a 20 ms timer on this loop fired late, until `awaitable` is done."""
    ending = asyncio.ensure_future(awaitable)
    worst = 0.0
    while not ending.done():
        before = time.monotonic()
        await asyncio.sleep(tick)
        worst = max(worst, time.monotonic() - before - tick)
    return worst

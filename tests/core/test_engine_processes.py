"""Workers as real processes: one killed and one frozen mid-run lose their executions to a healthy one; none is lost
and none completes twice. Two workers draining one queue never claim the same execution."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvloop
from sqlmodel import Session, select

from core.engine.process import event_loop_runner
from core.permissions import Actor
from core.vocabulary import FINISHED
from data.tables import Execution, utcnow
from tests.core.engine_helpers import deploy

SYSTEM = Actor.system()
ROOT = Path(__file__).resolve().parents[2]
CLAIMED = re.compile(r'claimed ([0-9a-f-]{36})')


@dataclass
class WorkerProcess:
    pid: int
    log: Path

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def claims(self) -> list[str]:
        return CLAIMED.findall(self.output())

    def lines_about(self, execution_id: str) -> list[str]:
        return [line for line in self.output().splitlines() if execution_id in line]

    def output(self) -> str:
        """What it logged so far (nothing before the forked child has opened its log)."""
        return self.log.read_text() if self.log.exists() else ''


@pytest.fixture(scope='session')
def worker_forker():
    """tests/core/worker_process.py: imports once, then forks a worker process whenever asked."""
    process = subprocess.Popen(
        [sys.executable, '-m', 'tests.core.worker_process'], cwd=ROOT, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    yield process
    process.stdin.close()
    process.wait(10)


@pytest.fixture
def spawn(core, tmp_path, worker_forker):
    """Start a worker process on the test's database and fake LLM."""
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        log = tmp_path / f'{name}.log'
        request = {'env': {**core.settings.env, 'HYPERSIGIL_LEASE_SECONDS': '2', **env}, 'log': str(log)}
        worker_forker.stdin.write(json.dumps(request) + '\n')
        worker_forker.stdin.flush()
        started.append(WorkerProcess(int(worker_forker.stdout.readline()), log))
        return started[-1]

    yield start
    for worker in started:
        with suppress(ProcessLookupError):
            worker.signal(signal.SIGCONT)
            worker.signal(signal.SIGKILL)


def add_runs(core, deployment, count: int) -> list[str]:
    """Queue runs as rows (no bus event: the workers are other processes and find them by polling)."""
    rows = [
        Execution(
            deployment_id=deployment.id,
            deployment_name=deployment.name,
            provider=deployment.provider,
            model=deployment.model,
            messages=[{'role': 'user', 'content': f'question {i}'}],
            user_input=f'question {i}',
        )
        for i in range(count)
    ]
    with core.session() as session:
        session.add_all(rows)
    return [row.id for row in rows]


def statuses(core) -> dict[str, Execution]:
    with Session(core.db) as session:
        return {row.id: row for row in session.exec(select(Execution))}


async def until(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        await asyncio.sleep(0.05)


async def test_executions_of_a_killed_or_frozen_worker_are_finished_once_by_another(core, fake_llm, spawn):
    deployment = await deploy(core)
    fake_llm.hang(60, times=6)  # the first six calls stay open until released
    ids = add_runs(core, deployment, 12)
    killed = spawn('killed', HYPERSIGIL_PROVIDER_CONCURRENCY='3')
    frozen = spawn('frozen', HYPERSIGIL_PROVIDER_CONCURRENCY='3')
    await until(lambda: len(killed.claims()) == 3 and len(frozen.claims()) == 3, 30, 'the first two workers did not claim')
    await fake_llm.wait_for_chats(6, timeout=5)  # both are in the middle of their calls
    killed.signal(signal.SIGKILL)
    frozen.signal(signal.SIGSTOP)  # a frozen VM or a long GC pause: alive, but not renewing its leases
    healthy = spawn('healthy', HYPERSIGIL_PROVIDER_CONCURRENCY='4')
    await until(lambda: all(r.status in FINISHED for r in statuses(core).values()), 30, 'not every execution finished')

    before_thaw = statuses(core)
    thawed_at = utcnow()
    frozen.signal(signal.SIGCONT)  # it wakes up holding calls whose leases were taken over
    fake_llm.release()  # ... and those calls now answer
    taken = frozen.claims()
    await until(lambda: all(len(frozen.lines_about(i)) >= 2 for i in taken), 10, 'the frozen worker did not notice')

    after = statuses(core)
    assert sorted(after) == sorted(ids)  # none lost
    assert {r.status for r in after.values()} == {'completed'}
    lost = set(killed.claims()) | set(taken)
    assert set(healthy.claims()) == set(ids)  # ... the healthy worker took over what the others held
    for execution_id, row in after.items():
        assert row.attempts == (2 if execution_id in lost else 1)
        # nothing was written after the frozen worker woke up: its outcomes were dropped
        assert row.completed_at == before_thaw[execution_id].completed_at < thawed_at
    assert len(fake_llm.chat_requests()) == len(ids) + 6  # one call each, plus the six the lost workers had open


async def test_two_workers_draining_one_queue_never_claim_the_same_execution(core, fake_llm, spawn):
    deployment = await deploy(core)
    fake_llm.latency = 0.1  # sixty take one worker a second: both take part
    ids = add_runs(core, deployment, 60)
    workers = [spawn(name, HYPERSIGIL_LEASE_SECONDS='30', HYPERSIGIL_PROVIDER_CONCURRENCY='6') for name in ('one', 'two')]
    await until(lambda: all(r.status in FINISHED for r in statuses(core).values()), 30, 'the queue did not drain')
    first, second = (worker.claims() for worker in workers)
    assert first and second, 'both workers took part'
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(ids)  # and neither claimed anything twice
    assert {(r.status, r.attempts) for r in statuses(core).values()} == {('completed', 1)}
    assert len(fake_llm.chat_requests()) == len(ids)


@pytest.mark.parametrize('database_url', ['postgresql'], indirect=True)  # 20 s a run: once, where instances share one
async def test_killing_one_of_two_workers_with_500_runs_in_flight_loses_none_and_completes_none_twice(core, fake_llm, spawn):
    """The guarantee the README states: every run completes exactly once; a run of the killed process whose provider
    call was in flight, or had ended with its outcome not yet written, is called again, and no other run."""
    deployment = await deploy(core)
    fake_llm.latency = 0.2
    ids = add_runs(core, deployment, 500)
    killed, survivor = (spawn(name, HYPERSIGIL_PROVIDER_CONCURRENCY='40') for name in ('killed', 'survivor'))
    await until(lambda: len(killed.claims()) >= 80 and len(fake_llm.chat_requests()) >= 150, 60, 'both under way')
    killed.signal(signal.SIGKILL)
    await until(lambda: all(r.status in FINISHED for r in statuses(core).values()), 60, 'not every execution finished')

    rows = statuses(core)
    assert sorted(rows) == sorted(ids) and {row.status for row in rows.values()} == {'completed'}
    calls = Counter(request.body['messages'][-1]['content'] for request in fake_llm.chat_requests())
    called_again = {row.id for row in rows.values() if calls[row.user_input] > 1}
    assert set(calls.values()) <= {1, 2} and sum(calls.values()) == 500 + len(called_again)
    assert called_again <= set(killed.claims())  # only runs the killed one held
    # at most its 40 calls in flight, and the calls that had ended waiting for the next round to write their outcomes
    # (their slots already free again: at most 40 more while a round takes less than the fake's 0.2 s)
    assert len(called_again) <= 2 * 40
    assert all(rows[execution_id].attempts == 2 for execution_id in called_again)
    assert called_again and set(survivor.claims()) >= called_again  # ... and the survivor took those over


def test_a_worker_process_runs_its_loop_on_uvloop():
    """uvicorn[standard] installs uvloop; the SDKs' streaming costs less CPU on it."""
    with event_loop_runner() as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)

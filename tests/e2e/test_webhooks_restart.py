"""A worker process killed (SIGKILL) with deliveries pending loses none of them: after a restart every one arrives,
and none twice to a receiver whose 2xx answer was recorded before the kill (DESIGN §4 Webhooks; README: at-least-once)."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from core import deployments, prompts
from core.app import build_core
from core.executions import run_deployment
from core.permissions import Actor
from core.settings import Settings
from core.webhooks import deliveries, endpoints
from tests.e2e.server import ROOT
from tests.fakes.webhook_receiver import Answer

SYSTEM = Actor.system()
RUNS = 8
EVENTS = ['execution.completed']


@pytest.fixture
def env(tmp_path, database_url, fake_llm) -> dict[str, str]:
    return {
        **fake_llm.env,
        'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data'),
        'HYPERSIGIL_DATABASE_URL': database_url,
        'HYPERSIGIL_SECRET_KEY': 'webhooks-restart',
        'HYPERSIGIL_WEBHOOK_ALLOW_PRIVATE': '1',
        'HYPERSIGIL_WEBHOOK_RETRY_SECONDS': ','.join(['0.5'] * 40),
        'HYPERSIGIL_LEASE_SECONDS': '2',
    }


async def test_deliveries_pending_at_a_kill_all_arrive_after_a_restart(env, tmp_path, new_webhook_receiver):
    fine, flaky = new_webhook_receiver(), new_webhook_receiver()
    flaky.default = Answer(status=503)  # down until after the kill: its deliveries wait for retries
    core = build_core(Settings.from_env(env))
    prompt = prompts.create_prompt(core, SYSTEM, name='helpdesk', template='Answer briefly.')
    await deployments.create_deployment(
        core, SYSTEM, name='support-bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
    )
    fine_id = endpoints.create_endpoint(core, SYSTEM, url=fine.url, events=EVENTS).endpoint.id
    flaky_id = endpoints.create_endpoint(core, SYSTEM, url=flaky.url, events=EVENTS).endpoint.id
    for number in range(RUNS):
        await run_deployment(core, SYSTEM, 'support-bot', user_input=f'question {number}')

    worker = start_worker(env, tmp_path / 'first.log')
    try:
        await until(lambda: statuses(core, fine_id) == ['delivered'] * RUNS and len(flaky.requests) >= RUNS)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert 'pending' in statuses(core, flaky_id) or 'sending' in statuses(core, flaky_id)

    flaky.default = Answer(status=200)
    restarted = start_worker(env, tmp_path / 'second.log')
    try:
        await until(lambda: statuses(core, flaky_id) == ['delivered'] * RUNS, timeout=30)
    finally:
        restarted.terminate()
        restarted.wait(timeout=15)
        core.db.dispose()

    message_ids = {d.message_id for d in deliveries.list_deliveries(core, SYSTEM, flaky_id, page_size=100).items}
    assert len(message_ids) == RUNS
    assert {r.headers['webhook-id'] for r in flaky.requests} == message_ids  # each arrived, retried with its own id
    fine_ids = [r.headers['webhook-id'] for r in fine.requests]
    assert len(fine_ids) == len(set(fine_ids)) == RUNS  # its 2xx were recorded before the kill: never sent again


def start_worker(env: dict[str, str], log_path) -> subprocess.Popen:
    full_env = {key: value for key, value in os.environ.items() if not key.startswith(('PYTEST_', 'NICEGUI_'))} | env
    with log_path.open('w') as log:
        return subprocess.Popen(
            [sys.executable, 'main.py', 'worker'], cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )


def statuses(core, endpoint_id: str) -> list[str]:
    return sorted(d.status for d in deliveries.list_deliveries(core, SYSTEM, endpoint_id, page_size=100).items)


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f'not reached within {timeout} s')
        await asyncio.sleep(0.1)

"""Two app processes on one database: twenty requests with one Idempotency-Key, split across them, queue one run."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.e2e.server import running_app


def test_twenty_requests_with_one_key_across_two_processes_queue_one_execution(tmp_path, database_url, fake_llm):
    env = {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': database_url, 'HYPERSIGIL_SECRET_KEY': 'shared-idempotency'}
    for directory in ('first', 'second'):
        (tmp_path / directory).mkdir()
    headers = seed(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')}))
    keyed = {**headers, 'Idempotency-Key': 'order-42'}
    with running_app(tmp_path / 'first', env) as first, running_app(tmp_path / 'second', env) as second:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda number: run((first, second)[number % 2], keyed), range(20)))

        assert [answer.status_code for answer in answers] == [202] * 20, [answer.text for answer in answers]
        assert len({answer.json()['executionId'] for answer in answers}) == 1
        assert sum(answer.headers.get('idempotent-replayed') == 'true' for answer in answers) == 19
        listed = httpx.get(f'{first}/api/v1/executions', headers=headers, timeout=30).json()
        assert listed['total'] == 1


def seed(settings: Settings) -> dict[str, str]:
    """A deployment, and the headers of a key that may run it and read executions."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    bot = deployments.create_deployment(core, system, name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    asyncio.run(bot)
    key = api_keys.create_api_key(core, system, name='caller', scopes=['deployments:run', 'executions:read']).token
    core.db.dispose()
    return {'X-API-Key': key}


def run(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f'{url}/api/v1/deployments/bot/run', json={'userInput': 'hi'}, headers=headers, timeout=30)

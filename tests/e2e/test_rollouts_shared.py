"""Two app processes on one database assign each trace id to the same arm of a rollout (the hash, not a memory)."""

import asyncio

import httpx

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.rollouts import service
from core.settings import Settings
from tests.e2e.server import running_app


def test_on_two_processes_the_same_trace_id_meets_the_same_arm(tmp_path, database_url, fake_llm):
    env = {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': database_url, 'HYPERSIGIL_SECRET_KEY': 'shared-rollout',
           'HYPERSIGIL_WORKERS': '0'}  # fmt: skip
    for directory in ('first', 'second'):
        (tmp_path / directory).mkdir()
    headers = seed(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')}))
    traces = [f'customer-{number}' for number in range(30)]
    with running_app(tmp_path / 'first', env) as first, running_app(tmp_path / 'second', env) as second:
        served = {url: [run(url, headers, trace) for trace in traces] for url in (first, second)}
    assert served[first] == served[second]
    assert set(served[first]) == {1, 2}  # both arms met: the comparison says something


def seed(settings: Settings) -> dict[str, str]:
    """A deployment with a rollout sending half of its traces to revision 2, and a key that may run it."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    create = deployments.create_deployment(core, system, name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    asyncio.run(create)
    asyncio.run(service.start_rollout(core, system, 'bot', changes={'model': 'gpt-4o'}, settings={'stages': [50, 100]}))
    token = api_keys.create_api_key(core, system, name='caller', scopes=['deployments:run']).token
    core.db.dispose()
    return {'X-API-Key': token}


def run(url: str, headers: dict[str, str], trace_id: str) -> int:
    """The revision that serves a run with this trace id, as the run answer names it."""
    response = httpx.post(f'{url}/api/v1/deployments/bot/run', json={'userInput': 'hi', 'traceId': trace_id}, headers=headers,
                          timeout=30)  # fmt: skip
    assert response.status_code == 202, response.text
    return response.json()['revision']

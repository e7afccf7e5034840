"""A freshly started process answers its very first runs 202 (issue 9, item 2).

The issue: an API-only node (`HYPERSIGIL_WORKERS=0`) answered 500 to runs it had queued, because nothing had made
SQLAlchemy configure its mappers yet; a client that retries would run them twice. Tested as it failed: real processes
on a fresh database, with the deployment and the key made before they start, so their first runs are their first work.
"""

import asyncio

import httpx

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.e2e.server import running_app


def test_the_first_runs_of_fresh_api_only_processes_are_accepted(tmp_path, database_url, fake_llm):
    env = {
        **fake_llm.env,
        'HYPERSIGIL_DATABASE_URL': database_url,
        'HYPERSIGIL_SECRET_KEY': 'fresh-start',
        'HYPERSIGIL_WORKERS': '0',
    }
    for directory in ('first', 'second'):
        (tmp_path / directory).mkdir()
    headers = {'Authorization': f'Bearer {seed(Settings.from_env({**env, "HYPERSIGIL_DATA_DIR": str(tmp_path / "data")}))}'}
    with running_app(tmp_path / 'first', env) as first:
        answers = [run(first, headers, f'question {number}') for number in range(3)]
        with running_app(tmp_path / 'second', env) as second:  # a second instance on the same database
            answers.append(run(second, headers, 'question for the second'))
        queued = httpx.get(f'{first}/api/v1/executions', headers=headers, timeout=10).json()
    assert [answer.status_code for answer in answers] == [202] * 4, [answer.text for answer in answers]
    assert {answer.json()['status'] for answer in answers} == {'pending'}
    assert queued['total'] == 4  # each accepted run queued once


def seed(settings: Settings) -> str:
    """A deployment and an admin key on the database, made through core (no server has touched it yet); the key."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    create = deployments.create_deployment(
        core, system, name='support-bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
    )
    asyncio.run(create)
    token = api_keys.create_api_key(core, system, name='fresh start', scopes=['admin']).token
    core.db.dispose()
    return token


def run(url: str, headers: dict[str, str], user_input: str) -> httpx.Response:
    return httpx.post(f'{url}/api/v1/deployments/support-bot/run', json={'userInput': user_input}, headers=headers, timeout=30)

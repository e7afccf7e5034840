"""Two app processes on one database share each key's counts: on PostgreSQL (instances) as on one SQLite file."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.e2e.server import running_app

RUN = {'userInput': 'hi'}


def test_two_processes_share_a_keys_quota_and_its_runs_in_flight(tmp_path, database_url, fake_llm):
    env = {
        **fake_llm.env,
        'HYPERSIGIL_DATABASE_URL': database_url,
        'HYPERSIGIL_SECRET_KEY': 'shared-limits',
        'HYPERSIGIL_WORKERS': '0',  # runs stay pending: in flight until the test ends
    }
    for directory in ('first', 'second'):
        (tmp_path / directory).mkdir()
    per_minute, at_once, racing = seed(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')}))
    with running_app(tmp_path / 'first', env) as first, running_app(tmp_path / 'second', env) as second:
        answers = [run(first, per_minute) for _ in range(3)] + [run(second, per_minute) for _ in range(2)]
        assert [answer.status_code for answer in answers] == [202] * 5
        assert [answer.headers['ratelimit-remaining'] for answer in answers] == ['4', '3', '2', '1', '0']
        assert [run(url, per_minute).status_code for url in (first, second)] == [429, 429]

        assert [run(url, at_once).status_code for url in (first, second, first, second)] == [202, 202, 429, 429]

        with ThreadPoolExecutor(max_workers=12) as pool:  # twelve at once, half to each process, for three slots
            raced = list(pool.map(lambda number: run((first, second)[number % 2], racing), range(12)))
        assert sorted(answer.status_code for answer in raced) == [202] * 3 + [429] * 9
        listed = httpx.get(f'{first}/api/v1/executions', headers=racing, params={'pageSize': 100}, timeout=30).json()
        assert listed['total'] == 5 + 2 + 3  # the refused runs wrote nothing


def seed(settings: Settings) -> tuple[dict[str, str], ...]:
    """A deployment, and the headers of three keys: 5 runs a minute; 2 at once; 3 at once (each may read executions)."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    bot = deployments.create_deployment(core, system, name='bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    asyncio.run(bot)
    limits = ({'requests_per_minute': 5}, {'concurrent_runs': 2}, {'concurrent_runs': 3})
    scopes = ['deployments:run', 'executions:read']
    keys = [api_keys.create_api_key(core, system, name='caller', scopes=scopes, **limit).token for limit in limits]
    core.db.dispose()
    return tuple({'X-API-Key': key} for key in keys)


def run(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f'{url}/api/v1/deployments/bot/run', json=RUN, headers=headers, timeout=30)

"""`python main.py` as people run it, called by the real openai SDK (sync and async) over a socket: the base URL and
an `hs_` key are all a caller changes."""

import asyncio

import openai
import pytest

from core import api_keys, deployments, prompts
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.e2e.server import running_app

QUESTION = [{'role': 'user', 'content': 'Where is my parcel?'}]


def test_the_sync_and_async_sdks_run_a_deployment_by_name_streamed_and_not(tmp_path, sqlite_url, fake_llm):
    fake_llm.reply('It left the depot this morning.')
    env = {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_SECRET_KEY': 'openai-sdk'}
    key = seed(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')}))
    with running_app(tmp_path, env) as url:
        client = openai.OpenAI(base_url=f'{url}/api/v1/openai', api_key=key, max_retries=0)
        assert [model.id for model in client.models.list()] == ['parcels']
        answer = client.chat.completions.create(model='parcels', messages=QUESTION)
        assert answer.choices[0].message.content == 'It left the depot this morning.'
        assert answer.usage.completion_tokens == 6
        stream = client.chat.completions.create(
            model='parcels', messages=QUESTION, stream=True, stream_options={'include_usage': True}
        )
        chunks = list(stream)
        assert ''.join(chunk.choices[0].delta.content or '' for chunk in chunks[:-1]) == 'It left the depot this morning.'
        assert chunks[-1].usage.completion_tokens == 6
        streamed = asyncio.run(streamed_async(url, key))
        assert streamed == 'It left the depot this morning.'
        with pytest.raises(openai.NotFoundError) as raised:
            client.chat.completions.create(model='no-such-bot', messages=QUESTION)
        assert raised.value.code == 'model_not_found'


async def streamed_async(url: str, key: str) -> str:
    async with openai.AsyncOpenAI(base_url=f'{url}/api/v1/openai', api_key=key, max_retries=0) as client:
        stream = await client.chat.completions.create(model='parcels', messages=QUESTION, stream=True)
        return ''.join([chunk.choices[0].delta.content or '' async for chunk in stream])


def seed(settings: Settings) -> str:
    """A deployment named 'parcels' and a key that may run it."""
    core = build_core(settings)
    system = Actor.system()
    prompt = prompts.create_prompt(core, system, name='parcels', template='Answer about parcels.')
    asyncio.run(
        deployments.create_deployment(core, system, name='parcels', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini')
    )
    token = api_keys.create_api_key(core, system, name='sdk', scopes=['deployments:run']).token
    core.db.dispose()
    return token

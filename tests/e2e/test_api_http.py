"""The API over real HTTP: `python main.py` on 127.0.0.1 with the fake LLM, driven with httpx like any client would."""

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from core import api_keys
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.e2e.server import running_app

MODELS = {'openai': 'gpt-4o-mini', 'anthropic': 'claude-haiku-4-5', 'ollama': 'llama3.2'}


@pytest.fixture(scope='module')
def server(tmp_path_factory: pytest.TempPathFactory, fake_llm_server) -> Iterator[httpx.Client]:
    """One server for this module; a client to /api/v1 on it holding an admin key."""
    directory = tmp_path_factory.mktemp('api-http')
    # the worker in the web process: these tests are about the API (tests/e2e/test_supervisor.py runs worker processes)
    env = {**fake_llm_server.env, 'HYPERSIGIL_SECRET_KEY': 'api-http-test', 'HYPERSIGIL_WORKERS': 'inline'}
    with running_app(directory, env) as url:
        settings = Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(directory / 'data')})
        core = build_core(settings)  # the server's own database: make a key the CLI way, through core
        token = api_keys.create_api_key(core, Actor.system(), name='e2e', scopes=['admin']).token
        core.db.dispose()
        with httpx.Client(base_url=f'{url}/api/v1', headers={'Authorization': f'Bearer {token}'}, timeout=30) as client:
            yield client


@pytest.fixture
def fake(fake_llm):
    fake_llm.latency = 0.05  # so durationMs has something to show
    return fake_llm


@pytest.mark.parametrize('provider', MODELS)
def test_create_and_run_a_deployment_by_name_for_each_provider(server: httpx.Client, fake, provider: str):
    prompt = server.post('/prompts', json={'name': f'greeter-{provider}', 'template': 'Answer briefly.'})
    assert prompt.status_code == 201, prompt.text
    deployment = {'name': f'bot-{provider}', 'promptId': prompt.json()['id'], 'provider': provider, 'model': MODELS[provider]}
    assert server.post('/deployments', json=deployment).status_code == 201

    accepted = server.post(f'/deployments/bot-{provider}/run', json={'userInput': 'Say hello', 'traceId': f'e2e-{provider}'})
    assert accepted.status_code == 202 and accepted.json()['status'] == 'pending'
    execution = _poll(server, accepted.json()['executionId'])

    chat = fake.last_chat(provider)
    assert execution['status'] == 'completed' and execution['provider'] == provider
    assert execution['result'] == chat.reply == fake.reply_text
    assert (execution['inputTokens'], execution['outputTokens']) == (chat.input_tokens, chat.output_tokens)
    assert execution['durationMs'] >= 50 and execution['origin'] == 'api' and execution['traceId'] == f'e2e-{provider}'


def test_api_calls_skip_the_dashboards_middleware(server: httpx.Client):
    """No session cookie (nor a NiceGUI storage per cookie-less call), and the API's own 404 for any path under it."""
    response = httpx.get(f'{server.base_url}health')
    assert response.status_code == 200 and 'set-cookie' not in response.headers
    missing = httpx.get(f'{server.base_url}no/such%0Apath')
    assert missing.status_code == 404 and missing.json()['error']['code'] == 'not_found'


def test_wait_returns_the_finished_execution_in_one_call(server: httpx.Client, fake):
    _deployment(server, 'waiter')
    response = server.post('/deployments/waiter/run', params={'wait': 10}, json={'userInput': 'hi'})
    assert response.status_code == 200
    assert response.json()['status'] == 'completed' and response.json()['result'] == fake.reply_text


def test_stream_delivers_the_text_as_several_delta_events_before_the_record(server: httpx.Client, fake):
    fake.chunk_delay = 0.1  # the deltas must arrive over time, not in one lump at the end
    _deployment(server, 'streamer')
    arrivals: list[tuple[float, str, dict]] = []
    with server.stream('POST', '/deployments/streamer/run', params={'stream': 'true'}, json={'userInput': 'hi'}) as response:
        assert response.status_code == 200 and response.headers['content-type'].startswith('text/event-stream')
        event = None
        for line in response.iter_lines():
            if line.startswith('event: '):
                event = line.removeprefix('event: ')
            elif line.startswith('data: '):
                arrivals.append((time.monotonic(), event, json.loads(line.removeprefix('data: '))))
    kinds = [kind for _, kind, _ in arrivals]
    assert kinds.count('delta') >= 3 and kinds[-1] == 'execution' and set(kinds[:-1]) == {'delta'}
    assert ''.join(data['text'] for _, kind, data in arrivals if kind == 'delta') == fake.reply_text
    assert arrivals[-1][0] - arrivals[0][0] >= 0.15  # streamed as written, not buffered to the end
    assert arrivals[-1][2]['status'] == 'completed'


def _deployment(server: httpx.Client, name: str) -> None:
    prompt = server.post('/prompts', json={'name': f'prompt-{name}', 'template': 'Answer briefly.'}).json()
    body = {'name': name, 'promptId': prompt['id'], 'provider': 'openai', 'model': 'gpt-4o-mini'}
    assert server.post('/deployments', json=body).status_code == 201


def _poll(server: httpx.Client, execution_id: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = server.get(f'/executions/{execution_id}').json()
        if execution['status'] in ('completed', 'failed', 'cancelled'):
            return execution
        time.sleep(0.05)
    raise AssertionError(f'execution {execution_id} did not finish in {timeout} s: {execution}')

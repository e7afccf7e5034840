"""The permission matrix: for every endpoint, its scope passes, every other scope gets 403 naming it, no key 401,
revoked and expired keys 401 saying so. Run on SQLite only: it checks the API layer, not the database."""

import asyncio
from dataclasses import dataclass

import pytest

from api.app import api
from core import api_keys, deployments, executions, files, prompts
from core.engine.cancel import cancel_execution
from core.permissions import SCOPES, Actor
from core.rollouts import service as rollouts
from core.webhooks import deliveries, endpoints
from tests.api.conftest import assert_error


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    scope: str
    ok: int
    json: dict | None = None
    upload: bool = False

    def __str__(self) -> str:
        return f'{self.method} {self.path}'


ENDPOINTS = [
    Endpoint('POST', '/deployments/support-bot/run', 'deployments:run', 202, json={'userInput': 'hi'}),
    Endpoint('GET', '/deployments', 'deployments:read', 200),
    Endpoint('POST', '/deployments', 'deployments:write', 201,
             json={'name': 'new-bot', 'promptId': '{prompt}', 'provider': 'openai', 'model': 'gpt-4o-mini'}),
    Endpoint('GET', '/deployments/support-bot', 'deployments:read', 200),
    Endpoint('PATCH', '/deployments/support-bot', 'deployments:write', 200, json={'model': 'gpt-4o'}),
    Endpoint('DELETE', '/deployments/support-bot', 'deployments:write', 204),
    Endpoint('GET', '/deployments/support-bot/revisions', 'deployments:read', 200),
    Endpoint('POST', '/deployments/support-bot/rollback', 'deployments:write', 200, json={'revision': 1}),
    Endpoint('GET', '/deployments/support-bot/metrics', 'deployments:read', 200),
    Endpoint('POST', '/deployments/support-bot/rollouts', 'deployments:write', 201, json={'changes': {'model': 'gpt-4o'}}),
    Endpoint('GET', '/deployments/rolling-bot/rollouts', 'deployments:read', 200),
    Endpoint('GET', '/deployments/rolling-bot/rollouts/current', 'deployments:read', 200),
    Endpoint('POST', '/deployments/rolling-bot/rollouts/current/promote', 'deployments:write', 200),
    Endpoint('POST', '/deployments/rolling-bot/rollouts/current/pause', 'deployments:write', 200),
    Endpoint('POST', '/deployments/paused-bot/rollouts/current/resume', 'deployments:write', 200),
    Endpoint('POST', '/deployments/rolling-bot/rollouts/current/abort', 'deployments:write', 200),
    Endpoint('GET', '/executions', 'executions:read', 200),
    Endpoint('GET', '/executions/{finished}', 'executions:read', 200),
    Endpoint('GET', '/executions/{finished}/events', 'executions:read', 200),
    Endpoint('POST', '/executions/{pending}/cancel', 'executions:write', 200),
    Endpoint('GET', '/prompts', 'prompts:read', 200),
    Endpoint('POST', '/prompts', 'prompts:write', 201, json={'name': 'new', 'template': 'Hi'}),
    Endpoint('GET', '/prompts/greeter', 'prompts:read', 200),
    Endpoint('PATCH', '/prompts/greeter', 'prompts:write', 200, json={'template': 'Hello'}),
    Endpoint('DELETE', '/prompts/spare', 'prompts:write', 204),
    Endpoint('GET', '/prompts/greeter/versions', 'prompts:read', 200),
    Endpoint('POST', '/prompts/greeter/preview', 'prompts:read', 200, json={'userInput': 'hi'}),
    Endpoint('GET', '/providers', 'deployments:read', 200),
    Endpoint('GET', '/providers/openai/models', 'deployments:read', 200),
    Endpoint('GET', '/files', 'files:read', 200),
    Endpoint('POST', '/files', 'files:write', 201, upload=True),
    Endpoint('GET', '/files/{file}', 'files:read', 200),
    Endpoint('GET', '/files/{file}/content', 'files:read', 200),
    Endpoint('DELETE', '/files/{file}', 'files:write', 204),
    Endpoint('GET', '/keys', 'admin', 200),
    Endpoint('POST', '/keys', 'admin', 201, json={'name': 'new', 'scopes': ['deployments:run'], 'requestsPerMinute': 60}),
    Endpoint('PATCH', '/keys/{key}', 'admin', 200, json={'concurrentRuns': 4}),
    Endpoint('DELETE', '/keys/{key}', 'admin', 204),
    Endpoint('GET', '/webhooks', 'webhooks:read', 200),
    Endpoint('POST', '/webhooks', 'webhooks:write', 201, json={'url': 'https://8.8.8.8/hook', 'events': ['execution.failed']}),
    Endpoint('GET', '/webhooks/{webhook}', 'webhooks:read', 200),
    Endpoint('PATCH', '/webhooks/{webhook}', 'webhooks:write', 200, json={'description': 'ops'}),
    Endpoint('DELETE', '/webhooks/{webhook}', 'webhooks:write', 204),
    Endpoint('POST', '/webhooks/{webhook}/rotate-secret', 'webhooks:write', 200),
    Endpoint('GET', '/webhooks/{webhook}/deliveries', 'webhooks:read', 200),
    Endpoint('POST', '/webhooks/{webhook}/test', 'webhooks:write', 202),
    Endpoint('POST', '/webhooks/{webhook}/deliveries/{delivery}/resend', 'webhooks:write', 202),
]  # fmt: skip
CASES = ('its scope', 'admin', 'every other scope', 'no key', 'revoked', 'expired')


@pytest.fixture
async def world(core) -> dict[str, str]:
    """One of everything the endpoints address, made through core."""
    system = Actor.system()
    greeter = prompts.create_prompt(core, system, name='greeter', template='You are terse.')
    prompts.create_prompt(core, system, name='spare', template='Unused.')
    await deployments.create_deployment(
        core, system, name='support-bot', prompt_id=greeter.id, provider='openai', model='gpt-4o-mini'
    )
    for name in ('rolling-bot', 'paused-bot'):
        await deployments.create_deployment(core, system, name=name, prompt_id=greeter.id, provider='openai', model='gpt-4o-mini')
        await rollouts.start_rollout(core, system, name, changes={'model': 'gpt-4o'})
    await asyncio.to_thread(rollouts.act_on_current, core, system, 'paused-bot', 'pause')
    pending = await executions.run_deployment(core, system, 'support-bot', user_input='a')
    finished = await executions.run_deployment(core, system, 'support-bot', user_input='b')
    cancel_execution(core, system, finished.id)
    file = files.upload_file(core, system, filename='a.txt', content_type='text/plain', data=b'hello')
    key = api_keys.create_api_key(core, system, name='spare', scopes=['prompts:read']).key
    # a public address written as such: saving it asks no DNS server, and no delivery loop runs here to send to it
    webhook = endpoints.create_endpoint(core, system, url='https://8.8.8.8/hook', events=['execution.completed']).endpoint
    delivery = deliveries.send_test(core, system, webhook.id)
    return {
        'prompt': greeter.id, 'pending': pending.id, 'finished': finished.id, 'file': file.id, 'key': key.id,
        'webhook': webhook.id, 'delivery': delivery.id,
    }  # fmt: skip


def test_the_matrix_covers_every_route_but_health():
    routes = {(method.upper(), _template(path)) for path, operations in api.openapi()['paths'].items() for method in operations}
    assert routes == {(e.method, _template(e.path)) for e in ENDPOINTS} | {('GET', '/health')}


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('endpoint', ENDPOINTS, ids=str)
async def test_permission_matrix(client, make_key, world, endpoint: Endpoint, case: str):
    if case == 'no key':
        headers = {}
    else:
        scopes = {'its scope': [endpoint.scope], 'admin': ['admin']}.get(
            case, [s for s in SCOPES if s not in (endpoint.scope, 'admin')]
        )
        headers = {'X-API-Key': make_key(*scopes, revoked=case == 'revoked', expired=case == 'expired')}
    response = await send(client, endpoint, world, headers)
    if case in ('its scope', 'admin'):
        assert response.status_code == endpoint.ok, response.text
    elif case == 'every other scope':
        assert endpoint.scope in assert_error(response, 403, 'forbidden')['message']
    else:
        error = assert_error(response, 401, 'unauthorized')
        assert {'no key': 'missing', 'revoked': 'revoked', 'expired': 'expired'}[case] in error['message']


async def test_health_needs_no_key(client):
    assert (await client.get('/health')).status_code == 200


async def send(client, endpoint: Endpoint, world: dict[str, str], headers: dict):
    path = endpoint.path.format(**world)
    json = {k: v.format(**world) if isinstance(v, str) else v for k, v in endpoint.json.items()} if endpoint.json else None
    upload = {'file': ('b.txt', b'hi', 'text/plain')} if endpoint.upload else None
    return await client.request(endpoint.method, path, json=json, files=upload, headers=headers)


def _template(path: str) -> str:
    """'/deployments/support-bot/run' and '/deployments/{name}/run' -> '/deployments/{}/run'."""
    parts = path.split('/')
    fixed = {'deployments', 'executions', 'prompts', 'providers', 'files', 'run', 'revisions', 'events', 'cancel', 'versions',
             'preview', 'models', 'content', 'health', 'keys', 'rollouts', 'current', 'metrics', 'rollback', 'webhooks',
             'deliveries', 'test', 'resend', 'rotate-secret', ''}  # fmt: skip
    return '/'.join(part if part in fixed else '{}' for part in parts)

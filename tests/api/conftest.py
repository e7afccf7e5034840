"""API test fixtures: an in-process HTTP client over the API bound to the test's core, keys, and a worker."""

from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.routing import Mount

from api.app import api, bind_core, serve_first
from core import api_keys
from core.app import Core
from core.engine.worker import Worker
from core.permissions import Actor
from data.tables import ApiKey, utcnow
from tests.core.webhooks.conftest import dns  # noqa: F401  (fixture: host names whose answers a test decides)
from tests.fakes.webhook_receiver import new_webhook_receiver, webhook_receiver  # noqa: F401  (fixtures)

BASE_URL = 'http://testserver/api/v1'


@pytest.fixture
async def client(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    """Requests to /api/v1/... on the API mounted as main.py mounts it, without a socket."""
    bind_core(core)
    app = Starlette(routes=[Mount('/api/v1', app=api)])
    serve_first(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def make_key(core: Core) -> Callable[..., str]:
    """make_key('prompts:read', ...) -> a token holding exactly those scopes."""

    def make(*scopes: str, expired: bool = False, revoked: bool = False) -> str:
        created = api_keys.create_api_key(core, Actor.system(), name='test key', scopes=list(scopes), expires_days=1)
        if expired:
            with core.session() as session:
                session.execute(
                    sa.update(ApiKey).where(ApiKey.id == created.key.id).values(expires_at=utcnow() - timedelta(seconds=1))
                )
        if revoked:
            api_keys.revoke_api_key(core, Actor.system(), created.key.id)
        return created.token

    return make


@pytest.fixture
def admin(make_key: Callable[..., str]) -> dict[str, str]:
    """Headers of an admin key."""
    return {'Authorization': f'Bearer {make_key("admin")}'}


@pytest.fixture
async def worker(core: Core) -> AsyncIterator[Worker]:
    """The real execution worker, running in the test's event loop."""
    worker = Worker(core, name='api-tests', grace_seconds=1.0)
    await worker.start()
    yield worker
    await worker.stop()


async def create_prompt(client: httpx.AsyncClient, headers: dict, **fields) -> dict:
    body = {'name': 'greeter', 'template': 'You are terse.', **fields}
    response = await client.post('/prompts', json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def create_deployment(client: httpx.AsyncClient, headers: dict, prompt_id: str, **fields) -> dict:
    body = {
        'name': 'support-bot',
        'promptId': prompt_id,
        'promptVersion': None,
        'provider': 'openai',
        'model': 'gpt-4o-mini',
        **fields,
    }
    response = await client.post('/deployments', json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(
    client: httpx.AsyncClient,
    headers: dict,
    data: bytes = b'hello file',
    *,
    content_type: str = 'text/plain',
    name: str = 'note.txt',
) -> httpx.Response:
    return await client.post('/files', files={'file': (name, data, content_type)}, headers=headers)


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict:
    """The documented error shape, with the status, code and (when given) a detail naming `field`."""
    assert response.status_code == status, response.text
    error = response.json()['error']
    assert error['code'] == code, error
    assert isinstance(error['message'], str) and error['message']
    assert isinstance(error['details'], list)
    if field is not None:
        assert field in [detail['field'] for detail in error['details']], error
    return error

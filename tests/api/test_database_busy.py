"""Another process holds SQLite's write lock: a request waits a moment, then answers 503 database_busy, and writes nothing."""

import time

import pytest

from api.app import bind_core
from core.app import WEB_LOCK_WAIT_SECONDS, build_core
from data.tables import Execution
from tests.actors import count
from tests.api.conftest import assert_error, create_deployment, create_prompt
from tests.databases import write_lock


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite: the database whose write lock one process holds while others wait."""
    return sqlite_url


@pytest.fixture
def web_core(settings):
    """The core as the web process builds it: its statements wait for a lock only briefly."""
    core = build_core(settings, migrate=False, lock_wait=WEB_LOCK_WAIT_SECONDS)
    yield core
    core.db.dispose()


async def test_a_run_during_a_write_lock_is_503_database_busy_and_queues_nothing(client, admin, web_core, sqlite_url):
    prompt = await create_prompt(client, admin)
    await create_deployment(client, admin, prompt['id'])
    bind_core(web_core)  # from here on the API is served as main.py serves it
    with write_lock(sqlite_url, 3.0) as locked_at:
        started = time.monotonic()
        response = await client.post('/deployments/support-bot/run', json={'userInput': 'hi'}, headers=admin)
        answered = time.monotonic() - started
        assert time.monotonic() - locked_at < 3.0
    assert_error(response, 503, 'database_busy')
    assert response.headers['retry-after'] == '1'
    assert WEB_LOCK_WAIT_SECONDS <= answered < 4 * WEB_LOCK_WAIT_SECONDS
    assert count(web_core, Execution) == 0
    health = await client.get('/health')  # and once the lock has gone, all is well
    assert health.status_code == 200
    assert (await client.post('/deployments/support-bot/run', json={'userInput': 'hi'}, headers=admin)).status_code == 202

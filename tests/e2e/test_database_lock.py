"""Another process holds a write lock on the SQLite database: the server keeps answering (issue 8; issue 9, item 4).

A real `python main.py` and a real lock holder (a second process). Pages and /health only read, which SQLite's WAL lets
through; a run must write: it answers 503 `database_busy` within a moment instead of queueing behind the lock (the
issue's server took 34.7 s to answer /health during a 35 s lock), and once the lock goes, runs are accepted again.
"""

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from core import api_keys, deployments, prompts, users
from core.app import build_core
from core.permissions import Actor
from core.settings import Settings
from tests.databases import write_lock
from tests.e2e.server import running_app
from tests.e2e.test_browser import Page, browser  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
LOCK_SECONDS = 3.0
PROMPTLY = 0.5  # seconds: what a page or /health may take while the lock is held
NO_HANG = 2.0  # seconds: what a run that must wait for the lock a moment, then give up, may take
EMAIL, PASSWORD = 'ada@example.com', 'correct horse battery'


def test_a_write_lock_held_by_another_process_does_not_freeze_the_server(tmp_path, sqlite_url, fake_llm, browser):  # noqa: F811
    # no worker in this process: a worker's loop under a lock is the engine's own test (the worker waits it out)
    env = {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_SECRET_KEY': 'lock-test', 'HYPERSIGIL_WORKERS': '0'}
    key = {'X-API-Key': seed(Settings.from_env({**env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data')}))}
    run = {'userInput': 'Where is my order?'}
    with running_app(tmp_path, env) as url, httpx.Client(base_url=url, timeout=30) as client:
        cookies = sign_in(browser, url, tmp_path)
        with write_lock(sqlite_url, LOCK_SECONDS) as locked_at:
            health, health_seconds = timed(lambda: client.get('/api/v1/health'))
            login, login_seconds = timed(lambda: client.get('/login'))
            page, page_seconds = timed(lambda: client.get('/deployments', cookies=cookies))
            refused, run_seconds = timed(lambda: client.post('/api/v1/deployments/support-bot/run', json=run, headers=key))
            assert time.monotonic() - locked_at < LOCK_SECONDS, 'the lock went before the requests were done'
        accepted = client.post('/api/v1/deployments/support-bot/run', json=run, headers=key)

    assert health.status_code == 200 and health_seconds < PROMPTLY, (health.text, health_seconds)
    assert login.status_code == 200 and 'Sign in' in login.text and login_seconds < PROMPTLY, login_seconds
    assert page.status_code == 200 and 'New deployment' in page.text and page_seconds < PROMPTLY, page_seconds
    assert refused.status_code == 503 and run_seconds < NO_HANG, (refused.text, run_seconds)
    assert refused.json()['error']['code'] == 'database_busy' and refused.headers['retry-after'] == '1'
    assert accepted.status_code == 202, accepted.text


def seed(settings: Settings) -> str:
    """An admin account, a deployment to run and an API key, made before the server starts; the key."""
    core = build_core(settings)
    system = Actor.system()
    users.create_user(core, system, email=EMAIL, password=PASSWORD, role='admin')
    prompt = prompts.create_prompt(core, system, name='helpdesk', template='Answer briefly.')
    create = deployments.create_deployment(
        core, system, name='support-bot', prompt_id=prompt.id, provider='openai', model='gpt-4o-mini'
    )
    asyncio.run(create)
    token = api_keys.create_api_key(core, system, name='lock test', scopes=['deployments:run']).token
    core.db.dispose()
    return token


def sign_in(driver, url: str, directory: Path) -> dict[str, str]:
    """Sign in through the real form in the browser; the session's cookies."""
    page = Page(driver, directory / 'failure.png')
    driver.get(f'{url}/login')
    page.type('Email', EMAIL)
    page.type('Password', PASSWORD)
    page.click('Sign in')
    page.see('New deployment')
    return {cookie['name']: cookie['value'] for cookie in driver.get_cookies()}


def timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started

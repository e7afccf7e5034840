"""`python main.py` as it starts by default on SQLite: the web process and the worker processes it supervises.

Runs go to the workers, and their deltas reach the web process's streams; a worker that dies is started again; SIGTERM
and SIGINT stop every process; and workers whose supervisor was killed (SIGKILL: no time to stop them) exit by themselves.
"""

import os
import signal
import time

import httpx
import pytest

from core.settings import Settings
from tests.e2e.clients import seed, stream, text_of
from tests.e2e.server import alive, started_app

ORPHAN_SECONDS = 5.0  # the longest a worker may outlive its killed supervisor


@pytest.fixture
def app_env(sqlite_url, fake_llm, tmp_path) -> dict[str, str]:
    """One worker process: starting one costs seconds of CPU, and one shows what these tests ask."""
    fake_llm.chunk_delay = 0.05  # the deltas arrive over a while, each on its own
    secret = 'supervisor-test'
    return {**fake_llm.env, 'HYPERSIGIL_DATABASE_URL': sqlite_url, 'HYPERSIGIL_SECRET_KEY': secret, 'HYPERSIGIL_WORKERS': '1'}


def test_runs_stream_from_supervised_workers_and_a_dead_worker_is_restarted(tmp_path, app_env, fake_llm):
    app_env['HYPERSIGIL_WORKERS'] = '2'  # two, to see one replaced beside one that lives on
    key = seed(Settings.from_env({**app_env, 'HYPERSIGIL_DATA_DIR': str(tmp_path / 'app' / 'data')}))
    with started_app(tmp_path / 'app', app_env) as app:
        app.wait_until_up()
        events = stream(app.url, '/deployments/bot/run', key, method='POST', params={'stream': 'true'}, json={'userInput': 'hi'})
        assert [kind for kind, _ in events].count('delta') >= 3 and events[-1][0] == 'execution'
        assert text_of(events) == fake_llm.reply_text and events[-1][1]['status'] == 'completed'
        workers = until(lambda: len(app.children()) == 2 and app.children(), 30, 'two worker processes')

        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        replaced = until(lambda: len(app.children() - workers) == 1 and app.children(), 30, 'a worker in its place')
        assert victim not in replaced and len(replaced) == 2 and len(replaced & workers) == 1
        run = f'{app.url}/api/v1/deployments/bot/run'
        answer = httpx.post(run, params={'wait': 20}, json={'userInput': 'again'}, headers=key, timeout=30)
        assert answer.status_code == 200 and answer.json()['status'] == 'completed'


@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_web_process_and_all_its_workers(tmp_path, app_env, signum):
    with started_app(tmp_path / 'app', app_env) as app:
        app.wait_until_up()
        workers = until(app.children, 30, 'its worker process')
        app.process.send_signal(signum)
        assert app.process.wait(20) in (0, -signum)  # uvicorn raises the signal again once it has shut down
        until(lambda: not any(alive(pid) for pid in workers), 5, 'the workers to end with it')


def test_workers_exit_when_their_supervisor_is_killed(tmp_path, app_env):
    with started_app(tmp_path / 'app', app_env) as app:
        app.wait_until_up()
        workers = until(app.children, 30, 'its worker process')
        app.process.kill()  # while the worker starts, or once it works: either way it must notice
        killed = time.monotonic()
        until(lambda: not any(alive(pid) for pid in workers), 10, 'the orphaned workers to exit')
        assert time.monotonic() - killed < ORPHAN_SECONDS


def until(probe, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f'waited {timeout} s for {what}')

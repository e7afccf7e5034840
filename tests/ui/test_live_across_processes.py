"""The dashboard follows an execution that a worker process runs: its reply grows live on the execution's page.

The app under test (NiceGUI's `user` fixture) has no worker of its own; a `python main.py worker` process runs the
execution. On SQLite (the default set-up, as with the workers `python main.py` supervises) the deltas come over the
sockets between the machine's processes; on PostgreSQL (the app then stands for a second web instance) over
LISTEN/NOTIFY.
"""

from collections.abc import Iterator

import pytest
from nicegui.testing import User

from core import executions
from core.permissions import Actor
from tests.e2e.server import started_app
from tests.fakes.script import split_chunks
from tests.ui.conftest import SLOW, eventually, make_deployment, make_prompt, marked, signed_in

REPLY = 'Your invoice is in the billing tab, under Documents, since the first of the month.'


@pytest.fixture(params=['sqlite', 'postgresql'])
def worker_process(request, monkeypatch, dashboard_env, tmp_path) -> Iterator[None]:
    """A worker process on the app's database; the app itself runs none (set before `user` starts it)."""
    env = {**dashboard_env, 'HYPERSIGIL_WORKERS': '0'}
    if request.param == 'postgresql':
        env['HYPERSIGIL_DATABASE_URL'] = request.getfixturevalue('postgres_database').fresh_url()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with started_app(tmp_path / 'worker', env, command='worker') as worker:
        yield
        assert 'ERROR' not in worker.log.read_text()


async def test_the_reply_grows_live_though_another_process_runs_it(worker_process, user: User, seed, fake_llm) -> None:
    fake_llm.reply(REPLY)
    fake_llm.chunk_delay = 0.4  # four deltas over more than a second
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    queued = await executions.run_deployment(seed, Actor.system(), 'support-bot', user_input='Where is my invoice?')
    await user.open(f'/executions/{queued.id}')
    result = marked(user, 'result')
    first, *_ = split_chunks(REPLY)
    await eventually(lambda: result.content.startswith(first), timeout=SLOW / 10 * 3)  # a worker process takes seconds to start
    assert result.content != REPLY  # part of the reply: the rest is still coming
    assert executions.get_execution(seed, Actor.system(), queued.id).status == 'running'
    await eventually(lambda: result.content == REPLY)
    await eventually(lambda: executions.get_execution(seed, Actor.system(), queued.id).status == 'completed')
    await user.should_see('completed', retries=SLOW)

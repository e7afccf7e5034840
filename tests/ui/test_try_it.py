"""Try it while another process holds the database's write lock: a plain message at once, not a frozen page."""

import time

import pytest
from nicegui.testing import User

from data.tables import Execution
from tests.actors import count
from tests.databases import write_lock
from tests.ui.conftest import make_deployment, make_prompt, signed_in


@pytest.fixture
def api_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker in the dashboard's process (requested before `user`, which starts it): nothing else writes meanwhile."""
    monkeypatch.setenv('HYPERSIGIL_WORKERS', '0')


async def test_a_run_during_a_write_lock_says_the_database_is_busy_and_the_next_one_runs(
    api_only, user: User, seed, sqlite_url: str
) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed)
    await user.open('/deployments/support-bot')
    user.find(marker='try-input').type('How do I reset my password?')
    with write_lock(sqlite_url, 3.0) as locked_at:
        user.find('Run').click()
        await user.should_see('the database is busy', retries=20)  # 2 s at most
        assert time.monotonic() - locked_at < 3.0
    assert count(seed, Execution) == 0
    user.find('Run').click()
    await user.should_see('pending', retries=20)
    assert count(seed, Execution) == 1

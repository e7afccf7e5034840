"""The first admin: only for the holder of a setup link printed at start, once, whichever process is asked."""

import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from queue import Empty

import pytest

from core import users
from core.app import build_core
from core.errors import Conflict, Forbidden
from core.permissions import Actor
from core.settings import Settings

PASSWORD = 'correct horse battery'


def test_no_token_or_a_wrong_one_creates_nobody(core) -> None:
    users.issue_setup_token(core)
    for token in ('', 'guessed', 'x' * 43):
        with pytest.raises(Forbidden, match='setup link'):
            users.create_first_admin(core, token=token, email='eve@example.com', password=PASSWORD)
        assert not users.setup_token_valid(core, token)
    assert users.needs_first_admin(core)


def test_a_wrong_token_does_not_spoil_the_right_one(core) -> None:
    token = users.issue_setup_token(core)
    with pytest.raises(Forbidden):
        users.create_first_admin(core, token='guessed', email='eve@example.com', password=PASSWORD)
    assert users.setup_token_valid(core, token)
    assert users.create_first_admin(core, token=token, email='ada@example.com', password=PASSWORD).role == 'admin'


def test_a_setup_link_stops_working_once_an_account_exists(core) -> None:
    token = users.issue_setup_token(core)
    users.create_user(core, Actor.system(), email='ops@example.com', password=PASSWORD, role='admin')  # from the CLI
    assert not users.setup_token_valid(core, token)
    with pytest.raises(Conflict):
        users.create_first_admin(core, token=token, email='eve@example.com', password=PASSWORD)


def test_processes_racing_with_their_own_setup_links_make_exactly_one_admin(settings: Settings) -> None:
    """Several instances started together each printed a link; all are opened at once: the database picks one."""
    core = build_core(settings, migrate=False)
    tokens = [users.issue_setup_token(core) for _ in range(3)]
    context = multiprocessing.get_context('spawn')
    ready, results = context.Barrier(len(tokens) + 1), context.Queue()
    processes = [
        context.Process(target=_create_admin, args=(dict(settings.env), token, f'admin{n}@example.com', ready, results))
        for n, token in enumerate(tokens)
    ]
    for process in processes:
        process.start()
    try:
        with _writes_held(core):  # so the three transactions meet: each waits here, then all go at once
            ready.wait(60)
            time.sleep(2)
        outcomes = sorted(results.get(timeout=60) for _ in processes)
    except Empty:
        pytest.fail('a process did not answer within 60 s')
    finally:
        for process in processes:
            process.join(10)
    try:
        assert outcomes.count('created') == 1 and len(outcomes) == 3, outcomes
        assert len(users.list_users(core, Actor.system())) == 1
    finally:
        core.db.dispose()


@contextmanager
def _writes_held(core) -> Iterator[None]:
    """Hold off writes to setup_token from every other connection until the block ends."""
    connection = core.db.raw_connection()
    try:
        if core.db.dialect.name == 'postgresql':
            connection.cursor().execute('LOCK TABLE setup_token IN SHARE MODE')
        else:
            connection.execute('BEGIN IMMEDIATE')
        yield
    finally:
        connection.rollback()
        connection.close()


def _create_admin(env: dict[str, str], token: str, email: str, ready, results) -> None:
    core = build_core(Settings.from_env(env), migrate=False)
    ready.wait(30)
    try:
        users.create_first_admin(core, token=token, email=email, password=PASSWORD)
        results.put('created')
    except (Forbidden, Conflict) as error:
        results.put(type(error).__name__)
    except Exception as error:  # anything else is what the test must see
        results.put(f'{type(error).__name__}: {error}')
    finally:
        core.db.dispose()

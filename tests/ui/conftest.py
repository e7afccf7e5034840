"""Dashboard tests: main.py runs per test (NiceGUI's `user` fixture) on its own SQLite file and the fake LLM server."""

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from core import deployments, prompts, users
from core.app import Core, build_core
from core.permissions import Actor
from core.prompts import PromptView
from core.settings import Settings

T = TypeVar('T', bound=ui.element)

PASSWORD = 'correct horse battery'
SLOW = 100  # should_see attempts (0.1 s apart) for steps that hash a password or wait on the worker


@pytest.fixture(autouse=True)
def dashboard_env(monkeypatch: pytest.MonkeyPatch, tmp_path, sqlite_url: str, fake_llm) -> dict[str, str]:
    """Environment for main.py, set before the `user` fixture runs it."""
    env = {
        'HYPERSIGIL_DATA_DIR': str(tmp_path / 'data'),
        'HYPERSIGIL_DATABASE_URL': sqlite_url,
        'HYPERSIGIL_SECRET_KEY': 'test-secret-key',
        'HYPERSIGIL_WORKERS': 'inline',
        **fake_llm.env,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def seed(dashboard_env) -> Core:
    """A second Core on the app's database, for arranging data (it has its own event bus)."""
    core = build_core(Settings.from_env(), migrate=False)
    yield core
    core.db.dispose()


def add_user(core: Core, email: str, role: str) -> users.UserView:
    return users.create_user(core, Actor.system(), email=email, password=PASSWORD, role=role)


async def sign_in(user: User, email: str) -> None:
    await user.open('/login')
    user.find('Email').type(email)
    user.find('Password').type(PASSWORD)
    user.find(kind=ui.button, content='Sign in').click()
    await user.should_see('New deployment', retries=SLOW)


async def signed_in(user: User, core: Core, role: str = 'admin', email: str | None = None) -> users.UserView:
    """An account with `role`, signed in through the form."""
    account = add_user(core, email or f'{role}@example.com', role)
    await sign_in(user, account.email)
    return account


def choose(user: User, marker: str, option: str) -> None:
    """Open the select marked `marker` and click `option`, as a person would."""
    select = user.find(marker=marker)
    select.click()
    UserInteraction(user, select.elements, option).click()


def make_prompt(
    core: Core, name: str = 'Helpdesk', template: str = 'You answer support questions briefly.', **extra
) -> PromptView:
    return prompts.create_prompt(core, Actor.system(), name=name, template=template, **extra)


async def make_deployment(
    core: Core, name: str, prompt: PromptView, *, provider: str = 'openai', model: str = 'gpt-4o-mini', **extra
):
    return await deployments.create_deployment(
        core, Actor.system(), name=name, prompt_id=prompt.id, provider=provider, model=model, **extra
    )


def only(user: User, kind: type[T]) -> T:
    """The one element of `kind` on the page."""
    elements = user.find(kind).elements
    assert len(elements) == 1, f'expected one {kind.__name__}, found {len(elements)}'
    return next(iter(elements))


async def eventually(condition: Callable[[], object], *, timeout: float = 10.0) -> None:
    """Wait until `condition()` is true (the page updates from background tasks).

    A condition that fails an assertion (`user.find` and `marked` do while the element is not drawn yet) is not true
    yet; at the deadline, that assertion is the one raised.
    """
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        if time.monotonic() > deadline:
            last = condition()  # a failed assertion is raised from here
            raise AssertionError(f'still false after {timeout} s: {condition} gave {last!r}')
        await asyncio.sleep(0.02)


def _holds(condition: Callable[[], object]) -> bool:
    try:
        return bool(condition())
    except AssertionError:
        return False


def marked(user: User, marker: str) -> ui.element:
    """The one element with `marker`."""
    elements = user.find(marker=marker).elements
    assert len(elements) == 1, f'expected one element marked {marker!r}, found {len(elements)}'
    return next(iter(elements))


async def models_loaded(user: User, model: str = 'gpt-4o') -> None:
    """Wait until the dialog's model list (filled from the provider in the background) offers `model`."""
    await eventually(lambda: model in marked(user, 'model').options)


async def dialog_open(user: User) -> None:
    """Wait until a dialog is open (it opens once its form is filled from the database)."""
    await eventually(lambda: any(dialog.value for dialog in user.find(ui.dialog).elements))

"""A tab opened earlier acts as its person is now: after a role change, a disabled account or a sign-out elsewhere."""

from collections.abc import Callable

import pytest
from nicegui import ui
from nicegui.testing import User

from core import api_keys, prompts, users
from core.permissions import Actor
from data.tables import Execution
from tests.actors import count
from tests.ui.conftest import SLOW, add_user, make_deployment, make_prompt, marked, sign_in, signed_in

SIGNED_OUT = 'You are signed out'


@pytest.fixture
async def admins(user: User, create_user: Callable[[], User], seed) -> tuple[User, User]:
    """Ada with Settings → API keys open in her browser; Bob, another admin, on Settings in his."""
    await signed_in(user, seed, 'admin', 'ada@example.com')
    await user.open('/settings')
    bob = create_user()
    add_user(seed, 'bob@example.com', 'admin')
    await sign_in(bob, 'bob@example.com')
    await bob.open('/settings')
    await bob.should_see(marker='role-ada@example.com')
    return user, bob


def try_to_create_an_admin_key(tab: User) -> None:
    tab.find(marker='key-name').type('backdoor')
    tab.find(kind=ui.checkbox, content='admin').click()
    tab.find('Create key').click()


async def test_a_demoted_admins_open_tab_cannot_create_an_admin_key(admins: tuple[User, User], seed) -> None:
    ada, bob = admins
    marked(bob, 'role-ada@example.com').value = 'viewer'
    await bob.should_see('ada@example.com is now viewer', retries=SLOW)
    try_to_create_an_admin_key(ada)
    await ada.should_see("this needs the 'admin' permission", retries=SLOW)
    assert api_keys.list_api_keys(seed, Actor.system()) == []


async def test_a_disabled_admins_open_tab_stops_working_and_says_so(admins: tuple[User, User], seed) -> None:
    ada, bob = admins
    bob.find(marker='toggle-ada@example.com').click()
    await bob.should_see('ada@example.com is disabled and signed out', retries=SLOW)
    try_to_create_an_admin_key(ada)
    await ada.should_see(SIGNED_OUT, retries=SLOW)
    await ada.should_see('Sign in again')
    assert api_keys.list_api_keys(seed, Actor.system()) == []


async def test_signing_out_in_another_tab_stops_this_one(admins: tuple[User, User], seed) -> None:
    ada, _ = admins
    other_tab = User(ada.http_client)  # the same browser: the same cookies
    await other_tab.open('/deployments')
    other_tab.find('Log out').click()
    await other_tab.should_see('Sign in to Hypersigil', retries=SLOW)
    try_to_create_an_admin_key(ada)
    await ada.should_see(SIGNED_OUT, retries=SLOW)
    assert api_keys.list_api_keys(seed, Actor.system()) == []


async def test_a_run_from_an_open_deployment_page_is_refused_after_signing_out_elsewhere(user: User, seed) -> None:
    await make_deployment(seed, 'support-bot', make_prompt(seed))
    await signed_in(user, seed, 'editor')
    await user.open('/deployments/support-bot')
    other_tab = User(user.http_client)
    await other_tab.open('/prompts')
    other_tab.find('Log out').click()
    await other_tab.should_see('Sign in to Hypersigil', retries=SLOW)
    user.find(marker='try-input').type('Hello?')
    user.find('Run').click()
    await user.should_see(SIGNED_OUT, retries=SLOW)
    assert count(seed, Execution) == 0


async def test_a_disabled_editors_open_prompt_editor_saves_nothing(user: User, seed) -> None:
    editor = await signed_in(user, seed, 'editor')
    await user.open('/prompts/new')
    admin = add_user(seed, 'ada@example.com', 'admin')
    users.set_disabled(seed, admin.actor, editor.id, disabled=True)
    user.find('Name').type('Helpdesk')
    user.find(marker='template').type('You answer briefly.')
    user.find('Create prompt').click()
    await user.should_see(SIGNED_OUT, retries=SLOW)
    assert prompts.list_prompts(seed, Actor.system()).total == 0

"""First run, sign in, sign out, and the redirect for visitors without a session."""

from nicegui import ui
from nicegui.testing import User

from core import users
from tests.ui.conftest import PASSWORD, SLOW, add_user, sign_in


async def test_first_run_asks_for_the_admin_account_and_signs_it_in(user: User, seed) -> None:
    await user.open('/deployments')
    await user.should_see('Create the admin account')
    user.find('Admin email').type('ada@example.com')
    user.find('Password').type(PASSWORD)
    user.find('Repeat password').type(PASSWORD)
    user.find(kind=ui.button, content='Create admin account').click()
    await user.should_see('New deployment', retries=SLOW)
    await user.should_see('ada@example.com · admin')
    assert not users.needs_first_admin(seed)


async def test_first_run_shows_a_short_password_next_to_the_field_and_creates_nobody(user: User, seed) -> None:
    await user.open('/setup')
    user.find('Admin email').type('ada@example.com')
    user.find('Password').type('short')
    user.find('Repeat password').type('short')
    user.find(kind=ui.button, content='Create admin account').click()
    await user.should_see('use at least 8 characters', retries=SLOW)
    assert users.needs_first_admin(seed)


async def test_setup_is_closed_once_an_account_exists(user: User, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    await user.open('/setup')
    await user.should_see('Sign in to Hypersigil')


async def test_sign_in_with_a_wrong_password_is_refused_on_the_form(user: User, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    await user.open('/login')
    user.find('Email').type('ada@example.com')
    user.find('Password').type('not the password')
    user.find(kind=ui.button, content='Sign in').click()
    await user.should_see('wrong email or password', retries=SLOW)
    await user.open('/deployments')
    await user.should_see('Sign in to Hypersigil')


async def test_sign_in_then_log_out(user: User, seed) -> None:
    add_user(seed, 'ada@example.com', 'editor')
    await sign_in(user, 'ada@example.com')
    await user.should_see('ada@example.com · editor')
    user.find('Log out').click()
    await user.should_see('Sign in to Hypersigil')
    await user.open('/prompts')
    await user.should_see('Sign in to Hypersigil')


async def test_a_disabled_account_loses_its_session(user: User, seed) -> None:
    admin = add_user(seed, 'ada@example.com', 'admin')
    bob = add_user(seed, 'bob@example.com', 'editor')
    await sign_in(user, 'bob@example.com')
    users.set_disabled(seed, admin.actor, bob.id, disabled=True)
    await user.open('/deployments')
    await user.should_see('Sign in to Hypersigil')

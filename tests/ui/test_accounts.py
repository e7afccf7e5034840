"""First run from the printed setup link, sign in (throttled, only to this site's pages), sign out."""

import re

import pytest
from nicegui import ui
from nicegui.testing import User

from core import users
from tests.ui.conftest import PASSWORD, SLOW, add_user, sign_in


async def test_the_setup_link_printed_at_start_creates_the_admin_and_signs_it_in(capsys, user: User, seed) -> None:
    link = re.search(r'http://\S+(/setup\?token=\S+)', capsys.readouterr().out)
    assert link, 'serve prints a setup link while no account exists'
    await user.open(link.group(1))
    await user.should_see('Create the admin account')
    user.find('Admin email').type('ada@example.com')
    user.find('Password').type(PASSWORD)
    user.find('Repeat password').type(PASSWORD)
    user.find(kind=ui.button, content='Create admin account').click()
    await user.should_see('New deployment', retries=SLOW)
    await user.should_see('ada@example.com · admin')
    assert not users.needs_first_admin(seed)


@pytest.mark.parametrize('path', ['/deployments', '/setup', '/setup?token=guessed'])
async def test_without_the_setup_link_the_first_visitor_cannot_become_admin(user: User, seed, path: str) -> None:
    await user.open(path)
    await user.should_see('open the setup link that the server printed in its console')
    await user.should_not_see('Admin email')
    assert users.needs_first_admin(seed)


async def test_first_run_shows_a_short_password_next_to_the_field_and_creates_nobody(user: User, seed) -> None:
    await user.open(f'/setup?token={users.issue_setup_token(seed)}')
    user.find('Admin email').type('ada@example.com')
    user.find('Password').type('short')
    user.find('Repeat password').type('short')
    user.find(kind=ui.button, content='Create admin account').click()
    await user.should_see('use at least 8 characters', retries=SLOW)
    assert users.needs_first_admin(seed)


async def test_setup_is_closed_once_an_account_exists(user: User, seed) -> None:
    token = users.issue_setup_token(seed)
    add_user(seed, 'ada@example.com', 'admin')
    await user.open(f'/setup?token={token}')
    await user.should_see('Sign in to Hypersigil')


async def test_sign_in_with_a_wrong_password_is_refused_on_the_form(user: User, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    await attempt(user, 'ada@example.com', 'not the password')
    await user.should_see('wrong email or password', retries=SLOW)
    await user.open('/deployments')
    await user.should_see('Sign in to Hypersigil')


async def test_repeated_wrong_passwords_make_the_form_say_how_long_to_wait(user: User, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    for _ in range(5):
        await attempt(user, 'ada@example.com', 'not the password')
        await user.should_see('wrong email or password', retries=SLOW)
    await attempt(user, 'ada@example.com', PASSWORD)  # even the right password waits now
    await user.should_see('too many failed sign-ins: try again in 30 seconds', retries=SLOW)
    await user.open('/deployments')
    await user.should_see('Sign in to Hypersigil')


@pytest.mark.parametrize(
    ('next_page', 'landing'),
    [('/prompts', '/prompts'), ('/%5Cevil.example/x', '/deployments'), ('//evil.example/x', '/deployments')],
)
async def test_sign_in_returns_to_a_page_of_this_site_only(user: User, seed, next_page: str, landing: str) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    await user.open(f'/login?next={next_page}')
    user.find('Email').type('ada@example.com')
    user.find('Password').type(PASSWORD)
    user.find(kind=ui.button, content='Sign in').click()
    await user.should_see('Log out', retries=SLOW)
    assert user.client.request.url.path == landing


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


async def attempt(user: User, email: str, password: str) -> None:
    await user.open('/login')
    user.find('Email').type(email)
    user.find('Password').type(password)
    user.find(kind=ui.button, content='Sign in').click()

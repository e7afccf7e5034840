"""The session cookie: our own name, new at every sign-in (a planted one never becomes a session), over at sign-out."""

from collections.abc import Callable

import httpx
import pytest
from nicegui.testing import User

from core import sessions
from tests.ui.conftest import SLOW, add_user, sign_in


@pytest.fixture
def browser(create_user: Callable[[], User]) -> Callable[[], httpx.AsyncClient]:
    """Another browser on the same app, with cookies of its own."""
    return lambda: create_user().http_client


async def lands_on_sign_in(client: httpx.AsyncClient, path: str = '/deployments') -> bool:
    response = await client.get(path)
    return response.status_code == 307 and response.headers['location'].startswith('/login')


async def test_a_cookie_planted_before_sign_in_never_becomes_the_session(user: User, browser, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    attacker = browser()
    await attacker.get('/login')
    await attacker.get('/deployments')  # whatever cookies a visit hands out, the attacker keeps a copy
    user.http_client.cookies.update(attacker.cookies)  # ... and plants them in the victim's browser
    await sign_in(user, 'ada@example.com')
    assert await lands_on_sign_in(attacker)
    assert user.http_client.cookies.get('hypersigil_session') not in dict(attacker.cookies).values()


async def test_the_session_cookie_is_ours_http_only_and_lax(user: User, seed) -> None:
    ada = add_user(seed, 'ada@example.com', 'admin')
    response = await user.http_client.get(f'/session/start?ticket={sessions.issue_ticket(seed, ada.id)}')
    cookie = next(c for c in response.headers.get_list('set-cookie') if c.startswith('hypersigil_session='))
    assert 'HttpOnly' in cookie and 'SameSite=lax' in cookie and 'Secure' not in cookie
    assert response.status_code == 303 and response.headers['location'] == '/deployments'


@pytest.fixture
def over_https(dashboard_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HYPERSIGIL_SECURE_COOKIES', '1')


async def test_over_https_the_cookie_is_secure_and_bound_to_this_host(over_https, user: User, seed) -> None:
    ada = add_user(seed, 'ada@example.com', 'admin')
    response = await user.http_client.get(f'/session/start?ticket={sessions.issue_ticket(seed, ada.id)}')
    cookie = next(c for c in response.headers.get_list('set-cookie') if 'hypersigil_session=' in c)
    assert cookie.startswith('__Host-hypersigil_session=') and 'Secure' in cookie and 'Path=/' in cookie


async def test_a_sign_in_ticket_works_once(user: User, browser, seed) -> None:
    ada = add_user(seed, 'ada@example.com', 'admin')
    ticket = sessions.issue_ticket(seed, ada.id)
    assert (await user.http_client.get(f'/session/start?ticket={ticket}')).headers['location'] == '/deployments'
    replay = browser()
    assert (await replay.get(f'/session/start?ticket={ticket}')).headers['location'] == '/login'
    assert await lands_on_sign_in(replay)


async def test_a_sign_in_link_from_another_site_signs_nobody_in(user: User, seed) -> None:
    ada = add_user(seed, 'ada@example.com', 'admin')
    ticket = sessions.issue_ticket(seed, ada.id)
    response = await user.http_client.get(f'/session/start?ticket={ticket}', headers={'Sec-Fetch-Site': 'cross-site'})
    assert response.headers['location'] == '/login' and 'set-cookie' not in response.headers
    assert await lands_on_sign_in(user.http_client)


async def test_signing_out_ends_the_session_even_for_a_copy_of_the_cookie(user: User, browser, seed) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    await sign_in(user, 'ada@example.com')
    copy = browser()
    copy.cookies.update(user.http_client.cookies)
    assert not await lands_on_sign_in(copy)
    user.find('Log out').click()
    await user.should_see('Sign in to Hypersigil', retries=SLOW)
    assert await lands_on_sign_in(copy)


async def test_a_plain_link_to_log_out_signs_nobody_out(user: User, seed) -> None:
    """Another site could embed such a link (an image, a redirect): signing out takes the button on our page."""
    add_user(seed, 'ada@example.com', 'admin')
    await sign_in(user, 'ada@example.com')
    for method in ('GET', 'POST'):
        await user.http_client.request(method, '/logout')
    assert not await lands_on_sign_in(user.http_client)

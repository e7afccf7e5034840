"""One guard for every dashboard page: no session, no page; a missing thing shown inside the frame; safe headers."""

import re

import pytest
from nicegui import Client
from nicegui.testing import User

from tests.ui.conftest import add_user, signed_in
from ui import unconnected_pages

PAGES = ['/deployments', '/deployments/support-bot', '/executions', '/executions/1234', '/prompts', '/prompts/new', '/files']


@pytest.mark.parametrize('path', [*PAGES, '/settings', '/executions?status=failed'])
async def test_a_visitor_without_a_session_is_sent_to_sign_in_and_back(user: User, seed, path: str) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    response = await user.http_client.get(path)
    assert response.status_code == 307
    assert response.headers['location'] == '/login?next=' + path.replace('/', '%2F').replace('?', '%3F').replace('=', '%3D')


async def test_every_page_but_sign_in_and_setup_is_guarded(user: User, seed) -> None:
    """Pages guard themselves: one that forgot would be open to anyone, so every registered page is tried."""
    add_user(seed, 'ada@example.com', 'admin')
    open_pages = {'/login', '/setup'}
    paths = {re.sub(r'\{[^}]+\}', 'x', path) for path in Client.page_routes.values()} - open_pages
    assert {'/deployments', '/settings', '/prompts/x'} <= paths
    for path in sorted(paths):
        response = await user.http_client.get(path)
        assert (response.status_code, response.headers.get('location', '')[:6]) == (307, '/login'), path


async def test_anonymous_visitors_get_no_cookie_and_a_redirect_keeps_no_page(user: User, seed) -> None:
    """What anonymous visits leave on the server must stay bounded (issue 9, item 17): no per-browser session."""
    add_user(seed, 'ada@example.com', 'admin')
    clients = len(Client.instances)
    for _ in range(10):
        user.http_client.cookies.clear()
        assert 'set-cookie' not in (await user.http_client.get('/login')).headers
        assert (await user.http_client.get('/deployments')).status_code == 307
    assert len(Client.instances) == clients + 10  # the sign-in pages, none for the redirects


async def test_sign_in_pages_that_never_connect_are_bounded_and_connected_ones_kept(
    user: User, seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(seed, 'ada@example.com', 'admin')
    monkeypatch.setattr(unconnected_pages, 'MAX_WAITING', 5)
    await user.open('/login')  # a real browser: it connects
    clients = len(Client.instances)
    for _ in range(30):
        user.http_client.cookies.clear()
        await user.http_client.get('/login')
    assert len(Client.instances) <= clients + 5
    assert not user.client.is_deleted
    await user.should_see('Sign in to Hypersigil')


@pytest.mark.parametrize(
    ('path', 'message', 'back'),
    [
        ('/deployments/nobody', 'no deployment', 'Back to deployments'),
        ('/prompts/nothing', 'no prompt', 'Back to prompts'),
        ('/executions/00000000-0000-0000-0000-000000000000', 'no execution', 'Back to executions'),
    ],
)
async def test_something_missing_is_shown_inside_the_frame(user: User, seed, path: str, message: str, back: str) -> None:
    await signed_in(user, seed)
    await user.open(path)
    await user.should_see('Not found')
    await user.should_see(back)
    await user.should_see('Log out')
    await user.should_see(message)


async def test_dashboard_pages_cannot_be_framed_sniffed_or_leak_their_address(user: User, seed) -> None:
    await signed_in(user, seed)
    for path in ('/login', '/deployments', '/setup'):
        headers = (await user.http_client.get(path)).headers
        assert headers['x-frame-options'] == 'DENY'
        assert headers['content-security-policy'] == "frame-ancestors 'none'"
        assert headers['x-content-type-options'] == 'nosniff'
        assert headers['referrer-policy'] == 'same-origin'

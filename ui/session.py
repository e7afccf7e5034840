"""Who uses a dashboard page: the session cookie, and the signed-in person re-read from the database at every action."""

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from nicegui import app, run, ui

from core import sessions
from core.app import Core
from core.permissions import Actor
from core.sessions import SessionEnded
from core.users import UserView
from ui.targets import login_url

T = TypeVar('T')
COOKIE = 'hypersigil_session'
SECURE_COOKIE = '__Host-hypersigil_session'  # the name over HTTPS: the browser then refuses it from a sibling domain
KNOWN_BROWSER_COOKIE = 'hypersigil_known_browser'
KNOWN_BROWSER_DAYS = 365
ENDED = 'hypersigil-session-ended'  # in the page's client storage once its session is found over


class SignedIn:
    """The person on one open page; its handlers call core through `act`, as the person is at that moment."""

    def __init__(self, core: Core, token: str, user: UserView) -> None:
        self.core, self.token = core, token
        self.user = user  # as the page was loaded: for showing, never for deciding

    async def act(self, function: Callable[..., T | Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """`function(core, actor, *args, **kwargs)` with the actor re-read now; synchronous work runs off the event loop.

        SessionEnded (signed out elsewhere, expired, disabled) is told to the person on the page, then raised.
        """
        if inspect.iscoroutinefunction(function):
            return await function(self.core, await self.actor(), *args, **kwargs)
        return await self._off_loop(lambda: function(self.core, self._actor_now(), *args, **kwargs))

    def may(self, scope: str) -> bool:
        """Whether the page offers an action (core decides again, as the person is then, when it is taken)."""
        return self.user.actor.can(scope)

    async def actor(self) -> Actor:
        """Who acts, as they are now (role, enabled, signed in)."""
        return await self._off_loop(self._actor_now)

    async def sign_out(self) -> None:
        await run.io_bound(sessions.end_session, self.core, self.token)
        ui.navigate.to('/login')

    def _actor_now(self) -> Actor:
        return sessions.resolve(self.core, self.token).actor

    async def _off_loop(self, work: Callable[[], T]) -> T:
        client = ui.context.client
        try:
            if client.storage.get(ENDED):  # once ended, the page asks the database no more
                raise SessionEnded()
            result = await run.io_bound(work)
        except SessionEnded:
            with client:
                tell_session_ended()
            raise
        if result is None and (app.is_stopping or asyncio.current_task().cancelling()):
            raise asyncio.CancelledError  # io_bound answers None when cancelled or stopping: stop here, not further on
        return result


def tell_session_ended() -> None:
    """Once per page: a notice that cannot be dismissed, with a way to sign in again and come back here."""
    client = ui.context.client
    if client.storage.get(ENDED):
        return
    client.storage[ENDED] = True
    request = client.request
    with client.layout, ui.dialog().props('persistent') as dialog, ui.card().classes('gap-3'):
        ui.label('You are signed out').classes('text-lg font-semibold')
        ui.label('Your session has ended: you signed out, it expired, or your account was disabled.')
        ui.link('Sign in again', login_url(request.url.path, request.url.query)).classes('font-semibold')
    dialog.open()


async def signed_in(core: Core, request: Request) -> SignedIn | None:
    """The person whose session cookie came with `request`, or None."""
    token = session_token(core, request)
    if not token:
        return None
    try:
        user = await run.io_bound(sessions.resolve, core, token)
    except SessionEnded:
        return None
    return SignedIn(core, token, user)


def session_token(core: Core, request: Request) -> str | None:
    return request.cookies.get(cookie_name(core))


def cookie_name(core: Core) -> str:
    return SECURE_COOKIE if core.settings.secure_cookies else COOKIE


def set_session_cookies(core: Core, response: Response, *, token: str, known_browser: str) -> None:
    """The session (HttpOnly, SameSite=Lax, Secure over HTTPS) and the long-lived known-browser token."""
    secure = core.settings.secure_cookies
    lifetime = int(sessions.SESSION_LIFETIME.total_seconds())
    response.set_cookie(cookie_name(core), token, max_age=lifetime, path='/', secure=secure, httponly=True, samesite='lax')
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        known_browser,
        max_age=KNOWN_BROWSER_DAYS * 86400,
        path='/',
        secure=secure,
        httponly=True,
        samesite='lax',
    )


def redirect(url: str) -> RedirectResponse:
    """Answer a page request with a redirect, and drop the page NiceGUI began for it (else it waits a minute to go)."""
    ui.context.client.delete()
    return RedirectResponse(url)

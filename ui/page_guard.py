"""The one guard of dashboard pages: signed-in people only, re-read from the database; a missing thing shown in the frame."""

import inspect
from collections.abc import Awaitable, Callable
from functools import wraps

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from core.app import Core
from core.errors import DomainError
from core.sessions import SessionEnded
from ui import feedback
from ui.frame import NAVIGATION, frame
from ui.session import SignedIn, redirect, signed_in
from ui.targets import login_url

PageBuilder = Callable[..., Awaitable[None]]


def dashboard_page(path: str, core: Core, *, section: str) -> Callable[[PageBuilder], PageBuilder]:
    """Register `build(me, **parameters)` as the page at `path`, for signed-in people only.

    A visitor without a session goes to /login?next=<this page>. A DomainError that `build` raises before it draws
    the page (e.g. NotFound for an unknown name in the path) is shown inside the frame, under `section`.
    """

    def decorator(build: PageBuilder) -> PageBuilder:
        parameters = list(inspect.signature(build).parameters.values())[1:]  # all but `me`
        wants_request = any(p.name == 'request' for p in parameters)

        @wraps(build)
        async def guarded(request: Request, **values) -> RedirectResponse | None:
            me = await signed_in(core, request)
            if me is None:
                return redirect(login_url(request.url.path, request.url.query))
            try:
                await build(me, **values, **({'request': request} if wants_request else {}))
            except SessionEnded:
                pass  # ended while the page was drawn: `act` has put the notice on it
            except DomainError as error:
                _not_available(me, error, section)
            return None

        if not wants_request:
            parameters.insert(0, inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request))
        guarded.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # what NiceGUI and FastAPI read
        ui.page(path)(guarded)
        return build

    return decorator


def _not_available(me: SignedIn, error: DomainError, section: str) -> None:
    back = next(link for label, link, _ in NAVIGATION if label == section)
    with frame('Not found', me, section=section):
        ui.label(feedback.message_of(error)).classes('text-negative')
        ui.link(f'Back to {section.lower()}', back)

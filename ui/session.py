"""Who is signed in: the user id in NiceGUI's per-browser storage, and the redirect for everyone else."""

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware

from core import users
from core.app import Core
from core.users import UserView

# open without a session: the sign-in pages, NiceGUI's assets, and the API (which uses API keys)
OPEN_PATHS = ('/login', '/setup')
OPEN_PREFIXES = ('/_nicegui', '/api/')


def signed_in_user(core: Core) -> UserView | None:
    """The account of this browser's session, or None (and the session is cleared) when it is gone or disabled."""
    user_id = app.storage.user.get('user_id')
    user = users.get_user(core, user_id) if user_id else None
    if user is None:
        app.storage.user.pop('user_id', None)
    return user


def sign_in(user: UserView) -> None:
    app.storage.user['user_id'] = user.id


def sign_out() -> None:
    app.storage.user.clear()


def to_login(path: str = '') -> RedirectResponse:
    target = '/login' + (f'?next={quote(path)}' if path and path not in OPEN_PATHS and path != '/' else '')
    return RedirectResponse(target)


class LoginRedirect(BaseHTTPMiddleware):
    """Sends a browser without a session to the sign-in page; the API and NiceGUI's own routes pass."""

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or path == '/api' or app.storage.user.get('user_id'):
            return await call_next(request)
        return to_login(path)

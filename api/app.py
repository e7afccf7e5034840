"""The FastAPI app served at /api/v1: built once at import, bound to the current Core by main.py (or a test)."""

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from api import docs, errors
from api.limits import BodyLimit, route_path
from api.openai_compat.app import openai_api
from api.routes import deployments, executions, files, health, keys, prompts, providers, rollouts, runs, webhooks
from core.app import Core

DESCRIPTION = """Run deployments by name and manage prompts, deployments, executions, files and webhooks.

Authenticate with an API key (`python main.py keys create`, or `POST /keys` with an admin key) as
`Authorization: Bearer hs_…` or `X-API-Key: hs_…`.
Errors have one shape: `{"error": {"code", "message", "details": [{"field", "message"}]}}`.

An OpenAI SDK runs deployments by name at `/api/v1/openai` (`/models`, `/chat/completions`; its errors in OpenAI's
shape): see `/api/v1/openai/docs`."""

api = FastAPI(
    title='Hypersigil API',
    version='1.0.0',
    description=DESCRIPTION,
    openapi_url='/openapi.json',
    docs_url=None,  # api/docs.py serves them, with Swagger UI's files from our own process
    redoc_url=None,
)
errors.install(api)
docs.install(api)
api.add_middleware(BodyLimit)
for module in (runs, deployments, rollouts, executions, prompts, providers, files, health, keys, webhooks):
    api.include_router(module.router)
api.mount('/openai', openai_api)


def bind_core(core: Core) -> FastAPI:
    """Serve `core` from now on (main.py runs again per UI test with a fresh core; the mounted app stays the same)."""
    api.state.core = openai_api.state.core = core
    return api


def serve_first(host: Starlette, prefix: str = '/api/v1') -> None:
    """Hand requests under `prefix` to the API ahead of the host app's middleware.

    The dashboard's middleware (NiceGUI's sessions, per-session storage, gzip, the login redirect) is for browsers:
    an API client sends a key, not a cookie, and each of those layers costs every call, and a session per cookie-less
    request. The host app's Mount at `prefix` stays for route listings; requests just no longer need it.
    """
    if getattr(host.build_middleware_stack, 'serves_api_first', False):
        return  # main.py runs again in the UI tests: wrap once

    def build_middleware_stack() -> ASGIApp:
        return ApiFirst(type(host).build_middleware_stack(host), prefix)

    build_middleware_stack.serves_api_first = True  # type: ignore[attr-defined]
    host.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
    host.middleware_stack = None  # rebuilt on the next request


class ApiFirst:
    """Requests under `prefix` go straight to the API, scoped as Starlette's Mount would; the rest to `app`."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http':
            path, root_path = route_path(scope), scope.get('root_path', '')
            if path == self.prefix or path.startswith(self.prefix + '/'):
                child = {**scope, 'app_root_path': scope.get('app_root_path', root_path), 'root_path': root_path + self.prefix}
                await api(child, receive, send)
                return
        await self.app(scope, receive, send)

"""Route dependencies: the bound Core, the calling key's Actor with the scope a route needs, paging parameters."""

from collections.abc import Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from core import api_keys
from core.app import Core
from core.errors import Unauthorized
from core.permissions import Actor

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name='bearer', bearerFormat='hs_…', description='`Authorization: Bearer hs_…`'
)
key_scheme = APIKeyHeader(name='X-API-Key', auto_error=False, scheme_name='apiKey', description='`X-API-Key: hs_…`')


async def get_core(request: Request) -> Core:
    """The Core that main.py (or a test) bound to the API app."""
    return request.app.state.core


CoreDep = Annotated[Core, Depends(get_core)]


async def api_key(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    key: Annotated[str | None, Depends(key_scheme)],
) -> str:
    """The API key the request carries (not yet checked); Unauthorized when it carries none. No I/O: on the loop."""
    token = bearer.credentials if bearer else key
    if not token:
        raise Unauthorized('missing API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`')
    return token.strip()


ApiKeyToken = Annotated[str, Depends(api_key)]


def request_token(request: Request) -> str | None:
    """The API key a request carries, read as api_key reads it, for code that runs outside the dependencies."""
    scheme, _, credentials = request.headers.get('authorization', '').partition(' ')
    token = credentials if scheme.lower() == 'bearer' and credentials else request.headers.get('x-api-key')
    return token.strip() if token else None


def authorized(scope: str) -> Callable[..., Actor]:
    """A dependency: the caller's Actor, which must hold `scope` (admin holds every scope).

    A plain `def`: FastAPI runs it in its thread pool, as the key's read must be off the loop. The key's last use is
    written after the answer (at most once a minute): a write may wait for a lock, and the request need not.
    """

    def actor(core: CoreDep, background: BackgroundTasks, token: ApiKeyToken) -> Actor:
        caller, use_is_stale = api_keys.verify(core, token)
        if use_is_stale:
            background.add_task(api_keys.record_use, core, caller.id)
        caller.require(scope)
        return caller

    actor.__name__ = f'requires_{scope.replace(":", "_")}'
    return actor


DeploymentsRun = Annotated[Actor, Depends(authorized('deployments:run'))]
DeploymentsRead = Annotated[Actor, Depends(authorized('deployments:read'))]
DeploymentsWrite = Annotated[Actor, Depends(authorized('deployments:write'))]
PromptsRead = Annotated[Actor, Depends(authorized('prompts:read'))]
PromptsWrite = Annotated[Actor, Depends(authorized('prompts:write'))]
ExecutionsRead = Annotated[Actor, Depends(authorized('executions:read'))]
ExecutionsWrite = Annotated[Actor, Depends(authorized('executions:write'))]
FilesRead = Annotated[Actor, Depends(authorized('files:read'))]
FilesWrite = Annotated[Actor, Depends(authorized('files:write'))]
WebhooksRead = Annotated[Actor, Depends(authorized('webhooks:read'))]
WebhooksWrite = Annotated[Actor, Depends(authorized('webhooks:write'))]
Admin = Annotated[Actor, Depends(authorized('admin'))]

PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description='1-based')]
PageSize = Annotated[int, Query(alias='pageSize', ge=1, le=100)]

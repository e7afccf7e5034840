"""Request body limits, read from the bound Core per request, answered in the API's error shape."""

from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response
from core.files import max_upload_bytes

JSON_BODY_LIMIT = 2 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


class BodyLimit:
    """Refuse a declared oversize body at once; cut off an undeclared one as it streams in (both 413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or scope['method'] in ('GET', 'HEAD', 'OPTIONS', 'DELETE'):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = Headers(scope=scope).get('content-length', '')
        if declared.isdigit() and int(declared) > limit:
            response = error_response(413, 'too_large', f'the request body is {declared} bytes; the limit here is {limit} bytes')
            await response(scope, receive, send)
            return
        # starlette's limiter raises a 413 HTTPException while the route reads the body; our handler shapes it
        await RequestBodyLimitMiddleware(self.app, limit)(scope, receive, send)

    def limit(self, scope: Scope) -> int:
        if route_path(scope).rstrip('/') == '/files':
            return max_upload_bytes(scope['app'].state.core) + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT


def route_path(scope: Scope) -> str:
    """The request path below the app's mount point (Starlette keeps the full path and adds the mount to root_path)."""
    root_path, path = scope.get('root_path', ''), scope['path']
    return path[len(root_path) :] if root_path and path.startswith(root_path) else path

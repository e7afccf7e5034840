"""The real OpenAI SDK, sync and async, talking to the API in the test's own process (no socket)."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import openai
from starlette.applications import Starlette
from starlette.routing import Mount

from api.app import api, bind_core, serve_first
from core.app import Core

BASE_URL = 'http://testserver/api/v1/openai'


def asgi_app(core: Core) -> Starlette:
    """The API mounted as main.py mounts it, serving `core`."""
    bind_core(core)
    app = Starlette(routes=[Mount('/api/v1', app=api)])
    serve_first(app)
    return app


class LoopTransport(httpx.BaseTransport):
    """A sync transport for a sync SDK running in a thread: each request is served by the app on the test's loop
    (where the worker and the event bus live), and answered whole."""

    def __init__(self, app: Starlette, loop: asyncio.AbstractEventLoop) -> None:
        self.asgi = httpx.ASGITransport(app=app)
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def serve() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            content = b''.join([part async for part in response.stream])
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run_coroutine_threadsafe(serve(), self.loop).result(timeout=60)


class Clients:
    """call(key, lambda client: client.chat.completions.create(...)) with the SDK of the flavour under test."""

    def __init__(self, app: Starlette, flavour: str) -> None:
        self.app = app
        self.flavour = flavour

    async def call(self, key: str, use: Callable[[Any], Any]) -> Any:
        if self.flavour == 'async':
            transport = httpx.ASGITransport(app=self.app)
            async with openai.AsyncOpenAI(**_options(key), http_client=httpx.AsyncClient(transport=transport)) as client:
                result = await use(client)
                return [chunk async for chunk in result] if isinstance(result, openai.AsyncStream) else result
        loop = asyncio.get_running_loop()

        def in_thread() -> Any:
            transport = LoopTransport(self.app, loop)
            with openai.OpenAI(**_options(key), http_client=httpx.Client(transport=transport)) as client:
                result = use(client)
                return list(result) if isinstance(result, openai.Stream) else result

        return await asyncio.to_thread(in_thread)


def _options(key: str) -> dict[str, Any]:
    return {'base_url': BASE_URL, 'api_key': key, 'max_retries': 0}

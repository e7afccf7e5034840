"""The benchmarks' load client: keep-alive HTTP on aiohttp, the transport the provider SDKs use here.

Measured with bench/api.py at 50 concurrent clients on 2 cores: httpx's AsyncClient spent 5 ms of CPU per request
(its connection pool grows costly with many connections in use), aiohttp 0.3 ms. On a machine the load generator
shares, that CPU is taken from the server: with httpx the client, not the server, set the throughput (105 runs/s
against 283). The direct baseline goes through the SDK's aiohttp transport, so both sides of a comparison now load
the machine alike.
"""

import json as json_module
from typing import Any, NamedTuple

import aiohttp

Params = dict[str, str | int | float | bool]


class Reply(NamedTuple):
    status_code: int
    text: str

    def json(self) -> Any:
        return json_module.loads(self.text)


class LoadClient:
    """`async with LoadClient(base_url, headers=...) as client: await client.post(path, json=...)`; the body is read."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None, connections: int = 100) -> None:
        self.base_url = base_url.rstrip('/')
        self._session = aiohttp.ClientSession(
            headers=headers,
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=3),  # under uvicorn's 5 s keep-alive
            timeout=aiohttp.ClientTimeout(total=60),
        )

    async def __aenter__(self) -> 'LoadClient':
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.close()

    async def request(
        self, method: str, path: str, *, params: Params | None = None, json: Any = None, headers: dict[str, str] | None = None
    ) -> Reply:
        query = {name: _text(value) for name, value in (params or {}).items()}
        async with self._session.request(method, self.base_url + path, params=query, json=json, headers=headers) as response:
            return Reply(response.status, await response.text())

    async def post(self, path: str, **options: Any) -> Reply:
        return await self.request('POST', path, **options)

    async def get(self, path: str, **options: Any) -> Reply:
        return await self.request('GET', path, **options)


def _text(value: str | int | float | bool) -> str:
    return ('true' if value else 'false') if isinstance(value, bool) else str(value)


ClientError = (aiohttp.ClientError, TimeoutError)

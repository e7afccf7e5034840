"""One SDK client per event loop: an SDK client's pooled connections belong to the loop that opened them.

The openai and anthropic clients ride on aiohttp (about a quarter less CPU per streamed call than httpx), whose
sessions must be closed on their own loop or they log an error when collected. So each client is closed by `aclose()`,
or else when its loop shuts down (`asyncio.run`, `asyncio.Runner`), or when its adapter is dropped while the loop still
runs: a parked async generator per client, which the loop's async-generator hooks finalize in both cases.
"""

import asyncio
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import suppress
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    def close(self) -> Awaitable[None]: ...


Client = TypeVar('Client', bound=Closable)


class PerLoop(Generic[Client]):
    def __init__(self, factory: Callable[[], Client]) -> None:
        self._factory = factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Client, AsyncGenerator]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> Client:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is None:
            client = self._factory()
            entry = self._clients[loop] = (client, _closed_with_loop(client, self._forgetter(loop, client)))
        return entry[0]

    async def aclose(self) -> None:
        """Close the running loop's client (the next get() builds a new one)."""
        entry = self._clients.get(asyncio.get_running_loop())
        if entry is not None:
            await entry[1].aclose()

    def _forgetter(self, loop: asyncio.AbstractEventLoop, client: Client) -> Callable[[], None]:
        """Drops the entry once its client is closed; weak references, as the entry must not keep its loop alive."""
        owner, loop_ref = weakref.ref(self), weakref.ref(loop)

        def forget() -> None:
            per_loop, loop = owner(), loop_ref()
            if per_loop is not None and loop is not None and per_loop._clients.get(loop, (None,))[0] is client:
                del per_loop._clients[loop]

        return forget


def _closed_with_loop(client: Closable, forget: Callable[[], None]) -> AsyncGenerator:
    """An async generator parked in its try block: closing it (by hand or by the loop's hooks) closes the client."""

    async def guard() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            forget()
            await client.close()

    generator = guard()
    with suppress(StopIteration):  # runs it to the yield: the loop now tracks it (firstiter hook)
        generator.asend(None).send(None)
    return generator

"""One SDK client per event loop: an SDK client's pooled connections belong to the loop that opened them.

Adapters hand the openai and anthropic clients a plain `DefaultAsyncHttpxClient`: the SDKs' own wrapper closes itself
on garbage collection by starting a task on whatever loop runs then, which fails (and logs an error) once its loop is gone.
"""

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

Client = TypeVar('Client')


class PerLoop(Generic[Client]):
    def __init__(self, factory: Callable[[], Client]) -> None:
        self._factory = factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Client] = weakref.WeakKeyDictionary()

    def get(self) -> Client:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._factory()
        return client

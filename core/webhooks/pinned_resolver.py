"""An aiohttp resolver that answers only with addresses vetted beforehand, so the connection cannot be rebound."""

import socket

from aiohttp.abc import AbstractResolver, ResolveResult


class PinnedResolver(AbstractResolver):
    """Answers for one host with the addresses it was given, and refuses every other name."""

    def __init__(self, host: str, hosts: list[ResolveResult]) -> None:
        self._host = host.rstrip('.')
        self._hosts = hosts

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if host.rstrip('.') != self._host:
            raise OSError(f'{host} was not vetted for this attempt')
        return self._hosts

    async def close(self) -> None:
        pass

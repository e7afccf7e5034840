"""Fixtures of the webhook tests: a real receiver on 127.0.0.1, and host names whose answers a test decides."""

import socket
from collections.abc import Callable

import pytest

from tests.fakes.webhook_receiver import new_webhook_receiver, webhook_receiver  # noqa: F401  (fixtures)

Answer = str | list[str]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[Answer]], list[int]]:
    """Stand in for a DNS server (no test may ask a real one): dns(name, [answer, ...]) makes the n-th lookup of `name`
    return the n-th answer (one address or several; the last answer repeats) and returns a list that counts the lookups.
    An answer that is not an IP address makes the lookup fail. Other names resolve as usual."""
    real_getaddrinfo = socket.getaddrinfo
    answers: dict[str, tuple[list[Answer], list[int]]] = {}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        planned, lookups = answers[host]
        answer = planned[min(len(lookups), len(planned) - 1)]
        lookups.append(1)
        addresses = [answer] if isinstance(answer, str) else answer
        return [
            info for address in addresses for info in real_getaddrinfo(address, port, family, type, proto, socket.AI_NUMERICHOST)
        ]

    def plan(name: str, planned: list[Answer]) -> list[int]:
        answers[name] = (planned, [])
        return answers[name][1]

    monkeypatch.setattr(socket, 'getaddrinfo', getaddrinfo)
    return plan


@pytest.fixture
async def webhooks_on(core):
    """The core set for webhooks to loopback receivers with quick retries, and a delivery loop running."""
    from dataclasses import replace

    from core.webhooks.deliverer import Deliverer

    core.settings = replace(core.settings, webhook_allow_private=True, webhook_retry_seconds=(0.2, 0.2))
    deliverer = Deliverer(core, poll_seconds=0.1)
    await deliverer.start()
    yield deliverer
    await deliverer.stop(grace_seconds=0.5)

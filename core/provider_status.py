"""What each provider offers the dashboard and the API: whether it answers, its options, file types and models."""

import asyncio
from dataclasses import dataclass

from core.app import Core
from core.errors import NotFound, ProviderUnavailable
from core.permissions import Actor
from core.providers.base import ProviderError
from data.tables import Provider

STATUS_TIMEOUT = 5.0


@dataclass(frozen=True)
class ProviderStatus:
    """A provider: whether it answers now, and what it supports."""

    name: Provider
    available: bool
    error: str | None  # why it is not available
    model_count: int | None
    supported_options: list[str]
    file_types: list[str]


async def list_models(core: Core, actor: Actor, provider: str, *, refresh: bool = False) -> list[str]:
    """The models the provider lists (cached for a few minutes unless `refresh`); ProviderUnavailable when it cannot say."""
    actor.require('deployments:read')
    if provider not in core.registry.names:
        raise NotFound(f'no provider {provider!r}; known: {", ".join(core.registry.names)}')
    try:
        return await core.registry.models(provider, refresh=refresh)
    except ProviderError as error:
        raise ProviderUnavailable(error.message) from None


async def provider_statuses(core: Core, actor: Actor) -> list[ProviderStatus]:
    """Every provider, asked at once; one that does not answer within STATUS_TIMEOUT seconds is reported as such."""
    actor.require('deployments:read')
    return list(await asyncio.gather(*(_status(core, actor, name) for name in core.registry.names)))


async def _status(core: Core, actor: Actor, name: str) -> ProviderStatus:
    available, error, count = False, None, None
    try:
        count = len(await asyncio.wait_for(list_models(core, actor, name), STATUS_TIMEOUT))
        available = True
    except ProviderUnavailable as problem:
        error = problem.message
    except TimeoutError:
        error = f'no answer within {STATUS_TIMEOUT:g} s'
    return ProviderStatus(
        name=Provider(name), available=available, error=error, model_count=count,
        supported_options=sorted(core.registry.supported_options(name)), file_types=sorted(core.registry.file_types(name)),
    )  # fmt: skip

"""Providers: whether each answers, what it supports, and its models."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CoreDep, DeploymentsRead
from api.errors import NOT_FOUND, RESPONSES
from api.schemas.common import ErrorResponse
from api.schemas.providers import ModelsPublic, ProviderPublic, ProvidersPublic
from core.app import Core
from core.errors import NotFound
from core.providers.base import ProviderError

router = APIRouter(prefix='/providers', tags=['providers'], responses=RESPONSES)
STATUS_TIMEOUT = 5.0
UNREACHABLE = {502: {'model': ErrorResponse, 'description': 'The provider did not answer, or refused our credentials'}}


@router.get('', response_model=ProvidersPublic)
async def list_providers(core: CoreDep, actor: DeploymentsRead):
    """Each provider: reachable or why not, how many models, which options and file types it takes."""
    return ProvidersPublic(items=await asyncio.gather(*(_status(core, name) for name in core.registry.names)))


@router.get('/{provider}/models', response_model=ModelsPublic, responses={**NOT_FOUND, **UNREACHABLE})
async def list_models(
    core: CoreDep, actor: DeploymentsRead, provider: str, refresh: Annotated[bool, Query(description='skip the cache')] = False
):
    """The models the provider lists (cached for a few minutes unless `refresh`)."""
    if provider not in core.registry.names:
        raise NotFound(f'no provider {provider!r}; known: {", ".join(core.registry.names)}')
    return ModelsPublic(provider=provider, models=await core.registry.models(provider, refresh=refresh))


async def _status(core: Core, name: str) -> ProviderPublic:
    available, error, count = False, None, None
    try:
        count = len(await asyncio.wait_for(core.registry.models(name), STATUS_TIMEOUT))
        available = True
    except ProviderError as problem:
        error = problem.message
    except TimeoutError:
        error = f'no answer within {STATUS_TIMEOUT:g} s'
    return ProviderPublic(
        name=name, available=available, error=error, model_count=count,
        supported_options=sorted(core.registry.supported_options(name)), file_types=sorted(core.registry.file_types(name)),
    )  # fmt: skip

"""Providers: whether each answers, what it supports, and its models."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CoreDep, DeploymentsRead
from api.errors import NOT_FOUND, RESPONSES
from api.schemas.common import ErrorResponse
from api.schemas.providers import ModelsPublic, ProvidersPublic
from core import provider_status

router = APIRouter(prefix='/providers', tags=['providers'], responses=RESPONSES)
UNREACHABLE = {502: {'model': ErrorResponse, 'description': 'The provider did not answer, or refused our credentials'}}


@router.get('', response_model=ProvidersPublic)
async def list_providers(core: CoreDep, actor: DeploymentsRead):
    """Each provider: reachable or why not, how many models, which options and file types it takes."""
    return ProvidersPublic(items=await provider_status.provider_statuses(core, actor))


@router.get('/{provider}/models', response_model=ModelsPublic, responses={**NOT_FOUND, **UNREACHABLE})
async def list_models(
    core: CoreDep, actor: DeploymentsRead, provider: str, refresh: Annotated[bool, Query(description='skip the cache')] = False
):
    """The models the provider lists (cached for a few minutes unless `refresh`)."""
    return ModelsPublic(provider=provider, models=await provider_status.list_models(core, actor, provider, refresh=refresh))

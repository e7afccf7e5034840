"""Deployments: list, create, read by id or name, change (a new revision each time), delete, history."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import CoreDep, DeploymentsRead, DeploymentsWrite, PageNumber, PageSize
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.deployments import DeploymentCreate, DeploymentPublic, DeploymentsPublic, DeploymentUpdate, RevisionsPublic
from core import deployments

router = APIRouter(prefix='/deployments', tags=['deployments'], responses=RESPONSES)

OrderBy = Literal['name', 'provider', 'model', 'createdAt', 'updatedAt']


@router.get('', response_model=DeploymentsPublic)
def list_deployments(
    core: CoreDep,
    actor: DeploymentsRead,
    search: Annotated[str | None, Query(max_length=200, description='part of the name, provider or model')] = None,
    order_by: Annotated[OrderBy, Query(alias='orderBy')] = 'name',
    order: Literal['asc', 'desc'] = 'asc',
    page: PageNumber = 1,
    page_size: PageSize = 20,
):
    """Deployments, searched, sorted and paged in the database."""
    found = deployments.list_deployments(
        core, actor, search=search, order_by=order_by, order=order, page=page, page_size=page_size
    )
    return DeploymentsPublic.model_validate(found)


@router.post('', status_code=201, response_model=DeploymentPublic, responses={**NOT_FOUND, **CONFLICT})
async def create_deployment(core: CoreDep, actor: DeploymentsWrite, body: DeploymentCreate):
    """A new deployment at revision 1; `model` must be one the provider lists now."""
    options = body.options.as_dict() if body.options else None
    return await deployments.create_deployment(
        core, actor, name=body.name, prompt_id=body.prompt_id, prompt_version=body.prompt_version,
        provider=body.provider, model=body.model, options=options,
    )  # fmt: skip


@router.get('/{ref}', response_model=DeploymentPublic, responses=NOT_FOUND)
def get_deployment(core: CoreDep, actor: DeploymentsRead, ref: str):
    """One deployment, by id or name."""
    return deployments.get_deployment(core, actor, ref)


@router.patch('/{ref}', response_model=DeploymentPublic, responses={**NOT_FOUND, **CONFLICT})
async def update_deployment(core: CoreDep, actor: DeploymentsWrite, ref: str, body: DeploymentUpdate):
    """Change any field but the name; writes a new revision."""
    return await deployments.update_deployment(core, actor, ref, changes=body.changes())


@router.delete('/{ref}', status_code=204, responses=NOT_FOUND)
def delete_deployment(core: CoreDep, actor: DeploymentsWrite, ref: str) -> None:
    """Delete it; its executions stay readable."""
    deployments.delete_deployment(core, actor, ref)


@router.get('/{ref}/revisions', response_model=RevisionsPublic, responses=NOT_FOUND)
def list_revisions(core: CoreDep, actor: DeploymentsRead, ref: str):
    """Every revision, newest first."""
    return RevisionsPublic(items=deployments.list_revisions(core, actor, ref))

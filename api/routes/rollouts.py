"""Rollouts of a deployment (start, list, current, a person's actions), its metrics, and a rollback to a revision."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import CoreDep, DeploymentsRead, DeploymentsWrite
from api.errors import CONFLICT, NOT_FOUND, RESPONSES
from api.schemas.deployments import DeploymentPublic
from api.schemas.metrics import MetricsPublic
from api.schemas.rollouts import RollbackRequest, RolloutCreate, RolloutPublic, RolloutsPublic
from core import deployments, metrics
from core.rollouts import service

router = APIRouter(prefix='/deployments/{ref}', tags=['rollouts'], responses=RESPONSES)


@router.post('/rollouts', status_code=201, response_model=RolloutPublic, responses={**NOT_FOUND, **CONFLICT})
async def start_rollout(core: CoreDep, actor: DeploymentsWrite, ref: str, body: RolloutCreate):
    """Start sending a share of runs to a candidate configuration, written now as a new revision; 409 while one runs."""
    return await service.start_rollout(core, actor, ref, changes=body.changes.changes(), settings=body.settings())


@router.get('/rollouts', response_model=RolloutsPublic, responses=NOT_FOUND)
def list_rollouts(core: CoreDep, actor: DeploymentsRead, ref: str):
    """Every rollout of the deployment, newest first."""
    return RolloutsPublic(items=service.list_rollouts(core, actor, ref))


@router.get('/rollouts/current', response_model=RolloutPublic, responses=NOT_FOUND)
def current_rollout(core: CoreDep, actor: DeploymentsRead, ref: str):
    """The running or paused rollout; 404 when none is."""
    return service.current_rollout(core, actor, ref)


@router.post('/rollouts/current/{action}', response_model=RolloutPublic, responses={**NOT_FOUND, **CONFLICT})
def act_on_rollout(
    core: CoreDep, actor: DeploymentsWrite, ref: str, action: Literal['promote', 'pause', 'resume', 'abort']
):
    """Promote (the candidate becomes current), pause, resume or abort; 409 when that does not apply to its status."""
    return service.act_on_current(core, actor, ref, action)


@router.get('/metrics', response_model=MetricsPublic, responses=NOT_FOUND)
def deployment_metrics(
    core: CoreDep,
    actor: DeploymentsRead,
    ref: str,
    start: Annotated[datetime | None, Query(alias='from', description='ISO 8601; default 24 h before `to`')] = None,
    end: Annotated[datetime | None, Query(alias='to', description='ISO 8601, exclusive; default now')] = None,
    bucket: Literal['hour', 'day'] = 'hour',
    revision: Annotated[int | None, Query(ge=1)] = None,
):
    """Runs, completed, failed, p50/p95 latency (completed runs), tokens and cost, per bucket, in total and per revision."""
    return metrics.deployment_metrics(core, actor, ref, start=start, end=end, bucket=bucket, revision=revision)


@router.post('/rollback', response_model=DeploymentPublic, responses={**NOT_FOUND, **CONFLICT})
async def rollback_deployment(core: CoreDep, actor: DeploymentsWrite, ref: str, body: RollbackRequest):
    """Make an earlier revision's configuration current again, as a new revision; 409 while a rollout runs."""
    return await deployments.rollback_deployment(core, actor, ref, revision=body.revision)

"""A page of deployments at a glance: their last 24 hours (calls, failure rate, p95 latency) and any rollout under way.

One grouped query over the covering index ix_execution_deployment_metrics for the whole page, not one per row.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.app import Core
from core.metrics import percentile
from core.permissions import Actor
from core.rollouts.vocabulary import ACTIVE, RolloutStatus
from data.tables import Execution, ExecutionStatus, Rollout

EXECUTION, ROLLOUT = Execution.__table__, Rollout.__table__
SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class DeploymentHealth:
    runs: int = 0
    failure_rate: float | None = None  # failed among finished (completed or failed)
    p95_ms: float | None = None
    rollout_percent: int | None = None  # the candidate's share while a rollout runs or is paused
    rollout_status: RolloutStatus | None = None


def deployment_health(
    core: Core, actor: Actor, deployment_ids: list[str], *, now: datetime | None = None
) -> dict[str, DeploymentHealth]:
    """{deployment id: its last 24 h and rollout}; deployments with neither are left out."""
    actor.require('deployments:read')
    if not deployment_ids:
        return {}
    since = (now or datetime.now(UTC)) - SPAN
    status = EXECUTION.c.status
    recent = sa.and_(EXECUTION.c.deployment_id.in_(deployment_ids), EXECUTION.c.created_at >= since)
    sums = (
        sa.select(
            EXECUTION.c.deployment_id,
            sa.func.count().label('runs'),
            sa.func.count().filter(status == ExecutionStatus.FAILED).label('failed'),
            sa.func.count().filter(status.in_((ExecutionStatus.COMPLETED, ExecutionStatus.FAILED))).label('finished'),
        )
        .where(recent)
        .group_by(EXECUTION.c.deployment_id)
    )
    rollouts = sa.select(ROLLOUT.c.deployment_id, ROLLOUT.c.percent, ROLLOUT.c.status).where(
        ROLLOUT.c.deployment_id.in_(deployment_ids), ROLLOUT.c.status.in_(ACTIVE)
    )
    with core.db.connect() as connection:
        counted = {row.deployment_id: row for row in connection.execute(sums)}
        completed = sa.and_(recent, status == ExecutionStatus.COMPLETED)
        latency = percentile(connection, EXECUTION.c.deployment_id, EXECUTION.c.duration_ms, completed)
        active = {row.deployment_id: row for row in connection.execute(rollouts)}
    health = {}
    for deployment_id in set(counted) | set(active):
        row, rollout = counted.get(deployment_id), active.get(deployment_id)
        health[deployment_id] = DeploymentHealth(
            runs=row.runs if row else 0,
            failure_rate=row.failed / row.finished if row and row.finished else None,
            p95_ms=latency.get(deployment_id, {}).get('p95'),
            rollout_percent=rollout.percent if rollout else None,
            rollout_status=RolloutStatus(rollout.status) if rollout else None,
        )
    return health

"""Light reads of a deployment's rollouts for the dashboard: the newest one in full, and every candidate's outcome.

service.list_rollouts computes each rollout's arm figures; a page that redraws on every finished run needs the newest
one's only, and the revision list and chart marks need no figures at all.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from core import deployments
from core.app import Core
from core.permissions import Actor
from core.rollouts import records
from core.rollouts.records import ROLLOUT, RolloutView
from core.rollouts.vocabulary import RolloutStatus


@dataclass(frozen=True)
class Outcome:
    """What became of a rollout's candidate revision."""

    candidate_revision: int
    status: RolloutStatus
    ended_at: datetime | None


def latest_rollout(core: Core, actor: Actor, ref: str) -> RolloutView | None:
    """The deployment's newest rollout with its figures (running, paused or ended), or None."""
    actor.require('deployments:read')
    deployment = _deployment(core, ref)
    with core.db.connect() as connection:
        newest = sa.select(ROLLOUT).where(ROLLOUT.c.deployment_id == deployment.id).order_by(ROLLOUT.c.started_at.desc())
        row = connection.execute(newest.limit(1)).one_or_none()
        return None if row is None else records.view(connection, row, deployment.name)


def rollout_outcomes(core: Core, actor: Actor, ref: str) -> dict[int, Outcome]:
    """{candidate revision: its rollout's status and end} for every rollout of the deployment."""
    actor.require('deployments:read')
    deployment = _deployment(core, ref)
    with core.db.connect() as connection:
        statement = sa.select(ROLLOUT.c.candidate_revision, ROLLOUT.c.status, ROLLOUT.c.ended_at).where(
            ROLLOUT.c.deployment_id == deployment.id
        )
        return {
            row.candidate_revision: Outcome(row.candidate_revision, RolloutStatus(row.status), row.ended_at)
            for row in connection.execute(statement)
        }


def _deployment(core: Core, ref: str) -> deployments.Deployment:
    with core.session() as session:
        return deployments.find_deployment(session, ref)

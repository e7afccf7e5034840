"""The rollout's own steps: advance a stage, promote at 100 %, pause or roll back on a regression.

Who evaluates: the workers. A worker evaluates a rollout right after a round writes outcomes of its runs (so a
regression is caught within a round of the run that shows it), and every running rollout at its slow poll (so a stage
whose minutes run out while no run finishes still ends). State and figures are read from the database and the change
is fenced on the rollout's version (core.rollouts.records.change), so any number of workers on any instances agree: two
that decide the same step write it once. Blocking: call it on a worker's database thread.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from core.app import Core
from core.rollouts import records
from core.rollouts.records import ROLLOUT
from core.rollouts.stages import Arms, Decision, Step, decide
from core.rollouts.vocabulary import Arm, RolloutStatus
from data.tables import Deployment

log = logging.getLogger(__name__)
BY = {Step.ADVANCE: 'stages', Step.PROMOTE: 'stages', Step.PAUSE: 'guardrails', Step.ROLL_BACK: 'guardrails'}


def evaluate(core: Core, rollout_ids: Iterable[str], *, now: datetime | None = None) -> list[Decision]:
    """Take each running rollout's next step, if it has one; returns the steps taken (announced on the bus)."""
    taken = []
    for rollout_id in rollout_ids:
        try:
            decision = _evaluate_one(core, rollout_id, now or core.clock())
        except Exception:  # one rollout's trouble must not stop the worker's round or the other rollouts
            log.exception('could not evaluate rollout %s', rollout_id)
            continue
        if decision is not None:
            taken.append(decision)
    return taken


def running_rollouts(core: Core) -> list[str]:
    """The ids of every running rollout (the slow poll evaluates them all: few rollouts run at once)."""
    with core.db.connect() as connection:
        return list(connection.execute(sa.select(ROLLOUT.c.id).where(ROLLOUT.c.status == RolloutStatus.RUNNING)).scalars())


def _evaluate_one(core: Core, rollout_id: str, now: datetime) -> Decision | None:
    with core.db.begin() as connection:
        row = connection.execute(sa.select(ROLLOUT).where(ROLLOUT.c.id == rollout_id)).one_or_none()
        if row is None or row.status != RolloutStatus.RUNNING:
            return None
        whole, stage = records.guardrail_figures(connection, row)
        decision = decide(
            records.settings_of(row),
            records.state_of(row),
            rollout=Arms(whole[Arm.STABLE], whole[Arm.CANDIDATE]),
            stage=Arms(stage[Arm.STABLE], stage[Arm.CANDIDATE]),
            now=now,
        )
        if decision.step == Step.WAIT:
            return None
        changed = records.change(
            connection, row, now=now, by=BY[decision.step], status=decision.status, stage=decision.stage,
            percent=decision.percent, reason=decision.reason,
        )  # fmt: skip
        if not changed:  # another worker took this step (or a person acted) first
            return None
        name = connection.execute(sa.select(Deployment.__table__.c.name).where(Deployment.__table__.c.id == row.deployment_id))
        name = name.scalar_one()
    log.info('rollout %s of %s: %s (%s)', rollout_id, name, decision.step.value, decision.reason)
    records.announce(
        core.bus, rollout_id, name, decision.status, stage=decision.stage, percent=decision.percent,
        by=BY[decision.step], reason=decision.reason,
    )  # fmt: skip
    return decision

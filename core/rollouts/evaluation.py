"""The rollout's own steps: advance a stage, promote at 100 %, pause or roll back on a regression.

Who evaluates: the workers. A worker evaluates a rollout right after a round writes outcomes of its runs (so a
regression is caught within a round of the run that shows it; `Pacing` spaces out a large rollout's), and every
running rollout at its slow poll (so a stage whose minutes run out while no run finishes still ends). State and
figures are read from the database and the change is fenced on the rollout's version (core.rollouts.records.change),
so any number of workers on any instances agree: two that decide the same step write it once. Blocking: call it on a
worker's database thread.
"""

import logging
import time
from collections.abc import Callable, Iterable
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


class Pacing:
    """Keeps a worker's evaluations of a rollout to about a tenth of its database thread's time.

    An evaluation reads the rollout's finished runs; with thousands of them a busy worker would do little else if it
    evaluated after every round. So a rollout is evaluated again only after ten times its last evaluation's duration:
    a young rollout (a few runs, a millisecond) still after every round, a large one about once a second.
    """

    SHARE = 10

    def __init__(self, clock: Callable[[], float] = time.monotonic, step: Callable[..., list] | None = None) -> None:
        self._clock = clock
        self._step = step or evaluate  # what evaluating one rollout does (a test may count the calls instead)
        self._next: dict[str, float] = {}

    def evaluate(self, core: Core, rollout_ids: Iterable[str]) -> list[Decision]:
        taken = []
        for rollout_id in rollout_ids:
            started = self._clock()
            if started < self._next.get(rollout_id, 0.0):
                continue
            taken += self._step(core, [rollout_id])
            self._next[rollout_id] = started + (self._clock() - started) * self.SHARE
        if len(self._next) > 1000:  # ended rollouts: forget them
            self._next = {key: value for key, value in self._next.items() if value > self._clock()}
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

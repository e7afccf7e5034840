"""What a person may do to a rollout (promote, pause, resume, abort), and from which statuses."""

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from core.errors import Conflict
from core.rollouts.stages import RolloutState
from core.rollouts.vocabulary import RolloutStatus


class Action(StrEnum):
    PROMOTE = 'promote'
    PAUSE = 'pause'
    RESUME = 'resume'
    ABORT = 'abort'


_FROM = {
    Action.PROMOTE: {RolloutStatus.RUNNING, RolloutStatus.PAUSED},
    Action.PAUSE: {RolloutStatus.RUNNING},
    Action.RESUME: {RolloutStatus.PAUSED},
    Action.ABORT: {RolloutStatus.RUNNING, RolloutStatus.PAUSED},
}
_TO = {
    Action.PROMOTE: RolloutStatus.PROMOTED,
    Action.PAUSE: RolloutStatus.PAUSED,
    Action.RESUME: RolloutStatus.RUNNING,
    Action.ABORT: RolloutStatus.ABORTED,
}


def act(state: RolloutState, action: Action, *, now: datetime) -> RolloutState:
    """The state after a person's action; Conflict when it does not apply to the rollout's status.

    Resuming restarts the stage: its minutes and samples, and the guardrails' figures too, count from now on (a person
    who resumes after a regression overrides it; the next test starts afresh, as valid as the first).
    """
    if state.status not in _FROM[action]:
        raise Conflict(f'a rollout that is {state.status.value.replace("_", " ")} cannot {action.value}')
    if action == Action.RESUME:
        return replace(state, status=RolloutStatus.RUNNING, stage_started_at=now)
    return replace(state, status=_TO[action])

"""A person's actions on a rollout: each from the statuses it applies to, a conflict otherwise."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict
from core.rollouts.actions import Action, act
from core.rollouts.settings import RolloutSettings
from core.rollouts.stages import RolloutState, candidate_percent
from core.rollouts.vocabulary import RolloutStatus

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LATER = START + timedelta(hours=1)


def state(status: RolloutStatus) -> RolloutState:
    return RolloutState(status, 1, START)


@pytest.mark.parametrize(
    ('before', 'action', 'after'),
    [
        (RolloutStatus.RUNNING, Action.PAUSE, RolloutStatus.PAUSED),
        (RolloutStatus.PAUSED, Action.RESUME, RolloutStatus.RUNNING),
        (RolloutStatus.RUNNING, Action.PROMOTE, RolloutStatus.PROMOTED),
        (RolloutStatus.PAUSED, Action.PROMOTE, RolloutStatus.PROMOTED),
        (RolloutStatus.RUNNING, Action.ABORT, RolloutStatus.ABORTED),
        (RolloutStatus.PAUSED, Action.ABORT, RolloutStatus.ABORTED),
    ],
)
def test_an_action_moves_an_active_rollout(before, action, after):
    assert act(state(before), action, now=LATER).status == after


@pytest.mark.parametrize(
    ('before', 'action'),
    [
        (RolloutStatus.PAUSED, Action.PAUSE),
        (RolloutStatus.RUNNING, Action.RESUME),
        *[
            (ended, action)
            for ended in (RolloutStatus.PROMOTED, RolloutStatus.ROLLED_BACK, RolloutStatus.ABORTED)
            for action in Action
        ],
    ],
)
def test_an_action_that_does_not_apply_is_a_conflict(before, action):
    with pytest.raises(Conflict) as refused:
        act(state(before), action, now=LATER)
    assert refused.value.message == f'a rollout that is {before.value.replace("_", " ")} cannot {action.value}'


def test_resuming_restarts_the_stage_clock_and_keeps_the_stage():
    resumed = act(state(RolloutStatus.PAUSED), Action.RESUME, now=LATER)
    assert (resumed.stage, resumed.stage_started_at) == (1, LATER)
    assert act(state(RolloutStatus.RUNNING), Action.PAUSE, now=LATER).stage_started_at == START


def test_the_candidate_serves_its_stage_while_active_all_once_promoted_none_once_ended():
    settings = RolloutSettings(stages=(5, 25, 50, 100))
    assert candidate_percent(settings, state(RolloutStatus.RUNNING)) == 25
    assert candidate_percent(settings, state(RolloutStatus.PAUSED)) == 25
    assert candidate_percent(settings, state(RolloutStatus.PROMOTED)) == 100
    assert candidate_percent(settings, state(RolloutStatus.ROLLED_BACK)) == 0
    assert candidate_percent(settings, state(RolloutStatus.ABORTED)) == 0

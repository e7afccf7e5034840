"""The stage machine: given a rollout's settings, state, figures and the time, what happens next.

A stage ends once it has lasted stageMinutes and each arm has minSamples finished runs *in that stage* (runs counted
from the stage's start, so every traffic level is watched for itself); the next stage then starts, and reaching 100 %
promotes the candidate. The guardrails instead weigh *all* the runs of the rollout (since it started, or since a person
last resumed it): their confidence sequences hold at any sample size, so more runs only sharpen them, and they are
checked at every call, not only at a stage's end.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.rollouts import guardrails
from core.rollouts.guardrails import ArmFigures, Verdict
from core.rollouts.settings import RolloutSettings
from core.rollouts.vocabulary import RegressionAction, RolloutStatus


class Step(StrEnum):
    """What `decide` asks the caller to do."""

    WAIT = 'wait'
    ADVANCE = 'advance'
    PROMOTE = 'promote'
    PAUSE = 'pause'
    ROLL_BACK = 'roll_back'


@dataclass(frozen=True)
class RolloutState:
    status: RolloutStatus
    stage: int  # index into the settings' stages
    stage_started_at: datetime


@dataclass(frozen=True)
class Arms:
    stable: ArmFigures
    candidate: ArmFigures


@dataclass(frozen=True)
class Decision:
    """The step, the state after it and, for any change, the reason in words with the figures and the time."""

    step: Step
    status: RolloutStatus
    stage: int
    percent: int  # of runs the candidate serves after the step
    reason: str | None
    verdict: Verdict


def decide(settings: RolloutSettings, state: RolloutState, *, rollout: Arms, stage: Arms, now: datetime) -> Decision:
    """`rollout`: the arms' figures over the whole rollout (for the guardrails); `stage`: in the current stage only."""
    verdict = guardrails.check(settings.guardrails, stable=rollout.stable, candidate=rollout.candidate)
    percent = settings.stages[state.stage]
    if state.status != RolloutStatus.RUNNING:
        return Decision(Step.WAIT, state.status, state.stage, percent, None, verdict)
    if verdict.regression:
        if settings.on_regression == RegressionAction.PAUSE:
            reason = f'{verdict.summary}: paused at {clock(now)}'
            return Decision(Step.PAUSE, RolloutStatus.PAUSED, state.stage, percent, reason, verdict)
        reason = f'{verdict.summary}: rolled back at {clock(now)}'
        return Decision(Step.ROLL_BACK, RolloutStatus.ROLLED_BACK, state.stage, 0, reason, verdict)
    if not stage_done(settings, state, stage=stage, now=now):
        return Decision(Step.WAIT, state.status, state.stage, percent, None, verdict)
    done = f'{stage_name(settings, state.stage)} held {_minutes(now - state.stage_started_at)} with ' + (
        f'{stage.stable.finished} stable and {stage.candidate.finished} candidate runs and no regression'
    )
    following = state.stage + 1
    if settings.stages[following] == 100:
        return Decision(Step.PROMOTE, RolloutStatus.PROMOTED, following, 100, f'{done}: promoted at {clock(now)}', verdict)
    reason = f'{done}: {settings.stages[following]} % from {clock(now)}'
    return Decision(Step.ADVANCE, RolloutStatus.RUNNING, following, settings.stages[following], reason, verdict)


def candidate_percent(settings: RolloutSettings, state: RolloutState) -> int:
    """The share of runs the candidate serves: its stage's while active, all once promoted, none once ended otherwise."""
    if state.status.active:
        return settings.stages[state.stage]
    return 100 if state.status == RolloutStatus.PROMOTED else 0


def stage_done(settings: RolloutSettings, state: RolloutState, *, stage: Arms, now: datetime) -> bool:
    """The stage has lasted stageMinutes and each arm has minSamples finished runs in it."""
    lasted = now - state.stage_started_at >= timedelta(minutes=settings.stage_minutes)
    return lasted and min(stage.stable.finished, stage.candidate.finished) >= settings.min_samples


def stage_name(settings: RolloutSettings, index: int) -> str:
    """'Stage 2 of 4 (25 %)': the last stage, 100 %, is the promotion and is not counted."""
    return f'Stage {index + 1} of {len(settings.stages) - 1} ({settings.stages[index]} %)'


def clock(moment: datetime) -> str:
    """'2026-03-02 14:02 UTC' (an aware time is shown in UTC; a naive one is taken to be UTC)."""
    return f'{moment.astimezone(UTC) if moment.tzinfo else moment:%Y-%m-%d %H:%M} UTC'


def _minutes(duration: timedelta) -> str:
    minutes = duration.total_seconds() / 60
    return f'{minutes:.0f} min' if minutes >= 1 else f'{duration.total_seconds():.0f} s'

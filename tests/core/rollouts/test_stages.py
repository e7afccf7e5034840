"""The stage machine: stages advance on time and samples, 100 % promotes, a regression pauses or rolls back."""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from core.rollouts.assignment import choose_arm
from core.rollouts.guardrails import ArmFigures, Guardrails
from core.rollouts.settings import RolloutSettings
from core.rollouts.stages import Arms, RolloutState, Step, decide
from core.rollouts.vocabulary import Arm, RegressionAction, RolloutStatus

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SETTINGS = RolloutSettings(stages=(5, 25, 50, 100), stage_minutes=10, min_samples=50)
HEALTHY = ArmFigures(finished=1000, failed=10)
ENOUGH = Arms(stable=ArmFigures(60, 1), candidate=ArmFigures(55, 1))


def running(stage: int = 0) -> RolloutState:
    return RolloutState(RolloutStatus.RUNNING, stage, START)


def test_a_stage_that_has_lasted_and_has_its_samples_advances_to_the_next_percent():
    decision = decide(SETTINGS, running(), rollout=Arms(HEALTHY, HEALTHY), stage=ENOUGH, now=START + timedelta(minutes=10))
    assert (decision.step, decision.status, decision.stage, decision.percent) == (Step.ADVANCE, RolloutStatus.RUNNING, 1, 25)
    assert decision.reason == (
        'Stage 1 of 3 (5 %) held 10 min with 60 stable and 55 candidate runs and no regression: 25 % from 2026-03-02 14:10 UTC'
    )


def test_a_stage_lasts_at_least_its_minutes_whatever_the_samples():
    plenty = Arms(ArmFigures(5000, 10), ArmFigures(5000, 10))
    decision = decide(SETTINGS, running(), rollout=plenty, stage=plenty, now=START + timedelta(minutes=9, seconds=59))
    assert (decision.step, decision.stage, decision.percent, decision.reason) == (Step.WAIT, 0, 5, None)


def test_a_stage_waits_until_each_arm_has_its_samples_in_it():
    later = START + timedelta(hours=5)
    short = Arms(stable=ArmFigures(900, 5), candidate=ArmFigures(49, 0))
    assert decide(SETTINGS, running(), rollout=Arms(HEALTHY, HEALTHY), stage=short, now=later).step == Step.WAIT
    cancelled_only = Arms(stable=ArmFigures(900, 5), candidate=ArmFigures(0, 0))  # cancelled runs are not finished ones
    assert decide(SETTINGS, running(), rollout=Arms(HEALTHY, HEALTHY), stage=cancelled_only, now=later).step == Step.WAIT
    assert decide(SETTINGS, running(), rollout=Arms(HEALTHY, HEALTHY), stage=ENOUGH, now=later).step == Step.ADVANCE


def test_leaving_the_last_stage_below_100_promotes_the_candidate():
    decision = decide(SETTINGS, running(stage=2), rollout=Arms(HEALTHY, HEALTHY), stage=ENOUGH, now=START + timedelta(minutes=30))
    assert (decision.step, decision.status, decision.stage, decision.percent) == (Step.PROMOTE, RolloutStatus.PROMOTED, 3, 100)
    assert decision.reason.startswith('Stage 3 of 3 (50 %) held 30 min with 60 stable and 55 candidate runs')
    assert decision.reason.endswith('promoted at 2026-03-02 14:30 UTC')


def test_fast_goes_from_25_percent_straight_to_promotion():
    fast = replace(SETTINGS, stages=(25, 100))
    decision = decide(fast, running(), rollout=Arms(HEALTHY, HEALTHY), stage=ENOUGH, now=START + timedelta(minutes=10))
    assert (decision.step, decision.percent) == (Step.PROMOTE, 100)


def test_a_regression_rolls_back_at_once_mid_stage_with_the_figures_and_the_time():
    failing = Arms(stable=ArmFigures(300, 3), candidate=ArmFigures(20, 20))
    early = Arms(ArmFigures(3, 0), ArmFigures(1, 1))  # the stage has neither its minutes nor its samples
    decision = decide(SETTINGS, running(stage=1), rollout=failing, stage=early, now=START + timedelta(minutes=2))
    assert (decision.step, decision.status, decision.percent) == (Step.ROLL_BACK, RolloutStatus.ROLLED_BACK, 0)
    assert decision.reason.startswith('Candidate fails 100 % of runs vs 1 % on stable (20 of 20 vs 3 of 300)')
    assert decision.reason.endswith('rolled back at 2026-03-02 14:02 UTC')


def test_a_regression_pauses_instead_when_asked_and_keeps_the_traffic_split():
    pausing = replace(SETTINGS, on_regression=RegressionAction.PAUSE, guardrails=Guardrails(p95_latency_ms=500))
    stable = ArmFigures(200, 0, [100.0 + i for i in range(200)])
    slow = ArmFigures(30, 0, [3000.0 + i for i in range(30)])
    decision = decide(pausing, running(stage=1), rollout=Arms(stable, slow), stage=Arms(stable, slow), now=START)
    assert (decision.step, decision.status, decision.stage, decision.percent) == (Step.PAUSE, RolloutStatus.PAUSED, 1, 25)
    assert decision.reason.startswith("Candidate's p95 latency is 3,028 ms vs 290 ms on stable")
    assert decision.reason.endswith('paused at 2026-03-02 14:00 UTC')


def test_the_reason_tells_the_time_in_utc():
    failing = Arms(stable=ArmFigures(300, 3), candidate=ArmFigures(20, 20))
    in_berlin = datetime(2026, 3, 2, 15, 2, tzinfo=timezone(timedelta(hours=1)))
    decision = decide(SETTINGS, running(), rollout=failing, stage=failing, now=in_berlin)
    assert decision.reason.endswith('rolled back at 2026-03-02 14:02 UTC')


def test_a_paused_rollout_waits_but_still_shows_the_verdict():
    paused = RolloutState(RolloutStatus.PAUSED, 1, START)
    failing = Arms(stable=ArmFigures(300, 3), candidate=ArmFigures(20, 20))
    decision = decide(SETTINGS, paused, rollout=failing, stage=ENOUGH, now=START + timedelta(hours=1))
    assert (decision.step, decision.status, decision.percent, decision.reason) == (Step.WAIT, RolloutStatus.PAUSED, 25, None)
    assert decision.verdict.regression is not None


def test_a_healthy_candidate_walks_through_every_stage_and_is_promoted():
    """Runs arrive, are assigned by trace id, finish; the machine is asked after each one, as a worker would."""
    settings = RolloutSettings(stages=(1, 5, 25, 50, 100), stage_minutes=0, min_samples=5)
    steps = drive(settings, failure_rate={Arm.STABLE: 0.02, Arm.CANDIDATE: 0.02}, runs=20_000)
    assert [step for step, _ in steps] == [Step.ADVANCE, Step.ADVANCE, Step.ADVANCE, Step.PROMOTE]


def test_an_always_failing_candidate_is_rolled_back_after_at_most_7_of_its_runs_at_5_percent():
    """6 with exactly 19 healthy stable runs per candidate run (see test_guardrails); a random split and 1 % of stable
    runs failing add one."""
    settings = RolloutSettings(stages=(5, 25, 50, 100), stage_minutes=0, min_samples=50)
    for seed in range(20):
        steps = drive(settings, failure_rate={Arm.STABLE: 0.01, Arm.CANDIDATE: 1.0}, runs=5000, seed=seed)
        assert len(steps) == 1
        step, candidate_runs = steps[0]
        assert step == Step.ROLL_BACK
        assert candidate_runs <= 7


def drive(settings: RolloutSettings, *, failure_rate: dict, runs: int, seed: int = 0) -> list[tuple[Step, int]]:
    """A simulated rollout: each run is assigned, finishes, and the machine decides; returns (step, candidate runs)."""
    rng = random.Random(seed)
    state = RolloutState(RolloutStatus.RUNNING, 0, START)
    total = {Arm.STABLE: [0, 0], Arm.CANDIDATE: [0, 0]}
    in_stage = {Arm.STABLE: [0, 0], Arm.CANDIDATE: [0, 0]}
    steps = []
    for i in range(runs):
        arm = choose_arm(rollout_id=f'rollout-{seed}', trace_id=f'trace-{i}', percent=settings.stages[state.stage])
        failed = rng.random() < failure_rate[arm]
        for counts in (total[arm], in_stage[arm]):
            counts[0] += 1
            counts[1] += failed
        now = START + timedelta(seconds=i)
        decision = decide(settings, state, rollout=figures(total), stage=figures(in_stage), now=now)
        if decision.step != Step.WAIT:
            steps.append((decision.step, total[Arm.CANDIDATE][0]))
            if decision.status != RolloutStatus.RUNNING:
                return steps
            state = RolloutState(decision.status, decision.stage, now)
            in_stage = {Arm.STABLE: [0, 0], Arm.CANDIDATE: [0, 0]}
    return steps


def figures(counts: dict) -> Arms:
    return Arms(stable=ArmFigures(*counts[Arm.STABLE]), candidate=ArmFigures(*counts[Arm.CANDIDATE]))

"""The guardrails: rarely a false alarm however often they are checked, and a real regression is caught quickly."""

import random

import pytest

from core.rollouts.guardrails import ALPHA, ArmFigures, Guardrails, check, failure_rate_worse_by
from core.rollouts.vocabulary import Guardrail
from tests.core.rollouts.simulation import failure_counts, first_failure_alarm, first_latency_alarm, first_peeking_alarm

ROLLOUTS = 1000
FAILURE_ALONE = ALPHA / 2  # per arm when only the failure-rate guardrail is in force
BOTH = ALPHA / 4  # per arm and guardrail when the latency guardrail is in force too


@pytest.mark.parametrize('rate', [0.05, 0.20])
def test_equal_failure_rates_rarely_trip_the_default_guardrail_checked_after_every_sample(rate):
    rng = random.Random(10)
    alarms = 0
    for _ in range(ROLLOUTS):
        stable, candidate = failure_counts(rng, rate, 2000), failure_counts(rng, rate, 2000)
        alarms += first_failure_alarm(stable, candidate, margin=0.05, alpha=FAILURE_ALONE) is not None
    assert alarms <= 0.05 * ROLLOUTS


@pytest.mark.parametrize('rate', [0.05, 0.20])
def test_at_the_margin_itself_false_alarms_stay_under_alpha_where_peeking_at_a_fixed_test_does_not(rate):
    """With no margin the null hypothesis is at its edge: the hardest case for the guarantee."""
    rng = random.Random(11)
    alarms = peeking = 0
    for _ in range(ROLLOUTS):
        stable, candidate = failure_counts(rng, rate, 300), failure_counts(rng, rate, 300)
        alarms += first_failure_alarm(stable, candidate, margin=0.0, alpha=FAILURE_ALONE) is not None
        peeking += first_peeking_alarm(stable, candidate) is not None
    assert alarms <= 0.05 * ROLLOUTS
    assert peeking > 0.10 * ROLLOUTS  # the same streams fool a fixed-sample test peeked at after every sample


def test_a_real_difference_is_declared_in_every_simulated_rollout():
    rng = random.Random(12)
    caught_at = []
    for _ in range(200):
        stable, candidate = failure_counts(rng, 0.01, 1000), failure_counts(rng, 0.30, 1000)
        caught_at.append(first_failure_alarm(stable, candidate, margin=0.05, alpha=FAILURE_ALONE))
    assert None not in caught_at
    assert max(caught_at) <= 250  # 1 % vs 30 %, equal traffic: here median 67 candidate runs, at most 192


def test_a_candidate_that_always_fails_is_declared_by_its_15th_run_when_stable_has_as_many_healthy_runs():
    declared = [
        n for n in range(1, 40) if failure_rate_worse_by(ArmFigures(n, 0), ArmFigures(n, n), margin=0.05, alpha=FAILURE_ALONE)
    ]
    assert declared[0] == 15
    assert declared == list(range(15, 40))  # and stays declared


def test_at_a_5_percent_stage_an_always_failing_candidate_is_declared_by_its_6th_run():
    # the stable arm then serves 19 runs for each candidate run
    declared = [
        n
        for n in range(1, 20)
        if failure_rate_worse_by(ArmFigures(19 * n, 0), ArmFigures(n, n), margin=0.05, alpha=FAILURE_ALONE)
    ]
    assert declared[0] == 6
    with_latency = [
        n for n in range(1, 20) if failure_rate_worse_by(ArmFigures(19 * n, 0), ArmFigures(n, n), margin=0.05, alpha=BOTH)
    ]
    assert with_latency[0] == 6  # still 6 when the latency guardrail, in force too, takes half the error budget


def test_an_always_failing_candidate_against_a_realistic_stable_arm_is_caught_within_20_runs():
    rng = random.Random(13)
    always = list(range(401))
    for _ in range(200):
        stable = failure_counts(rng, 0.02, 400)  # 2 % of stable runs fail; equal traffic, the arms take turns
        assert first_failure_alarm(stable, always, margin=0.05, alpha=BOTH) <= 20


def test_a_candidate_ten_times_slower_is_declared_once_stable_has_113_runs_and_the_candidate_5():
    rng = random.Random(14)
    stable = [rng.uniform(100, 300) for _ in range(113)]
    slow = [10 * rng.uniform(100, 300) for _ in range(5)]
    guardrails = Guardrails(p95_latency_ms=500)
    assert check(guardrails, stable=figures(stable), candidate=figures(slow)).regression == Guardrail.P95_LATENCY_MS
    assert check(guardrails, stable=figures(stable), candidate=figures(slow[:4])).regression is None
    assert check(guardrails, stable=figures(stable[:112]), candidate=figures(slow * 100)).regression is None


def test_equal_latencies_rarely_trip_the_latency_guardrail_checked_after_every_sample():
    rng = random.Random(15)
    alarms = 0
    for _ in range(200):
        draw = lambda: rng.lognormvariate(6, 0.5)  # noqa: E731  (about 400 ms, a long right tail)
        alarms += first_latency_alarm(draw, draw, 500, margin=1, alpha=BOTH) is not None
    assert alarms <= 0.05 * 200


def test_a_ten_times_slower_candidate_is_caught_in_every_simulated_rollout():
    rng = random.Random(16)
    for _ in range(100):
        caught = first_latency_alarm(
            lambda: rng.lognormvariate(6, 0.5), lambda: 10 * rng.lognormvariate(6, 0.5), 400, margin=500, alpha=BOTH
        )
        assert caught is not None and caught <= 113  # the arms take turns: stable needs 113 runs for a p95 bound


def test_the_verdict_names_the_figures_a_person_needs():
    verdict = check(Guardrails(), stable=ArmFigures(finished=200, failed=2), candidate=ArmFigures(finished=50, failed=30))
    assert verdict.regression == Guardrail.FAILURE_RATE
    assert verdict.summary.startswith('Candidate fails 60 % of runs vs 1 % on stable (30 of 50 vs 2 of 200): at least')
    assert verdict.summary.endswith('more than the 5 points allowed')
    assert (verdict.candidate_failure_rate, verdict.stable_failure_rate) == (0.6, 0.01)


def test_a_slower_candidate_verdict_names_both_p95_latencies():
    stable = figures([100.0 + i for i in range(200)], failed=0)
    slow = figures([2000.0 + i for i in range(20)], failed=0)
    verdict = check(Guardrails(p95_latency_ms=250), stable=stable, candidate=slow)
    assert verdict.regression == Guardrail.P95_LATENCY_MS
    assert verdict.summary.startswith("Candidate's p95 latency is 2,019 ms vs 290 ms on stable: at least")
    assert verdict.summary.endswith('more than the 250 ms allowed')


def test_no_regression_says_so_with_the_figures():
    calm = check(Guardrails(), stable=ArmFigures(100, 1, [120.0] * 99), candidate=ArmFigures(100, 2, [130.0] * 98))
    assert calm.regression is None
    assert calm.summary == 'No regression: candidate fails 2 % of runs vs 1 %; p95 latency 130 ms vs 120 ms'
    early = check(Guardrails(), stable=ArmFigures(3, 0), candidate=ArmFigures())
    assert early.summary == 'No regression: too few runs yet (0 on the candidate, 3 on stable)'
    assert early.candidate_failure_rate is None


def test_the_latency_guardrail_is_off_unless_set():
    stable = figures([100.0] * 200)
    slow = figures([10_000.0] * 50)
    assert check(Guardrails(), stable=stable, candidate=slow).regression is None


def figures(durations: list[float], failed: int = 0) -> ArmFigures:
    return ArmFigures(finished=len(durations) + failed, failed=failed, durations_ms=durations)

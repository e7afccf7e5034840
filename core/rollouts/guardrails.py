"""The guardrails: has the candidate made things worse, by more than the allowed margin, beyond reasonable doubt?

A regression is declared only when a confidence sequence (see confidence_sequences) on the difference between the arms
lies wholly beyond the margin. The bounds hold at every sample size at once, so the check may run after every finished
run, forever, and a rollout whose candidate is no worse than stable is still stopped with probability at most ALPHA.
- Failure rate: the candidate's rate's lower bound minus the stable rate's upper bound exceeds guardrails.failureRate.
- p95 latency: the lower bound on the candidate's 95th percentile minus the upper bound on the stable one's exceeds
  guardrails.p95LatencyMs (Howard & Ramdas 2022; the quantile bounds need some 100 stable runs to exist at all).
ALPHA is shared: half per arm, and split evenly between the guardrails in force (a union bound).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.rollouts import confidence_sequences as cs
from core.rollouts.vocabulary import Guardrail

ALPHA = 0.05  # chance that a rollout whose candidate is within every margin is ever stopped
QUANTILE = 0.95


@dataclass(frozen=True)
class Guardrails:
    """The allowed worsening: failureRate in rate points (0.05 = five points), p95LatencyMs in milliseconds (or off)."""

    failure_rate: float = 0.05
    p95_latency_ms: float | None = None


@dataclass(frozen=True)
class ArmFigures:
    """One arm's finished runs: `finished` completed or failed (cancelled runs say nothing of the configuration),
    `failed` those that failed or whose result broke the response schema, and the completed runs' durations."""

    finished: int = 0
    failed: int = 0
    durations_ms: Sequence[float] = ()

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.finished if self.finished else None


@dataclass(frozen=True)
class Verdict:
    """The guardrails' answer, with the figures a person needs to trust it."""

    regression: Guardrail | None  # the guardrail that tripped, if any
    summary: str  # "Candidate fails 12 % of runs vs 1 % on stable (...)"
    stable_failure_rate: float | None
    candidate_failure_rate: float | None
    stable_p95_ms: float | None
    candidate_p95_ms: float | None


def check(guardrails: Guardrails, *, stable: ArmFigures, candidate: ArmFigures) -> Verdict:
    """Compare the arms on every guardrail in force; a regression names the first that tripped."""
    in_force = 1 if guardrails.p95_latency_ms is None else 2
    alpha = ALPHA / in_force / 2  # per arm, per guardrail
    stable_sorted, candidate_sorted = sorted(stable.durations_ms), sorted(candidate.durations_ms)
    figures = {
        'stable_failure_rate': stable.failure_rate,
        'candidate_failure_rate': candidate.failure_rate,
        'stable_p95_ms': cs.empirical_quantile(stable_sorted, QUANTILE) if stable_sorted else None,
        'candidate_p95_ms': cs.empirical_quantile(candidate_sorted, QUANTILE) if candidate_sorted else None,
    }
    worse_by = failure_rate_worse_by(stable, candidate, margin=guardrails.failure_rate, alpha=alpha)
    if worse_by is not None:
        summary = _failure_summary(stable, candidate, worse_by, guardrails.failure_rate)
        return Verdict(Guardrail.FAILURE_RATE, summary, **figures)
    if guardrails.p95_latency_ms is not None:
        slower_by = p95_slower_by(stable_sorted, candidate_sorted, margin=guardrails.p95_latency_ms, alpha=alpha)
        if slower_by is not None:
            summary = _latency_summary(figures, slower_by, guardrails.p95_latency_ms)
            return Verdict(Guardrail.P95_LATENCY_MS, summary, **figures)
    return Verdict(None, _calm_summary(stable, candidate, figures), **figures)


def failure_rate_worse_by(stable: ArmFigures, candidate: ArmFigures, *, margin: float, alpha: float) -> float | None:
    """How much worse the candidate's failure rate surely is (a lower bound), when that exceeds the margin; else None."""
    if not stable.finished or not candidate.finished:
        return None
    # cheap tests first, each exact: the bounds lie on either side of the observed rates, and the martingale is at most
    # the likelihood ratio, so a rate within its Kullback-Leibler ball around the observed rate is never rejected
    stable_rate, candidate_rate = stable.failed / stable.finished, candidate.failed / candidate.finished
    floor = stable_rate + margin  # the candidate's lower bound must pass this at least
    if candidate_rate <= floor or candidate.finished * _kl(candidate_rate, floor) < math.log(1 / alpha):
        return None
    stable_upper = cs.rate_upper_bound(stable.failed, stable.finished, alpha)
    if cs.allowed(candidate.failed, candidate.finished, stable_upper + margin, alpha):
        return None  # that rate lies above the candidate's lower bound: one evaluation, where the bound takes a dozen
    worse_by = cs.rate_lower_bound(candidate.failed, candidate.finished, alpha) - stable_upper
    return worse_by if worse_by > margin else None


def _kl(observed: float, rate: float) -> float:
    """Kullback-Leibler divergence of Bernoulli(rate) from Bernoulli(observed), for observed > rate."""
    if rate <= 0:
        return math.inf
    inside = observed * math.log(observed / rate)
    return inside + ((1 - observed) * math.log((1 - observed) / (1 - rate)) if observed < 1 else -math.log(1 - rate))


def p95_slower_by(stable: Sequence[float], candidate: Sequence[float], *, margin: float, alpha: float) -> float | None:
    """How much slower the candidate's p95 surely is (ms, a lower bound), when that exceeds the margin; else None.

    Both sequences sorted ascending.
    """
    if not stable or not candidate:
        return None
    if cs.empirical_quantile(candidate, QUANTILE) - cs.empirical_quantile(stable, QUANTILE) <= margin:
        return None
    slower_by = cs.quantile_lower_bound(candidate, QUANTILE, alpha) - cs.quantile_upper_bound(stable, QUANTILE, alpha)
    return slower_by if slower_by > margin else None


def _failure_summary(stable: ArmFigures, candidate: ArmFigures, worse_by: float, margin: float) -> str:
    return (
        f'Candidate fails {percent(candidate.failure_rate)} of runs vs {percent(stable.failure_rate)} on stable '
        f'({candidate.failed} of {candidate.finished} vs {stable.failed} of {stable.finished}): '
        f'at least {points(worse_by)} worse, more than the {points(margin)} allowed'
    )


def _latency_summary(figures: dict, slower_by: float, margin: float) -> str:
    return (
        f"Candidate's p95 latency is {milliseconds(figures['candidate_p95_ms'])} vs "
        f'{milliseconds(figures["stable_p95_ms"])} on stable: at least {milliseconds(slower_by)} slower, '
        f'more than the {milliseconds(margin)} allowed'
    )


def _calm_summary(stable: ArmFigures, candidate: ArmFigures, figures: dict) -> str:
    if not stable.finished or not candidate.finished:
        return f'No regression: too few runs yet ({candidate.finished} on the candidate, {stable.finished} on stable)'
    text = f'No regression: candidate fails {percent(candidate.failure_rate)} of runs vs {percent(stable.failure_rate)}'
    if figures['candidate_p95_ms'] is not None and figures['stable_p95_ms'] is not None:
        text += f'; p95 latency {milliseconds(figures["candidate_p95_ms"])} vs {milliseconds(figures["stable_p95_ms"])}'
    return text


def percent(rate: float) -> str:
    """0.123 -> '12 %', 0.012 -> '1.2 %': two significant figures at most, as people read them."""
    value = rate * 100
    return f'{value:.1f} %'.replace('.0 %', ' %') if value < 10 else f'{value:.0f} %'


def points(rate: float) -> str:
    """A difference of rates in percentage points: 0.05 -> '5 points'."""
    return percent(rate).replace(' %', ' points')


def milliseconds(value: float) -> str:
    return f'{value:,.0f} ms'

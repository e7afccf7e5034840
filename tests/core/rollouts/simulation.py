"""Simulated rollouts for the guardrail tests: two arms' streams, checked after every sample of either arm."""

import bisect
import math
import random
from collections.abc import Callable, Iterator
from itertools import accumulate

from core.rollouts.guardrails import ArmFigures, failure_rate_worse_by, p95_slower_by


def failure_counts(rng: random.Random, rate: float, samples: int) -> list[int]:
    """Failures among the first n runs, for n = 0..samples, of runs that each fail with the rate, independently."""
    failed = bytearray(samples + 1)
    run = 0
    while True:  # the gaps between failures of a Bernoulli stream are geometric: one draw per failure, not per run
        run += 1 + int(math.log(1 - rng.random()) / math.log(1 - rate)) if rate < 1 else 1
        if run > samples:
            return list(accumulate(failed))
        failed[run] = 1


def checks(samples: int) -> Iterator[tuple[int, int]]:
    """(stable runs, candidate runs) after every sample: the arms take turns."""
    for n in range(1, samples + 1):
        yield n, n - 1
        yield n, n


def first_failure_alarm(stable: list[int], candidate: list[int], *, margin: float, alpha: float) -> int | None:
    """The candidate's run count at the first check that declares a regression, if any.

    A check whose observed gap is within the margin is skipped: the guardrail answers None there without computing
    bounds (they straddle the observed rates, tested in test_confidence_sequences), so skipping it changes nothing.
    """
    samples = len(stable) - 1
    # after stable's n-th run (the candidate has n - 1) and after the candidate's n-th run
    behind = [
        (n, n - 1)
        for n, fs, fc in zip(range(2, samples + 1), stable[2:], candidate[1:], strict=False)
        if fc * n - fs * (n - 1) > margin * n * (n - 1)
    ]
    even = [(n, n) for n, fs, fc in zip(range(1, samples + 1), stable[1:], candidate[1:], strict=False) if fc - fs > margin * n]
    for ns, nc in sorted(behind + even):
        if (
            failure_rate_worse_by(ArmFigures(ns, stable[ns]), ArmFigures(nc, candidate[nc]), margin=margin, alpha=alpha)
            is not None
        ):
            return nc
    return None


def first_peeking_alarm(stable: list[int], candidate: list[int], *, z: float = 1.96) -> int | None:
    """The same streams judged by a fixed-sample two-proportion z-test, peeked at after every sample: what not to do."""
    for ns, nc in checks(len(stable) - 1):
        fs, fc = stable[ns], candidate[nc]
        pooled = (fs + fc) / (ns + nc) if nc else 0
        if 0 < pooled < 1 and (fc / nc - fs / ns) / math.sqrt(pooled * (1 - pooled) * (1 / ns + 1 / nc)) > z:
            return nc
    return None


def first_latency_alarm(
    stable_draw: Callable[[], float], candidate_draw: Callable[[], float], samples: int, *, margin: float, alpha: float
) -> int | None:
    """The candidate's run count at the first check (after every sample) that finds its p95 slower beyond the margin."""
    stable: list[float] = []
    candidate: list[float] = []
    for _ in range(samples):
        for arm, draw in ((stable, stable_draw), (candidate, candidate_draw)):
            bisect.insort(arm, draw())
            if p95_slower_by(stable, candidate, margin=margin, alpha=alpha) is not None:
                return len(candidate)
    return None

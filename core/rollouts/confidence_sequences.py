"""Confidence sequences: bounds that hold at every sample size at once, so they may be checked after every run.

The building block is the beta-binomial mixture martingale of Howard, Ramdas, McAuliffe & Sekhon (2021),
"Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist. 49(2):1055-1080, in its two-sided form
(their Proposition 6) with range parameters g = p, h = 1 - p. For 0/1 outcomes it is the Bernoulli likelihood ratio
mixed over a Beta prior centred on p; by Ville's inequality it ever exceeds 1/alpha with probability at most alpha.
- A rate (failures out of runs): the p at which the martingale stays below 1/alpha, as the authors' library confseq
  computes it in `bernoulli_confidence_interval`.
- A quantile (p95 latency): Howard & Ramdas (2022), "Sequential estimation of quantiles with applications to
  A/B-testing and best-arm identification", Bernoulli 28(3):1704-1728, fixed-quantile confidence sequence (Theorem 1):
  the number of values at or below the true q-quantile is a Bernoulli(q) sum, so the same martingale picks two order
  statistics that bound it.
The prior's spread is tuned, as in section 3.5 of the 2021 paper, to be tightest near TUNED_FOR runs.
We implement it here because confseq no longer builds on CPython 3.11+; tests compare with figures confseq printed.
"""

import functools
import math
from collections.abc import Sequence

TUNED_FOR = 100  # runs per arm at which the boundary is tightest; it stays valid (only a little wider) elsewhere
TUNING_ALPHA = 0.05
_REMEMBERED = 1 << 16  # bounds by counts: a guardrail re-checked after every run meets the same counts again
_EDGE = 1e-12  # rates this close to 0 or 1 count as 0 or 1
_TOLERANCE = 1e-11  # on a bound
_CLOSE = 1e-9  # on the martingale's log at a bound: about its rounding error with counts in the thousands


def log_mixture(successes: float, trials: int, p: float) -> float:
    """Log of the two-sided beta-binomial mixture martingale at rate `p` after `successes` out of `trials`."""
    variance = p * (1 - p)
    tuning = math.log(1 / TUNING_ALPHA)
    rho = variance * TUNED_FOR / (2 * tuning + math.log(1 + 2 * tuning))  # the normal mixture's best spread
    r = max(rho - variance, 1e-3 * variance)
    a, b = r / (1 - p), r / p  # the Beta prior on the rate, with mean p
    failures = trials - successes
    return _log_beta(a + successes, b + failures) - _log_beta(a, b) - successes * math.log(p) - failures * math.log(1 - p)


@functools.lru_cache(maxsize=_REMEMBERED)
def rate_lower_bound(successes: int, trials: int, alpha: float) -> float:
    """The lowest rate the sequence still allows after `successes` out of `trials` (two-sided, level alpha)."""
    return 0.0 if successes == 0 else _bound(successes, trials, alpha, -1)


@functools.lru_cache(maxsize=_REMEMBERED)
def rate_upper_bound(successes: int, trials: int, alpha: float) -> float:
    """The highest rate the sequence still allows after `successes` out of `trials` (two-sided, level alpha)."""
    return 1.0 if successes == trials else _bound(successes, trials, alpha, 1)


def allowed(successes: int, trials: int, p: float, alpha: float) -> bool:
    """Whether the rate p lies inside the sequence (one evaluation, where a bound takes a dozen)."""
    return 0 < p < 1 and log_mixture(successes, trials, p) < math.log(1 / alpha)


def rate_interval(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Both bounds: the rate lies in them at every number of trials at once, with probability 1 - alpha."""
    return rate_lower_bound(successes, trials, alpha), rate_upper_bound(successes, trials, alpha)


@functools.lru_cache(maxsize=_REMEMBERED)
def quantile_ranks(n: int, q: float, alpha: float) -> tuple[int, int]:
    """1-based ranks of the order statistics bounding the q-quantile after n values; 0 or n + 1 mean no bound.

    The martingale accepts a range [low, high] of counts of values at or below the true quantile: so at least `low`
    values lie at or below it (the low-th is a lower bound) and at most `high` lie below it (the next is an upper bound).
    """
    threshold = math.log(1 / alpha)

    def accepted(count: int) -> bool:
        return log_mixture(count, n, q) < threshold

    anchor = min(n, round(q * n))  # the martingale is at most 1 near the expected count
    if not accepted(anchor):
        return 0, n + 1
    low = _first(accepted, 0, anchor)
    high = _first(lambda count: not accepted(count), anchor, n + 1) - 1
    return low, high + 1


def quantile_lower_bound(ordered: Sequence[float], q: float, alpha: float) -> float:
    """A lower bound on the q-quantile from sorted values (-inf while there are too few)."""
    rank, _ = quantile_ranks(len(ordered), q, alpha)
    return ordered[rank - 1] if rank >= 1 else -math.inf


def quantile_upper_bound(ordered: Sequence[float], q: float, alpha: float) -> float:
    """An upper bound on the q-quantile from sorted values (inf while there are too few)."""
    _, rank = quantile_ranks(len(ordered), q, alpha)
    return ordered[rank - 1] if rank <= len(ordered) else math.inf


def empirical_quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values as the bounds above see it: the order statistic at rank floor(q n) + 1."""
    return ordered[min(math.floor(q * len(ordered)), len(ordered) - 1)]


def _bound(successes: int, trials: int, alpha: float, side: int) -> float:
    """Where the sequence ends below (side -1) or above (side 1) the observed rate."""
    threshold = math.log(1 / alpha)

    def excess(p: float) -> float:  # a rate is allowed while this is below 0
        return log_mixture(successes, trials, p) - threshold

    edge = _EDGE if side < 0 else 1 - _EDGE
    at_edge = excess(edge)
    if at_edge < 0:  # even a rate of almost 0 (or 1) is still allowed
        return 0.0 if side < 0 else 1.0
    # from the observed rate (where the martingale is smallest) step out by a standard error, doubling each time but
    # at most three quarters of the way to the edge, until a rate is rejected: a tight bracket for the root search
    inside = min(max(successes / trials, _EDGE), 1 - _EDGE)
    at_inside = excess(inside)
    step = math.sqrt(successes * (trials - successes) / trials + 0.25) / (trials + 1)
    while True:
        outside = max(inside - step, inside / 4, edge) if side < 0 else min(inside + step, 1 - (1 - inside) / 4, edge)
        at_outside = at_edge if outside == edge else excess(outside)
        if at_outside >= 0:
            ends = sorted([(inside, at_inside), (outside, at_outside)])
            return _root(excess, *ends[0], *ends[1])
        inside, at_inside, step = outside, at_outside, 2 * step


def _root(f, low: float, f_low: float, high: float, f_high: float) -> float:
    """A root of f between low and high, where f changes sign: regula falsi with the Illinois step (a few calls)."""
    side = 0
    while high - low > _TOLERANCE:
        middle = (low * f_high - high * f_low) / (f_high - f_low)
        if not low < middle < high:  # rounding: fall back to halving
            middle = (low + high) / 2
        f_middle = f(middle)
        if abs(f_middle) < _CLOSE:
            return middle
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
            f_high = f_high / 2 if side == -1 else f_high  # Illinois: halve the end that stayed twice in a row
            side = -1
        else:
            high, f_high = middle, f_middle
            f_low = f_low / 2 if side == 1 else f_low
            side = 1
    return (low + high) / 2


def _first(is_past, low: int, high: int) -> int:
    """The first integer in [low, high] where `is_past` holds, assuming it holds from there on (high if none before)."""
    while low < high:
        middle = (low + high) // 2
        if is_past(middle):
            high = middle
        else:
            low = middle + 1
    return low


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)

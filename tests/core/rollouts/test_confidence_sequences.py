"""The confidence sequences against the authors' library, and the properties the guardrails lean on."""

import math

import pytest

from core.rollouts import confidence_sequences as cs

# Printed by confseq 0.0.11 (github.com/gostevehoward/confseq, built from source with Boost 1.74 on CPython 3.11):
# boundaries.bernoulli_confidence_interval(successes, trials, alpha, t_opt=100, alpha_opt=0.05)
CONFSEQ_RATE_INTERVALS = [
    (0, 10, 0.025, 0.0, 0.6480265564291585),
    (3, 50, 0.025, 0.0017209209516809662, 0.23383882215918),
    (3, 50, 0.0125, 0.0012027653625929701, 0.2524231435452431),
    (10, 10, 0.025, 0.3519734435706141, 1.0),
    (1, 200, 0.025, 0.0, 0.03906077606910102),
    (60, 1000, 0.0125, 0.03577389033381222, 0.09115134681732456),
    (7, 20, 0.025, 0.07040996343629898, 0.7391131209278228),
    (500, 2000, 0.025, 0.2165036436264245, 0.2853425535179781),
]
# boundaries.beta_binomial_log_mixture(s, v, v_opt, g, h, alpha_opt=0.05, is_one_sided=False) with g = p, h = 1 - p,
# s = successes - p * trials, v = p (1 - p) trials, v_opt = p (1 - p) 100
CONFSEQ_LOG_MIXTURES = [(3, 50, 0.05, -0.9765388969025626)]
# demo/quantiles.py's fixed_quantile_confidence_bounds ranks for the 95th percentile (t_opt=100):
# floor(t q - lower + 1) and ceil(t q + upper), with lower/upper from beta_binomial_mixture_bound (two-sided)
CONFSEQ_P95_RANKS = [
    (20, 0.025, 14, None),  # None: the boundary reaches its cap, no upper bound exists yet (see below)
    (100, 0.025, 87, 100),
    (1000, 0.025, 924, 972),
    (1000, 0.0125, 923, 973),
    (5000, 0.025, 4691, 4805),
    (5000, 0.0125, 4688, 4808),
]


@pytest.mark.parametrize(('successes', 'trials', 'alpha', 'lower', 'upper'), CONFSEQ_RATE_INTERVALS)
def test_rate_interval_matches_confseq(successes, trials, alpha, lower, upper):
    ours = cs.rate_interval(successes, trials, alpha)
    assert ours == pytest.approx((lower, upper), abs=1e-9)


@pytest.mark.parametrize(('successes', 'trials', 'p', 'expected'), CONFSEQ_LOG_MIXTURES)
def test_log_mixture_matches_confseq(successes, trials, p, expected):
    assert cs.log_mixture(successes, trials, p) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(('n', 'alpha', 'low', 'high'), CONFSEQ_P95_RANKS)
def test_quantile_ranks_match_confseq(n, alpha, low, high):
    ours_low, ours_high = cs.quantile_ranks(n, 0.95, alpha)
    assert ours_low == low
    assert ours_high == (n + 1 if high is None else high)


def test_no_upper_bound_on_a_p95_until_enough_values_lie_above_it():
    # where confseq's boundary is capped its demo still names the largest value; the count of values below the true
    # p95 may then be all n, so no order statistic is a valid upper bound: ours says n + 1 (infinity)
    assert cs.quantile_ranks(1, 0.95, 0.025) == (0, 2)
    assert cs.quantile_upper_bound([5.0] * 20, 0.95, 0.025) == math.inf
    assert cs.quantile_lower_bound([5.0], 0.95, 0.025) == -math.inf
    first_upper = next(n for n in range(1, 500) if cs.quantile_ranks(n, 0.95, 0.025)[1] <= n)
    assert first_upper == 99


def test_bounds_straddle_the_observed_rate_and_quantile():
    """The guardrails skip computing bounds when the observed gap is within the margin; this is why that is exact."""
    for trials in [*range(1, 41), 97, 500]:
        for successes in range(0, trials + 1, max(1, trials // 40)):
            lower, upper = cs.rate_interval(successes, trials, 0.0125)
            assert lower <= successes / trials <= upper
        low, high = cs.quantile_ranks(trials, 0.95, 0.0125)
        assert low <= math.floor(0.95 * trials) + 1 <= high


def test_rate_interval_narrows_as_runs_accumulate_at_the_same_rate():
    widths = [upper - lower for lower, upper in (cs.rate_interval(n // 10, n, 0.025) for n in (10, 100, 1000, 10000))]
    assert widths == sorted(widths, reverse=True)
    assert widths[-1] < 0.025  # about twice a fixed-sample interval's 0.012: the price of checking after every run


def test_quantile_bounds_cover_the_true_p95_of_a_known_distribution():
    values = sorted((i * 7919) % 1000 for i in range(1000))  # 0..999 once each: the p95 is 949
    assert cs.quantile_lower_bound(values, 0.95, 0.025) <= 949 <= cs.quantile_upper_bound(values, 0.95, 0.025)
    assert cs.empirical_quantile(values, 0.95) == 950

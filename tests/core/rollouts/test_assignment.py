"""Assignment: one trace id meets one arm, everywhere and at every stage; the shares match the percent."""

import itertools
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

from core.rollouts.assignment import bucket, choose_arm
from core.rollouts.vocabulary import Arm

ROLLOUT = '5b0e8b1e-3c55-4a61-9d0c-5a7d3f0e2c11'
ROOT = Path(__file__).resolve().parents[3]


def test_one_trace_id_meets_one_arm_every_time():
    for trace in ('order-1', 'order-2', 'user:42', 'Ünïcode trace'):
        arms = {choose_arm(rollout_id=ROLLOUT, trace_id=trace, percent=50) for _ in range(50)}
        assert len(arms) == 1


def test_over_2000_trace_ids_at_20_percent_the_candidate_share_is_binomial():
    candidates = sum(choose_arm(rollout_id=ROLLOUT, trace_id=f'trace-{i}', percent=20) == Arm.CANDIDATE for i in range(2000))
    low, high = binomial_interval(2000, 0.20, 0.999)
    assert low <= candidates <= high


def test_a_trace_keeps_the_candidate_as_the_stages_grow():
    traces = [f'trace-{i}' for i in range(2000)]
    met = [
        {t for t in traces if choose_arm(rollout_id=ROLLOUT, trace_id=t, percent=p) == Arm.CANDIDATE} for p in (1, 5, 25, 50, 100)
    ]
    assert all(earlier <= later for earlier, later in itertools.pairwise(met))
    assert met[0] and met[-1] == set(traces)
    assert not any(choose_arm(rollout_id=ROLLOUT, trace_id=t, percent=0) == Arm.CANDIDATE for t in traces)


def test_another_process_on_another_hash_seed_puts_each_trace_in_the_same_bucket():
    traces = [f'trace-{i}' for i in range(200)]
    script = (
        'import json, sys; from core.rollouts.assignment import bucket; '
        f'print(json.dumps([bucket({ROLLOUT!r}, t) for t in json.load(sys.stdin)]))'
    )
    env = {**os.environ, 'PYTHONHASHSEED': '12345'}
    answer = subprocess.run(
        [sys.executable, '-c', script], input=json.dumps(traces), capture_output=True, text=True, cwd=ROOT, env=env, check=True
    )
    assert json.loads(answer.stdout) == [bucket(ROLLOUT, t) for t in traces]


def test_each_rollout_shuffles_the_traces_anew():
    traces = [f'trace-{i}' for i in range(1000)]
    first = {t for t in traces if choose_arm(rollout_id=ROLLOUT, trace_id=t, percent=20) == Arm.CANDIDATE}
    second = {t for t in traces if choose_arm(rollout_id='another-rollout', trace_id=t, percent=20) == Arm.CANDIDATE}
    assert first != second
    assert len(first & second) < 0.1 * len(traces)  # about 4 % when independent; 20 % if the same users always went first


def test_without_a_trace_id_runs_are_drawn_at_random_at_the_percent():
    rng = random.Random(3)
    arms = [choose_arm(rollout_id=ROLLOUT, trace_id=None, percent=20, rng=rng) for _ in range(2000)]
    low, high = binomial_interval(2000, 0.20, 0.999)
    assert low <= arms.count(Arm.CANDIDATE) <= high
    empty = {choose_arm(rollout_id=ROLLOUT, trace_id='', percent=50, rng=rng) for _ in range(50)}
    assert empty == {Arm.STABLE, Arm.CANDIDATE}  # an empty trace id names no trace: drawn, not stuck together


def binomial_interval(n: int, p: float, confidence: float) -> tuple[int, int]:
    """The central interval holding a Binomial(n, p) count with at least this probability (exact, from the pmf)."""
    tail = (1 - confidence) / 2
    pmf = [
        math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * math.log(p) + (n - k) * math.log(1 - p))
        for k in range(n + 1)
    ]
    low, below = 0, 0.0
    while below + pmf[low] <= tail:
        below += pmf[low]
        low += 1
    high, above = n, 0.0
    while above + pmf[high] <= tail:
        above += pmf[high]
        high -= 1
    return low, high

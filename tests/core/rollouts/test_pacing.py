"""A worker evaluates a rollout after every round while that is cheap, and spaces out evaluations that are not."""

from core.rollouts.evaluation import Pacing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_cheap_evaluation_runs_every_round_and_a_costly_one_waits_ten_times_its_duration():
    clock, calls = Clock(), []

    def step(_core, ids):
        calls.append((clock.now, ids[0]))
        clock.now += {'young': 0.001, 'large': 0.1}[ids[0]]
        return []

    pacing = Pacing(clock, step)
    for _ in range(5):
        pacing.evaluate(None, ['young', 'large'])
        clock.now += 0.02  # a round
    evaluated = [rollout for _, rollout in calls]
    assert evaluated.count('young') == 5
    assert evaluated.count('large') == 1  # next due 1 s after its first: the five rounds took about 0.2 s
    clock.now += 1.0
    pacing.evaluate(None, ['large'])
    assert [rollout for _, rollout in calls].count('large') == 2

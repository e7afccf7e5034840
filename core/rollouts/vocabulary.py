"""The words of a rollout: its statuses, its two arms, what a regression does, and the guardrails' names.

They move beside the rollout table in data/tables.py when it lands (as ExecutionStatus sits beside Execution).
"""

from enum import StrEnum


class RolloutStatus(StrEnum):
    """running <-> paused, then promoted | rolled_back | aborted."""

    RUNNING = 'running'
    PAUSED = 'paused'
    PROMOTED = 'promoted'
    ROLLED_BACK = 'rolled_back'
    ABORTED = 'aborted'

    @property
    def active(self) -> bool:
        return self in ACTIVE


ACTIVE = frozenset({RolloutStatus.RUNNING, RolloutStatus.PAUSED})


class Arm(StrEnum):
    """Which configuration served a run: the deployment's current revision or the rollout's candidate."""

    STABLE = 'stable'
    CANDIDATE = 'candidate'


class RegressionAction(StrEnum):
    """What a rollout does on its own when a guardrail finds a regression (onRegression)."""

    ROLLBACK = 'rollback'
    PAUSE = 'pause'


class Guardrail(StrEnum):
    """The guardrails, by the names their settings carry (guardrails.failureRate, guardrails.p95LatencyMs)."""

    FAILURE_RATE = 'failureRate'
    P95_LATENCY_MS = 'p95LatencyMs'

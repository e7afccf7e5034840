"""The words of a rollout: its statuses, its two arms and what a regression does (defined beside the rollout table in
data/tables.py, as ExecutionStatus beside Execution), and the guardrails' names."""

from enum import StrEnum

from data.tables import ACTIVE_ROLLOUT as ACTIVE
from data.tables import Arm, RegressionAction, RolloutStatus

__all__ = ['ACTIVE', 'Arm', 'Guardrail', 'RegressionAction', 'RolloutStatus']


class Guardrail(StrEnum):
    """The guardrails, by the names their settings carry (guardrails.failureRate, guardrails.p95LatencyMs)."""

    FAILURE_RATE = 'failureRate'
    P95_LATENCY_MS = 'p95LatencyMs'

"""Rollout request and response bodies (DESIGN §5); core re-checks every field and names the one that is wrong."""

from typing import Any, Literal

from pydantic import Field

from api.schemas.common import RequestModel, ResponseModel, public_model
from api.schemas.deployments import ConfigChanges
from core.rollouts.records import ArmSummary, HistoryEntry, RolloutArms, RolloutView


class RolloutChanges(ConfigChanges):
    """The candidate: any change a PATCH could make (the fields sent, and not null, change; options replaces the set)."""


class Guardrails(RequestModel):
    failure_rate: float | None = Field(
        default=None, ge=0, le=1, description='allowed increase of the failure rate (0.05 = five points; default 0.05)'
    )
    p95_latency_ms: float | None = Field(default=None, gt=0, description='allowed increase of p95 latency in ms (default: none)')


class RolloutCreate(RequestModel):
    changes: RolloutChanges
    stages: list[int] | None = Field(
        default=None, description='percent of runs per stage, 1-100, ascending, ending at 100 (default 5, 25, 50, 100)'
    )
    stage_minutes: float | None = Field(default=None, ge=0, description='each stage lasts at least this long (default 10)')
    min_samples: int | None = Field(default=None, ge=1, description='finished runs each arm needs per stage (default 50)')
    guardrails: Guardrails | None = None
    on_regression: Literal['rollback', 'pause'] | None = Field(default=None, description='default rollback')

    def settings(self) -> dict[str, Any]:
        """The settings as core reads them (camelCase, only those sent)."""
        sent = self.model_dump(by_alias=True, exclude_unset=True, exclude={'changes'})
        if 'guardrails' in sent and sent['guardrails'] is not None:
            sent['guardrails'] = {key: value for key, value in sent['guardrails'].items() if value is not None}
        return {key: value for key, value in sent.items() if value is not None}


ArmPublic = public_model(ArmSummary, 'ArmPublic')
ArmsPublic = public_model(RolloutArms, 'ArmsPublic', nested={'stable': ArmPublic, 'candidate': ArmPublic})
HistoryEntryPublic = public_model(HistoryEntry, 'HistoryEntryPublic')
RolloutPublic = public_model(
    RolloutView, 'RolloutPublic', nested={'arms': ArmsPublic, 'history': list[HistoryEntryPublic]},
    descriptions={'percent': 'of runs the candidate serves now', 'reason': 'the last change, in words with the figures'},
)  # fmt: skip


class RolloutsPublic(ResponseModel):
    items: list[RolloutPublic]


class RollbackRequest(RequestModel):
    revision: int = Field(ge=1, description='the revision whose configuration becomes current again, as a new revision')

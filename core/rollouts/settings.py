"""A rollout's settings (stages, stage length, samples, guardrails, what a regression does): defaults, presets, checks.

The fields are named as the API spells them (DESIGN §5): `parse_settings` reads them and raises Invalid naming the field.
"""

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import Invalid
from core.rollouts.guardrails import Guardrails
from core.rollouts.vocabulary import Guardrail, RegressionAction

# the dashboard offers these; "Standard" is the default
PRESETS: dict[str, tuple[int, ...]] = {
    'Careful': (1, 5, 25, 50, 100),
    'Standard': (5, 25, 50, 100),
    'Fast': (25, 100),
}


@dataclass(frozen=True)
class RolloutSettings:
    """Candidate traffic in percent per stage (the last, 100, promotes), and when a stage may end."""

    stages: tuple[int, ...] = PRESETS['Standard']
    stage_minutes: float = 10
    min_samples: int = 50  # finished runs each arm needs in a stage before the next starts
    guardrails: Guardrails = field(default_factory=Guardrails)
    on_regression: RegressionAction = RegressionAction.ROLLBACK


FIELDS = ('stages', 'stageMinutes', 'minSamples', 'guardrails', 'onRegression')


def parse_settings(raw: Mapping[str, Any]) -> RolloutSettings:
    """Settings from their JSON form (absent fields take the defaults); Invalid(field, message) names a wrong one."""
    for key in raw:
        if key not in FIELDS:
            raise Invalid(key, f'is not a rollout setting; use {", ".join(FIELDS)}')
    defaults = RolloutSettings()
    return RolloutSettings(
        stages=_stages(raw['stages']) if 'stages' in raw else defaults.stages,
        stage_minutes=_stage_minutes(raw['stageMinutes']) if 'stageMinutes' in raw else defaults.stage_minutes,
        min_samples=_min_samples(raw['minSamples']) if 'minSamples' in raw else defaults.min_samples,
        guardrails=_guardrails(raw['guardrails']) if 'guardrails' in raw else defaults.guardrails,
        on_regression=_on_regression(raw['onRegression']) if 'onRegression' in raw else defaults.on_regression,
    )


def settings_json(settings: RolloutSettings) -> dict[str, Any]:
    """The JSON form that parse_settings reads back (for the rollout row and the API)."""
    return {
        'stages': list(settings.stages),
        'stageMinutes': settings.stage_minutes,
        'minSamples': settings.min_samples,
        'guardrails': {
            Guardrail.FAILURE_RATE.value: settings.guardrails.failure_rate,
            Guardrail.P95_LATENCY_MS.value: settings.guardrails.p95_latency_ms,
        },
        'onRegression': settings.on_regression.value,
    }


def _stages(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise Invalid('stages', 'must be a list of percents, such as [5, 25, 50, 100]')
    for stage in value:
        if not _is_int(stage) or not 1 <= stage <= 100:
            raise Invalid('stages', f'each stage is a whole percent from 1 to 100, not {stage!r}')
    for before, after in itertools.pairwise(value):
        if after <= before:
            raise Invalid('stages', f'must rise from stage to stage ({after} follows {before})')
    if value[-1] != 100:
        raise Invalid('stages', f'must end at 100 (the last stage promotes the candidate), not {value[-1]}')
    if len(value) == 1:
        raise Invalid('stages', 'needs a stage below 100 (going straight to 100 % is a plain change, not a rollout)')
    return tuple(value)


def _stage_minutes(value: Any) -> float:
    if not _is_number(value) or value < 0:
        raise Invalid('stageMinutes', 'must be a number of minutes, 0 or more')
    return value


def _min_samples(value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise Invalid('minSamples', 'must be a whole number, 1 or more')
    return value


def _guardrails(value: Any) -> Guardrails:
    if not isinstance(value, Mapping):
        raise Invalid('guardrails', 'must be an object with failureRate and/or p95LatencyMs')
    known = {guardrail.value for guardrail in Guardrail}
    for key in value:
        if key not in known:
            raise Invalid(f'guardrails.{key}', 'is not a guardrail; use failureRate or p95LatencyMs')
    failure_rate = value.get(Guardrail.FAILURE_RATE, Guardrails.failure_rate)
    if not _is_number(failure_rate) or not 0 <= failure_rate <= 1:
        raise Invalid('guardrails.failureRate', 'must be a number from 0 to 1 (0.05 allows five points more failures)')
    latency = value.get(Guardrail.P95_LATENCY_MS)
    if latency is not None and (not _is_number(latency) or latency <= 0):
        raise Invalid('guardrails.p95LatencyMs', 'must be a number of milliseconds above 0, or null for none')
    return Guardrails(failure_rate=failure_rate, p95_latency_ms=latency)


def _on_regression(value: Any) -> RegressionAction:
    try:
        return RegressionAction(value)
    except ValueError:
        raise Invalid('onRegression', 'must be "rollback" or "pause"') from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

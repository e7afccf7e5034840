"""A rollout's settings: the defaults, the presets, and a clear error naming the field for each bad value."""

import pytest

from core.errors import Invalid
from core.rollouts.guardrails import Guardrails
from core.rollouts.settings import PRESETS, RolloutSettings, parse_settings, settings_json
from core.rollouts.vocabulary import RegressionAction


def test_absent_settings_take_the_documented_defaults():
    settings = parse_settings({})
    assert settings == RolloutSettings()
    assert settings.stages == (5, 25, 50, 100)
    assert (settings.stage_minutes, settings.min_samples) == (10, 50)
    assert settings.guardrails == Guardrails(failure_rate=0.05, p95_latency_ms=None)
    assert settings.on_regression == RegressionAction.ROLLBACK


def test_every_setting_is_read():
    settings = parse_settings(
        {
            'stages': [1, 5, 25, 50, 100],
            'stageMinutes': 0,
            'minSamples': 1,
            'guardrails': {'failureRate': 0.02, 'p95LatencyMs': 800},
            'onRegression': 'pause',
        }
    )
    assert settings == RolloutSettings((1, 5, 25, 50, 100), 0, 1, Guardrails(0.02, 800), RegressionAction.PAUSE)


def test_the_presets_are_valid_settings_and_standard_is_the_default():
    assert PRESETS == {'Careful': (1, 5, 25, 50, 100), 'Standard': (5, 25, 50, 100), 'Fast': (25, 100)}
    for stages in PRESETS.values():
        assert parse_settings({'stages': list(stages)}).stages == stages
    assert RolloutSettings().stages == PRESETS['Standard']


def test_settings_read_back_from_their_json_form():
    settings = RolloutSettings((25, 100), 2.5, 7, Guardrails(0.1, 300.0), RegressionAction.PAUSE)
    assert parse_settings(settings_json(settings)) == settings
    assert settings_json(RolloutSettings())['guardrails'] == {'failureRate': 0.05, 'p95LatencyMs': None}


@pytest.mark.parametrize(
    ('raw', 'field', 'words'),
    [
        ({'stages': [5, 25, 50]}, 'stages', 'must end at 100'),
        ({'stages': [25, 5, 100]}, 'stages', 'must rise'),
        ({'stages': [5, 5, 100]}, 'stages', 'must rise'),
        ({'stages': [0, 50, 100]}, 'stages', 'from 1 to 100'),
        ({'stages': [5, 101]}, 'stages', 'from 1 to 100'),
        ({'stages': [5.5, 100]}, 'stages', 'whole percent'),
        ({'stages': [True, 100]}, 'stages', 'whole percent'),
        ({'stages': ['5', 100]}, 'stages', 'whole percent'),
        ({'stages': []}, 'stages', 'list of percents'),
        ({'stages': '5,25,100'}, 'stages', 'list of percents'),
        ({'stages': [100]}, 'stages', 'needs a stage below 100'),
        ({'stageMinutes': -1}, 'stageMinutes', '0 or more'),
        ({'stageMinutes': 'ten'}, 'stageMinutes', 'number of minutes'),
        ({'stageMinutes': float('inf')}, 'stageMinutes', 'number of minutes'),
        ({'stageMinutes': None}, 'stageMinutes', 'number of minutes'),
        ({'minSamples': 0}, 'minSamples', '1 or more'),
        ({'minSamples': 2.5}, 'minSamples', 'whole number'),
        ({'minSamples': False}, 'minSamples', 'whole number'),
        ({'guardrails': {'errorRate': 0.1}}, 'guardrails.errorRate', 'not a guardrail'),
        ({'guardrails': {'failureRate': 1.5}}, 'guardrails.failureRate', 'from 0 to 1'),
        ({'guardrails': {'failureRate': -0.1}}, 'guardrails.failureRate', 'from 0 to 1'),
        ({'guardrails': {'failureRate': None}}, 'guardrails.failureRate', 'from 0 to 1'),
        ({'guardrails': {'p95LatencyMs': 0}}, 'guardrails.p95LatencyMs', 'above 0'),
        ({'guardrails': {'p95LatencyMs': '1s'}}, 'guardrails.p95LatencyMs', 'above 0'),
        ({'guardrails': [0.05]}, 'guardrails', 'must be an object'),
        ({'onRegression': 'retry'}, 'onRegression', '"rollback" or "pause"'),
        ({'onRegression': ['pause']}, 'onRegression', '"rollback" or "pause"'),
        ({'stageMinute': 5}, 'stageMinute', 'not a rollout setting'),
    ],
)
def test_a_bad_setting_is_refused_naming_its_field(raw, field, words):
    with pytest.raises(Invalid) as refused:
        parse_settings(raw)
    assert refused.value.field == field
    assert words in refused.value.detail


def test_null_latency_guardrail_means_none():
    assert parse_settings({'guardrails': {'p95LatencyMs': None}}).guardrails == Guardrails(0.05, None)

"""The deployment dialog's choice between applying a change now and rolling it out gradually, in plain words."""

from typing import Any

from nicegui import ui

from core.errors import Invalid
from core.rollouts.settings import PRESETS
from core.rollouts.vocabulary import RegressionAction

APPLY_NOW, GRADUAL = 'now', 'gradual'
CUSTOM = 'Custom'
PRESET_WORDS = {
    'Careful': 'Careful: 1 %, then 5 %, 25 %, 50 %, everyone',
    'Standard': 'Standard: 5 %, then 25 %, 50 %, everyone',
    'Fast': 'Fast: 25 %, then everyone',
    CUSTOM: 'Custom steps',
}
ON_REGRESSION_WORDS = {
    RegressionAction.ROLLBACK.value: 'Go back to the current version by itself',
    RegressionAction.PAUSE.value: 'Pause, and let me decide',
}
HOW_IT_WORKS = (
    'A share of the calls gets the new version; the rest keep the current one. Each step lasts at least the minutes '
    'below and until both versions have answered enough calls. If the new version fails more often or is slower than '
    'allowed, the rollout stops by itself.'
)


class RolloutChoice:
    """'Apply now' or 'Roll out gradually' with its steps, step length, calls per step and what a problem does.

    `settings()` gives the rollout settings as the API spells them; the steps field says why when they do not parse.
    """

    def __init__(self) -> None:
        with ui.column().classes('w-full gap-1') as self.container:
            ui.label('How should the change reach callers?').classes('font-medium mt-2')
            self.mode = ui.radio(
                {APPLY_NOW: 'Apply now: every call gets it at once', GRADUAL: 'Roll out gradually: a few calls first'},
                value=APPLY_NOW, on_change=self._show,
            ).mark('rollout-mode')  # fmt: skip
            with ui.column().classes('w-full gap-1 pl-6') as self.details:
                ui.label(HOW_IT_WORKS).classes('text-xs text-slate-500')
                self.preset = ui.select(PRESET_WORDS, value='Standard', label='Steps', on_change=self._show)
                self.preset.classes('w-full').mark('rollout-preset')
                self.custom = ui.input('Custom steps, in percent of calls', placeholder='10, 50, 100')
                self.custom.classes('w-full').mark('rollout-stages')
                self.custom.props('hint="Rising whole percents, ending at 100 (everyone)"')
                with ui.row().classes('w-full no-wrap'):
                    self.minutes = ui.number('Minutes per step, at least', value=10, min=0).classes('grow')
                    self.samples = ui.number('Calls per version per step', value=50, min=1, precision=0).classes('grow')
                    self.minutes.mark('rollout-minutes')
                    self.samples.mark('rollout-samples')
                with ui.row().classes('w-full no-wrap'):
                    self.failures = ui.number('Extra failures allowed, in points', value=5, min=0, max=100).classes('grow')
                    self.failures.props('hint="5: the new version may fail 5 % of calls more often"').mark('rollout-failures')
                    self.latency = ui.number('Extra p95 latency allowed, ms', min=0).classes('grow')
                    self.latency.props('hint="Empty: latency is not watched" clearable').mark('rollout-latency')
                self.on_regression = ui.select(
                    ON_REGRESSION_WORDS, value=RegressionAction.ROLLBACK.value, label='If the new version does worse'
                ).classes('w-full')
        self.fields = {'stages': self.custom, 'stageMinutes': self.minutes, 'minSamples': self.samples,
                       'guardrails.failureRate': self.failures, 'guardrails.p95LatencyMs': self.latency,
                       'onRegression': self.on_regression}  # fmt: skip
        self._show()

    @property
    def gradual(self) -> bool:
        return self.container.visible and self.mode.value == GRADUAL

    def reset(self, *, offered: bool) -> None:
        """Back to 'Apply now'; `offered` only when editing (a new deployment has no callers to protect)."""
        self.container.visible = offered
        self.mode.value, self.preset.value, self.custom.value = APPLY_NOW, 'Standard', ''
        self.minutes.value, self.samples.value = 10, 50
        self.failures.value, self.latency.value = 5, None
        self.on_regression.value = RegressionAction.ROLLBACK.value
        self._show()

    def settings(self) -> dict[str, Any]:
        """The settings as the API spells them; core checks them and names the field that is wrong."""
        return {
            'stages': self._stages(),
            'stageMinutes': self.minutes.value if self.minutes.value is not None else -1,
            'minSamples': int(self.samples.value) if self.samples.value is not None else 0,
            'guardrails': {'failureRate': self._failure_rate(), 'p95LatencyMs': self.latency.value},
            'onRegression': self.on_regression.value,
        }

    def _failure_rate(self) -> float:
        """The field says points (5), core takes a rate (0.05): its range is said here in the field's unit."""
        points = self.failures.value
        if points is None or not 0 <= points <= 100:
            raise Invalid('guardrails.failureRate', 'must be from 0 to 100 points (5 allows 5 % more failed calls)')
        return points / 100

    def _stages(self) -> Any:
        if self.preset.value != CUSTOM:
            return list(PRESETS[self.preset.value])
        parts = [part.strip().rstrip('%').strip() for part in (self.custom.value or '').split(',')]
        try:
            return [int(part) for part in parts if part]
        except ValueError:
            return parts  # core names the part that is not a whole percent

    def _show(self) -> None:
        self.details.visible = self.mode.value == GRADUAL
        self.custom.visible = self.preset.value == CUSTOM

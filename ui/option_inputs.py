"""Option inputs that may stay empty, say each option's range and purpose, refuse (never clamp) an out-of-range value,
and hide what the chosen provider does not support."""

from nicegui import ui

from core.app import Core
from core.errors import Invalid
from core.options import OPTION_SPECS, OptionSpec

ANTHROPIC_NOTE = (
    'Anthropic: a run with temperature, top P or top K is sent with API version 2023-06-01, '
    'because newer Anthropic API versions reject sampling options.'
)


class OptionInputs:
    def __init__(self, core: Core, *, field_prefix: str = 'options') -> None:
        self.core = core
        # one column on a phone, two side by side from the small breakpoint up
        with ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 gap-x-3 gap-y-1') as self.row:
            self.inputs = {key: _option_input(spec) for key, spec in OPTION_SPECS.items()}
        self.note = ui.label(ANTHROPIC_NOTE).classes('text-xs text-slate-500')
        self.fields = {f'{field_prefix}.{key}': field for key, field in self.inputs.items()}
        self.show(None, {})

    def show(self, provider: str | None, values: dict | None) -> None:
        """Offer the options `provider` supports, filled from `values`; none until a provider is chosen."""
        supported = self.core.registry.supported_options(provider) if provider in self.core.registry.names else frozenset()
        for key, field in self.inputs.items():
            field.visible = key in supported
            field.value = (values or {}).get(key) if key in supported else None
        self.row.visible = bool(supported)
        self.note.visible = provider == 'anthropic'

    def values(self) -> dict:
        """The options that are set, as typed (core refuses what is out of range); whole numbers as integers."""
        chosen = {}
        for key, field in self.inputs.items():
            if field.visible and field.value is not None:
                value = field.value
                chosen[key] = int(value) if OPTION_SPECS[key].integer and float(value).is_integer() else value
        return chosen


def _option_input(spec: OptionSpec) -> ui.number:
    """A number input with no min or max (Quasar would clamp to them on blur): the range is checked and told instead."""
    field = ui.number(spec.label, placeholder='default', validation=lambda value: _problem(spec, value))
    field.props(f'clearable bottom-slots hint="{_sentence(spec.range_text)}; {spec.purpose}"')
    if spec.integer:
        field.props('step=1')
    return field.classes('w-full').mark(spec.key)


def _problem(spec: OptionSpec, value: float | None) -> str | None:
    if value is None:
        return None
    try:
        spec.check(value, spec.key)
    except Invalid as error:
        return f'Must be {spec.range_text}' if error.detail.startswith('must be') else error.detail
    return None


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]

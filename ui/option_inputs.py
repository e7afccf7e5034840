"""Temperature, top P and top K inputs that may stay empty and hide what the chosen provider does not support."""

from nicegui import ui

from core.app import Core

ANTHROPIC_NOTE = (
    'Anthropic: a run with any of these options is sent with API version 2023-06-01, '
    'because newer Anthropic API versions reject sampling options.'
)


class OptionInputs:
    def __init__(self, core: Core, *, field_prefix: str = 'options') -> None:
        self.core = core
        with ui.row().classes('w-full gap-2 no-wrap') as self.row:
            self.inputs = {
                'temperature': ui.number('Temperature', min=0, max=1, step=0.1, placeholder='default'),
                'topP': ui.number('Top P', min=0, max=1, step=0.05, placeholder='default'),
                'topK': ui.number('Top K', min=1, step=1, precision=0, placeholder='default'),
            }
            for key, field in self.inputs.items():
                field.props('clearable').classes('grow').mark(key)
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
        """The options that are set; topK as an integer (the number input yields floats)."""
        chosen = {}
        for key, field in self.inputs.items():
            if field.visible and field.value is not None:
                value = field.value
                chosen[key] = int(value) if key == 'topK' and float(value).is_integer() else value
        return chosen

"""One labelled input per template variable (Try it, the prompt preview): a text area for {{input}}, a line per name."""

import json
from typing import Any

from nicegui import ui

INPUT = 'input'  # {{input}}: the caller's text (userInput), not a variable


class VariableInputs:
    """The inputs a template needs; `run_input()` gives (userInput, variables) as a run takes them.

    With an input schema that gives a variable a type other than string (a number, a boolean, a list...), what is
    typed into its input is sent as that JSON value (40, true, ["a"]) when it reads as one, and its label says the type.
    """

    def __init__(self, names: list[str], *, marker: str, text_label: str = 'Input', schema: dict | None = None) -> None:
        self.marker, self.text_label = marker, text_label
        self.container = ui.column().classes('w-full gap-1')
        self.elements: dict[str, ui.input | ui.textarea] = {}
        self.shown: tuple | None = None
        self.show(names, schema)

    def show(self, names: list[str], schema: dict | None = None) -> None:
        """Inputs for `names` (a template's variables), keeping what was typed into inputs that stay."""
        kinds = {name: _kind(schema, name) for name in names if name != INPUT}
        if (names, kinds) == self.shown:
            return
        self.shown, self.kinds = (names, kinds), kinds
        typed = {name: element.value for name, element in self.elements.items()}
        self.variable_names = list(kinds)
        # a template without variables is the system message: the text is then the whole user message
        self.takes_text = INPUT in names or not names
        self.container.clear()
        self.elements = {}
        with self.container:
            for name, kind in kinds.items():
                label = name if kind is None else f'{name} ({kind})'
                element = ui.input(label, value=typed.get(name, '')).classes('w-full').props('outlined dense')
                self.elements[name] = element.mark(f'{self.marker}-variable-{name}')
            if self.takes_text:
                text = ui.textarea(self.text_label, value=typed.get(INPUT, '')).classes('w-full')
                self.elements[INPUT] = text.props('autogrow outlined').mark(f'{self.marker}-input')

    def run_input(self) -> tuple[str | None, dict[str, Any] | None]:
        """(userInput, variables): the text only when the template takes it, the variables only when it has some."""
        text = self.elements[INPUT].value or '' if self.takes_text else None
        variables = {name: _value(self.elements[name].value or '', self.kinds[name]) for name in self.variable_names}
        return text, variables or None

    @property
    def names(self) -> list[str]:
        return self.shown[0] if self.shown else []

    @property
    def fields(self) -> dict[str, ui.input | ui.textarea]:
        """The inputs by the request field an error names: userInput, variables.<name>."""
        return {('userInput' if name == INPUT else f'variables.{name}'): element for name, element in self.elements.items()}


def _kind(schema: dict | None, name: str) -> str | None:
    """The JSON type the input schema gives the variable, when it is one text cannot be (None: text)."""
    properties = schema.get('properties') if isinstance(schema, dict) else None
    declared = properties.get(name) if isinstance(properties, dict) else None
    kind = declared.get('type') if isinstance(declared, dict) else None
    if isinstance(kind, list):
        kind = None if 'string' in kind else ' or '.join(str(k) for k in kind)
    return None if kind in (None, 'string') else str(kind)


def _value(typed: str, kind: str | None) -> Any:
    """The typed text as the JSON value its type asks for; as text when it does not read as one (the schema says why)."""
    if kind is None:
        return typed
    try:
        return json.loads(typed)
    except ValueError:
        return typed

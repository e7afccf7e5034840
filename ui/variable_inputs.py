"""One labelled input per template variable (Try it, the prompt preview): a text area for {{input}}, a line per name."""

from nicegui import ui

INPUT = 'input'  # {{input}}: the caller's text (userInput), not a variable


class VariableInputs:
    """The inputs a template needs; `run_input()` gives (userInput, variables) as a run takes them."""

    def __init__(self, names: list[str], *, marker: str, text_label: str = 'Input') -> None:
        self.marker, self.text_label = marker, text_label
        self.container = ui.column().classes('w-full gap-1')
        self.elements: dict[str, ui.input | ui.textarea] = {}
        self.names: list[str] | None = None
        self.show(names)

    def show(self, names: list[str]) -> None:
        """Inputs for `names` (a template's variables), keeping what was typed into inputs that stay."""
        if names == self.names:
            return
        self.names = names
        typed = {name: element.value for name, element in self.elements.items()}
        self.variable_names = [name for name in names if name != INPUT]
        # a template without variables is the system message: the text is then the whole user message
        self.takes_text = INPUT in names or not names
        self.container.clear()
        self.elements = {}
        with self.container:
            for name in self.variable_names:
                element = ui.input(name, value=typed.get(name, '')).classes('w-full').props('outlined dense')
                self.elements[name] = element.mark(f'{self.marker}-variable-{name}')
            if self.takes_text:
                text = ui.textarea(self.text_label, value=typed.get(INPUT, '')).classes('w-full')
                self.elements[INPUT] = text.props('autogrow outlined').mark(f'{self.marker}-input')

    def run_input(self) -> tuple[str | None, dict[str, str] | None]:
        """(userInput, variables): the text only when the template takes it, the variables only when it has some."""
        text = self.elements[INPUT].value or '' if self.takes_text else None
        variables = {name: self.elements[name].value or '' for name in self.variable_names} or None
        return text, variables

    @property
    def fields(self) -> dict[str, ui.input | ui.textarea]:
        """The inputs by the request field an error names: userInput, variables.<name>."""
        return {('userInput' if name == INPUT else f'variables.{name}'): element for name, element in self.elements.items()}

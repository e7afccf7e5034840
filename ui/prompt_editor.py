"""Edit a prompt: template, schemas, file flag; the variables it uses; a preview of the messages it would send."""

import json
from collections.abc import Awaitable, Callable

from nicegui import ui

from core import prompts
from core.app import Core
from core.errors import Conflict, DomainError, Invalid
from core.permissions import Actor
from core.prompts import PromptView
from core.templates import build_messages, template_variables
from ui import feedback
from ui.session import SignedIn
from ui.variable_inputs import VariableInputs

TEMPLATE_HELP = (
    "Mustache, no HTML escaping. {{input}} is the caller's text (userInput in the API, the Input box in Try it). "
    'Every other {{name}} is a variable: the caller sends it in variables (one field each in Try it). '
    "A template without variables is sent as the system message, with the caller's text as the user message."
)


class PromptEditor:
    """Create (prompt=None) or edit; a save that changes the content makes a new version."""

    def __init__(
        self,
        me: SignedIn,
        prompt: PromptView | None,
        *,
        on_saved: Callable[[PromptView], Awaitable[None] | None],
        save_existing: Callable[..., Awaitable[PromptView | None]] | None = None,
    ) -> None:
        """`save_existing(name=..., template=..., ...)` saves an existing prompt (None: the person chose not to)."""
        self.me, self.prompt, self.on_saved = me, prompt, on_saved
        self.save_existing = save_existing or (lambda **content: me.act(prompts.update_prompt, self.prompt.id, **content))
        self.name = ui.input('Name', value=prompt.name if prompt else '').classes('w-full')
        self.template = ui.textarea('Template', value=prompt.template if prompt else '', on_change=self._show_variables)
        self.template.classes('w-full font-mono').props('autogrow outlined').mark('template')
        ui.label(TEMPLATE_HELP).classes('text-xs text-slate-500')
        self.variables = ui.label().classes('text-sm')
        self.input_schema = _json_area('Input schema (JSON Schema, optional)', prompt.input_schema if prompt else None)
        self.response_schema = _json_area('Response schema (JSON Schema, optional)', prompt.response_schema if prompt else None)
        self.accepts_file = ui.checkbox('Accepts a file', value=prompt.accepts_file if prompt else False)
        self.fields = {
            'name': self.name,
            'template': self.template,
            'inputSchema': self.input_schema,
            'responseSchema': self.response_schema,
        }
        with ui.row():
            self.save_button = ui.button('Save' if prompt else 'Create prompt', icon='save', on_click=self.save)
            self.save_button.set_enabled(me.may('prompts:write'))
        if not me.may('prompts:write'):  # a viewer reads the prompt; fields that take typing would promise a save
            for field in (self.name, self.template, self.input_schema, self.response_schema):
                field.props('readonly')
            self.accepts_file.disable()
            ui.label('Your role can read prompts but not change them.').classes('text-xs text-slate-500').mark('read-only-note')
        with ui.card().classes('w-full'):
            ui.label('Preview').classes('font-semibold')
            self.sample = VariableInputs(self._names_or_none() or [], marker='sample', text_label='Sample input')
            ui.button('Preview', icon='visibility', on_click=self.preview).props('outline')
            self.preview_output = ui.column().classes('w-full gap-1')
        self._show_variables()

    async def save(self) -> None:
        feedback.clear_invalid(self.fields)
        try:
            content = {
                'template': self.template.value or '',
                'input_schema': _parse_json(self.input_schema, 'inputSchema'),
                'response_schema': _parse_json(self.response_schema, 'responseSchema'),
                'accepts_file': bool(self.accepts_file.value),
            }
            if self.prompt is None:
                saved = await self.me.act(prompts.create_prompt, name=self.name.value or '', **content)
                feedback.success(f'Created {saved.name}')
            else:
                saved = await self.save_existing(name=self.name.value or '', **content)
                if saved is None:
                    return
                changed = saved.version != self.prompt.version
                feedback.success(
                    f'Saved as version {saved.version}' if changed else 'Saved (the content did not change, so no new version)'
                )
        except Invalid as error:
            feedback.show_error(self.fields, error)
            return
        except Conflict as error:
            self.name.error = error.message
            return
        except DomainError as error:
            feedback.failure(error)
            return
        self.prompt = saved
        result = self.on_saved(saved)
        if result is not None:
            await result

    async def preview(self) -> None:
        """Render what is in the editor now (saved or not) with the sample values."""
        feedback.clear_invalid(self.sample.fields)
        try:
            schema = _parse_json(self.input_schema, 'inputSchema')
            self.sample.show(self.sample.names, schema)  # the values typed as the schema says
            user_input, variables = self.sample.run_input()
            messages = await self.me.act(_render, self.template.value or '', user_input, variables, schema)
        except Invalid as error:
            messages, problem = [], feedback.message_of(error)
            if error.field in self.sample.fields:
                feedback.show_error(self.sample.fields, error)
        except DomainError as error:
            feedback.failure(error)
            return
        else:
            problem = None
        self.preview_output.clear()
        with self.preview_output:
            if problem:
                ui.label(problem).classes('text-negative')
            for message in messages:
                ui.label(f'{message["role"]}: {message["content"]}').classes('whitespace-pre-wrap font-mono text-sm')

    def _show_variables(self) -> None:
        names = self._names_or_none()
        if names is None:
            return  # the label says what is wrong; the sample inputs stay as they were
        self.variables.text = 'Variables: ' + (', '.join(names) if names else 'none (the template becomes the system message)')
        self.sample.show(names, _schema_quietly(self.input_schema))

    def _names_or_none(self) -> list[str] | None:
        """The template's variables, or None (said on the page) while it does not parse."""
        try:
            return template_variables(self.template.value or '')
        except Invalid as error:
            self.variables.text = f'Template problem: {error.detail}'
            return None


def _render(
    core: Core, actor: Actor, template: str, user_input: str | None, variables: dict | None, input_schema: dict | None
) -> list[dict]:
    """The messages the editor's template would send (off the event loop: it may validate against a schema)."""
    return build_messages(template, user_input, variables=variables, input_schema=input_schema)


def _schema_quietly(area: ui.textarea) -> dict | None:
    """The schema typed so far, or None while it is not JSON (saving or previewing says so)."""
    try:
        return _parse_json(area, 'inputSchema')
    except Invalid:
        return None


def _json_area(label: str, value: dict | None) -> ui.textarea:
    text = json.dumps(value, indent=2) if value is not None else ''
    return ui.textarea(label, value=text).classes('w-full font-mono').props('autogrow outlined')


def _parse_json(area: ui.textarea, field: str) -> dict | None:
    text = (area.value or '').strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise Invalid(field, f'not valid JSON: {error}') from None

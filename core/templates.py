"""Prompt templates: mustache without HTML escaping, filled from a run's variables and input text; JSON Schema checks."""

import json
from dataclasses import dataclass
from typing import Any

import pystache
from pystache.context import KeyNotFoundError
from pystache.parsed import ParsedTemplate
from pystache.parser import ParsingError, _EscapeNode, _InvertedNode, _LiteralNode, _PartialNode, _SectionNode

from core.errors import Invalid
from core.json_schema import SchemaUnusable, check_schema, first_error

_VALUE_NODES = (_EscapeNode, _LiteralNode)
_SECTION_NODES = (_SectionNode, _InvertedNode)


def template_variables(template: str) -> list[str]:
    """The names the template looks up in the input, in order of first use (`user.name` counts as `user`).

    Names inside a section are left out: they are usually fields of the section's items, not of the input.
    """
    return _root_names(parse_template(template))


def _root_names(parsed: ParsedTemplate) -> list[str]:
    names: list[str] = []
    for node in parsed._parse_tree:
        key = getattr(node, 'key', None)
        if isinstance(node, (*_VALUE_NODES, *_SECTION_NODES)) and key != '.':
            name = key.split('.')[0]
            if name not in names:
                names.append(name)
    return names


def build_messages(
    template: str, user_input: str | None, *, variables: dict | None = None, input_schema: dict | None = None
) -> list[dict]:
    """The chat messages for one run; Invalid names the field at fault (`variables.<name>` for a missing variable).

    `user_input` is the caller's text ({{input}}); `variables` fill the template's other names. Without `variables`, a
    `user_input` that is a JSON object fills them (the original form of a run).
    """
    run_input = RunInput.of(user_input, variables)
    parsed = parse_template(template)
    if input_schema is not None:
        _check_against_schema(run_input, input_schema)
    if not _uses_variables(parsed):
        if run_input.text is None:
            raise Invalid('userInput', 'must not be empty: this template has no variables, so the input is the message')
        # nothing to fill in: the template instructs (system) and the input is what the person said (user)
        return [{'role': 'system', 'content': _render(parsed, {})}, {'role': 'user', 'content': run_input.text}]
    context = run_input.context()
    _check_variables_present(parsed, context, run_input)
    return [{'role': 'user', 'content': _render(parsed, context)}]


@dataclass(frozen=True)
class RunInput:
    """What a run fills a template with: the caller's text and the variables (given, or read from a JSON text)."""

    text: str | None
    variables: dict | None
    variables_given: bool  # False: read from `text` (or none at all)

    @classmethod
    def of(cls, user_input: Any, variables: Any) -> 'RunInput':
        if user_input is not None and (not isinstance(user_input, str) or not user_input.strip()):
            raise Invalid('userInput', 'must not be empty')
        if variables is not None:
            return cls(user_input, checked_variables(variables), True)
        if user_input is None:
            raise Invalid('userInput', 'must not be empty: send userInput, variables or both')
        data = _parse_json(user_input)
        return cls(user_input, data if isinstance(data, dict) else None, False)

    def context(self) -> dict:
        """The names the template may use: the variables, and {{input}}, always the caller's raw text."""
        return {**(self.variables or {}), **({'input': self.text} if self.text is not None else {})}


def checked_variables(variables: Any) -> dict:
    """`variables` as a run takes them: a JSON object with string keys (the template looks names up in it)."""
    if not isinstance(variables, dict):
        raise Invalid('variables', 'must be a JSON object of template variables, such as {"name": "Ada"}')
    return variables


def validate_template(template: Any) -> str:
    """The template, if it is a non-empty string that parses; Invalid('template', ...) otherwise."""
    if not isinstance(template, str) or not template.strip():
        raise Invalid('template', 'must not be empty')
    parse_template(template)
    return template


def validate_schema(schema: Any, field: str) -> dict | None:
    """A JSON Schema (Draft 2020-12) given as an object, or None; Invalid(field, ...) when it is not one."""
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise Invalid(field, 'must be a JSON Schema object')
    check_schema(schema, field)
    return schema


def parse_template(template: str) -> ParsedTemplate:
    try:
        parsed = pystache.parse(template, raise_on_mismatch=True)
        _reject_partials(parsed)
    except ParsingError as error:
        raise Invalid('template', f'cannot parse: {error}') from None
    except RecursionError:
        raise Invalid('template', 'sections are nested too deeply') from None
    return parsed


def _reject_partials(parsed: ParsedTemplate) -> None:
    # a partial would be read from a file on the server: never from a prompt
    for node in parsed._parse_tree:
        if isinstance(node, _PartialNode):
            raise Invalid('template', f'partials such as {{{{>{node.key}}}}} are not supported')
        if isinstance(node, _SectionNode):
            _reject_partials(node.parsed)
        if isinstance(node, _InvertedNode):
            _reject_partials(node.parsed_section)


def _uses_variables(parsed: ParsedTemplate) -> bool:
    return any(isinstance(node, (*_VALUE_NODES, *_SECTION_NODES)) for node in parsed._parse_tree)


_NOT_JSON = object()


def _parse_json(user_input: str) -> Any:
    """The input as JSON, or _NOT_JSON when it is plain text."""
    try:
        return json.loads(user_input)
    except ValueError:
        return _NOT_JSON
    except RecursionError:
        raise Invalid('userInput', 'is JSON nested too deeply') from None


def _check_against_schema(run_input: RunInput, schema: dict) -> None:
    """The variables (given, or the JSON text) must match the prompt's input schema."""
    field = 'variables' if run_input.variables_given else 'userInput'
    if run_input.variables_given:
        data = run_input.variables
    else:
        data = _parse_json(run_input.text or '')
        if data is _NOT_JSON:
            raise Invalid('userInput', 'must be JSON (or send variables): this prompt has an input schema')
    try:
        error = first_error(schema, data)
    except SchemaUnusable as unusable:
        raise Invalid('inputSchema', f'cannot be applied: {unusable}') from None
    except RecursionError:
        raise Invalid(field, 'is JSON nested too deeply') from None
    if error is not None:
        path = list(error.absolute_path)
        if run_input.variables_given and path and isinstance(path[0], str):
            field = f'variables.{path[0]}'  # the variable at fault, so a form can say it under its input
        raise Invalid(field, f'does not match the input schema at {error.json_path}: {error.message}')


def _check_variables_present(parsed: ParsedTemplate, context: dict, run_input: RunInput) -> None:
    missing = [name for name in _root_names(parsed) if name not in context]
    if not missing:
        return
    listed = ', '.join(repr(name) for name in missing)
    hint = '' if run_input.variables is not None else ' (send them in variables, a JSON object)'
    raise Invalid(_field_of(missing[0]), f'missing variable{"s" if len(missing) > 1 else ""} {listed}{hint}')


def _field_of(name: str) -> str:
    """The request field a template name comes from: {{input}} is userInput, the others are in variables."""
    return 'userInput' if name == 'input' else f'variables.{name}'


class _Renderer(pystache.Renderer):
    """No HTML escaping, an error for a missing name, and JSON (not Python) text for non-string values."""

    def __init__(self) -> None:
        super().__init__(escape=lambda text: text, missing_tags='strict')

    def str_coerce(self, value: Any) -> str:
        if value is None:
            return ''
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


_renderer = _Renderer()


def _render(parsed: ParsedTemplate, context: dict) -> str:
    try:
        return _renderer.render(parsed, context)
    except KeyNotFoundError as error:
        # a name used inside a section or a dotted name (`user.name`) that the input lacks
        raise Invalid(_field_of(error.key), f'missing variable {error.key!r}') from None
    except RecursionError:
        raise Invalid('variables', 'are nested too deeply to fill in the template') from None

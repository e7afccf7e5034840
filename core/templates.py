"""Prompt templates: mustache without HTML escaping, JSON-object inputs as variables, JSON Schema checks."""

import json
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


def build_messages(template: str, user_input: str, *, input_schema: dict | None = None) -> list[dict]:
    """The chat messages for one run; Invalid('userInput', ...) names a missing variable or a schema failure."""
    if not isinstance(user_input, str) or not user_input.strip():
        raise Invalid('userInput', 'must not be empty')
    parsed = parse_template(template)
    data = _parse_json(user_input)
    if input_schema is not None:
        _check_against_schema(data, user_input, input_schema)
    if not _uses_variables(parsed):
        # nothing to fill in: the template instructs (system) and the input is what the person said (user)
        return [{'role': 'system', 'content': _render(parsed, {})}, {'role': 'user', 'content': user_input}]
    context = {**data, 'input': user_input} if isinstance(data, dict) else {'input': user_input}
    _check_variables_present(parsed, context, input_is_object=isinstance(data, dict))
    return [{'role': 'user', 'content': _render(parsed, context)}]


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


def _check_against_schema(data: Any, user_input: str, schema: dict) -> None:
    if data is _NOT_JSON:
        raise Invalid('userInput', 'must be JSON: this prompt has an input schema')
    try:
        error = first_error(schema, data)
    except SchemaUnusable as unusable:
        raise Invalid('inputSchema', f'cannot be applied: {unusable}') from None
    except RecursionError:
        raise Invalid('userInput', 'is JSON nested too deeply') from None
    if error is not None:
        raise Invalid('userInput', f'does not match the input schema at {error.json_path}: {error.message}')


def _check_variables_present(parsed: ParsedTemplate, context: dict, *, input_is_object: bool) -> None:
    missing = [name for name in _root_names(parsed) if name not in context]
    if not missing:
        return
    listed = ', '.join(repr(name) for name in missing)
    hint = '' if input_is_object else ' (send the input as a JSON object to fill in variables)'
    raise Invalid('userInput', f'missing variable{"s" if len(missing) > 1 else ""} {listed}{hint}')


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
        raise Invalid('userInput', f'missing variable {error.key!r}') from None
    except RecursionError:
        raise Invalid('userInput', 'is nested too deeply to fill in the template') from None

"""Judge a result against the execution's response schema (JSON Schema, via core.json_schema: patterns on RE2)."""

import json
import re

from core.json_schema import first_error

_FENCE = re.compile(r'^\s*```(?:json)?\s*\n(.*?)\n?```\s*$', re.DOTALL)


def validate_result(text: str, schema: dict | None) -> tuple[bool | None, str | None]:
    """(valid, message): (None, None) without a schema; a message a person can read when invalid."""
    if schema is None:
        return None, None
    fenced = _FENCE.match(text)  # some models wrap JSON in a markdown fence even when asked not to
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than the parser goes
        return False, f'the result is not JSON: {error}'
    try:
        error = first_error(schema, value)
    except Exception as broken:  # a schema jsonschema cannot apply must not cost the execution its result
        return False, f'the response schema cannot be applied: {str(broken).splitlines()[0]}'
    if error is None:
        return True, None
    return False, f'{error.json_path}: {error.message}'

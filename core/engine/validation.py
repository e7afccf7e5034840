"""Judge a result against the execution's response schema (JSON Schema, via the jsonschema library)."""

import json
import re

from jsonschema import validators
from jsonschema.exceptions import best_match

_FENCE = re.compile(r'^\s*```(?:json)?\s*\n(.*?)\n?```\s*$', re.DOTALL)


def validate_result(text: str, schema: dict | None) -> tuple[bool | None, str | None]:
    """(valid, message): (None, None) without a schema; a message a person can read when invalid."""
    if schema is None:
        return None, None
    fenced = _FENCE.match(text)  # some models wrap JSON in a markdown fence even when asked not to
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except ValueError as error:
        return False, f'the result is not JSON: {error}'
    try:
        error = best_match(validators.validator_for(schema)(schema).iter_errors(value))
    except Exception as broken:  # a schema jsonschema cannot apply must not cost the execution its result
        return False, f'the response schema cannot be applied: {str(broken).splitlines()[0]}'
    if error is None:
        return True, None
    return False, f'{error.json_path}: {error.message}'

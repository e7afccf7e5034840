"""JSON Schema checks whose regular expressions run on RE2, so no schema or input can make a check take long.

jsonschema matches `pattern` and `patternProperties` (also while applying `additionalProperties` and
`unevaluatedProperties`) with `re.search`, a backtracking engine: `^(a+)+$` against 25 `a`s and a `!` takes seconds,
doubling with each `a`. RE2 answers in time linear in the input. jsonschema 4.26 has no hook for its regex engine, and
its keyword modules reach `re.search` through their module global `re`: that global is pointed at RE2 here, once, for
the whole process. RE2 has no lookaround or backreferences, so a schema that uses them is refused when it is saved.
"""

import functools
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import jsonschema._keywords
import jsonschema._legacy_keywords
import jsonschema._utils
import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from core.errors import Invalid

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is a 422 for the caller, not a line on our stderr
_RE2_LIMITS = 'patterns run on RE2: no lookaround, no backreferences'
_DATA_KEYWORDS = frozenset({'enum', 'const', 'default', 'examples'})  # values there are data, not subschemas


class SchemaUnusable(Exception):
    """The schema cannot be applied (a pattern RE2 refuses, a reference that cannot be resolved)."""


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> re2._Regexp:
    """The pattern compiled by RE2; re2.error when RE2 cannot run it."""
    return re2.compile(pattern, _RE2_OPTIONS)


def _search(pattern: str, text: str) -> Any:
    return compile_pattern(pattern).search(text)


for _module in (jsonschema._keywords, jsonschema._utils, jsonschema._legacy_keywords):
    _module.re = SimpleNamespace(search=_search)  # the only function of `re` these modules call


def check_schema(schema: dict, field: str) -> None:
    """Invalid(field, ...) unless `schema` is a Draft 2020-12 JSON Schema whose every pattern RE2 can run."""
    try:
        Draft202012Validator.check_schema(schema)
        patterns = list(_patterns(schema, '$'))
    except SchemaError as error:
        raise Invalid(field, f'not a valid JSON Schema: {error.message} (at {error.json_path})') from None
    except RecursionError:
        raise Invalid(field, 'is nested too deeply') from None
    for where, pattern in patterns:
        try:
            compile_pattern(pattern)
        except re2.error as error:
            reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
            raise Invalid(field, f'pattern {pattern!r} at {where} cannot be used: {reason} ({_RE2_LIMITS})') from None


def first_error(schema: dict, value: Any) -> ValidationError | None:
    """The most relevant way `value` fails `schema` (its `$schema` picks the draft), or None.

    SchemaUnusable when the schema cannot be applied; RecursionError when the value (or the schema) is too deep.
    """
    try:
        return best_match(validators.validator_for(schema)(schema).iter_errors(value))
    except RecursionError:
        raise
    except re2.error:
        raise SchemaUnusable(f'the schema has a pattern that cannot be used ({_RE2_LIMITS})') from None
    except Exception as error:  # e.g. a $ref that cannot be resolved: the schema's fault, not the value's
        raise SchemaUnusable(str(error).splitlines()[0] if str(error) else type(error).__name__) from None


def _patterns(schema: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, pattern) for every `pattern` value and `patternProperties` key in the schema."""
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _patterns(item, f'{where}[{index}]')
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in _DATA_KEYWORDS:
            continue
        if key == 'pattern' and isinstance(value, str):
            yield f'{where}.pattern', value
        elif key == 'patternProperties' and isinstance(value, dict):
            yield from ((f'{where}.patternProperties', pattern) for pattern in value)
        yield from _patterns(value, f'{where}.{key}')

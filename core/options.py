"""Sampling options (temperature, topP, topK): ranges, and what each provider supports."""

import math
from typing import Any, Protocol

from core.errors import Invalid

KNOWN_OPTIONS = ('temperature', 'topP', 'topK')


class SupportsOptions(Protocol):
    def supported_options(self, provider: str) -> frozenset[str]: ...


def validate_options(registry: SupportsOptions, provider: str, options: dict | None, *, field: str = 'options') -> dict:
    """The options checked and normalised; a None value means "not set" and is dropped."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise Invalid(field, 'must be an object with temperature, topP or topK')
    supported = registry.supported_options(provider)
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if key not in KNOWN_OPTIONS:
            raise Invalid(f'{field}.{key}', 'unknown option (use temperature, topP or topK)')
        if value is None:
            continue
        if key not in supported:
            raise Invalid(f'{field}.{key}', f'{provider} does not support {key}')
        checked[key] = _check_value(key, value, f'{field}.{key}')
    return checked


def _check_value(key: str, value: Any, field: str) -> int | float:
    if key == 'topK':
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise Invalid(field, 'must be an integer of at least 1')
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0 <= value <= 1:
        raise Invalid(field, 'must be a number from 0 to 1')
    return float(value)

"""Sampling options (temperature, topP, topK, maxTokens): ranges, what each does, and what each provider supports."""

import math
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import Invalid


@dataclass(frozen=True)
class OptionSpec:
    """One option: its range (inclusive; no maximum when None), whether it is an integer, and what it does."""

    key: str
    label: str
    minimum: int | float
    maximum: int | float | None
    integer: bool
    purpose: str

    @property
    def range_text(self) -> str:
        if self.maximum is None:
            return f'an integer of at least {self.minimum}' if self.integer else f'at least {self.minimum}'
        kind = 'an integer' if self.integer else 'a number'
        return f'{kind} from {self.minimum} to {self.maximum:,}'

    def check(self, value: Any, field: str) -> int | float:
        """The value as stored, or Invalid naming `field` with the range: never clamped."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise Invalid(field, f'must be {self.range_text}')
        if self.integer:
            if not float(value).is_integer():
                raise Invalid(field, f'must be {self.range_text}')
            value = int(value)
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            raise Invalid(field, f'must be {self.range_text}')
        return value if self.integer else float(value)


MAX_TOKENS_LIMIT = 2**31 - 1  # what every provider's API takes as an integer

OPTION_SPECS = {
    spec.key: spec
    for spec in (
        OptionSpec('temperature', 'Temperature', 0, 1, False, 'higher gives more varied replies, lower more predictable ones'),
        OptionSpec('topP', 'Top P', 0, 1, False, 'samples only from the most likely words whose chances add up to this share'),
        OptionSpec('topK', 'Top K', 1, None, True, 'samples only from this many most likely next words'),
        OptionSpec('maxTokens', 'Max tokens', 1, MAX_TOKENS_LIMIT, True, 'the longest reply, in tokens; a longer one is cut off'),
    )
}
KNOWN_OPTIONS = tuple(OPTION_SPECS)


class SupportsOptions(Protocol):
    def supported_options(self, provider: str) -> frozenset[str]: ...


def option_specs(registry: SupportsOptions, provider: str) -> list[OptionSpec]:
    """The options `provider` takes, in a fixed order."""
    supported = registry.supported_options(provider)
    return [spec for key, spec in OPTION_SPECS.items() if key in supported]


def validate_options(registry: SupportsOptions, provider: str, options: dict | None, *, field: str = 'options') -> dict:
    """The options checked and normalised; a None value means "not set" and is dropped."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise Invalid(field, f'must be an object with {", ".join(KNOWN_OPTIONS)}')
    supported = registry.supported_options(provider)
    checked: dict[str, Any] = {}
    for key, value in options.items():
        if key not in OPTION_SPECS:
            raise Invalid(f'{field}.{key}', f'unknown option (use {", ".join(KNOWN_OPTIONS)})')
        if value is None:
            continue
        if key not in supported:
            raise Invalid(f'{field}.{key}', f'{provider} does not support {key}')
        checked[key] = OPTION_SPECS[key].check(value, f'{field}.{key}')
    return checked

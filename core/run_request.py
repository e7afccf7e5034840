"""A run's request, checked before any database work: the caller's input text and variables, per-run options, trace id,
file, origin and idempotency key."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core import idempotency
from core.errors import Invalid
from core.templates import checked_variables
from core.text import reject_nul
from data.tables import Origin

MAX_TRACE_ID = 200


@dataclass(frozen=True)
class RunRequest:
    user_input: str | None  # {{input}}
    variables: dict | None  # the template's other names
    options: dict | None
    trace_id: str | None
    file_id: str | None
    origin: Origin
    idempotency: idempotency.Claim | None

    def stored_input(self) -> str:
        """What the execution's userInput column keeps: the text, or (variables alone) an empty string."""
        return self.user_input or ''


def checked_request(
    *,
    user_input: Any,
    options: Any,
    trace_id: Any,
    file_id: Any,
    origin: Any,
    variables: Any = None,
    idempotency_key: Any = None,
    ref: str = '',
) -> RunRequest:
    """The request with every check that needs no database; Invalid names the field.

    At least one of `user_input` (text) and `variables` (a JSON object); `ref` (the deployment asked for) is part of
    what an idempotency key is bound to.
    """
    if user_input is None and variables is None:
        raise Invalid('userInput', 'must not be empty: send userInput, variables or both')
    if user_input is not None and (not isinstance(user_input, str) or not user_input.strip()):
        raise Invalid('userInput', 'must not be empty')
    if variables is not None:
        checked_variables(variables)
    reject_nul(userInput=user_input, traceId=trace_id, fileId=file_id)
    _reject_nul_in_variables(variables)
    check_choice('origin', origin, Origin)
    if file_id is not None and not isinstance(file_id, str):
        raise Invalid('fileId', 'must be a file id')
    trace_id = _checked_trace_id(trace_id)
    key = idempotency.checked_key(idempotency_key)
    asked = {'deployment': ref, 'userInput': user_input, 'variables': variables, 'options': options,
             'traceId': trace_id, 'fileId': file_id}  # fmt: skip
    claim = idempotency.Claim(key, _fingerprint(asked)) if key is not None else None
    return RunRequest(user_input, variables, options, trace_id, file_id, Origin(origin), claim)


def _reject_nul_in_variables(variables: dict | None) -> None:
    try:
        reject_nul(variables=variables)
    except RecursionError:
        raise Invalid('variables', 'are JSON nested too deeply') from None


def _fingerprint(asked: dict[str, Any]) -> str:
    try:
        return idempotency.request_hash(asked)
    except RecursionError:
        raise Invalid('variables', 'are JSON nested too deeply') from None


def check_choice(field: str, value: Any, choices: type[StrEnum]) -> None:
    if value not in set(choices):
        raise Invalid(field, f'must be one of {", ".join(choices)}')


def _checked_trace_id(trace_id: Any) -> str | None:
    if trace_id is None or trace_id == '':
        return None
    if not isinstance(trace_id, str):
        raise Invalid('traceId', 'must be a string')
    if len(trace_id) > MAX_TRACE_ID:
        raise Invalid('traceId', f'must be at most {MAX_TRACE_ID} characters')
    return trace_id

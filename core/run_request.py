"""A run's request, checked before any database work: the caller's input, per-run options, trace id, file and origin."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.errors import Invalid
from core.text import reject_nul
from data.tables import Origin

MAX_TRACE_ID = 200


@dataclass(frozen=True)
class RunRequest:
    user_input: str
    options: dict | None
    trace_id: str | None
    file_id: str | None
    origin: Origin


def checked_request(*, user_input: Any, options: Any, trace_id: Any, file_id: Any, origin: Any) -> RunRequest:
    """The request with every check that needs no database; Invalid names the field."""
    if not isinstance(user_input, str) or not user_input.strip():
        raise Invalid('userInput', 'must not be empty')
    reject_nul(userInput=user_input, traceId=trace_id, fileId=file_id)
    check_choice('origin', origin, Origin)
    if file_id is not None and not isinstance(file_id, str):
        raise Invalid('fileId', 'must be a file id')
    return RunRequest(user_input, options, _checked_trace_id(trace_id), file_id, Origin(origin))


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
